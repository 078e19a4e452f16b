/**
 * The fixed headers that follow nlmsghdr in rtnetlink messages. Each has a size, a writer
 * and a reader; readers check a minimum length only, since kernels may grow structs. Writers
 * fill the fields they have and leave the rest to memory MessageWriter.struct has zeroed.
 */
import { ParseError } from '../errors';

function need(len: number, min: number, what: string): void {
  if (len < min) throw new ParseError(`${what}: ${len} bytes, need at least ${min}`);
}

/** struct ifinfomsg (linux/rtnetlink.h). */
export interface IfInfoMsg {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
}
export const IFINFOMSG_SIZE = 16;
export function writeIfInfoMsg(b: Buffer, at: number, m: Partial<IfInfoMsg>): void {
  b.writeUInt8(m.family ?? 0, at);
  b.writeUInt16LE(m.type ?? 0, at + 2);
  b.writeInt32LE(m.index ?? 0, at + 4);
  b.writeUInt32LE((m.flags ?? 0) >>> 0, at + 8);
  b.writeUInt32LE((m.change ?? 0) >>> 0, at + 12);
}
export function readIfInfoMsg(b: Buffer, at: number, len: number): IfInfoMsg {
  need(len, IFINFOMSG_SIZE, 'ifinfomsg');
  return {
    family: b[at]!,
    type: b.readUInt16LE(at + 2),
    index: b.readInt32LE(at + 4),
    flags: b.readUInt32LE(at + 8),
    change: b.readUInt32LE(at + 12),
  };
}

/** struct ifaddrmsg. */
export interface IfAddrMsg {
  family: number;
  prefixLen: number;
  flags: number;
  scope: number;
  index: number;
}
export const IFADDRMSG_SIZE = 8;
export function writeIfAddrMsg(b: Buffer, at: number, m: Partial<IfAddrMsg>): void {
  b.writeUInt8(m.family ?? 0, at);
  b.writeUInt8(m.prefixLen ?? 0, at + 1);
  b.writeUInt8((m.flags ?? 0) & 0xff, at + 2);
  b.writeUInt8(m.scope ?? 0, at + 3);
  b.writeUInt32LE((m.index ?? 0) >>> 0, at + 4);
}
export function readIfAddrMsg(b: Buffer, at: number, len: number): IfAddrMsg {
  need(len, IFADDRMSG_SIZE, 'ifaddrmsg');
  return { family: b[at]!, prefixLen: b[at + 1]!, flags: b[at + 2]!, scope: b[at + 3]!, index: b.readUInt32LE(at + 4) };
}

/** struct rtmsg. */
export interface RtMsg {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}
export const RTMSG_SIZE = 12;
/** Writes an rtmsg; byte fields must already be validated to 0–255 (route changes build 100 000). */
export function writeRtMsg(b: Buffer, at: number, m: Partial<RtMsg>): void {
  b[at] = m.family ?? 0;
  b[at + 1] = m.dstLen ?? 0;
  b[at + 2] = m.srcLen ?? 0;
  b[at + 3] = m.tos ?? 0;
  b[at + 4] = m.table ?? 0;
  b[at + 5] = m.protocol ?? 0;
  b[at + 6] = m.scope ?? 0;
  b[at + 7] = m.type ?? 0;
  b.writeUInt32LE((m.flags ?? 0) >>> 0, at + 8);
}
export function readRtMsg(b: Buffer, at: number, len: number): RtMsg {
  need(len, RTMSG_SIZE, 'rtmsg');
  return {
    family: b[at]!, dstLen: b[at + 1]!, srcLen: b[at + 2]!, tos: b[at + 3]!, table: b[at + 4]!,
    protocol: b[at + 5]!, scope: b[at + 6]!, type: b[at + 7]!, flags: b.readUInt32LE(at + 8),
  };
}

/** struct ndmsg. */
export interface NdMsg {
  family: number;
  index: number;
  state: number;
  flags: number;
  type: number;
}
export const NDMSG_SIZE = 12;
export function writeNdMsg(b: Buffer, at: number, m: Partial<NdMsg>): void {
  b.writeUInt8(m.family ?? 0, at);
  b.writeInt32LE(m.index ?? 0, at + 4);
  b.writeUInt16LE(m.state ?? 0, at + 8);
  b.writeUInt8(m.flags ?? 0, at + 10);
  b.writeUInt8(m.type ?? 0, at + 11);
}
export function readNdMsg(b: Buffer, at: number, len: number): NdMsg {
  need(len, NDMSG_SIZE, 'ndmsg');
  return { family: b[at]!, index: b.readInt32LE(at + 4), state: b.readUInt16LE(at + 8), flags: b[at + 10]!, type: b[at + 11]! };
}

/** struct fib_rule_hdr. */
export interface FibRuleHdr {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  action: number;
  flags: number;
}
export const FIB_RULE_HDR_SIZE = 12;
export function writeFibRuleHdr(b: Buffer, at: number, m: Partial<FibRuleHdr>): void {
  b.writeUInt8(m.family ?? 0, at);
  b.writeUInt8(m.dstLen ?? 0, at + 1);
  b.writeUInt8(m.srcLen ?? 0, at + 2);
  b.writeUInt8(m.tos ?? 0, at + 3);
  b.writeUInt8(m.table ?? 0, at + 4);
  b.writeUInt8(m.action ?? 0, at + 7);
  b.writeUInt32LE((m.flags ?? 0) >>> 0, at + 8);
}
export function readFibRuleHdr(b: Buffer, at: number, len: number): FibRuleHdr {
  need(len, FIB_RULE_HDR_SIZE, 'fib_rule_hdr');
  return { family: b[at]!, dstLen: b[at + 1]!, srcLen: b[at + 2]!, tos: b[at + 3]!, table: b[at + 4]!, action: b[at + 7]!, flags: b.readUInt32LE(at + 8) };
}

/** struct rtgenmsg (one family byte, padded to 4), used by RTM_GETNSID and family dumps. */
export const RTGENMSG_SIZE = 4;
export function writeRtGenMsg(b: Buffer, at: number, family: number): void {
  b.writeUInt8(family, at);
}
