/**
 * Named stateful objects: counter, quota and limit ⇄ NFT_MSG_NEWOBJ with NFTA_OBJ_DATA holding
 * the same attributes the anonymous statements use.
 * Equivalent to: nft add counter inet t c1; nft add quota inet t q1 '{ over 100 mbytes }';
 * nft add limit inet t l1 '{ rate 10/second }'
 */
import { ValidationError } from '../../../errors';
import { decodeAttrs, defineSchema } from '../../../wire/attributes';
import type { BuiltMessage } from '../../../wire/message-writer';
import { NLM_F_CREATE, NLM_F_EXCL } from '../../../wire/constants';
import { readNfgenmsg } from '../../nfnetlink';
import {
  FAMILY_NAMES, NFTA_COUNTER, NFTA_LIMIT, NFTA_OBJ, NFTA_QUOTA, NFT_LIMIT_F_INV, NFT_LIMIT_PKTS, NFT_LIMIT_PKT_BYTES, NFT_MSG,
  NFT_OBJECT, NFT_QUOTA_F_INV,
} from '../constants';
import {
  be64, buildUdata, commentUdata, familyOf, nameOf, nftMessage, obj, optString, optUint, parseUdata, udataString, writeBe64, writeNameOrHandle,
} from './common';
import { checkJsonKeys } from './table';

/** The object kinds this codec handles (JSON key → NFT_OBJECT_*). */
export const STATEFUL_KINDS = { counter: NFT_OBJECT.counter, quota: NFT_OBJECT.quota, limit: NFT_OBJECT.limit } as const;
export type StatefulKind = keyof typeof STATEFUL_KINDS;

const UDATA_OBJ_COMMENT = 0;

const counterSchema = defineSchema('counter', {
  [NFTA_COUNTER.BYTES]: { name: 'bytes', ...be64 },
  [NFTA_COUNTER.PACKETS]: { name: 'packets', ...be64 },
});
const quotaSchema = defineSchema('quota', {
  [NFTA_QUOTA.BYTES]: { name: 'bytes', ...be64 },
  [NFTA_QUOTA.FLAGS]: { name: 'flags', type: 'u32be' },
  [NFTA_QUOTA.CONSUMED]: { name: 'consumed', ...be64 },
});
const limitSchema = defineSchema('limit', {
  [NFTA_LIMIT.RATE]: { name: 'rate', ...be64 },
  [NFTA_LIMIT.UNIT]: { name: 'unit', ...be64 },
  [NFTA_LIMIT.BURST]: { name: 'burst', type: 'u32be' },
  [NFTA_LIMIT.TYPE]: { name: 'type', type: 'u32be' },
  [NFTA_LIMIT.FLAGS]: { name: 'flags', type: 'u32be' },
});
const objSchema = defineSchema('object', {
  [NFTA_OBJ.TABLE]: { name: 'table', type: 'string' },
  [NFTA_OBJ.NAME]: { name: 'name', type: 'string' },
  [NFTA_OBJ.TYPE]: { name: 'type', type: 'u32be' },
  [NFTA_OBJ.DATA]: { name: 'data', type: 'binary' },
  [NFTA_OBJ.USE]: { name: 'use', type: 'u32be' },
  [NFTA_OBJ.HANDLE]: { name: 'handle', ...be64 },
  [NFTA_OBJ.USERDATA]: { name: 'userdata', type: 'binary' },
});

/** Limit periods: JSON name ⇄ seconds. */
export const LIMIT_PERIODS: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };
/** Byte units of byte-rate limits and quotas. */
export const BYTE_UNITS: Readonly<Record<string, number>> = { bytes: 1, kbytes: 1024, mbytes: 1024 * 1024 };

/** Splits a byte count into nft's printed value and unit (the largest unit that divides it). */
export function bytesToUnit(n: number): [number, string] {
  if (n > 0 && n % (1024 * 1024) === 0) return [n / (1024 * 1024), 'mbytes'];
  if (n > 0 && n % 1024 === 0) return [n / 1024, 'kbytes'];
  return [n, 'bytes'];
}

