/**
 * Tables: `{"table": {"family", "name", "handle", "flags", "comment"}}` ⇄ NFT_MSG_NEWTABLE.
 * Equivalent to: nft add table inet t
 */
import { ValidationError } from '../../../errors';
import { decodeAttrs, defineSchema } from '../../../wire/attributes';
import type { BuiltMessage } from '../../../wire/message-writer';
import { NLM_F_CREATE, NLM_F_EXCL } from '../../../wire/constants';
import { readNfgenmsg } from '../../nfnetlink';
import { FAMILY_NAMES, NFTA_TABLE, NFT_MSG, NFT_TABLE_F_DORMANT, NFT_TABLE_F_OWNER } from '../constants';
import {
  be64, buildUdata, commentUdata, familyOf, nameOf, nftMessage, obj, optString, optUint, parseUdata, udataString, writeNameOrHandle,
} from './common';

/** NFTNL_UDATA_TABLE_COMMENT. */
const UDATA_TABLE_COMMENT = 0;

/** A table as libnftables JSON spells it. */
export interface TableJson {
  family: string;
  name: string;
  handle?: number;
  flags?: string | string[];
  comment?: string;
}

/** NFTA_TABLE_* attributes. */
export const tableSchema = defineSchema('table', {
  [NFTA_TABLE.NAME]: { name: 'name', type: 'string' },
  [NFTA_TABLE.FLAGS]: { name: 'flags', type: 'u32be' },
  [NFTA_TABLE.USE]: { name: 'use', type: 'u32be' },
  [NFTA_TABLE.HANDLE]: { name: 'handle', ...be64 },
  [NFTA_TABLE.USERDATA]: { name: 'userdata', type: 'binary' },
  [NFTA_TABLE.OWNER]: { name: 'owner', type: 'u32be' },
});

const TABLE_FLAGS: [string, number][] = [['dormant', NFT_TABLE_F_DORMANT], ['owner', NFT_TABLE_F_OWNER]];
const TABLE_KEYS = new Set(['family', 'name', 'handle', 'flags', 'comment']);

/** Checks the keys of a JSON object against the ones its kind allows. */
export function checkJsonKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>, path: string): void {
  for (const k of Object.keys(o)) if (!allowed.has(k)) throw new ValidationError(`${path}.${k}`, `unknown property "${k}"`);
}

function flagsOf(v: unknown, path: string): number {
  if (v === undefined) return 0;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list)) throw new ValidationError(path, 'expected a flag name or a list of them');
  let n = 0;
  list.forEach((f, i) => {
    const hit = TABLE_FLAGS.find(([name]) => name === f);
    if (!hit) throw new ValidationError(Array.isArray(v) ? `${path}[${i}]` : path, `unknown table flag ${JSON.stringify(f)} (dormant, owner)`);
    n |= hit[1];
  });
  return n;
}

/** Builds add/create (NEWTABLE), delete (DELTABLE) or flush (DELRULE of the whole table). */
export function buildTable(verb: string, json: unknown, path: string, echo: number): BuiltMessage {
  const o = obj(json, path);
  checkJsonKeys(o, TABLE_KEYS, path);
  const fam = familyOf(o, path);
  optUint(o.handle, `${path}.handle`); // checked here; a delete may name it
  const comment = optString(o.comment, `${path}.comment`);
  if (verb === 'delete') {
    const w = nftMessage(NFT_MSG.DELTABLE, 0, fam.num);
    writeNameOrHandle(w, o, path, 'table', NFTA_TABLE.NAME, NFTA_TABLE.HANDLE);
    return w.finish();
  }
  const name = nameOf(o.name, `${path}.name`);
  if (verb === 'flush') {
    const w = nftMessage(NFT_MSG.DELRULE, 0, fam.num);
    w.string(1 /* NFTA_RULE_TABLE */, name, `${path}.name`);
    return w.finish();
  }
  if (verb !== 'add' && verb !== 'create') throw new ValidationError(path, `a table cannot be given to "${verb}"`);
  const w = nftMessage(NFT_MSG.NEWTABLE, NLM_F_CREATE | (verb === 'create' ? NLM_F_EXCL : 0) | echo, fam.num);
  w.string(NFTA_TABLE.NAME, name, `${path}.name`);
  const flags = flagsOf(o.flags, `${path}.flags`);
  w.u32be(NFTA_TABLE.FLAGS, flags, `${path}.flags`);
  if (comment !== undefined) w.bytes(NFTA_TABLE.USERDATA, buildUdata([commentUdata(UDATA_TABLE_COMMENT, comment, `${path}.comment`)]), `${path}.comment`);
  return w.finish();
}

/** A NEWTABLE message (dump part, echo or event) → JSON as `nft -j` prints it. */
export function decodeTable(buf: Buffer, off: number, len: number): TableJson & { use?: number } {
  const { family } = readNfgenmsg(buf, off);
  const a = decodeAttrs(tableSchema, buf, off + 20, off + len);
  const out: TableJson = { family: FAMILY_NAMES[family] ?? String(family), name: a.name, handle: a.handle };
  if (a.flags) {
    const names = TABLE_FLAGS.filter(([, bit]) => a.flags & bit).map(([n]) => n);
    out.flags = names.length === 1 ? names[0]! : names;
  }
  if (a.userdata) {
    for (const u of parseUdata(a.userdata)) if (u.type === UDATA_TABLE_COMMENT) out.comment = udataString(u.value);
  }
  return out;
}
