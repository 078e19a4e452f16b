/**
 * Chains: `{"chain": {"family", "table", "name", "handle", "type", "hook", "prio", "policy",
 * "dev", "comment"}}` ⇄ NFT_MSG_NEWCHAIN. A chain with a hook is a base chain; its priority
 * may be a number or a name with an offset as nft writes it (`"srcnat + 10"`, `"filter - 5"`).
 * Equivalent to: nft add chain inet t in '{ type filter hook input priority filter; policy drop; }'
 */
import { ValidationError } from '../../../errors';
import { decodeAttrs, defineSchema } from '../../../wire/attributes';
import type { BuiltMessage, MessageWriter } from '../../../wire/message-writer';
import { NLM_F_CREATE, NLM_F_EXCL } from '../../../wire/constants';
import { readNfgenmsg } from '../../nfnetlink';
import {
  BRIDGE_PRIORITIES, CHAIN_TYPES, FAMILY_NAMES, HOOKS, NFTA_CHAIN, NFTA_DEVICE_NAME, NFTA_HOOK, NFT_MSG, POLICIES, PRIORITIES, hookName,
} from '../constants';
import {
  be64, buildUdata, commentUdata, familyOf, nameOf, nftMessage, obj, optString, optUint, parseUdata, s32be, udataString, writeNameOrHandle, devicesSpec,
} from './common';
import { checkJsonKeys } from './table';

/** NFTNL_UDATA_CHAIN_COMMENT. */
const UDATA_CHAIN_COMMENT = 0;

/** A chain as libnftables JSON spells it. */
export interface ChainJson {
  family: string;
  table: string;
  name: string;
  handle?: number;
  type?: string;
  hook?: string;
  prio?: number;
  policy?: string;
  dev?: string | string[];
  comment?: string;
}

const hookSchema = defineSchema('chain.hook', {
  [NFTA_HOOK.HOOKNUM]: { name: 'hooknum', type: 'u32be' },
  [NFTA_HOOK.PRIORITY]: { name: 'priority', ...s32be },
  [NFTA_HOOK.DEV]: { name: 'dev', type: 'string' },
  [NFTA_HOOK.DEVS]: { name: 'devs', ...devicesSpec },
});

/** NFTA_CHAIN_* attributes. */
export const chainSchema = defineSchema('chain', {
  [NFTA_CHAIN.TABLE]: { name: 'table', type: 'string' },
  [NFTA_CHAIN.HANDLE]: { name: 'handle', ...be64 },
  [NFTA_CHAIN.NAME]: { name: 'name', type: 'string' },
  [NFTA_CHAIN.HOOK]: { name: 'hook', type: 'nested', nested: hookSchema },
  [NFTA_CHAIN.POLICY]: { name: 'policy', type: 'u32be' },
  [NFTA_CHAIN.USE]: { name: 'use', type: 'u32be' },
  [NFTA_CHAIN.TYPE]: { name: 'type', type: 'string' },
  [NFTA_CHAIN.FLAGS]: { name: 'flags', type: 'u32be' },
  [NFTA_CHAIN.ID]: { name: 'id', type: 'u32be' },
  [NFTA_CHAIN.USERDATA]: { name: 'userdata', type: 'binary' },
});

const CHAIN_KEYS = new Set(['family', 'table', 'name', 'handle', 'newname', 'type', 'hook', 'prio', 'policy', 'dev', 'comment']);

/**
 * A priority as JSON gives it → the number: an integer, a numeric string, or a standard name
 * with an optional offset (`"srcnat"`, `"srcnat + 10"`, `"filter -5"`), resolved for the family.
 */
export function parsePriority(v: unknown, family: string, path: string): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0x7fff_ffff) throw new ValidationError(path, 'expected a 32-bit integer priority');
    return v;
  }
  if (typeof v !== 'string') throw new ValidationError(path, 'expected a priority number or name (raw, mangle, dstnat, filter, security, srcnat)');
  const m = /^\s*([a-z]+|-?\d+)\s*(?:([+-])\s*(\d+))?\s*$/.exec(v);
  if (!m) throw new ValidationError(path, `cannot parse priority ${JSON.stringify(v)}`);
  const table = family === 'bridge' ? BRIDGE_PRIORITIES : PRIORITIES;
  const base = /^-?\d+$/.test(m[1]!) ? Number(m[1]) : table[m[1]!];
  if (base === undefined) throw new ValidationError(path, `unknown priority name ${JSON.stringify(m[1])} for family ${family} (${Object.keys(table).join(', ')})`);
  const off = m[3] ? Number(m[3]) * (m[2] === '-' ? -1 : 1) : 0;
  return base + off;
}

function writeDevices(w: MessageWriter, dev: unknown, path: string): void {
  const list = typeof dev === 'string' ? [dev] : dev;
  if (!Array.isArray(list) || list.length === 0) throw new ValidationError(path, 'expected a device name or a list of them');
  list.forEach((d, i) => {
    const p = Array.isArray(dev) ? `${path}[${i}]` : path;
    if (typeof d !== 'string' || !d || Buffer.byteLength(d) > 15) throw new ValidationError(p, 'expected an interface name');
  });
  if (list.length === 1) {
    w.string(NFTA_HOOK.DEV, list[0], path);
    return;
  }
  w.nestStart(NFTA_HOOK.DEVS, path);
  for (const d of list) w.string(NFTA_DEVICE_NAME, d);
  w.nestEnd();
}

