/**
 * flower: the flow-dissector classifier. Keys are one table (attribute, wire form, mask
 * attribute) from which both directions are driven; addresses take prefixes, MACs and
 * numeric keys take 'value/mask', ports take ranges.
 */
import { checkKeys } from '../../core/options';
import { ValidationError } from '../../errors';
import { AF_INET, AF_INET6 } from '../../wire/constants';
import { forEachAttr, readString } from '../../wire/attributes';
import { formatIp, formatMac, parseCidr, parseMac } from '../../wire/address';
import type { MessageWriter } from '../../wire/message-writer';
import { IP_PROTOCOLS } from './filter-u32';
import { parseInt32 } from './units';

/** A number or 'value/mask' (masks in the same base, e.g. '0x02/0x12'). */
export type Masked = number | string;

/** Options of a flower filter. The filter's `protocol` is the ethertype flower matches on. */
export interface FlowerOptions {
  indev?: string;
  dstMac?: string;
  srcMac?: string;
  vlanId?: number;
  vlanPrio?: number;
  /** Ethertype inside the VLAN tag ('ip', 'ipv6', 'arp' or a number). */
  vlanEthType?: string | number;
  cvlanId?: number;
  cvlanPrio?: number;
  cvlanEthType?: string | number;
  ipProto?: string | number;
  srcIp?: string;
  dstIp?: string;
  /** A port, or a range 'min-max' / { min, max }. */
  srcPort?: number | string | { min: number; max: number };
  dstPort?: number | string | { min: number; max: number };
  tcpFlags?: Masked;
  ipTos?: Masked;
  ipTtl?: Masked;
  icmpType?: number;
  icmpCode?: number;
  /** Conntrack state: '+trk+est', '-new' … */
  ctState?: string;
  ctZone?: Masked;
  ctMark?: Masked;
  encKeyId?: number;
  encSrcIp?: string;
  encDstIp?: string;
  encDstPort?: number;
  encTos?: Masked;
  encTtl?: Masked;
  skipSw?: boolean;
  skipHw?: boolean;
}

const F = {
  CLASSID: 1, INDEV: 2, ACT: 3, ETH_DST: 4, ETH_DST_MASK: 5, ETH_SRC: 6, ETH_SRC_MASK: 7, ETH_TYPE: 8, IP_PROTO: 9,
  IPV4_SRC: 10, IPV4_SRC_MASK: 11, IPV4_DST: 12, IPV4_DST_MASK: 13, IPV6_SRC: 14, IPV6_SRC_MASK: 15, IPV6_DST: 16, IPV6_DST_MASK: 17,
  TCP_SRC: 18, TCP_DST: 19, UDP_SRC: 20, UDP_DST: 21, FLAGS: 22, VLAN_ID: 23, VLAN_PRIO: 24, VLAN_ETH_TYPE: 25,
  ENC_KEY_ID: 26, ENC_IPV4_SRC: 27, ENC_IPV4_SRC_MASK: 28, ENC_IPV4_DST: 29, ENC_IPV4_DST_MASK: 30, ENC_IPV6_SRC: 31,
  ENC_IPV6_SRC_MASK: 32, ENC_IPV6_DST: 33, ENC_IPV6_DST_MASK: 34, TCP_SRC_MASK: 35, TCP_DST_MASK: 36, UDP_SRC_MASK: 37,
  UDP_DST_MASK: 38, SCTP_SRC_MASK: 39, SCTP_DST_MASK: 40, SCTP_SRC: 41, SCTP_DST: 42, ENC_UDP_DST_PORT: 45,
  ICMPV4_CODE: 49, ICMPV4_CODE_MASK: 50, ICMPV4_TYPE: 51, ICMPV4_TYPE_MASK: 52, ICMPV6_CODE: 53, ICMPV6_CODE_MASK: 54,
  ICMPV6_TYPE: 55, ICMPV6_TYPE_MASK: 56, TCP_FLAGS: 71, TCP_FLAGS_MASK: 72, IP_TOS: 73, IP_TOS_MASK: 74, IP_TTL: 75, IP_TTL_MASK: 76,
  CVLAN_ID: 77, CVLAN_PRIO: 78, CVLAN_ETH_TYPE: 79, ENC_IP_TOS: 80, ENC_IP_TOS_MASK: 81, ENC_IP_TTL: 82, ENC_IP_TTL_MASK: 83,
  PORT_SRC_MIN: 87, PORT_SRC_MAX: 88, PORT_DST_MIN: 89, PORT_DST_MAX: 90, CT_STATE: 91, CT_STATE_MASK: 92, CT_ZONE: 93,
  CT_ZONE_MASK: 94, CT_MARK: 95, CT_MARK_MASK: 96,
} as const;
/**
 * Which key writes each of flower's attributes (the filter's protocol goes in ETH_TYPE): bulk
 * adds name extack offsets from the bytes with this instead of a name map per message.
 */
