/**
 * ctnetlink messages → Conntrack objects, in the vocabulary `conntrack -L -o extended` prints:
 * family 'ipv4'/'ipv6', protocol names, TCP state names, status bit names. Tolerant: an
 * attribute this table does not know is kept raw in `unknown`, never a failed dump.
 */
import { decodeAttrs, type RawAttribute } from '../../wire/attributes';
import { NLMSG_HDRLEN, NLM_F_CREATE, NLM_F_EXCL } from '../../wire/constants';
import {
  DCCP_STATES, IPCTNL_MSG_CT_DELETE, IPCTNL_MSG_CT_NEW, IPPROTO_ICMP, IPPROTO_ICMPV6, NFPROTO_IPV4, NFPROTO_IPV6, PROTOCOLS,
  SCTP_STATES, STATUS_BITS, TCP_STATES,
} from './constants';
import { ctSchema } from './conntrack-schema';
import { NFGENMSG_LEN, NFNL_SUBSYS } from '../nfnetlink';

/** 'ipv4' / 'ipv6', as conntrack prints the layer-3 family; other families as 'af<n>'. */
export type ConntrackFamily = 'ipv4' | 'ipv6' | `af${number}`;

/** One direction of a connection: who sent to whom. */
export interface ConntrackTuple {
  src: string;
  dst: string;
  /** tcp, udp, sctp, dccp, udplite. */
  sport?: number;
  dport?: number;
  /** icmp / icmpv6: type, code and echo id. */
  type?: number;
  code?: number;
  id?: number;
  /** A zone of this direction only (CTA_TUPLE_ZONE, directional zones). */
  zone?: number;
}

/** Packets and bytes seen in one direction (with net.netfilter.nf_conntrack_acct=1). */
export interface ConntrackCounters {
  packets: number;
  bytes: number;
}

/** A conntrack entry (`conntrack -L -o extended`, one line). */
export interface ConntrackEntry {
  family: ConntrackFamily;
  /** 'tcp', 'udp', 'icmp', 'icmpv6', 'sctp' … or the number as text for others. */
  protocol: string;
  protocolNumber: number;
  /** The tuple of the first packet. */
  orig: ConntrackTuple;
  /** The tuple replies are expected to carry: NAT shows here (its dst is the masquerading address). */
  reply: ConntrackTuple;
  /** Protocol state: TCP (ESTABLISHED, TIME_WAIT …), SCTP or DCCP. */
  state?: string;
  /** Status bits by name: ASSURED, SEEN_REPLY, CONFIRMED, SRC_NAT, DST_NAT … (absent in destroy events). */
  status: string[];
  /** Connection mark (ct mark). */
  mark: number;
  /** Conntrack zone; 0 is the default zone. */
  zone: number;
  /** Seconds until the entry expires (absent in destroy events). */
  timeout?: number;
  /** The kernel's id of this entry (stable for its lifetime). */
  id?: number;
  /** Reference count (absent in events). */
  use?: number;
  /** Per-direction counters, when accounting is on. */
  counters?: { orig: ConntrackCounters; reply: ConntrackCounters };
  /** Connection label bits that are set (ct label). */
  labels?: number[];
  /** Name of the attached helper (ftp, sip …). */
  helper?: string;
  /** Start and stop, nanoseconds since the epoch (with net.netfilter.nf_conntrack_timestamp=1). */
  timestamp?: { start?: bigint; stop?: bigint };
  /** The tuple of the master connection of an expected (related) entry. */
  master?: ConntrackTuple & { protocol: string };
  /** Security context (SELinux). */
  secctx?: string;
  /** Attributes this version does not decode. */
  unknown?: RawAttribute[];
}

/** Converts an AF number to conntrack's family name. */
export function familyLabel(af: number): ConntrackFamily {
  return af === NFPROTO_IPV4 ? 'ipv4' : af === NFPROTO_IPV6 ? 'ipv6' : `af${af}`;
}

/** Names of the bits set in a CTA_STATUS word. */
export function statusNames(status: number): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if (status & (1 << bit)) out.push(STATUS_BITS[bit] ?? `BIT${bit}`);
  }
  return out;
}