/** Builds add/create (NEWCHAIN), delete (DELCHAIN) or flush (DELRULE of the chain). */
export function buildChain(verb: string, json: unknown, path: string, echo: number): BuiltMessage {
  const o = obj(json, path);
  checkJsonKeys(o, CHAIN_KEYS, path);
  const fam = familyOf(o, path);
  const table = nameOf(o.table, `${path}.table`);
  optUint(o.handle, `${path}.handle`); // checked here; a delete may name it
  if (verb === 'delete') {
    const w = nftMessage(NFT_MSG.DELCHAIN, 0, fam.num);
    w.string(NFTA_CHAIN.TABLE, table, `${path}.table`);
    writeNameOrHandle(w, o, path, 'chain', NFTA_CHAIN.NAME, NFTA_CHAIN.HANDLE);
    return w.finish();
  }
  const name = nameOf(o.name, `${path}.name`);
  if (verb === 'flush') {
    const w = nftMessage(NFT_MSG.DELRULE, 0, fam.num);
    w.string(1 /* NFTA_RULE_TABLE */, table, `${path}.table`);
    w.string(2 /* NFTA_RULE_CHAIN */, name, `${path}.name`);
    return w.finish();
  }
  if (verb !== 'add' && verb !== 'create') throw new ValidationError(path, `a chain cannot be given to "${verb}"`);
  const comment = optString(o.comment, `${path}.comment`);
  const w = nftMessage(NFT_MSG.NEWCHAIN, NLM_F_CREATE | (verb === 'create' ? NLM_F_EXCL : 0) | echo, fam.num);
  w.string(NFTA_CHAIN.TABLE, table, `${path}.table`);
  w.string(NFTA_CHAIN.NAME, name, `${path}.name`);
  const base = o.hook !== undefined;
  if (!base) {
    for (const k of ['type', 'prio', 'policy', 'dev'] as const) {
      if (o[k] !== undefined) throw new ValidationError(`${path}.${k}`, `"${k}" needs "hook" (a base chain)`);
    }
  } else {
    const hooks = HOOKS[fam.name]!;
    const hooknum = typeof o.hook === 'string' ? hooks[o.hook] : undefined;
    if (hooknum === undefined) throw new ValidationError(`${path}.hook`, `unknown hook ${JSON.stringify(o.hook)} for family ${fam.name} (${Object.keys(hooks).join(', ')})`);
    const type = o.type ?? 'filter';
    if (!CHAIN_TYPES.includes(type)) throw new ValidationError(`${path}.type`, `unknown chain type ${JSON.stringify(type)} (filter, nat, route)`);
    if (o.prio === undefined) throw new ValidationError(`${path}.prio`, 'a base chain needs a priority');
    const prio = parsePriority(o.prio, fam.name, `${path}.prio`);
    const needsDev = fam.name === 'netdev' || (fam.name === 'inet' && o.hook === 'ingress');
    if (needsDev && o.dev === undefined) throw new ValidationError(`${path}.dev`, `a ${fam.name} ${o.hook} chain needs a device`);
    if (!needsDev && o.dev !== undefined) throw new ValidationError(`${path}.dev`, 'only netdev and inet ingress chains take devices');
    w.nestStart(NFTA_CHAIN.HOOK, `${path}.hook`);
    w.u32be(NFTA_HOOK.HOOKNUM, hooknum, `${path}.hook`);
    s32be.encode!(w, NFTA_HOOK.PRIORITY, prio, `${path}.prio`);
    if (o.dev !== undefined) writeDevices(w, o.dev, `${path}.dev`);
    w.nestEnd();
    w.string(NFTA_CHAIN.TYPE, type, `${path}.type`);
    if (o.policy !== undefined) {
      const pol = typeof o.policy === 'string' ? POLICIES[o.policy] : undefined;
      if (pol === undefined) throw new ValidationError(`${path}.policy`, 'expected "accept" or "drop"');
      w.u32be(NFTA_CHAIN.POLICY, pol, `${path}.policy`);
    }
  }
  if (comment !== undefined) w.bytes(NFTA_CHAIN.USERDATA, buildUdata([commentUdata(UDATA_CHAIN_COMMENT, comment, `${path}.comment`)]), `${path}.comment`);
  return w.finish();
}

/** A NEWCHAIN message → JSON as `nft -j` prints it (devices as nft ≥ 1.0.7 prints them). */
export function decodeChain(buf: Buffer, off: number, len: number): ChainJson {
  const { family } = readNfgenmsg(buf, off);
  const fam = FAMILY_NAMES[family] ?? String(family);
  const a = decodeAttrs(chainSchema, buf, off + 20, off + len);
  const out: ChainJson = { family: fam, table: a.table, name: a.name, handle: a.handle };
  if (a.userdata) {
    for (const u of parseUdata(a.userdata)) if (u.type === UDATA_CHAIN_COMMENT) out.comment = udataString(u.value);
  }
  if (a.hook) {
    out.type = a.type;
    out.hook = hookName(fam, a.hook.hooknum) ?? String(a.hook.hooknum);
    out.prio = a.hook.priority;
    out.policy = a.policy === 0 ? 'drop' : 'accept';
    const devs: string[] = a.hook.devs ?? (a.hook.dev ? [a.hook.dev] : []);
    if (devs.length === 1) out.dev = devs[0]!;
    else if (devs.length > 1) out.dev = devs;
  }
  return out;
}
