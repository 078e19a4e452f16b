/**
 * CTA_* attribute tables (uapi linux/netfilter/nfnetlink_conntrack.h). One table per nest drives
 * both directions: dumps and events decode through it, requests (tuples, filters) encode through
 * it. ctnetlink writes nearly every number in network byte order (NLA_PUT_BE*), the filter flags
 * being the exception (host order NLA_U32).
 */
import { defineSchema, type AttrSpec } from '../../wire/attributes';
import type { MessageWriter } from '../../wire/message-writer';

/** Big-endian u64 as a number (packet and byte counters stay far below 2^53). */
const u64be: Pick<AttrSpec, 'type' | 'decode' | 'encode'> = {
  type: 'binary',
  decode: (buf, off, len) => (len >= 8 ? buf.readUInt32BE(off) * 0x1_0000_0000 + buf.readUInt32BE(off + 4) : undefined),
  encode: (w: MessageWriter, type: number, value: number, field: string) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(value));
    w.bytes(type, b, field);
  },
};

/** Big-endian u64 as a bigint: nanosecond timestamps since the epoch pass 2^53. */
const u64beBig: Pick<AttrSpec, 'type' | 'decode' | 'encode'> = {
  type: 'binary',
  decode: (buf, off, len) => (len >= 8 ? buf.readBigUInt64BE(off) : undefined),
  encode: (w: MessageWriter, type: number, value: bigint, field: string) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(value));
    w.bytes(type, b, field);
  },
};

/** CTA_IP_* (enum ctattr_ip). */
export const ipSchema = defineSchema('CTA_IP', {
  1: { name: 'v4Src', type: 'ip' },
  2: { name: 'v4Dst', type: 'ip' },
  3: { name: 'v6Src', type: 'ip' },
  4: { name: 'v6Dst', type: 'ip' },
});

/** CTA_PROTO_* (enum ctattr_l4proto). */
export const protoSchema = defineSchema('CTA_PROTO', {
  1: { name: 'num', type: 'u8' },
  2: { name: 'srcPort', type: 'u16be' },
  3: { name: 'dstPort', type: 'u16be' },
  4: { name: 'icmpId', type: 'u16be' },
  5: { name: 'icmpType', type: 'u8' },
  6: { name: 'icmpCode', type: 'u8' },
  7: { name: 'icmpv6Id', type: 'u16be' },
  8: { name: 'icmpv6Type', type: 'u8' },
  9: { name: 'icmpv6Code', type: 'u8' },
});

/** CTA_TUPLE_* (enum ctattr_tuple). */
export const tupleSchema = defineSchema('CTA_TUPLE', {
  1: { name: 'ip', type: 'nested', nested: ipSchema },
  2: { name: 'proto', type: 'nested', nested: protoSchema },
  3: { name: 'zone', type: 'u16be' },
});

/** CTA_PROTOINFO_TCP_* ; the flags are struct nf_ct_tcp_flags { u8 flags; u8 mask; }. */
export const tcpInfoSchema = defineSchema('CTA_PROTOINFO_TCP', {
  1: { name: 'state', type: 'u8' },
  2: { name: 'wscaleOriginal', type: 'u8' },
  3: { name: 'wscaleReply', type: 'u8' },
  4: { name: 'flagsOriginal', type: 'binary' },
  5: { name: 'flagsReply', type: 'binary' },
});

/** CTA_PROTOINFO_DCCP_*. */
export const dccpInfoSchema = defineSchema('CTA_PROTOINFO_DCCP', {
  1: { name: 'state', type: 'u8' },
  2: { name: 'role', type: 'u8' },
  3: { name: 'handshakeSeq', ...u64be },
});

/** CTA_PROTOINFO_SCTP_*. */
export const sctpInfoSchema = defineSchema('CTA_PROTOINFO_SCTP', {
  1: { name: 'state', type: 'u8' },
  2: { name: 'vtagOriginal', type: 'u32be' },
  3: { name: 'vtagReply', type: 'u32be' },
});

/** CTA_PROTOINFO_* (enum ctattr_protoinfo). */
export const protoinfoSchema = defineSchema('CTA_PROTOINFO', {
  1: { name: 'tcp', type: 'nested', nested: tcpInfoSchema },
  2: { name: 'dccp', type: 'nested', nested: dccpInfoSchema },
  3: { name: 'sctp', type: 'nested', nested: sctpInfoSchema },
});