/** A decoded CTA_TUPLE_* nest as a ConntrackTuple (and its protocol number). */
function tupleOf(raw: any): { tuple: ConntrackTuple; proto: number } {
  const ip = raw?.ip ?? {};
  const p = raw?.proto ?? {};
  const tuple: ConntrackTuple = { src: ip.v4Src ?? ip.v6Src ?? '', dst: ip.v4Dst ?? ip.v6Dst ?? '' };
  const proto: number = p.num ?? 0;
  if (p.srcPort !== undefined) tuple.sport = p.srcPort;
  if (p.dstPort !== undefined) tuple.dport = p.dstPort;
  if (proto === IPPROTO_ICMP || p.icmpType !== undefined) {
    if (p.icmpType !== undefined) tuple.type = p.icmpType;
    if (p.icmpCode !== undefined) tuple.code = p.icmpCode;
    if (p.icmpId !== undefined) tuple.id = p.icmpId;
  }
  if (proto === IPPROTO_ICMPV6 || p.icmpv6Type !== undefined) {
    if (p.icmpv6Type !== undefined) tuple.type = p.icmpv6Type;
    if (p.icmpv6Code !== undefined) tuple.code = p.icmpv6Code;
    if (p.icmpv6Id !== undefined) tuple.id = p.icmpv6Id;
  }
  if (raw?.zone !== undefined) tuple.zone = raw.zone;
  return { tuple, proto };
}

/** The label bits set in a CTA_LABELS bitmap (host-order u32 words, bit n of the whole map). */
function labelBits(buf: Buffer): number[] {
  const out: number[] = [];
  for (let w = 0; w + 4 <= buf.length; w += 4) {
    const word = buf.readUInt32LE(w);
    for (let b = 0; b < 32; b++) if (word & (1 << b)) out.push(w * 8 + b);
  }
  return out;
}

/** Protocol number → conntrack's name for it. */
export function protocolName(num: number): string {
  return PROTOCOLS[num] ?? String(num);
}

/** Builds the Conntrack object from the attributes of one message. */
export function conntrackFromAttrs(family: number, a: Record<string, any>): ConntrackEntry {
  const orig = tupleOf(a.tupleOrig);
  const reply = tupleOf(a.tupleReply);
  const proto = orig.proto || reply.proto;
  const ct: ConntrackEntry = {
    family: familyLabel(family),
    protocol: protocolName(proto),
    protocolNumber: proto,
    orig: orig.tuple,
    reply: reply.tuple,
    status: a.status !== undefined ? statusNames(a.status) : [],
    mark: a.mark ?? 0,
    zone: a.zone ?? 0,
  };
  const info = a.protoinfo;
  if (info?.tcp?.state !== undefined) ct.state = TCP_STATES[info.tcp.state] ?? String(info.tcp.state);
  else if (info?.sctp?.state !== undefined) ct.state = SCTP_STATES[info.sctp.state] ?? String(info.sctp.state);
  else if (info?.dccp?.state !== undefined) ct.state = DCCP_STATES[info.dccp.state] ?? String(info.dccp.state);
  if (a.timeout !== undefined) ct.timeout = a.timeout;
  if (a.id !== undefined) ct.id = a.id;
  if (a.use !== undefined) ct.use = a.use;
  if (a.countersOrig || a.countersReply) {
    const c = (raw: any): ConntrackCounters => ({ packets: raw?.packets ?? raw?.packets32 ?? 0, bytes: raw?.bytes ?? raw?.bytes32 ?? 0 });
    ct.counters = { orig: c(a.countersOrig), reply: c(a.countersReply) };
  }
  if (a.labels) ct.labels = labelBits(a.labels);
  if (a.help?.name !== undefined) ct.helper = a.help.name;
  if (a.timestamp) ct.timestamp = { ...a.timestamp };
  if (a.tupleMaster) {
    const m = tupleOf(a.tupleMaster);
    ct.master = { ...m.tuple, protocol: protocolName(m.proto) };
  }
  if (a.secctx?.name !== undefined) ct.secctx = a.secctx.name;
  if (a.unknown) ct.unknown = a.unknown;
  return ct;
}

/** Decodes one IPCTNL_MSG_CT_NEW / _DELETE message at buf[off, off+len). */
export function decodeConntrack(buf: Buffer, off: number, len: number): ConntrackEntry {
  const family = buf[off + NLMSG_HDRLEN]!;
  const attrs = decodeAttrs(ctSchema, buf, off + NLMSG_HDRLEN + NFGENMSG_LEN, off + len);
  return conntrackFromAttrs(family, attrs);
}

/** What a notification says happened. */
export type ConntrackEventType = 'new' | 'update' | 'destroy';

/**
 * The event type of a notification: DELETE is a destroy; NEW with NLM_F_CREATE|NLM_F_EXCL a
 * new entry (ctnetlink_conntrack_event sets them only then), plain NEW an update.
 */
export function eventTypeOf(msgType: number, flags: number): ConntrackEventType | undefined {
  const sub = msgType >> 8;
  if (sub !== NFNL_SUBSYS.ctnetlink) return undefined;
  const cmd = msgType & 0xff;
  if (cmd === IPCTNL_MSG_CT_DELETE) return 'destroy';
  if (cmd === IPCTNL_MSG_CT_NEW) return flags & (NLM_F_CREATE | NLM_F_EXCL) ? 'new' : 'update';
  return undefined;
}
