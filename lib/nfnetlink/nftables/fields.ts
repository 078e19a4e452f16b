/**
 * What the JSON names of nft's left-hand expressions mean at the register level: payload
 * header fields (protocol, field → base, bit offset, bit length, data type), meta keys and ct
 * keys (→ key number, data type, register length), and the protocol dependencies nft inserts
 * before a header field (`tcp dport` in an inet table first matches `meta l4proto tcp`).
 * Offsets and dependencies follow nftables' src/proto.c, checked against `nft --debug=netlink`.
 */
import { PAYLOAD_BASE } from './expr/schemas';

/** One header field. Offsets and lengths in bits from the start of the header. */
export interface PayloadField {
  protocol: string;
  field: string;
  base: number;
  offset: number;
  len: number;
  type: string;
}

/** A header: its payload base, fields, and how nft checks for it (see `dependencyOf`). */
export interface ProtoDesc {
  name: string;
  base: number;
  fields: Record<string, [offset: number, len: number, type: string]>;
  /** IP protocol number for transport headers (matched with `meta l4proto`). */
  l4?: number;
  /** Network layer a transport header needs in inet/bridge/netdev (icmp, icmpv6). */
  l3?: 'ip' | 'ip6';
  /** Checksum kept right when a field is written: type (1 inet, 2 sctp) and its byte offset. */
  csum?: [type: number, offset: number];
}

const LL = PAYLOAD_BASE.ll;
const NH = PAYLOAD_BASE.network;
const TH = PAYLOAD_BASE.transport;

/** Headers and fields, by JSON protocol name. */
export const PROTOCOLS: Readonly<Record<string, ProtoDesc>> = {
  ether: { name: 'ether', base: LL, fields: { daddr: [0, 48, 'ether_addr'], saddr: [48, 48, 'ether_addr'], type: [96, 16, 'ether_type'] } },
  vlan: {
    name: 'vlan', base: LL,
    fields: { pcp: [112, 3, 'integer'], dei: [115, 1, 'integer'], cfi: [115, 1, 'integer'], id: [116, 12, 'integer'], type: [128, 16, 'ether_type'] },
  },
  arp: {
    name: 'arp', base: NH,
    fields: {
      htype: [0, 16, 'integer'], ptype: [16, 16, 'ether_type'], hlen: [32, 8, 'integer'], plen: [40, 8, 'integer'],
      operation: [48, 16, 'arp_op'], 'saddr ether': [64, 48, 'ether_addr'], 'saddr ip': [112, 32, 'ipv4_addr'],
      'daddr ether': [144, 48, 'ether_addr'], 'daddr ip': [192, 32, 'ipv4_addr'],
    },
  },
  ip: {
    name: 'ip', base: NH, csum: [1, 10],
    fields: {
      version: [0, 4, 'integer'], hdrlength: [4, 4, 'integer'], dscp: [8, 6, 'dscp'], ecn: [14, 2, 'ecn'],
      length: [16, 16, 'integer'], id: [32, 16, 'integer'], 'frag-off': [48, 16, 'integer'], ttl: [64, 8, 'integer'],
      protocol: [72, 8, 'inet_proto'], checksum: [80, 16, 'integer'], saddr: [96, 32, 'ipv4_addr'], daddr: [128, 32, 'ipv4_addr'],
    },
  },
  icmp: {
    name: 'icmp', base: TH, l4: 1, l3: 'ip', csum: [1, 2],
    fields: {
      type: [0, 8, 'icmp_type'], code: [8, 8, 'icmp_code'], checksum: [16, 16, 'integer'], id: [32, 16, 'integer'],
      sequence: [48, 16, 'integer'], gateway: [32, 32, 'ipv4_addr'], mtu: [48, 16, 'integer'],
    },
  },
  ip6: {
    name: 'ip6', base: NH,
    fields: {
      version: [0, 4, 'integer'], dscp: [4, 6, 'dscp'], ecn: [10, 2, 'ecn'], flowlabel: [12, 20, 'integer'],
      length: [32, 16, 'integer'], nexthdr: [48, 8, 'inet_proto'], hoplimit: [56, 8, 'integer'],
      saddr: [64, 128, 'ipv6_addr'], daddr: [192, 128, 'ipv6_addr'],
    },
  },
  icmpv6: {
    name: 'icmpv6', base: TH, l4: 58, l3: 'ip6', csum: [1, 2],
    fields: {
      type: [0, 8, 'icmpv6_type'], code: [8, 8, 'icmpv6_code'], checksum: [16, 16, 'integer'],
      'parameter-problem': [32, 32, 'integer'], mtu: [32, 32, 'integer'], id: [32, 16, 'integer'],
      sequence: [48, 16, 'integer'], 'max-delay': [32, 16, 'integer'],
    },
  },
  tcp: {
    name: 'tcp', base: TH, l4: 6, csum: [1, 16],
    fields: {
      sport: [0, 16, 'inet_service'], dport: [16, 16, 'inet_service'], sequence: [32, 32, 'integer'],
      ackseq: [64, 32, 'integer'], doff: [96, 4, 'integer'], reserved: [100, 4, 'integer'], flags: [104, 8, 'tcp_flag'],
      window: [112, 16, 'integer'], checksum: [128, 16, 'integer'], urgptr: [144, 16, 'integer'],
    },
  },
  udp: {
    name: 'udp', base: TH, l4: 17, csum: [1, 6],
    fields: { sport: [0, 16, 'inet_service'], dport: [16, 16, 'inet_service'], length: [32, 16, 'integer'], checksum: [48, 16, 'integer'] },
  },
  udplite: {
    name: 'udplite', base: TH, l4: 136, csum: [1, 6],
    fields: { sport: [0, 16, 'inet_service'], dport: [16, 16, 'inet_service'], 'csumcov': [32, 16, 'integer'], checksum: [48, 16, 'integer'] },
  },
  sctp: {
    name: 'sctp', base: TH, l4: 132, csum: [2, 8],
    fields: { sport: [0, 16, 'inet_service'], dport: [16, 16, 'inet_service'], vtag: [32, 32, 'integer'], checksum: [64, 32, 'integer'] },
  },
  dccp: { name: 'dccp', base: TH, l4: 33, fields: { sport: [0, 16, 'inet_service'], dport: [16, 16, 'inet_service'] } },
  th: { name: 'th', base: TH, fields: { sport: [0, 16, 'inet_service'], dport: [16, 16, 'inet_service'] } },
};