export const FLOWER_ATTR_NAMES: Readonly<Record<number, string>> = (() => {
  const byKey: Record<string, readonly number[]> = {
    indev: [F.INDEV], dstMac: [F.ETH_DST, F.ETH_DST_MASK], srcMac: [F.ETH_SRC, F.ETH_SRC_MASK],
    vlanId: [F.VLAN_ID], vlanPrio: [F.VLAN_PRIO], vlanEthType: [F.VLAN_ETH_TYPE],
    cvlanId: [F.CVLAN_ID], cvlanPrio: [F.CVLAN_PRIO], cvlanEthType: [F.CVLAN_ETH_TYPE], ipProto: [F.IP_PROTO],
    srcIp: [F.IPV4_SRC, F.IPV4_SRC_MASK, F.IPV6_SRC, F.IPV6_SRC_MASK], dstIp: [F.IPV4_DST, F.IPV4_DST_MASK, F.IPV6_DST, F.IPV6_DST_MASK],
    srcPort: [F.TCP_SRC, F.TCP_SRC_MASK, F.UDP_SRC, F.UDP_SRC_MASK, F.SCTP_SRC, F.SCTP_SRC_MASK, F.PORT_SRC_MIN, F.PORT_SRC_MAX],
    dstPort: [F.TCP_DST, F.TCP_DST_MASK, F.UDP_DST, F.UDP_DST_MASK, F.SCTP_DST, F.SCTP_DST_MASK, F.PORT_DST_MIN, F.PORT_DST_MAX],
    tcpFlags: [F.TCP_FLAGS, F.TCP_FLAGS_MASK], ipTos: [F.IP_TOS, F.IP_TOS_MASK], ipTtl: [F.IP_TTL, F.IP_TTL_MASK],
    icmpType: [F.ICMPV4_TYPE, F.ICMPV4_TYPE_MASK, F.ICMPV6_TYPE, F.ICMPV6_TYPE_MASK],
    icmpCode: [F.ICMPV4_CODE, F.ICMPV4_CODE_MASK, F.ICMPV6_CODE, F.ICMPV6_CODE_MASK],
    ctState: [F.CT_STATE, F.CT_STATE_MASK], ctZone: [F.CT_ZONE, F.CT_ZONE_MASK], ctMark: [F.CT_MARK, F.CT_MARK_MASK],
    encKeyId: [F.ENC_KEY_ID], encSrcIp: [F.ENC_IPV4_SRC, F.ENC_IPV4_SRC_MASK, F.ENC_IPV6_SRC, F.ENC_IPV6_SRC_MASK],
    encDstIp: [F.ENC_IPV4_DST, F.ENC_IPV4_DST_MASK, F.ENC_IPV6_DST, F.ENC_IPV6_DST_MASK], encDstPort: [F.ENC_UDP_DST_PORT, 46],
    encTos: [F.ENC_IP_TOS, F.ENC_IP_TOS_MASK], encTtl: [F.ENC_IP_TTL, F.ENC_IP_TTL_MASK], skipSw: [F.FLAGS],
  };
  const out: Record<number, string> = { [F.ETH_TYPE]: 'protocol' };
  for (const [key, attrs] of Object.entries(byKey)) for (const a of attrs) out[a] = `flower.${key}`;
  return out;
})();
/** Where flower keeps its class id and its actions (used by the shared filter code). */
export const TCA_FLOWER_CLASSID = F.CLASSID;
/** flower's action list attribute. */
export const TCA_FLOWER_ACT = F.ACT;

/** Ethertypes by tc's names. */
export const ETH_TYPES: Record<string, number> = { all: 0x0003, ip: 0x0800, arp: 0x0806, ipv6: 0x86dd, '802.1q': 0x8100, '802.1ad': 0x88a8, mpls_uc: 0x8847, mpls_mc: 0x8848, lldp: 0x88cc };

