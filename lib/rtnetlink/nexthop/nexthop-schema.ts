/**
 * NHA_* attributes of nexthop objects (linux/nexthop.h) and struct nhmsg. One schema drives
 * decoding (dumps, get, monitor) and encoding (add/replace/del and dump filters).
 */
import { defineSchema, readU64, type AttrSpec } from '../../wire/attributes';
import type { MessageWriter } from '../../wire/message-writer';
import { ValidationError } from '../../errors';

/** NHA_* attribute numbers. */
export const NHA = {
  ID: 1, GROUP: 2, GROUP_TYPE: 3, BLACKHOLE: 4, OIF: 5, GATEWAY: 6, ENCAP_TYPE: 7, ENCAP: 8,
  GROUPS: 9, MASTER: 10, FDB: 11, RES_GROUP: 12, RES_BUCKET: 13, OP_FLAGS: 14, GROUP_STATS: 15,
  HW_STATS_ENABLE: 16, HW_STATS_USED: 17,
} as const;

/** NHA_RES_GROUP_* (resilient group parameters). */
export const NHA_RES_GROUP = { BUCKETS: 1, IDLE_TIMER: 2, UNBALANCED_TIMER: 3, UNBALANCED_TIME: 4 } as const;

/** struct nhmsg: family, scope, protocol, reserved, u32 flags. */
export const NHMSG_SIZE = 8;

/** NEXTHOP_GRP_TYPE_*. */
export const GROUP_TYPES = ['mpath', 'resilient'] as const;
/** A group's type: 'mpath' (hash-threshold multipath) or 'resilient' (fixed buckets). */
export type NexthopGroupType = (typeof GROUP_TYPES)[number];

/** One member of a nexthop group (`group 1,2/3`: id with weight). */
export interface NexthopGroupMember {
  id: number;
  /** 1–256; default 1. */
  weight?: number;
}

/** Resilient group parameters, in seconds as `ip nexthop` takes and prints them. */
export interface ResilientArgs {
  /** Number of hash buckets (`buckets`), 1–65535 on add. */
  buckets?: number;
  /** Seconds a bucket must be idle before it may move to another next hop (`idle_timer`). */
  idleTimer?: number;
  /** Seconds a group may stay unbalanced before buckets move regardless (`unbalanced_timer`). */
  unbalancedTimer?: number;
  /** Seconds the group has been unbalanced (read only: `unbalanced_time`). */
  unbalancedTime?: number;
}

/** USER_HZ: the kernel exchanges resilient timers in clock_t. */
const USER_HZ = 100;

/** NHA_GROUP: a packed array of struct nexthop_grp { u32 id; u8 weight-1; u8 weight_high; u16 resvd }. */
function decodeGroup(b: Buffer, o: number, l: number): NexthopGroupMember[] {
  const out: NexthopGroupMember[] = [];
  for (let at = o; at + 8 <= o + l; at += 8) {
    // weight_high (6.12+) carries bits 8–15 of weight-1; older kernels leave it 0.
    out.push({ id: b.readUInt32LE(at), weight: (b[at + 4]! | (b[at + 5]! << 8)) + 1 });
  }
  return out;
}

function encodeGroup(w: MessageWriter, type: number, members: unknown, field: string): void {
  if (!Array.isArray(members) || members.length === 0) throw new ValidationError(field, 'expected a non-empty array of { id, weight? }');
  const bytes = Buffer.alloc(members.length * 8);
  members.forEach((m, i) => {
    const at = `${field}.${i}`;
    if (m === null || typeof m !== 'object') throw new ValidationError(at, 'expected { id, weight? }');
    for (const k of Object.keys(m)) if (k !== 'id' && k !== 'weight') throw new ValidationError(`${at}.${k}`, `unknown option "${k}"`);
    const id = m.id;
    if (!Number.isInteger(id) || id < 1 || id > 0xffff_ffff) throw new ValidationError(`${at}.id`, 'expected a nexthop id 1–4294967295');
    const weight = m.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1 || weight > 256) throw new ValidationError(`${at}.weight`, 'weight must be an integer 1–256');
    bytes.writeUInt32LE(id, i * 8);
    bytes[i * 8 + 4] = weight - 1;
  });
  w.bytes(type, bytes, field);
}

const seconds = (name: string): AttrSpec => ({
  name,
  type: 'u32',
  decode: (b, o, l) => (l >= 4 ? b.readUInt32LE(o) / USER_HZ : undefined),
  encode: (w, type, v, field) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v * USER_HZ > 0xffff_fffe) throw new ValidationError(field, 'expected seconds ≥ 0');
    w.u32(type, Math.round(v * USER_HZ), field);
  },
});

/** NHA_RES_GROUP children. */
export const resGroupSchema = defineSchema('nexthop.resilient', {
  [NHA_RES_GROUP.BUCKETS]: { name: 'buckets', type: 'u16' },
  [NHA_RES_GROUP.IDLE_TIMER]: seconds('idleTimer'),
  [NHA_RES_GROUP.UNBALANCED_TIMER]: seconds('unbalancedTimer'),
  [NHA_RES_GROUP.UNBALANCED_TIME]: { name: 'unbalancedTime', type: 'u64', decode: (b, o, l) => (l >= 8 ? readU64(b, o) / USER_HZ : undefined) },
});

/**
 * The RTM_NEWNEXTHOP attribute table. Names are the public Nexthop field names; `oif` is
 * named `dev` by list/get (ifindex → name), `groupType` becomes `type`.
 */
export const nexthopSchema = defineSchema('nexthop', {
  [NHA.ID]: { name: 'id', type: 'u32' },
  [NHA.GROUP]: { name: 'group', type: 'binary', decode: decodeGroup, encode: encodeGroup },
  [NHA.GROUP_TYPE]: {
    name: 'groupType',
    type: 'u16',
    decode: (b, o, l) => (l >= 2 ? GROUP_TYPES[b.readUInt16LE(o)] ?? String(b.readUInt16LE(o)) : undefined),
    encode: (w, type, v, field) => {
      const n = GROUP_TYPES.indexOf(v);
      if (n < 0) throw new ValidationError(field, `expected ${GROUP_TYPES.map((t) => `'${t}'`).join(' or ')}`);
      w.u16(type, n, field);
    },
  },
  [NHA.BLACKHOLE]: { name: 'blackhole', type: 'flag' },
  [NHA.OIF]: { name: 'oif', type: 'u32' },
  [NHA.GATEWAY]: { name: 'gateway', type: 'ip' },
  [NHA.ENCAP_TYPE]: { name: 'encapType', type: 'u16' },
  [NHA.ENCAP]: { name: 'encap', type: 'binary' },
  [NHA.GROUPS]: { name: 'groups', type: 'flag' },
  [NHA.MASTER]: { name: 'master', type: 'u32' },
  [NHA.FDB]: { name: 'fdb', type: 'flag' },
  [NHA.RES_GROUP]: { name: 'resilient', type: 'nested', nested: resGroupSchema },
  [NHA.OP_FLAGS]: { name: 'opFlags', type: 'u32' },
  [NHA.HW_STATS_ENABLE]: { name: 'hwStatsEnable', type: 'u32' },
  [NHA.HW_STATS_USED]: { name: 'hwStatsUsed', type: 'u32' },
});