/** Protocol → field lookup. */
export function payloadField(protocol: string, field: string): PayloadField | undefined {
  const p = PROTOCOLS[protocol];
  const f = p?.fields[field];
  if (!p || !f) return undefined;
  return { protocol, field, base: p.base, offset: f[0], len: f[1], type: f[2] };
}

/** Transport protocols by IP protocol number (for naming a transport-header load). */
export function transportByNumber(n: number): ProtoDesc | undefined {
  for (const p of Object.values(PROTOCOLS)) if (p.l4 === n) return p;
  return undefined;
}

/**
 * The field a load of [offset, offset+len) bits at `base` reads, given the protocol the rule
 * established for that base. Exact match first; a shorter load at the start of a field is a
 * prefix (the caller checks the type allows it).
 */
export function fieldAt(protocol: string, offsetBits: number, lenBits: number): { field: string; f: [number, number, string] } | undefined {
  const p = PROTOCOLS[protocol];
  if (!p) return undefined;
  for (const [field, f] of Object.entries(p.fields)) if (f[0] === offsetBits && f[1] === lenBits) return { field, f };
  return undefined;
}

/** Fields covered by a byte-wide load that hides sub-byte fields (ip version, vlan id …). */
export function subByteFields(protocol: string, offsetBytes: number, lenBytes: number): { field: string; f: [number, number, string] }[] {
  const p = PROTOCOLS[protocol];
  if (!p) return [];
  const out: { field: string; f: [number, number, string] }[] = [];
  for (const [field, f] of Object.entries(p.fields)) {
    const [off, len] = f;
    if ((off % 8 !== 0 || len % 8 !== 0) && Math.floor(off / 8) === offsetBytes && Math.ceil((off + len) / 8) - offsetBytes === lenBytes) {
      out.push({ field, f });
    }
  }
  return out;
}

// ---------------------------------------------------------------- meta

/** A meta key: number, data type and register length in bytes. */
export interface MetaKey {
  name: string;
  key: number;
  type: string;
  len: number;
}