/** CTA_COUNTERS_* (the 32-bit pair is what kernels before 2.6.27 sent). */
export const countersSchema = defineSchema('CTA_COUNTERS', {
  1: { name: 'packets', ...u64be },
  2: { name: 'bytes', ...u64be },
  3: { name: 'packets32', type: 'u32be' },
  4: { name: 'bytes32', type: 'u32be' },
});

/** CTA_TIMESTAMP_* (nanoseconds, with nf_conntrack_timestamp on). */
export const timestampSchema = defineSchema('CTA_TIMESTAMP', {
  1: { name: 'start', ...u64beBig },
  2: { name: 'stop', ...u64beBig },
});

/** CTA_HELP_*. */
export const helpSchema = defineSchema('CTA_HELP', {
  1: { name: 'name', type: 'string' },
  2: { name: 'info', type: 'binary' },
});

/** CTA_PROTONAT_*. */
export const protoNatSchema = defineSchema('CTA_PROTONAT', {
  1: { name: 'portMin', type: 'u16be' },
  2: { name: 'portMax', type: 'u16be' },
});

/** CTA_NAT_* (NAT setup of an entry made through ctnetlink). */
export const natSchema = defineSchema('CTA_NAT', {
  1: { name: 'v4MinIp', type: 'ip' },
  2: { name: 'v4MaxIp', type: 'ip' },
  3: { name: 'proto', type: 'nested', nested: protoNatSchema },
  4: { name: 'v6MinIp', type: 'ip' },
  5: { name: 'v6MaxIp', type: 'ip' },
});

/** CTA_SEQADJ_*. */
export const seqAdjSchema = defineSchema('CTA_SEQADJ', {
  1: { name: 'correctionPos', type: 'u32be' },
  2: { name: 'offsetBefore', type: 'u32be' },
  3: { name: 'offsetAfter', type: 'u32be' },
});

/** CTA_SECCTX_*. */
export const secctxSchema = defineSchema('CTA_SECCTX', {
  1: { name: 'name', type: 'string' },
});

/** CTA_SYNPROXY_*. */
export const synproxySchema = defineSchema('CTA_SYNPROXY', {
  1: { name: 'isn', type: 'u32be' },
  2: { name: 'its', type: 'u32be' },
  3: { name: 'tsoff', type: 'u32be' },
});

/** CTA_FILTER_* (dump filters, Linux 5.8+): which tuple fields the kernel compares. Host order. */
export const filterSchema = defineSchema('CTA_FILTER', {
  1: { name: 'origFlags', type: 'u32' },
  2: { name: 'replyFlags', type: 'u32' },
});

/** CTA_* (enum ctattr_type): one conntrack entry, or a request about some. */
export const ctSchema = defineSchema('CTA', {
  1: { name: 'tupleOrig', type: 'nested', nested: tupleSchema },
  2: { name: 'tupleReply', type: 'nested', nested: tupleSchema },
  3: { name: 'status', type: 'u32be' },
  4: { name: 'protoinfo', type: 'nested', nested: protoinfoSchema },
  5: { name: 'help', type: 'nested', nested: helpSchema },
  6: { name: 'natSrc', type: 'nested', nested: natSchema },
  7: { name: 'timeout', type: 'u32be' },
  8: { name: 'mark', type: 'u32be' },
  9: { name: 'countersOrig', type: 'nested', nested: countersSchema },
  10: { name: 'countersReply', type: 'nested', nested: countersSchema },
  11: { name: 'use', type: 'u32be' },
  12: { name: 'id', type: 'u32be' },
  13: { name: 'natDst', type: 'nested', nested: natSchema },
  14: { name: 'tupleMaster', type: 'nested', nested: tupleSchema },
  15: { name: 'seqAdjOrig', type: 'nested', nested: seqAdjSchema },
  16: { name: 'seqAdjReply', type: 'nested', nested: seqAdjSchema },
  17: { name: 'secmark', type: 'u32be' },
  18: { name: 'zone', type: 'u16be' },
  19: { name: 'secctx', type: 'nested', nested: secctxSchema },
  20: { name: 'timestamp', type: 'nested', nested: timestampSchema },
  21: { name: 'markMask', type: 'u32be' },
  22: { name: 'labels', type: 'binary' },
  23: { name: 'labelsMask', type: 'binary' },
  24: { name: 'synproxy', type: 'nested', nested: synproxySchema },
  25: { name: 'filter', type: 'nested', nested: filterSchema },
  26: { name: 'statusMask', type: 'u32be' },
});

/** Top-level CTA_* numbers by field name, for extack attribute names. */
export const CTA_FIELDS: Readonly<Record<number, string>> = Object.fromEntries(
  [...ctSchema.attrs].map(([type, spec]) => [type, spec.name]),
);
