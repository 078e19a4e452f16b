/**
 * Flowtables: `{"flowtable": {"family", "table", "name", "handle", "hook", "prio", "dev",
 * "flags"}}` ⇄ NFT_MSG_NEWFLOWTABLE (the fast path `flow add @f` offloads connections to).
 * Equivalent to: nft add flowtable inet t f '{ hook ingress priority filter; devices = { eth0 }; }'
 */
import { ValidationError } from '../../../errors';
import { decodeAttrs, defineSchema } from '../../../wire/attributes';
import type { BuiltMessage } from '../../../wire/message-writer';
import { NLM_F_CREATE, NLM_F_EXCL } from '../../../wire/constants';
import { readNfgenmsg } from '../../nfnetlink';
import {
  FAMILY_NAMES, NFTA_DEVICE_NAME, NFTA_FLOWTABLE, NFTA_FLOWTABLE_HOOK, NFT_FLOWTABLE_COUNTER, NFT_FLOWTABLE_HW_OFFLOAD, NFT_MSG,
} from '../constants';
import {
  be64, familyOf, nameOf, nftMessage, obj, optUint, s32be, writeNameOrHandle, devicesSpec,
} from './common';
import { parsePriority } from './chain';
import { checkJsonKeys } from './table';

const hookSchema = defineSchema('flowtable.hook', {
  [NFTA_FLOWTABLE_HOOK.NUM]: { name: 'num', type: 'u32be' },
  [NFTA_FLOWTABLE_HOOK.PRIORITY]: { name: 'priority', ...s32be },
  [NFTA_FLOWTABLE_HOOK.DEVS]: { name: 'devs', ...devicesSpec },
});

/** NFTA_FLOWTABLE_* attributes. */
export const flowtableSchema = defineSchema('flowtable', {
  [NFTA_FLOWTABLE.TABLE]: { name: 'table', type: 'string' },
  [NFTA_FLOWTABLE.NAME]: { name: 'name', type: 'string' },
  [NFTA_FLOWTABLE.HOOK]: { name: 'hook', type: 'nested', nested: hookSchema },
  [NFTA_FLOWTABLE.USE]: { name: 'use', type: 'u32be' },
  [NFTA_FLOWTABLE.HANDLE]: { name: 'handle', ...be64 },
  [NFTA_FLOWTABLE.FLAGS]: { name: 'flags', type: 'u32be' },
});

const KEYS = new Set(['family', 'table', 'name', 'handle', 'hook', 'prio', 'dev', 'flags']);
const FLAGS: [string, number][] = [['offload', NFT_FLOWTABLE_HW_OFFLOAD], ['counter', NFT_FLOWTABLE_COUNTER]];

/** Builds add/create (NEWFLOWTABLE) or delete (DELFLOWTABLE). */
export function buildFlowtable(verb: string, json: unknown, path: string, echo: number): BuiltMessage {
  const o = obj(json, path);
  checkJsonKeys(o, KEYS, path);
  const fam = familyOf(o, path);
  const table = nameOf(o.table, `${path}.table`);
  optUint(o.handle, `${path}.handle`); // checked here; a delete may name it
  if (verb === 'delete') {
    const w = nftMessage(NFT_MSG.DELFLOWTABLE, 0, fam.num);
    w.string(NFTA_FLOWTABLE.TABLE, table, `${path}.table`);
    writeNameOrHandle(w, o, path, 'flowtable', NFTA_FLOWTABLE.NAME, NFTA_FLOWTABLE.HANDLE);
    return w.finish();
  }
  if (verb !== 'add' && verb !== 'create') throw new ValidationError(path, `a flowtable cannot be given to "${verb}"`);
  const w = nftMessage(NFT_MSG.NEWFLOWTABLE, NLM_F_CREATE | (verb === 'create' ? NLM_F_EXCL : 0) | echo, fam.num);
  w.string(NFTA_FLOWTABLE.TABLE, table, `${path}.table`);
  w.string(NFTA_FLOWTABLE.NAME, nameOf(o.name, `${path}.name`), `${path}.name`);
  if (o.hook !== undefined && o.hook !== 'ingress') throw new ValidationError(`${path}.hook`, 'a flowtable hooks "ingress"');
  const devs = o.dev === undefined ? [] : typeof o.dev === 'string' ? [o.dev] : o.dev;
  if (!Array.isArray(devs) || devs.some((d) => typeof d !== 'string' || !d)) throw new ValidationError(`${path}.dev`, 'expected a device name or a list of them');
  w.nestStart(NFTA_FLOWTABLE.HOOK, `${path}.hook`);
  w.u32be(NFTA_FLOWTABLE_HOOK.NUM, 0, `${path}.hook`);
  s32be.encode!(w, NFTA_FLOWTABLE_HOOK.PRIORITY, parsePriority(o.prio ?? 0, fam.name, `${path}.prio`), `${path}.prio`);
  if (devs.length) {
    w.nestStart(NFTA_FLOWTABLE_HOOK.DEVS, `${path}.dev`);
    for (const d of devs) w.string(NFTA_DEVICE_NAME, d);
    w.nestEnd();
  }
  w.nestEnd();
  if (o.flags !== undefined) {
    const list = typeof o.flags === 'string' ? [o.flags] : o.flags;
    if (!Array.isArray(list)) throw new ValidationError(`${path}.flags`, 'expected a list of flags');
    let f = 0;
    list.forEach((x: unknown, i: number) => {
      const hit = FLAGS.find(([n]) => n === x);
      if (!hit) throw new ValidationError(`${path}.flags[${i}]`, 'expected "offload" or "counter"');
      f |= hit[1];
    });
    w.u32be(NFTA_FLOWTABLE.FLAGS, f, `${path}.flags`);
  }
  return w.finish();
}

/** A NEWFLOWTABLE message → JSON as `nft -j` prints it. */
export function decodeFlowtable(buf: Buffer, off: number, len: number): Record<string, unknown> {
  const { family } = readNfgenmsg(buf, off);
  const a = decodeAttrs(flowtableSchema, buf, off + 20, off + len);
  const out: Record<string, unknown> = { family: FAMILY_NAMES[family] ?? String(family), name: a.name, table: a.table, handle: a.handle };
  if (a.hook) {
    out.hook = 'ingress';
    out.prio = a.hook.priority ?? 0;
    const devs: string[] = a.hook.devs ?? [];
    if (devs.length === 1) out.dev = devs[0];
    else if (devs.length > 1) out.dev = devs;
  }
  const fl = FLAGS.filter(([, bit]) => (a.flags ?? 0) & bit).map(([n]) => n);
  if (fl.length) out.flags = fl;
  return out;
}
