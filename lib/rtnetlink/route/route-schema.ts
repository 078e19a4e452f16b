/** RTA_* attributes, route metrics and next hops (linux/rtnetlink.h). */
import { decodeAttrs, defineSchema, type AttrSpec, type RawAttribute } from '../../wire/attributes';
import { formatIp } from '../../wire/address';
import { ValidationError } from '../../errors';
import { bitNames } from '../request/names';

/** RTA_* attribute numbers. */
export const RTA = {
  DST: 1, SRC: 2, IIF: 3, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, METRICS: 8, MULTIPATH: 9,
  PROTOINFO: 10, FLOW: 11, CACHEINFO: 12, SESSION: 13, MP_ALGO: 14, TABLE: 15, MARK: 16,
  MFC_STATS: 17, VIA: 18, NEWDST: 19, PREF: 20, ENCAP_TYPE: 21, ENCAP: 22, EXPIRES: 23, PAD: 24,
  UID: 25, TTL_PROPAGATE: 26, IP_PROTO: 27, SPORT: 28, DPORT: 29, NH_ID: 30,
} as const;

/** RTAX_* route metrics, by public name. */
export const RTAX: Record<string, number> = {
  lock: 1, mtu: 2, window: 3, rtt: 4, rttvar: 5, ssthresh: 6, cwnd: 7, advmss: 8, reordering: 9,
  hoplimit: 10, initcwnd: 11, features: 12, rto_min: 13, initrwnd: 14, quickack: 15,
  congctl: 16, fastopen_no_cookie: 17,
};

/**
 * Route metrics (RTA_METRICS), named as iproute2 names them, in the kernel's units
 * (`lock` lists the metrics locked against path-MTU discovery and the like; `congctl` is a name).
 */
export interface RouteMetrics {
  mtu?: number; window?: number; rtt?: number; rttvar?: number; ssthresh?: number; cwnd?: number;
  advmss?: number; reordering?: number; hoplimit?: number; initcwnd?: number; features?: number;
  rto_min?: number; initrwnd?: number; quickack?: number; congctl?: string; fastopen_no_cookie?: number;
  lock?: string[];
}

const RTAX_NAMES = new Map(Object.entries(RTAX).map(([n, t]) => [t, n]));

/** RTAX_LOCK bitmask → metric names. */
function decodeLock(b: Buffer, o: number, l: number): string[] | undefined {
  if (l < 4) return undefined;
  const mask = b.readUInt32LE(o);
  const out: string[] = [];
  for (let t = 1; t < 32; t++) if (mask & (1 << t)) out.push(RTAX_NAMES.get(t) ?? String(t));
  return out;
}

/** Metric names → RTAX_LOCK bitmask. */
export function lockMask(names: unknown, field: string): number {
  if (!Array.isArray(names)) throw new ValidationError(field, 'expected an array of metric names');
  let mask = 0;
  for (const n of names) {
    const t = RTAX[n as string];
    if (t === undefined || t === RTAX.lock) throw new ValidationError(field, `unknown metric ${JSON.stringify(n)}`);
    mask |= 1 << t;
  }
  return mask;
}

/** RTA_METRICS children. */
export const metricsSchema = defineSchema(
  'route.metrics',
  Object.fromEntries(
    Object.entries(RTAX).map(([name, type]): [number, AttrSpec] => [
      type,
      name === 'lock' ? { name, type: 'u32', decode: decodeLock } : { name, type: name === 'congctl' ? 'string' : 'u32' },
    ]),
  ),
);

/** RTA_VIA: family + address (IPv4 route via an IPv6 next hop). */
export function decodeVia(b: Buffer, o: number, l: number): { family: number; address: string } | undefined {
  if (l < 2) return undefined;
  const family = b.readUInt16LE(o);
  return { family, address: formatIp(b, o + 2, l - 2) };
}

/** RTNH_F_* next-hop flags as iproute2 prints them. */
export const RTNH_F: [number, string][] = [
  [1, 'dead'], [2, 'pervasive'], [4, 'onlink'], [8, 'offload'], [16, 'linkdown'], [32, 'unresolved'], [64, 'trap'],
];

/** RTNH_F_ONLINK: the gateway is on the link even if no prefix says so (`onlink`). */
export const RTNH_F_ONLINK = 4;

/** rtm_flags above the next-hop flags (RTM_F_*), as iproute2 names them. */
export const RTM_F: [number, string][] = [
  [0x100, 'notify'], [0x200, 'cloned'], [0x400, 'equalize'], [0x800, 'prefix'], [0x1000, 'lookup_table'],
  [0x2000, 'fib_match'], [0x4000, 'rt_offload'], [0x8000, 'rt_trap'], [0x2000_0000, 'rt_offload_failed'],
];

/** RTM_F_LOOKUP_TABLE: `ip route get` asks for the table the lookup used. */
export const RTM_F_LOOKUP_TABLE = 0x1000;
/** RTM_F_FIB_MATCH: `ip route get fibmatch` returns the matching FIB entry. */
export const RTM_F_FIB_MATCH = 0x2000;