/** An ethertype by tc's name ('ip', 'ipv6', 'all', '802.1q' …) or number; ValidationError naming `field` otherwise. */
export function ethTypeNumber(v: string | number, field: string): number {
  if (typeof v === 'number') return parseInt32(v, field, 0xffff);
  const n = ETH_TYPES[v];
  if (n === undefined) throw new ValidationError(field, `unknown protocol ${JSON.stringify(v)} (known: ${Object.keys(ETH_TYPES).join(', ')}, or a number)`);
  return n;
}

/** An ethertype as tc names it, or the number when it has no name. */
export function ethTypeName(n: number): string | number {
  return Object.keys(ETH_TYPES).find((k) => ETH_TYPES[k] === n) ?? n;
}

function masked(v: Masked, field: string, max: number): [number, number] {
  if (typeof v === 'number') return [parseInt32(v, field, max), max];
  const m = typeof v === 'string' ? /^(0x[0-9a-f]+|[0-9]+)(?:\/(0x[0-9a-f]+|[0-9]+))?$/i.exec(v) : null;
  if (!m) throw new ValidationError(field, `expected a number or 'value/mask', got ${JSON.stringify(v)}`);
  return [parseInt32(Number(m[1]), field, max), m[2] !== undefined ? parseInt32(Number(m[2]), field, max) : max];
}

function formatMasked(v: number, mask: number | undefined, max: number): Masked {
  return mask === undefined || mask === max ? v : `0x${v.toString(16)}/0x${mask.toString(16)}`;
}

// In tc's print order.
const CT_FLAGS: Record<string, number> = { trk: 8, new: 1, est: 2, rel: 4, inv: 16, rpl: 32 };

function ctState(v: string, field: string): [number, number] {
  if (typeof v !== 'string' || !/^([+-][a-z]+)+$/.test(v)) throw new ValidationError(field, "expected flags such as '+trk+est' or '+trk-new'");
  let state = 0;
  let mask = 0;
  for (const m of v.matchAll(/([+-])([a-z]+)/g)) {
    const bit = CT_FLAGS[m[2]!];
    if (bit === undefined) throw new ValidationError(field, `unknown conntrack flag ${JSON.stringify(m[2])} (known: ${Object.keys(CT_FLAGS).join(', ')})`);
    mask |= bit;
    if (m[1] === '+') state |= bit;
  }
  return [state, mask];
}

function formatCtState(state: number, mask: number): string {
  return Object.entries(CT_FLAGS).filter(([, b]) => mask & b).map(([n, b]) => `${state & b ? '+' : '-'}${n}`).join('');
}

