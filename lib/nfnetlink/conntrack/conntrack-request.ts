/**
 * User input → ctnetlink requests: filters (validated, then split into what the kernel can
 * compare itself and what is checked after decoding), tuples for get/delete, and the messages.
 */
import { ValidationError } from '../../errors';
import { checkKeys } from '../../core/options';
import { encodeAttrs } from '../../wire/attributes';
import { formatIPv4, formatIPv6, parseCidr, parseIp } from '../../wire/address';
import { MessageWriter, type BuiltMessage } from '../../wire/message-writer';
import { AF_INET, AF_INET6, NLMSG_HDRLEN, NLM_F_DUMP } from '../../wire/constants';
import {
  CTA_FILTER_F, IPCTNL_MSG_CT_DELETE, IPCTNL_MSG_CT_GET, IPPROTO_ICMP, IPPROTO_ICMPV6, NFNETLINK_V1,
  PORT_PROTOCOLS, PROTOCOL_NUMBERS, STATUS_BITS, ctMsgType,
} from './constants';
import { NFGENMSG_LEN, writeNfgenmsg } from '../nfnetlink';
import { CTA_FIELDS, ctSchema } from './conntrack-schema';
import type { ConntrackEntry, ConntrackTuple } from './conntrack-decode';

/** Family as a filter takes it: conntrack's names, iproute2's, nft's, or the AF number. */
export type ConntrackFamilyInput = 'ipv4' | 'ipv6' | 'inet' | 'inet6' | 'ip' | 'ip6' | 2 | 10;

/** Addresses and ports of one direction in a filter; addresses may be prefixes ('10.0.0.0/24'). */
export interface ConntrackTupleFilter {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
}

/**
 * Which entries: every given field must match (`conntrack -L -f ipv4 -p tcp -s … --dport …`).
 * `src`/`dst`/`sport`/`dport` are of the original direction; `reply` matches the reply tuple
 * (`conntrack -r/-q --reply-port-src/dst`). The family, exact addresses, protocol and ports,
 * and the mark are compared by the kernel (CTA_FILTER, CTA_MARK/CTA_MARK_MASK); prefixes,
 * zone and status after decoding.
 */
export interface ConntrackFilter extends ConntrackTupleFilter {
  family?: ConntrackFamilyInput;
  protocol?: string | number;
  zone?: number;
  /** The ct mark, or `{ value, mask }` to compare only the masked bits (`--mark value/mask`). */
  mark?: number | { value: number; mask?: number };
  reply?: ConntrackTupleFilter;
  /** Status bits that must all be set, e.g. ['ASSURED'] or ['SRC_NAT']. */
  status?: readonly string[];
}

/** One connection, exactly, as `conntrack -G` names it. */
export interface ConntrackTupleSpec {
  family?: ConntrackFamilyInput;
  protocol: string | number;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** icmp / icmpv6 type, code and id (all three needed). */
  type?: number;
  code?: number;
  id?: number;
  zone?: number;
  /** Which tuple `src`/`dst`/ports describe: the original (default) or the reply direction. */
  direction?: 'orig' | 'reply';
}

const FILTER_KEYS = ['family', 'protocol', 'src', 'dst', 'sport', 'dport', 'zone', 'mark', 'reply', 'status'] as const;
const TUPLE_FILTER_KEYS = ['src', 'dst', 'sport', 'dport'] as const;
const TUPLE_KEYS = ['family', 'protocol', 'src', 'dst', 'sport', 'dport', 'type', 'code', 'id', 'zone', 'direction'] as const;
const STATUS_SET = new Set(STATUS_BITS);

/** An address or prefix to compare, parsed once. */
interface AddrMatch {
  family: number;
  bytes: Buffer;
  prefixLen: number;
  /** Full length: the kernel can compare it. */
  exact: boolean;
}

interface TupleMatch {
  src?: AddrMatch;
  dst?: AddrMatch;
  sport?: number;
  dport?: number;
}

/** A validated filter: what to send, and the predicate to apply after decoding. */
export interface CompiledFilter {
  family: number;
  protocol?: number;
  orig: TupleMatch;
  reply: TupleMatch;
  zone?: number;
  mark?: { value: number; mask: number };
  status?: number;
}

/** 'ipv4' | 'inet' | 'ip' | 2 → AF_INET, likewise for v6; undefined stays 0 (all). */
export function parseFamily(value: unknown, field = 'family'): number {
  if (value === undefined) return 0;
  if (value === 'ipv4' || value === 'inet' || value === 'ip' || value === AF_INET) return AF_INET;
  if (value === 'ipv6' || value === 'inet6' || value === 'ip6' || value === AF_INET6) return AF_INET6;
  throw new ValidationError(field, `unknown family ${JSON.stringify(value)} (expected 'ipv4' or 'ipv6')`);
}