const META: MetaKey[] = [
  ['length', 0, 'integer', 4], ['protocol', 1, 'ether_type', 2], ['priority', 2, 'classid', 4], ['mark', 3, 'mark', 4],
  ['iif', 4, 'iface_index', 4], ['oif', 5, 'iface_index', 4], ['iifname', 6, 'ifname', 16], ['oifname', 7, 'ifname', 16],
  ['iiftype', 8, 'iface_type', 2], ['oiftype', 9, 'iface_type', 2], ['skuid', 10, 'uid', 4], ['skgid', 11, 'gid', 4],
  ['nftrace', 12, 'integer', 1], ['rtclassid', 13, 'realm', 4], ['secmark', 14, 'integer', 4], ['nfproto', 15, 'nf_proto', 1],
  ['l4proto', 16, 'inet_proto', 1], ['ibrname', 17, 'ifname', 16], ['obrname', 18, 'ifname', 16], ['pkttype', 19, 'pkt_type', 1],
  ['cpu', 20, 'integer', 4], ['iifgroup', 21, 'devgroup', 4], ['oifgroup', 22, 'devgroup', 4], ['cgroup', 23, 'integer', 4],
  ['random', 24, 'integer', 4], ['secpath', 25, 'boolean', 1], ['iifkind', 26, 'ifname', 16], ['oifkind', 27, 'ifname', 16],
  ['ibrpvid', 28, 'integer', 2], ['ibrvproto', 29, 'ether_type', 2], ['time', 30, 'time', 8], ['day', 31, 'day', 1],
  ['hour', 32, 'hour', 4], ['sdif', 33, 'iface_index', 4], ['sdifname', 34, 'ifname', 16],
].map(([name, key, type, len]) => ({ name: name as string, key: key as number, type: type as string, len: len as number }));

/** Meta keys by JSON name. */
export const META_KEYS: ReadonlyMap<string, MetaKey> = new Map(META.map((m) => [m.name, m]));
/** Meta keys by kernel number. */
export const META_BY_NUMBER: ReadonlyMap<number, MetaKey> = new Map(META.map((m) => [m.key, m]));

/** Byte order of a meta key's register value (network order only for the ether types). */
export function metaOrder(m: MetaKey): 'big' | 'host' {
  return m.type === 'ether_type' ? 'big' : 'host';
}

// ---------------------------------------------------------------- ct

/** A ct key: number, data type (per family for addresses), register length, byte order. */
export interface CtKey {
  name: string;
  key: number;
  type: string;
  len: number;
  order: 'big' | 'host';
  /** The key takes a direction (original/reply). */
  dir?: 'optional' | 'required';
}

const CT: CtKey[] = [
  { name: 'state', key: 0, type: 'ct_state', len: 4, order: 'host' },
  { name: 'direction', key: 1, type: 'ct_dir', len: 1, order: 'host' },
  { name: 'status', key: 2, type: 'ct_status', len: 4, order: 'host' },
  { name: 'mark', key: 3, type: 'mark', len: 4, order: 'host' },
  { name: 'secmark', key: 4, type: 'integer', len: 4, order: 'host' },
  { name: 'expiration', key: 5, type: 'time', len: 4, order: 'host' },
  { name: 'helper', key: 6, type: 'string', len: 16, order: 'host' },
  { name: 'l3proto', key: 7, type: 'nf_proto', len: 1, order: 'host', dir: 'optional' },
  { name: 'saddr', key: 8, type: 'ipv4_addr', len: 4, order: 'big', dir: 'required' },
  { name: 'daddr', key: 9, type: 'ipv4_addr', len: 4, order: 'big', dir: 'required' },
  { name: 'protocol', key: 10, type: 'inet_proto', len: 1, order: 'big', dir: 'optional' },
  { name: 'proto-src', key: 11, type: 'inet_service', len: 2, order: 'big', dir: 'required' },
  { name: 'proto-dst', key: 12, type: 'inet_service', len: 2, order: 'big', dir: 'required' },
  { name: 'label', key: 13, type: 'ct_label', len: 16, order: 'host' },
  { name: 'packets', key: 14, type: 'integer', len: 8, order: 'host', dir: 'optional' },
  { name: 'bytes', key: 15, type: 'integer', len: 8, order: 'host', dir: 'optional' },
  { name: 'avgpkt', key: 16, type: 'integer', len: 8, order: 'host', dir: 'optional' },
  { name: 'zone', key: 17, type: 'integer', len: 2, order: 'host', dir: 'optional' },
  { name: 'event', key: 18, type: 'ct_event', len: 4, order: 'host' },
  { name: 'ip saddr', key: 19, type: 'ipv4_addr', len: 4, order: 'big', dir: 'required' },
  { name: 'ip daddr', key: 20, type: 'ipv4_addr', len: 4, order: 'big', dir: 'required' },
  { name: 'ip6 saddr', key: 21, type: 'ipv6_addr', len: 16, order: 'big', dir: 'required' },
  { name: 'ip6 daddr', key: 22, type: 'ipv6_addr', len: 16, order: 'big', dir: 'required' },
  { name: 'id', key: 23, type: 'integer', len: 4, order: 'big' },
];

/** ct keys by JSON name. */
export const CT_KEYS: ReadonlyMap<string, CtKey> = new Map(CT.map((c) => [c.name, c]));
/** ct keys by kernel number. */
export const CT_BY_NUMBER: ReadonlyMap<number, CtKey> = new Map(CT.map((c) => [c.key, c]));

// ---------------------------------------------------------------- fib

