/** RTM_NEWROUTE/RTM_DELROUTE → Route (list, get, monitor). */
import { schemaDecoder, type RawAttribute } from '../../wire/attributes';
import { familyName, formatPrefix } from '../../wire/address';
import { NLMSG_HDRLEN } from '../../wire/constants';
import { RTMSG_SIZE, readRtMsg } from '../structs';
import { routeSchema, RTM_F, RTNH_F, type NextHop, type RouteMetrics } from './route-schema';
import { bitNames, routeProtocols, routeTables, routeTypes, scopes } from '../request/names';

/**
 * A route as the kernel describes it. Field names follow `ip route add` words, so a listed
 * route can be handed back to `del`/`replace`: `src` is the preferred source (RTA_PREFSRC,
 * `ip -j` prints it as "prefsrc"), `from` the source prefix (RTA_SRC).
 */
export interface Route {
  family: 'inet' | 'inet6' | string;
  /** 'default', 'a.b.c.d/len', or a bare address for a host route (as `ip route` prints it). */
  dst: string;
  dstLen: number;
  /** Source prefix (`from`; IPv6 subtrees, `ip route get … from`), when set. */
  from?: string;
  fromLen?: number;
  /** Table id (RTA_TABLE when present, so ids above 255 are exact). */
  table: number;
  /** 'main', 'local', 'default' or the id as text. */
  tableName: string;
  /** 'kernel', 'boot', 'static', 'dhcp', 'ra' … */
  protocol: string;
  /** 'global', 'link', 'host' … */
  scope: string;
  /** 'unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'multicast' … */
  type: string;
  tos: number;
  gateway?: string;
  via?: { family: number; address: string };
  /** ifindex of the outgoing link. */
  oif?: number;
  /** Name of the outgoing link (resolved by list/get unless disabled). */
  dev?: string;
  iif?: number;
  /** Name of the input link (`ip route get … iif`), when resolved. */
  iifName?: string;
  /** Priority (`metric`). */
  metric?: number;
  /** Preferred source address (RTA_PREFSRC; `src` in `ip route add`). */
  src?: string;
  /** rtm_flags and next-hop flags ('onlink', 'linkdown', 'cloned' …). */
  flags: string[];
  multipath?: NextHop[];
  metrics?: RouteMetrics;
  /** IPv6 router preference: 'low' | 'medium' | 'high'. */
  pref?: string;
  mark?: number;
  uid?: number;
  nhid?: number;
  /** Seconds until an IPv6 route expires (`expires`). */
  expires?: number;
  realm?: number;
  cacheInfo?: { expires: number; used: number; lastUse: number };
  ttlPropagate?: number;
  ipProto?: number;
  sport?: number;
  dport?: number;
  encapType?: number;
  encap?: Buffer;
  unknown?: RawAttribute[];
}

/** rtm_flags carries the next-hop flags in its low byte, named first as iproute2 does. */
const ROUTE_FLAGS = [...RTNH_F, ...RTM_F];

/** clock_t ticks per second in netlink's rta_cacheinfo (fixed by the ABI). */
const USER_HZ = 100;

// Table ids repeat across a dump; naming an unnamed one allocates, so remember the last.
let lastTable = -1;
let lastTableName = '';
function tableName(id: number): string {
  if (id !== lastTable) {
    lastTable = id;
    lastTableName = routeTables.name(id);
  }
  return lastTableName;
}

/**
 * A number → name lookup that remembers its last answer: within a dump, protocol, scope and
 * type are the same from one route to the next, and even a Map lookup per field per route
 * showed in profiles.
 */
function lastName(table: { name(n: number): string }): (n: number) => string {
  let last = -1;
  let name = '';
  return (n) => {
    if (n !== last) {
      last = n;
      name = table.name(n);
    }
    return name;
  };
}
const protocolName = lastName(routeProtocols);
const decodeRouteAttrs = schemaDecoder(routeSchema);
const scopeName = lastName(scopes);
const typeName = lastName(routeTypes);

/** Decodes one route message. */
export function decodeRoute(buf: Buffer, off: number, len: number): Route {
  const at = off + NLMSG_HDRLEN;
  // The fields are read in place (a dump decodes 100 000 of these), after the length check.
  if (len - NLMSG_HDRLEN < RTMSG_SIZE) readRtMsg(buf, at, len - NLMSG_HDRLEN);
  const family = buf[at]!;
  const dstLen = buf[at + 1]!;
  const srcLen = buf[at + 2]!;
  const rtmFlags = buf.readUInt32LE(at + 8);
  // Attributes land directly on the route (schema names are Route's names; RTA_TABLE
  // overrides the 8-bit rtm_table), then dst/from become prefixes using the header's lengths.
  const route: any = {
    family: familyName(family),
    dst: '',
    dstLen,
    table: buf[at + 4]!,
    tableName: '',
    protocol: protocolName(buf[at + 5]!),
    scope: scopeName(buf[at + 6]!),
    type: typeName(buf[at + 7]!),
    tos: buf[at + 3]!,
    flags: rtmFlags === 0 ? [] : bitNames(ROUTE_FLAGS, rtmFlags),
  };
  decodeRouteAttrs(buf, at + RTMSG_SIZE, off + len, route);
  route.dst = formatPrefix(route.dst || undefined, dstLen, family) ?? 'default';
  if (srcLen || route.from !== undefined) {
    route.from = formatPrefix(route.from, srcLen, family);
    route.fromLen = srcLen;
  }
  route.tableName = tableName(route.table);
  // Dumps carry an IPv6 route's lifetime in RTA_CACHEINFO (clock_t, USER_HZ = 100), not RTA_EXPIRES.
  if (route.expires === undefined && route.cacheInfo?.expires > 0) route.expires = Math.trunc(route.cacheInfo.expires / USER_HZ);
  return route as Route;
}
