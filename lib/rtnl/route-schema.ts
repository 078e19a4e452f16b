/** RTA_* attributes, route metrics and next hops (linux/rtnetlink.h). */
import { defineSchema, forEachAttr, type AttrSpec } from '../wire/attributes';
import { formatIp } from '../wire/address';

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

/** Route metrics (RTA_METRICS), named as iproute2 names them. */
export type RouteMetrics = Partial<Record<keyof typeof RTAX | string, number | string>>;

/** RTA_METRICS children. */
export const metricsSchema = defineSchema(
  'route.metrics',
  Object.fromEntries(
    Object.entries(RTAX).map(([name, type]): [number, AttrSpec] => [type, { name, type: name === 'congctl' ? 'string' : 'u32' }]),
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
    const flags = b[o + 2]!;
    const hop: NextHop = { oif: b.readInt32LE(o + 4), weight: b[o + 3]! + 1, flags: RTNH_F.filter(([bit]) => flags & bit).map(([, n]) => n) };
    forEachAttr(b, o + 8, o + len, (type, at, alen) => {
      if (type === RTA.GATEWAY && (alen === 4 || alen === 16)) hop.gateway = formatIp(b, at, alen);
      else if (type === RTA.VIA) {
        const via = decodeVia(b, at, alen);
        if (via) hop.via = via;
      }
    }, 'route.multipath');
    out.push(hop);
    o += (len + 3) & ~3;
  }
  return out;
}

/** The RTM_NEWROUTE attribute table. */
export const routeSchema = defineSchema('route', {
  [RTA.DST]: { name: 'rtaDst', type: 'ip' },
  [RTA.SRC]: { name: 'rtaSrc', type: 'ip' },
  [RTA.IIF]: { name: 'iif', type: 'u32' },
  [RTA.OIF]: { name: 'oif', type: 'u32' },
  [RTA.GATEWAY]: { name: 'gateway', type: 'ip' },
  [RTA.PRIORITY]: { name: 'metric', type: 'u32' },
  [RTA.PREFSRC]: { name: 'prefsrc', type: 'ip' },
  [RTA.METRICS]: { name: 'metrics', type: 'nested', nested: metricsSchema },
  [RTA.MULTIPATH]: { name: 'multipath', type: 'binary', decode: decodeMultipath },
  [RTA.FLOW]: { name: 'realm', type: 'u32' },
  [RTA.CACHEINFO]: { name: 'cacheInfo', type: 'binary', decode: (b, o, l) => (l >= 32 ? { expires: b.readInt32LE(o + 8), used: b.readUInt32LE(o + 16), lastUse: b.readUInt32LE(o + 4) } : undefined) },
  [RTA.TABLE]: { name: 'rtaTable', type: 'u32' },
  [RTA.MARK]: { name: 'mark', type: 'u32' },
  [RTA.VIA]: { name: 'via', type: 'binary', decode: decodeVia },
  [RTA.PREF]: { name: 'pref', type: 'u8', decode: (b, o, l) => (l >= 1 ? ({ 0: 'medium', 1: 'high', 3: 'low' } as Record<number, string>)[b[o]!] ?? String(b[o]) : undefined) },
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