const KEYS: Record<StatefulKind, Set<string>> = {
  counter: new Set(['family', 'table', 'name', 'handle', 'packets', 'bytes', 'comment']),
  quota: new Set(['family', 'table', 'name', 'handle', 'bytes', 'used', 'inv', 'comment']),
  limit: new Set(['family', 'table', 'name', 'handle', 'rate', 'per', 'rate_unit', 'burst', 'burst_unit', 'inv', 'comment']),
};

function unitOf(v: unknown, path: string): number {
  if (v === undefined) return 1;
  const u = typeof v === 'string' ? BYTE_UNITS[v] : undefined;
  if (u === undefined) throw new ValidationError(path, 'expected "bytes", "kbytes" or "mbytes"');
  return u;
}

/** Builds add/create (NEWOBJ) or delete (DELOBJ) of a named counter, quota or limit. */
export function buildStateful(kind: StatefulKind, verb: string, json: unknown, path: string, echo: number): BuiltMessage {
  const o = obj(json, path);
  checkJsonKeys(o, KEYS[kind], path);
  const fam = familyOf(o, path);
  const table = nameOf(o.table, `${path}.table`);
  optUint(o.handle, `${path}.handle`); // checked here; a delete may name it
  if (verb === 'delete') {
    const w = nftMessage(NFT_MSG.DELOBJ, 0, fam.num);
    w.string(NFTA_OBJ.TABLE, table, `${path}.table`);
    w.u32be(NFTA_OBJ.TYPE, STATEFUL_KINDS[kind]);
    writeNameOrHandle(w, o, path, kind, NFTA_OBJ.NAME, NFTA_OBJ.HANDLE);
    return w.finish();
  }
  if (verb !== 'add' && verb !== 'create') throw new ValidationError(path, `a ${kind} cannot be given to "${verb}"`);
  const name = nameOf(o.name, `${path}.name`);
  const comment = optString(o.comment, `${path}.comment`);
  const w = nftMessage(NFT_MSG.NEWOBJ, NLM_F_CREATE | (verb === 'create' ? NLM_F_EXCL : 0) | echo, fam.num);
  w.string(NFTA_OBJ.TABLE, table, `${path}.table`);
  w.string(NFTA_OBJ.NAME, name, `${path}.name`);
  w.u32be(NFTA_OBJ.TYPE, STATEFUL_KINDS[kind]);
  w.nestStart(NFTA_OBJ.DATA, path);
  if (kind === 'counter') {
    writeBe64(w, NFTA_COUNTER.BYTES, optUint(o.bytes, `${path}.bytes`) ?? 0, `${path}.bytes`);
    writeBe64(w, NFTA_COUNTER.PACKETS, optUint(o.packets, `${path}.packets`) ?? 0, `${path}.packets`);
  } else if (kind === 'quota') {
    const bytes = optUint(o.bytes, `${path}.bytes`);
    if (bytes === undefined) throw new ValidationError(`${path}.bytes`, 'a quota needs "bytes"');
    if (o.inv !== undefined && typeof o.inv !== 'boolean') throw new ValidationError(`${path}.inv`, 'expected a boolean');
    writeBe64(w, NFTA_QUOTA.BYTES, bytes, `${path}.bytes`);
    w.u32be(NFTA_QUOTA.FLAGS, o.inv ? NFT_QUOTA_F_INV : 0, `${path}.inv`);
    if (o.used !== undefined) writeBe64(w, NFTA_QUOTA.CONSUMED, optUint(o.used, `${path}.used`)!, `${path}.used`);
  } else {
    const rate = optUint(o.rate, `${path}.rate`);
    if (rate === undefined) throw new ValidationError(`${path}.rate`, 'a limit needs "rate"');
    const per = o.per ?? 'second';
    const unit = typeof per === 'string' ? LIMIT_PERIODS[per] : undefined;
    if (unit === undefined) throw new ValidationError(`${path}.per`, `expected one of ${Object.keys(LIMIT_PERIODS).join(', ')}`);
    if (o.inv !== undefined && typeof o.inv !== 'boolean') throw new ValidationError(`${path}.inv`, 'expected a boolean');
    const bytesMode = o.rate_unit !== undefined && o.rate_unit !== 'packets';
    const rateMul = bytesMode ? unitOf(o.rate_unit, `${path}.rate_unit`) : 1;
    const burst = optUint(o.burst, `${path}.burst`, 0xffff_ffff);
    const burstMul = bytesMode && o.burst_unit !== undefined ? unitOf(o.burst_unit, `${path}.burst_unit`) : 1;
    writeBe64(w, NFTA_LIMIT.RATE, rate * rateMul, `${path}.rate`);
    writeBe64(w, NFTA_LIMIT.UNIT, unit, `${path}.per`);
    // nft's default burst: 5 packets for packet limits, none for byte limits.
    w.u32be(NFTA_LIMIT.BURST, burst !== undefined ? burst * burstMul : bytesMode ? 0 : 5, `${path}.burst`);
    w.u32be(NFTA_LIMIT.TYPE, bytesMode ? NFT_LIMIT_PKT_BYTES : NFT_LIMIT_PKTS);
    w.u32be(NFTA_LIMIT.FLAGS, o.inv ? NFT_LIMIT_F_INV : 0, `${path}.inv`);
  }
  w.nestEnd();
  if (comment !== undefined) w.bytes(NFTA_OBJ.USERDATA, buildUdata([commentUdata(UDATA_OBJ_COMMENT, comment, `${path}.comment`)]), `${path}.comment`);
  return w.finish();
}