/** fib results (NFT_FIB_RESULT_*) by JSON name, with the result's data type and length. */
export const FIB_RESULTS: Readonly<Record<string, [number, string, number]>> = {
  oif: [1, 'iface_index', 4], oifname: [2, 'ifname', 16], type: [3, 'fib_addrtype', 4],
};
/** fib flags (NFTA_FIB_F_*) by JSON name. */
export const FIB_FLAGS: Readonly<Record<string, number>> = { saddr: 1, daddr: 2, mark: 4, iif: 8, oif: 16 };
/** NFTA_FIB_F_PRESENT: the result is only whether a route exists (`fib … oif missing`). */
export const NFTA_FIB_F_PRESENT = 32;

// ---------------------------------------------------------------- nft's own numbering (set userdata)

/** nft's protocol description ids (enum proto_desc_id), used in the typeof userdata of sets. */
export const PROTO_DESC_IDS: Readonly<Record<string, number>> = {
  ah: 1, esp: 2, comp: 3, icmp: 4, igmp: 5, udp: 6, udplite: 7, tcp: 8, dccp: 9, sctp: 10, th: 11,
  ip: 12, ip6: 13, icmpv6: 14, arp: 15, vlan: 16, ether: 17,
};

/** Field positions in nft's protocol templates (index 0 is the invalid entry). */
const TEMPLATE_ORDER: Readonly<Record<string, readonly string[]>> = {
  ether: ['daddr', 'saddr', 'type'],
  vlan: ['pcp', 'dei', 'cfi', 'id', 'type'],
  arp: ['htype', 'ptype', 'hlen', 'plen', 'operation', 'saddr ether', 'saddr ip', 'daddr ether', 'daddr ip'],
  ip: ['version', 'hdrlength', 'dscp', 'ecn', 'length', 'id', 'frag-off', 'ttl', 'protocol', 'checksum', 'saddr', 'daddr'],
  icmp: ['type', 'code', 'checksum', 'id', 'sequence', 'gateway', 'mtu'],
  ip6: ['version', 'dscp', 'ecn', 'flowlabel', 'length', 'nexthdr', 'hoplimit', 'saddr', 'daddr'],
  icmpv6: ['type', 'code', 'checksum', 'parameter-problem', 'mtu', 'id', 'sequence', 'max-delay'],
  tcp: ['sport', 'dport', 'sequence', 'ackseq', 'doff', 'reserved', 'flags', 'window', 'checksum', 'urgptr'],
  udp: ['sport', 'dport', 'length', 'checksum'],
  udplite: ['sport', 'dport', 'csumcov', 'checksum'],
  sctp: ['sport', 'dport', 'vtag', 'checksum'],
  dccp: ['sport', 'dport'],
  th: ['sport', 'dport'],
};

/** nft's template index of a header field (0 when unknown). */
export function templateIndex(protocol: string, field: string): number {
  return (TEMPLATE_ORDER[protocol]?.indexOf(field) ?? -1) + 1;
}

// ---------------------------------------------------------------- tcp options (exthdr)

/** TCP options nft knows by name: kind and fields (bit offset, bit length) inside the option. */
export const TCP_OPTIONS: Readonly<Record<string, { kind: number; fields: Record<string, [number, number]> }>> = {
  eol: { kind: 0, fields: { kind: [0, 8] } },
  nop: { kind: 1, fields: { kind: [0, 8] } },
  maxseg: { kind: 2, fields: { kind: [0, 8], length: [8, 8], size: [16, 16] } },
  window: { kind: 3, fields: { kind: [0, 8], length: [8, 8], count: [16, 8] } },
  'sack-perm': { kind: 4, fields: { kind: [0, 8], length: [8, 8] } },
  sack: { kind: 5, fields: { kind: [0, 8], length: [8, 8], left: [16, 32], right: [48, 32] } },
  timestamp: { kind: 8, fields: { kind: [0, 8], length: [8, 8], tsval: [16, 32], tsecr: [48, 32] } },
};
/** NFT_EXTHDR_OP_TCPOPT. */
export const NFT_EXTHDR_OP_TCPOPT = 1;
/** NFT_EXTHDR_F_PRESENT. */
export const NFT_EXTHDR_F_PRESENT = 1;

const entriesCache = new Map<string, readonly [string, [number, number, string]][]>();

/** A protocol's fields as [name, [bit offset, bit length, type]] in table order (cached: listing calls this per rule). */
export function fieldEntries(protocol: string): readonly [string, [number, number, string]][] {
  let e = entriesCache.get(protocol);
  if (!e) {
    e = Object.entries(PROTOCOLS[protocol]?.fields ?? {});
    entriesCache.set(protocol, e);
  }
  return e;
}