/** RTA_PREF values (ICMPV6_ROUTER_PREF_*) by name. */
export const ROUTE_PREF: Record<string, number> = { medium: 0, high: 1, low: 3 };
const PREF_NAMES: Record<number, string> = { 0: 'medium', 1: 'high', 3: 'low' };

/** One next hop of a multipath route. */
export interface NextHop {
  /** ifindex of the outgoing link. */
  oif: number;
  dev?: string;
  gateway?: string;
  via?: { family: number; address: string };
  /** Relative weight (rtnh_hops + 1), as `ip route … nexthop … weight W`. */
  weight: number;
  flags: string[];
  /** Next-hop attributes the schema does not know (realms, encapsulation …), as bytes. */
  unknown?: RawAttribute[];
}

/** Next-hop attributes (inside each rtnexthop). */
export const nexthopAttrSchema = defineSchema('route.nexthop', {
  [RTA.GATEWAY]: { name: 'gateway', type: 'ip' },
  [RTA.VIA]: { name: 'via', type: 'binary', decode: decodeVia },
});

/** Decodes RTA_MULTIPATH: a packed array of struct rtnexthop, each followed by attributes. */
export function decodeMultipath(b: Buffer, o: number, l: number): NextHop[] {
  const out: NextHop[] = [];
  const end = o + l;
  while (end - o >= 8) {
    const len = b.readUInt16LE(o);
    if (len < 8 || o + len > end) break;
    const hop: NextHop = { oif: b.readInt32LE(o + 4), weight: b[o + 3]! + 1, flags: bitNames(RTNH_F, b[o + 2]!) };
    out.push(decodeAttrs(nexthopAttrSchema, b, o + 8, o + len, hop));
    o += (len + 3) & ~3;
  }
  return out;
}

/**
 * Decodes a gateway-like address, reusing the previous string when the bytes repeat: most
 * routes of a dump share a handful of gateways and sources, and each fresh string is garbage
 * the collector must trace for as long as the routes live.
 */
function repeatedIp(): (b: Buffer, o: number, l: number) => string | undefined {
  let lastKey = -1;
  let last = '';
  return (b, o, l) => {
    if (l !== 4) return l === 16 ? formatIp(b, o, l) : undefined;
    const key = b.readUInt32LE(o);
    if (key !== lastKey) {
      lastKey = key;
      last = formatIp(b, o, 4);
    }
    return last;
  };
}

/** The RTM_NEWROUTE attribute table. */
export const routeSchema = defineSchema('route', {
  // dst and from are addresses here; decodeRoute turns them into prefixes with the rtmsg lengths.
  [RTA.DST]: { name: 'dst', type: 'ip' },
  [RTA.SRC]: { name: 'from', type: 'ip' },
  [RTA.IIF]: { name: 'iif', type: 'u32' },
  [RTA.OIF]: { name: 'oif', type: 'u32' },
  [RTA.GATEWAY]: { name: 'gateway', type: 'ip', decode: repeatedIp() },
  [RTA.PRIORITY]: { name: 'metric', type: 'u32' },
  [RTA.PREFSRC]: { name: 'src', type: 'ip', decode: repeatedIp() },
  [RTA.METRICS]: { name: 'metrics', type: 'nested', nested: metricsSchema },
  [RTA.MULTIPATH]: { name: 'multipath', type: 'binary', decode: decodeMultipath },
  [RTA.FLOW]: { name: 'realm', type: 'u32' },
  [RTA.CACHEINFO]: { name: 'cacheInfo', type: 'binary', decode: (b, o, l) => (l >= 32 ? { expires: b.readInt32LE(o + 8), used: b.readUInt32LE(o + 16), lastUse: b.readUInt32LE(o + 4) } : undefined) },
  [RTA.TABLE]: { name: 'table', type: 'u32' },
  [RTA.MARK]: { name: 'mark', type: 'u32' },
  [RTA.VIA]: { name: 'via', type: 'binary', decode: decodeVia },
  [RTA.PREF]: { name: 'pref', type: 'u8', decode: (b, o, l) => (l >= 1 ? PREF_NAMES[b[o]!] ?? String(b[o]) : undefined) },
  [RTA.ENCAP_TYPE]: { name: 'encapType', type: 'u16' },
  [RTA.ENCAP]: { name: 'encap', type: 'binary' },
  [RTA.EXPIRES]: { name: 'expires', type: 'u32' },
  [RTA.UID]: { name: 'uid', type: 'u32' },
  [RTA.TTL_PROPAGATE]: { name: 'ttlPropagate', type: 'u8' },
  [RTA.IP_PROTO]: { name: 'ipProto', type: 'u8' },
  [RTA.SPORT]: { name: 'sport', type: 'u16be' },
  [RTA.DPORT]: { name: 'dport', type: 'u16be' },
  [RTA.NH_ID]: { name: 'nhid', type: 'u32' },
});