/** A stateful object as `nft -j` prints it, under its kind's key. */
export type StatefulJson = { kind: string; json: Record<string, unknown> };

/** A NEWOBJ message → `{ kind, json }` (kinds other than counter/quota/limit keep raw data). */
export function decodeStateful(buf: Buffer, off: number, len: number): StatefulJson {
  const { family } = readNfgenmsg(buf, off);
  const a = decodeAttrs(objSchema, buf, off + 20, off + len);
  const out: Record<string, unknown> = { family: FAMILY_NAMES[family] ?? String(family), name: a.name, table: a.table, handle: a.handle };
  if (a.userdata) for (const u of parseUdata(a.userdata)) if (u.type === UDATA_OBJ_COMMENT) out.comment = udataString(u.value);
  const data: Buffer = a.data ?? Buffer.alloc(0);
  switch (a.type) {
    case NFT_OBJECT.counter: {
      const c = decodeAttrs(counterSchema, data, 0, data.length);
      out.packets = c.packets ?? 0;
      out.bytes = c.bytes ?? 0;
      return { kind: 'counter', json: out };
    }
    case NFT_OBJECT.quota: {
      const q = decodeAttrs(quotaSchema, data, 0, data.length);
      out.bytes = q.bytes ?? 0;
      out.used = q.consumed ?? 0;
      if ((q.flags ?? 0) & NFT_QUOTA_F_INV) out.inv = true;
      return { kind: 'quota', json: out };
    }
    case NFT_OBJECT.limit: {
      const l = decodeAttrs(limitSchema, data, 0, data.length);
      const per = Object.entries(LIMIT_PERIODS).find(([, s]) => s === l.unit)?.[0] ?? String(l.unit);
      if (l.type === NFT_LIMIT_PKT_BYTES) {
        const [rate, unit] = bytesToUnit(l.rate ?? 0);
        out.rate = rate;
        out.per = per;
        if (l.burst) {
          const [burst, bunit] = bytesToUnit(l.burst);
          out.burst = burst;
          out.burst_unit = bunit;
        }
        if ((l.flags ?? 0) & NFT_LIMIT_F_INV) out.inv = true;
        out.rate_unit = unit;
      } else {
        out.rate = l.rate ?? 0;
        out.per = per;
        if (l.burst) out.burst = l.burst;
        if ((l.flags ?? 0) & NFT_LIMIT_F_INV) out.inv = true;
      }
      return { kind: 'limit', json: out };
    }
    default: {
      const names = Object.entries(NFT_OBJECT).find(([, n]) => n === a.type)?.[0];
      out.type = names ?? a.type;
      out.data = data.toString('hex');
      return { kind: 'object', json: out };
    }
  }
}