/** 'tcp' | 6 → 6. */
export function parseProtocol(value: unknown, field = 'protocol'): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255) return value;
  if (typeof value === 'string') {
    const n = PROTOCOL_NUMBERS.get(value.toLowerCase());
    if (n !== undefined) return n;
    if (/^\d+$/.test(value) && Number(value) <= 255) return Number(value);
  }
  throw new ValidationError(field, `unknown protocol ${JSON.stringify(value)} (a name such as 'tcp', or 0-255)`);
}

function uint(value: unknown, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new ValidationError(field, `expected an integer 0-${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function addrMatch(value: unknown, field: string, family: number): AddrMatch {
  const c = parseCidr(value, field, family || undefined);
  const full = c.family === AF_INET ? 32 : 128;
  return { family: c.family, bytes: Buffer.from(c.bytes), prefixLen: c.prefixLen, exact: c.prefixLen === full };
}

function tupleMatch(f: ConntrackTupleFilter, prefix: string, family: number): TupleMatch {
  const m: TupleMatch = {};
  if (f.src !== undefined) m.src = addrMatch(f.src, `${prefix}src`, family);
  if (f.dst !== undefined) m.dst = addrMatch(f.dst, `${prefix}dst`, family);
  if (f.sport !== undefined) m.sport = uint(f.sport, 0xffff, `${prefix}sport`);
  if (f.dport !== undefined) m.dport = uint(f.dport, 0xffff, `${prefix}dport`);
  return m;
}

/** Validates a filter (field names in errors: `src`, `reply.dport`, `mark.mask` …). */
export function compileFilter(filter: ConntrackFilter | undefined): CompiledFilter {
  const out: CompiledFilter = { family: 0, orig: {}, reply: {} };
  if (filter === undefined) return out;
  checkKeys(filter, FILTER_KEYS, '');
  out.family = parseFamily(filter.family);
  if (filter.protocol !== undefined) out.protocol = parseProtocol(filter.protocol);
  out.orig = tupleMatch(filter, '', out.family);
  if (filter.reply !== undefined) {
    checkKeys(filter.reply, TUPLE_FILTER_KEYS, 'reply');
    out.reply = tupleMatch(filter.reply, 'reply.', out.family);
  }
  // Addresses say the family when the caller did not; two families at once match nothing.
  const addrs: [AddrMatch | undefined, string][] = [[out.orig.src, 'src'], [out.orig.dst, 'dst'], [out.reply.src, 'reply.src'], [out.reply.dst, 'reply.dst']];
  for (const [a, name] of addrs) {
    if (!a) continue;
    if (!out.family) out.family = a.family;
    else if (a.family !== out.family) throw new ValidationError(name, `is ${a.family === AF_INET ? 'IPv4' : 'IPv6'}, other fields of the filter are not`);
  }
  if (filter.zone !== undefined) out.zone = uint(filter.zone, 0xffff, 'zone');
  if (filter.mark !== undefined) {
    if (typeof filter.mark === 'number') out.mark = { value: uint(filter.mark, 0xffff_ffff, 'mark'), mask: 0xffff_ffff };
    else {
      checkKeys(filter.mark, ['value', 'mask'], 'mark');
      const mask = filter.mark.mask === undefined ? 0xffff_ffff : uint(filter.mark.mask, 0xffff_ffff, 'mark.mask');
      const value = uint(filter.mark.value, 0xffff_ffff, 'mark.value');
      if ((value & ~mask) >>> 0) throw new ValidationError('mark.value', 'has bits outside mark.mask: it could never match');
      out.mark = { value, mask };
    }
  }
  if (filter.status !== undefined) {
    if (!Array.isArray(filter.status)) throw new ValidationError('status', 'expected an array of status names');
    let bits = 0;
    filter.status.forEach((name, i) => {
      if (!STATUS_SET.has(name)) throw new ValidationError(`status[${i}]`, `unknown status ${JSON.stringify(name)} (one of ${STATUS_BITS.join(', ')})`);
      bits |= 1 << STATUS_BITS.indexOf(name);
    });
    out.status = bits >>> 0;
  }
  return out;
}

function ipBytesOf(text: string): Buffer {
  return Buffer.from(parseIp(text, 'address').bytes);
}

function addrMatches(m: AddrMatch | undefined, addr: string): boolean {
  if (!m) return true;
  if (!addr) return false;
  const b = ipBytesOf(addr);
  if (b.length !== m.bytes.length) return false;
  let bits = m.prefixLen;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((b[i]! & mask) !== (m.bytes[i]! & mask)) return false;
  }
  return true;
}

function tupleMatches(m: TupleMatch, t: ConntrackTuple): boolean {
  return addrMatches(m.src, t.src) && addrMatches(m.dst, t.dst)
    && (m.sport === undefined || t.sport === m.sport) && (m.dport === undefined || t.dport === m.dport);
}

/** The whole filter, applied to a decoded entry (the kernel's part is checked again: old kernels ignore CTA_FILTER). */
export function matchesFilter(f: CompiledFilter, ct: ConntrackEntry): boolean {
  if (f.family && ct.family !== (f.family === AF_INET ? 'ipv4' : 'ipv6')) return false;
  if (f.protocol !== undefined && ct.protocolNumber !== f.protocol) return false;
  if (!tupleMatches(f.orig, ct.orig) || !tupleMatches(f.reply, ct.reply)) return false;
  if (f.zone !== undefined && ct.zone !== f.zone) return false;
  if (f.mark && ((ct.mark & f.mark.mask) >>> 0) !== f.mark.value) return false;
  if (f.status !== undefined) {
    let bits = 0;
    for (const name of ct.status) bits |= 1 << STATUS_BITS.indexOf(name);
    if (((bits & f.status) >>> 0) !== f.status) return false;
  }
  return true;
}

/** Starts a ctnetlink message: nlmsghdr + nfgenmsg. */
export function ctMessage(cmd: number, flags: number, family: number): MessageWriter {
  const w = new MessageWriter(ctMsgType(cmd), flags);
  writeNfgenmsg(w, family);
  return w;
}

/** The part of one direction's filter the kernel can compare, as CTA_TUPLE_* and its flags. */
function kernelTuple(m: TupleMatch, family: number, protocol: number | undefined, withProto: boolean): { attrs: Record<string, any>; flags: number } | undefined {
  const v6 = family === AF_INET6;
  const ip: Record<string, string> = {};
  let flags = 0;
  const addr = (a: AddrMatch) => (v6 ? formatIPv6(a.bytes) : formatIPv4(a.bytes));
  if (m.src?.exact) {
    ip[v6 ? 'v6Src' : 'v4Src'] = addr(m.src);
    flags |= CTA_FILTER_F.ipSrc;
  }
  if (m.dst?.exact) {
    ip[v6 ? 'v6Dst' : 'v4Dst'] = addr(m.dst);
    flags |= CTA_FILTER_F.ipDst;
  }
  const proto: Record<string, number> = {};
  if (protocol !== undefined && (withProto || m.sport !== undefined || m.dport !== undefined)) {
    proto.num = protocol;
    flags |= CTA_FILTER_F.protoNum;
    // Port flags without a protocol number are refused (EINVAL), and only port protocols have ports.
    if (PORT_PROTOCOLS.has(protocol)) {
      if (m.sport !== undefined) {
        proto.srcPort = m.sport;
        flags |= CTA_FILTER_F.srcPort;
      }
      if (m.dport !== undefined) {
        proto.dstPort = m.dport;
        flags |= CTA_FILTER_F.dstPort;
      }
    }
  }
  if (!flags) return undefined;
  const attrs: Record<string, any> = {};
  if (Object.keys(ip).length) attrs.ip = ip;
  if (Object.keys(proto).length) attrs.proto = proto;
  return { attrs, flags };
}

/**
 * The dump request for `list(filter)`. The kernel compares the family always; tuples only for
 * a known family (CTA_FILTER refuses AF_UNSPEC); the mark with its mask.
 * Equivalent to: conntrack -L [-f …] [-p …] [-s …] [-d …] [--sport …] [--dport …] [-m …]
 */
export function listRequest(f: CompiledFilter): BuiltMessage {
  const w = ctMessage(IPCTNL_MSG_CT_GET, NLM_F_DUMP, f.family);
  const attrs: Record<string, any> = {};
  if (f.family) {
    // The protocol number goes with the original tuple, and with the reply's when it has ports
    // (the kernel refuses port flags without a protocol number in the same tuple).
    const orig = kernelTuple(f.orig, f.family, f.protocol, true);
    const reply = kernelTuple(f.reply, f.family, f.protocol, false);
    if (orig) attrs.tupleOrig = orig.attrs;
    if (reply) attrs.tupleReply = reply.attrs;
    if (orig || reply) attrs.filter = { ...(orig ? { origFlags: orig.flags } : {}), ...(reply ? { replyFlags: reply.flags } : {}) };
  }
  if (f.mark) {
    attrs.mark = f.mark.value;
    attrs.markMask = f.mark.mask;
  }
  encodeAttrs(w, ctSchema, attrs);
  return w.finish({ headerSize: NFGENMSG_LEN, fields: CTA_FIELDS });
}

/** CTA_TUPLE_* of an exact tuple (every field the kernel's parser requires for the protocol). */
function exactTupleAttrs(t: ConntrackTuple, family: number, protocol: number, field: string): Record<string, any> {
  const v6 = family === AF_INET6;
  const ip = v6
    ? { v6Src: t.src, v6Dst: t.dst }
    : { v4Src: t.src, v4Dst: t.dst };
  const proto: Record<string, number> = { num: protocol };
  if (PORT_PROTOCOLS.has(protocol)) {
    if (t.sport === undefined) throw new ValidationError(`${field}sport`, 'required for this protocol');
    if (t.dport === undefined) throw new ValidationError(`${field}dport`, 'required for this protocol');
    proto.srcPort = t.sport;
    proto.dstPort = t.dport;
  } else if (protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6) {
    const k = protocol === IPPROTO_ICMP ? 'icmp' : 'icmpv6';
    for (const key of ['type', 'code', 'id'] as const) {
      if (t[key] === undefined) throw new ValidationError(`${field}${key}`, `required for ${k}`);
    }
    proto[`${k}Type`] = t.type!;
    proto[`${k}Code`] = t.code!;
    proto[`${k}Id`] = t.id!;
  }
  const out: Record<string, any> = { ip, proto };
  if (t.zone !== undefined) out.zone = t.zone;
  return out;
}

/** Validates a get() tuple; returns the request. Equivalent to: conntrack -G -p tcp -s … -d … --sport … --dport … */
export function getRequest(spec: ConntrackTupleSpec): BuiltMessage {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('tuple', 'expected a tuple object');
  checkKeys(spec, TUPLE_KEYS, '');
  if (spec.protocol === undefined) throw new ValidationError('protocol', 'required');
  if (spec.src === undefined) throw new ValidationError('src', 'required');
  if (spec.dst === undefined) throw new ValidationError('dst', 'required');
  let family = parseFamily(spec.family);
  const src = parseIp(spec.src, 'src', family || undefined);
  family ||= src.family;
  parseIp(spec.dst, 'dst', family);
  const protocol = parseProtocol(spec.protocol);
  const t: ConntrackTuple = { src: spec.src, dst: spec.dst };
  if (spec.sport !== undefined) t.sport = uint(spec.sport, 0xffff, 'sport');
  if (spec.dport !== undefined) t.dport = uint(spec.dport, 0xffff, 'dport');
  if (spec.type !== undefined) t.type = uint(spec.type, 0xff, 'type');
  if (spec.code !== undefined) t.code = uint(spec.code, 0xff, 'code');
  if (spec.id !== undefined) t.id = uint(spec.id, 0xffff, 'id');
  if (spec.direction !== undefined && spec.direction !== 'orig' && spec.direction !== 'reply') {
    throw new ValidationError('direction', "expected 'orig' or 'reply'");
  }
  const attrs: Record<string, any> = {};
  attrs[spec.direction === 'reply' ? 'tupleReply' : 'tupleOrig'] = exactTupleAttrs(t, family, protocol, '');
  if (spec.zone !== undefined) attrs.zone = uint(spec.zone, 0xffff, 'zone');
  const w = ctMessage(IPCTNL_MSG_CT_GET, 0, family);
  encodeAttrs(w, ctSchema, attrs);
  return w.finish({ headerSize: NFGENMSG_LEN, fields: CTA_FIELDS });
}

/**
 * Deletes one listed entry by its original tuple, zone and id (the id keeps a new connection
 * that reused the tuple meanwhile from being deleted in its place).
 * Equivalent to: conntrack -D -p … -s … -d … --sport … --dport … [-w zone]
 */
export function deleteEntryRequest(ct: ConntrackEntry): BuiltMessage {
  const family = ct.family === 'ipv4' ? AF_INET : AF_INET6;
  const attrs: Record<string, any> = { tupleOrig: exactTupleAttrs(ct.orig, family, ct.protocolNumber, 'orig.') };
  if (ct.zone) attrs.zone = ct.zone;
  if (ct.id !== undefined) attrs.id = ct.id;
  const w = ctMessage(IPCTNL_MSG_CT_DELETE, 0, family);
  encodeAttrs(w, ctSchema, attrs);
  return w.finish({ headerSize: NFGENMSG_LEN, fields: CTA_FIELDS });
}

/**
 * Flushes the table, or one family's entries (nfgenmsg version 1 asks the kernel to honour the
 * family; version 0 flushes everything whatever it says). Equivalent to: conntrack -F [-f ipv4]
 */
export function flushRequest(opts: { family?: ConntrackFamilyInput } | undefined): BuiltMessage {
  checkKeys(opts, ['family'], '');
  const family = parseFamily(opts?.family);
  const msg = ctMessage(IPCTNL_MSG_CT_DELETE, 0, family).finish({ headerSize: NFGENMSG_LEN, fields: CTA_FIELDS });
  msg.bytes[NLMSG_HDRLEN + 1] = NFNETLINK_V1; // nfgenmsg.version
  return msg;
}
