/** RTM_NEWROUTE/RTM_DELROUTE → Route (list, get, monitor). */
import { schemaDecoder, type RawAttribute } from '../../wire/attributes';
import { familyName, formatPrefix } from '../../wire/address';
import { NLMSG_HDRLEN } from '../../wire/constants';
import { RTMSG_SIZE, readRtMsg } from '../structs';
import { routeSchema, RTM_F, RTNH_F, type NextHop, type RouteMetrics } from './route-schema';
import { routeProtocols, routeTables, routeTypes, scopes } from '../request/names';
import { bitNamesCopier, lastName } from '../request/dump-names';

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

const protocolName = lastName(routeProtocols);
// Compiled on the first route decoded, not at load (a process that never lists routes skips it).
let decodeRouteAttrs: ReturnType<typeof schemaDecoder> | undefined;
const scopeName = lastName(scopes);
const typeName = lastName(routeTypes);
const familyOf = lastName({ name: familyName });
const flagNames = bitNamesCopier(ROUTE_FLAGS);

/**
 * A route's fixed part, built by `new`: V8 sizes objects made by a constructor for the fields
 * they end up with (slack tracking), so the attributes the decoder adds next (gateway, oif,
 * dev …) land inside the object rather than in a second, separately allocated property array.
 * The prototype is Object.prototype: the result is a plain object, as a literal would make.
 */
function RouteObject(this: Route, family: string, dstLen: number, table: number, protocol: string, scope: string, type: string, tos: number, flags: string[]): void {
  this.family = family;
  this.dst = '';
  this.dstLen = dstLen;
  this.table = table;
  this.tableName = '';
  this.protocol = protocol;
  this.scope = scope;
  this.type = type;
  this.tos = tos;
  this.flags = flags;
}
RouteObject.prototype = Object.prototype;
const newRoute = RouteObject as unknown as new (...a: Parameters<typeof RouteObject>) => Route;

/** Decodes one route message. */
export function decodeRoute(buf: Buffer, off: number, len: number): Route {
  return decodeRouteNamed(buf, off, len, undefined);
}

/**
 * decodeRoute that also names the outgoing links (`dev`, each multipath hop's `dev`) from
 * `names` (ifindex → name), as the last fields, as a pass after the dump would: the list
 * call's decoder, so 100 000 routes are not walked (and reshaped) a second time.
 */
export function decodeRouteNamed(buf: Buffer, off: number, len: number, names: ReadonlyMap<number, string> | undefined): Route {
  const at = off + NLMSG_HDRLEN;
  // The fields are read in place (a dump decodes 100 000 of these), after the length check.
  if (len - NLMSG_HDRLEN < RTMSG_SIZE) readRtMsg(buf, at, len - NLMSG_HDRLEN);
  const family = buf[at]!;
  const dstLen = buf[at + 1]!;
  const srcLen = buf[at + 2]!;
  const rtmFlags = (buf[at + 8]! | (buf[at + 9]! << 8) | (buf[at + 10]! << 16)) + buf[at + 11]! * 0x100_0000;
  // Attributes land directly on the route (schema names are Route's names; RTA_TABLE
  // overrides the 8-bit rtm_table), then dst/from become prefixes using the header's lengths.
  const route: any = new newRoute(
    familyOf(family), dstLen, buf[at + 4]!, protocolName(buf[at + 5]!), scopeName(buf[at + 6]!), typeName(buf[at + 7]!),
    buf[at + 3]!, flagNames(rtmFlags),
  );
  (decodeRouteAttrs ??= schemaDecoder(routeSchema))(buf, at + RTMSG_SIZE, off + len, route);
  route.dst = formatPrefix(route.dst || undefined, dstLen, family) ?? 'default';
  if (srcLen || route.from !== undefined) {
    route.from = formatPrefix(route.from, srcLen, family);
    route.fromLen = srcLen;
  }
  route.tableName = tableName(route.table);
  // Dumps carry an IPv6 route's lifetime in RTA_CACHEINFO (clock_t, USER_HZ = 100), not RTA_EXPIRES.
  if (route.expires === undefined && route.cacheInfo?.expires > 0) route.expires = Math.trunc(route.cacheInfo.expires / USER_HZ);
  if (names !== undefined) nameDevs(route, names);
  return route as Route;
}

/** Names a route's outgoing links (`dev`, and each multipath hop's) from ifindex → name. */
export function nameDevs(r: Route, names: ReadonlyMap<number, string>): void {
  if (r.oif !== undefined) {
    const n = names.get(r.oif);
    if (n !== undefined) r.dev = n;
  }
  if (r.multipath) {
    for (const hop of r.multipath) {
      const n = names.get(hop.oif);
      if (n !== undefined) hop.dev = n;
    }
  }
}