function writeMac(w: MessageWriter, attr: number, maskAttr: number, v: string, field: string): void {
  const [addr, m] = v.split('/') as [string, string?];
  w.bytes(attr, parseMac(addr, field), field);
  let mask: Buffer = Buffer.alloc(6, 0xff);
  if (m !== undefined) {
    if (/^[0-9]+$/.test(m)) {
      const bits = parseInt32(Number(m), field, 48);
      mask = Buffer.alloc(6);
      for (let i = 0; i < bits; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
    } else mask = parseMac(m, field);
  }
  w.bytes(maskAttr, mask, field);
}

function writeIp(w: MessageWriter, v4: [number, number], v6: [number, number], v: string, field: string, family?: number): number {
  const c = parseCidr(v, field, family);
  const [a, m] = c.family === AF_INET ? v4 : v6;
  w.bytes(a, c.bytes, field);
  const mask = Buffer.alloc(c.bytes.length);
  for (let i = 0; i < c.prefixLen; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
  w.bytes(m, mask, field);
  return c.family;
}

function portRange(v: number | string | { min: number; max: number }, field: string): { port?: number; min?: number; max?: number } {
  if (typeof v === 'number') return { port: parseInt32(v, field, 0xffff) };
  if (typeof v === 'string') {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(v);
    if (!m) throw new ValidationError(field, "expected a port or a range 'min-max'");
    if (m[2] === undefined) return { port: parseInt32(Number(m[1]), field, 0xffff) };
    v = { min: Number(m[1]), max: Number(m[2]) };
  }
  checkKeys(v, ['min', 'max'], field);
  const min = parseInt32(v.min, `${field}.min`, 0xffff);
  const max = parseInt32(v.max, `${field}.max`, 0xffff);
  if (max <= min) throw new ValidationError(field, 'a range needs max above min');
  return { min, max };
}

const KEYS = ['indev', 'dstMac', 'srcMac', 'vlanId', 'vlanPrio', 'vlanEthType', 'cvlanId', 'cvlanPrio', 'cvlanEthType', 'ipProto', 'srcIp', 'dstIp',
  'srcPort', 'dstPort', 'tcpFlags', 'ipTos', 'ipTtl', 'icmpType', 'icmpCode', 'ctState', 'ctZone', 'ctMark', 'encKeyId', 'encSrcIp', 'encDstIp',
  'encDstPort', 'encTos', 'encTtl', 'skipSw', 'skipHw', 'inHw'];

/** Writes flower's keys (inside TCA_OPTIONS); `ethType` is the filter's protocol. */
export function encodeFlower(w: MessageWriter, o: FlowerOptions = {}, field: string, ethType: number): void {
  checkKeys(o, KEYS, field);
  const f = (k: string) => `${field}.${k}`;
  if (o.indev !== undefined) w.string(F.INDEV, o.indev, f('indev'));
  if (ethType !== 0x0003) w.u16be(F.ETH_TYPE, ethType, 'protocol');
  if (o.dstMac !== undefined) writeMac(w, F.ETH_DST, F.ETH_DST_MASK, o.dstMac, f('dstMac'));
  if (o.srcMac !== undefined) writeMac(w, F.ETH_SRC, F.ETH_SRC_MASK, o.srcMac, f('srcMac'));
  const isVlan = ethType === 0x8100 || ethType === 0x88a8;
  if ((o.vlanId !== undefined || o.vlanPrio !== undefined || o.vlanEthType !== undefined) && !isVlan) throw new ValidationError(f('vlanId'), "vlan keys need protocol '802.1q' or '802.1ad'");
  if (o.vlanId !== undefined) w.u16(F.VLAN_ID, parseInt32(o.vlanId, f('vlanId'), 4095), f('vlanId'));
  if (o.vlanPrio !== undefined) w.u8(F.VLAN_PRIO, parseInt32(o.vlanPrio, f('vlanPrio'), 7), f('vlanPrio'));
  if (o.vlanEthType !== undefined) w.u16be(F.VLAN_ETH_TYPE, ethTypeNumber(o.vlanEthType, f('vlanEthType')), f('vlanEthType'));
  if (o.cvlanId !== undefined) w.u16(F.CVLAN_ID, parseInt32(o.cvlanId, f('cvlanId'), 4095), f('cvlanId'));
  if (o.cvlanPrio !== undefined) w.u8(F.CVLAN_PRIO, parseInt32(o.cvlanPrio, f('cvlanPrio'), 7), f('cvlanPrio'));
  if (o.cvlanEthType !== undefined) w.u16be(F.CVLAN_ETH_TYPE, ethTypeNumber(o.cvlanEthType, f('cvlanEthType')), f('cvlanEthType'));
  // The L3 ethertype: the filter's protocol, or the one inside the VLAN tag(s).
  const l3 = isVlan ? (o.cvlanEthType !== undefined ? ethTypeNumber(o.cvlanEthType, '') : o.vlanEthType !== undefined ? ethTypeNumber(o.vlanEthType, '') : 0) : ethType;
  const ipFamily = l3 === 0x0800 ? AF_INET : l3 === 0x86dd ? AF_INET6 : undefined;
  let ipProto: number | undefined;
  if (o.ipProto !== undefined) {
    if (ipFamily === undefined) throw new ValidationError(f('ipProto'), "ipProto needs protocol 'ip' or 'ipv6'");
    ipProto = typeof o.ipProto === 'number' ? parseInt32(o.ipProto, f('ipProto'), 255) : IP_PROTOCOLS[o.ipProto];
    if (ipProto === undefined) throw new ValidationError(f('ipProto'), `unknown protocol ${JSON.stringify(o.ipProto)}`);
    w.u8(F.IP_PROTO, ipProto, f('ipProto'));
  }
  for (const [k, v4, v6] of [['srcIp', [F.IPV4_SRC, F.IPV4_SRC_MASK], [F.IPV6_SRC, F.IPV6_SRC_MASK]], ['dstIp', [F.IPV4_DST, F.IPV4_DST_MASK], [F.IPV6_DST, F.IPV6_DST_MASK]]] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (ipFamily === undefined) throw new ValidationError(f(k), "addresses need protocol 'ip' or 'ipv6'");
    writeIp(w, v4 as any, v6 as any, v, f(k), ipFamily);
  }
  if (o.tcpFlags !== undefined) {
    if (ipProto !== 6) throw new ValidationError(f('tcpFlags'), "tcpFlags need ipProto 'tcp'");
    const [v, m] = masked(o.tcpFlags, f('tcpFlags'), 0xfff);
    w.u16be(F.TCP_FLAGS, v, f('tcpFlags'));
    w.u16be(F.TCP_FLAGS_MASK, m, f('tcpFlags'));
  }
  for (const [k, a, ma] of [['ipTos', F.IP_TOS, F.IP_TOS_MASK], ['ipTtl', F.IP_TTL, F.IP_TTL_MASK], ['encTos', F.ENC_IP_TOS, F.ENC_IP_TOS_MASK], ['encTtl', F.ENC_IP_TTL, F.ENC_IP_TTL_MASK]] as const) {
    const v = o[k];
    if (v === undefined) continue;
    const [x, m] = masked(v, f(k), 0xff);
    w.u8(a, x, f(k));
    w.u8(ma, m, f(k));
  }
  for (const k of ['srcPort', 'dstPort'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (ipProto !== 6 && ipProto !== 17 && ipProto !== 132) throw new ValidationError(f(k), "ports need ipProto 'tcp', 'udp' or 'sctp'");
    const r = portRange(v, f(k));
    const src = k === 'srcPort';
    if (r.port !== undefined) {
      const [a, ma] = ipProto === 6 ? (src ? [F.TCP_SRC, F.TCP_SRC_MASK] : [F.TCP_DST, F.TCP_DST_MASK]) : ipProto === 17 ? (src ? [F.UDP_SRC, F.UDP_SRC_MASK] : [F.UDP_DST, F.UDP_DST_MASK]) : (src ? [F.SCTP_SRC, F.SCTP_SRC_MASK] : [F.SCTP_DST, F.SCTP_DST_MASK]);
      w.u16be(a, r.port, f(k));
      w.u16be(ma, 0xffff, f(k));
    } else {
      w.u16be(src ? F.PORT_SRC_MIN : F.PORT_DST_MIN, r.min!, f(k));
      w.u16be(src ? F.PORT_SRC_MAX : F.PORT_DST_MAX, r.max!, f(k));
    }
  }
  if (o.icmpType !== undefined || o.icmpCode !== undefined) {
    const v6 = ipProto === 58;
    if (ipProto !== 1 && ipProto !== 58) throw new ValidationError(f('icmpType'), "icmp keys need ipProto 'icmp' or 'icmpv6'");
    if (o.icmpType !== undefined) { w.u8(v6 ? F.ICMPV6_TYPE : F.ICMPV4_TYPE, parseInt32(o.icmpType, f('icmpType'), 255), f('icmpType')); w.u8(v6 ? F.ICMPV6_TYPE_MASK : F.ICMPV4_TYPE_MASK, 0xff, f('icmpType')); }
    if (o.icmpCode !== undefined) { w.u8(v6 ? F.ICMPV6_CODE : F.ICMPV4_CODE, parseInt32(o.icmpCode, f('icmpCode'), 255), f('icmpCode')); w.u8(v6 ? F.ICMPV6_CODE_MASK : F.ICMPV4_CODE_MASK, 0xff, f('icmpCode')); }
  }
  if (o.ctState !== undefined) {
    const [s, m] = ctState(o.ctState, f('ctState'));
    w.u16(F.CT_STATE, s, f('ctState'));
    w.u16(F.CT_STATE_MASK, m, f('ctState'));
  }
  if (o.ctZone !== undefined) { const [v, m] = masked(o.ctZone, f('ctZone'), 0xffff); w.u16(F.CT_ZONE, v, f('ctZone')); w.u16(F.CT_ZONE_MASK, m, f('ctZone')); }
  if (o.ctMark !== undefined) { const [v, m] = masked(o.ctMark, f('ctMark'), 0xffff_ffff); w.u32(F.CT_MARK, v, f('ctMark')); w.u32(F.CT_MARK_MASK, m, f('ctMark')); }
  if (o.encKeyId !== undefined) w.u32be(F.ENC_KEY_ID, parseInt32(o.encKeyId, f('encKeyId')), f('encKeyId'));
  if (o.encSrcIp !== undefined) writeIp(w, [F.ENC_IPV4_SRC, F.ENC_IPV4_SRC_MASK], [F.ENC_IPV6_SRC, F.ENC_IPV6_SRC_MASK], o.encSrcIp, f('encSrcIp'));
  if (o.encDstIp !== undefined) writeIp(w, [F.ENC_IPV4_DST, F.ENC_IPV4_DST_MASK], [F.ENC_IPV6_DST, F.ENC_IPV6_DST_MASK], o.encDstIp, f('encDstIp'));
  if (o.encDstPort !== undefined) { w.u16be(F.ENC_UDP_DST_PORT, parseInt32(o.encDstPort, f('encDstPort'), 0xffff), f('encDstPort')); w.u16be(46, 0xffff, f('encDstPort')); }
  if (o.skipSw !== undefined || o.skipHw !== undefined) w.u32(F.FLAGS, (o.skipHw ? 1 : 0) | (o.skipSw ? 2 : 0), f('skipSw'));
}

function prefixOf(mask: Buffer): number | undefined {
  let n = 0;
  while (n < mask.length * 8 && mask[n >> 3]! & (0x80 >> (n & 7))) n++;
  for (let i = n; i < mask.length * 8; i++) if (mask[i >> 3]! & (0x80 >> (i & 7))) return undefined;
  return n;
}

/** Reads flower's keys back into FlowerOptions (and the ethertype it matched). */
export function decodeFlower(buf: Buffer, off: number, len: number): Record<string, unknown> {
  const raw = new Map<number, Buffer>();
  forEachAttr(buf, off, off + len, (t, o, l) => { raw.set(t, buf.subarray(o, o + l)); }, 'flower options');
  const out: Record<string, unknown> = {};
  const g = (t: number) => raw.get(t);
  const u8 = (t: number) => g(t)?.[0];
  const u16be = (t: number) => (g(t)?.length ?? 0) >= 2 ? g(t)!.readUInt16BE(0) : undefined;
  const u16 = (t: number) => (g(t)?.length ?? 0) >= 2 ? g(t)!.readUInt16LE(0) : undefined;
  const u32 = (t: number) => (g(t)?.length ?? 0) >= 4 ? g(t)!.readUInt32LE(0) : undefined;
  if (g(F.INDEV)) out.indev = readString(g(F.INDEV)!, 0, g(F.INDEV)!.length);
  for (const [k, a, m] of [['dstMac', F.ETH_DST, F.ETH_DST_MASK], ['srcMac', F.ETH_SRC, F.ETH_SRC_MASK]] as const) {
    const v = g(a);
    if (!v || v.length !== 6) continue;
    const mask = g(m);
    const mac = formatMac(v, 0, 6);
    const p = mask ? prefixOf(mask) : 48;
    out[k] = p === 48 ? mac : p !== undefined ? `${mac}/${p}` : `${mac}/${formatMac(mask!, 0, 6)}`;
  }
  if (u16(F.VLAN_ID) !== undefined) out.vlanId = u16(F.VLAN_ID);
  if (u8(F.VLAN_PRIO) !== undefined) out.vlanPrio = u8(F.VLAN_PRIO);
  if (u16be(F.VLAN_ETH_TYPE) !== undefined) out.vlanEthType = ethTypeName(u16be(F.VLAN_ETH_TYPE)!);
  if (u16(F.CVLAN_ID) !== undefined) out.cvlanId = u16(F.CVLAN_ID);
  if (u8(F.CVLAN_PRIO) !== undefined) out.cvlanPrio = u8(F.CVLAN_PRIO);
  if (u16be(F.CVLAN_ETH_TYPE) !== undefined) out.cvlanEthType = ethTypeName(u16be(F.CVLAN_ETH_TYPE)!);
  const proto = u8(F.IP_PROTO);
  if (proto !== undefined) out.ipProto = Object.keys(IP_PROTOCOLS).find((p) => IP_PROTOCOLS[p] === proto) ?? proto;
  for (const [k, a, m] of [['srcIp', F.IPV4_SRC, F.IPV4_SRC_MASK], ['dstIp', F.IPV4_DST, F.IPV4_DST_MASK], ['srcIp', F.IPV6_SRC, F.IPV6_SRC_MASK], ['dstIp', F.IPV6_DST, F.IPV6_DST_MASK],
    ['encSrcIp', F.ENC_IPV4_SRC, F.ENC_IPV4_SRC_MASK], ['encDstIp', F.ENC_IPV4_DST, F.ENC_IPV4_DST_MASK], ['encSrcIp', F.ENC_IPV6_SRC, F.ENC_IPV6_SRC_MASK], ['encDstIp', F.ENC_IPV6_DST, F.ENC_IPV6_DST_MASK]] as const) {
    const v = g(a);
    if (!v || (v.length !== 4 && v.length !== 16)) continue;
    const mask = g(m);
    const p = mask ? prefixOf(mask) : v.length * 8;
    out[k] = `${formatIp(v, 0, v.length)}/${p ?? formatIp(mask!, 0, mask!.length)}`;
  }
  for (const [k, a, m] of [['srcPort', F.TCP_SRC, F.TCP_SRC_MASK], ['dstPort', F.TCP_DST, F.TCP_DST_MASK], ['srcPort', F.UDP_SRC, F.UDP_SRC_MASK], ['dstPort', F.UDP_DST, F.UDP_DST_MASK],
    ['srcPort', F.SCTP_SRC, F.SCTP_SRC_MASK], ['dstPort', F.SCTP_DST, F.SCTP_DST_MASK]] as const) {
    const v = u16be(a);
    if (v === undefined) continue;
    const mask = u16be(m);
    out[k] = mask === undefined || mask === 0xffff ? v : { value: v, mask };
  }
  for (const [k, lo, hi] of [['srcPort', F.PORT_SRC_MIN, F.PORT_SRC_MAX], ['dstPort', F.PORT_DST_MIN, F.PORT_DST_MAX]] as const) {
    if (u16be(lo) !== undefined && u16be(hi) !== undefined) out[k] = { min: u16be(lo), max: u16be(hi) };
  }
  if (u16be(F.TCP_FLAGS) !== undefined) out.tcpFlags = formatMasked(u16be(F.TCP_FLAGS)!, u16be(F.TCP_FLAGS_MASK), 0xfff);
  for (const [k, a, m] of [['ipTos', F.IP_TOS, F.IP_TOS_MASK], ['ipTtl', F.IP_TTL, F.IP_TTL_MASK], ['encTos', F.ENC_IP_TOS, F.ENC_IP_TOS_MASK], ['encTtl', F.ENC_IP_TTL, F.ENC_IP_TTL_MASK]] as const) {
    if (u8(a) !== undefined) out[k] = formatMasked(u8(a)!, u8(m), 0xff);
  }
  for (const [k, a] of [['icmpType', F.ICMPV4_TYPE], ['icmpCode', F.ICMPV4_CODE], ['icmpType', F.ICMPV6_TYPE], ['icmpCode', F.ICMPV6_CODE]] as const) {
    if (u8(a) !== undefined) out[k] = u8(a);
  }
  if (u16(F.CT_STATE) !== undefined) out.ctState = formatCtState(u16(F.CT_STATE)!, u16(F.CT_STATE_MASK) ?? 0);
  if (u16(F.CT_ZONE) !== undefined) out.ctZone = formatMasked(u16(F.CT_ZONE)!, u16(F.CT_ZONE_MASK), 0xffff);
  if (u32(F.CT_MARK) !== undefined) out.ctMark = formatMasked(u32(F.CT_MARK)!, u32(F.CT_MARK_MASK), 0xffff_ffff);
  const keyId = g(F.ENC_KEY_ID);
  if (keyId && keyId.length >= 4) out.encKeyId = keyId.readUInt32BE(0);
  if (u16be(F.ENC_UDP_DST_PORT) !== undefined) out.encDstPort = u16be(F.ENC_UDP_DST_PORT);
  const flags = u32(F.FLAGS);
  if (flags !== undefined) {
    if (flags & 1) out.skipHw = true;
    if (flags & 2) out.skipSw = true;
    if (flags & 4) out.inHw = true;
  }
  return out;
}
