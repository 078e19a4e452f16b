/**
 * rt.route: the routing tables (IPv4 and IPv6): add, replace, append, del, list, get.
 */
import { NetlinkError, ValidationError } from '../../errors';
import { familyNumber, ipv4Value, parseCidr, parseCidr4, parseIp, type FamilyName } from '../../wire/address';
import { AF_INET, AF_INET6, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE } from '../../wire/constants';
import { RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE } from '../constants';
import { MessageWriter, type AttrTable } from '../../wire/message-writer';
import { RTMSG_SIZE, writeRtMsg } from '../structs';
import { applyChange, linkAttr, linkIndex, specObject, submit, uint, type LinkField, type PreparedRequest } from '../request/prepare';
import type { Decoder, Engine } from '../../core/engine';
import { callSignal, checkKeys, type CallOptions } from '../../core/options';
import type { LinkApi } from '../link/link';
import type { LinkRef } from '../request/link-ref';
import { RT_SCOPE, RT_TABLE, RT_TABLE_MAIN, RTN, RTPROT_BOOT, routeProtocols, routeTypes, scopes, tableId, type TableRef } from '../request/names';

export { tableId, type TableRef };
import { decodeRoute, decodeRouteNamed, nameDevs, type Route } from './route-decode';
import { joinLists } from '../request/join-lists';
import { namingDecoder } from '../request/dump-names';
import {
  lockMask, RTA, RTAX, ROUTE_PREF, RTM_F_FIB_MATCH, RTM_F_LOOKUP_TABLE, RTNH_F_ONLINK,
  type RouteMetrics,
} from './route-schema';

/** Route types a caller may ask for. */
export type RouteType =
  | 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'blackhole' | 'unreachable'
  | 'prohibit' | 'throw' | 'nat';

/** One next hop of a multipath route (`nexthop via G dev D weight W [onlink]`). */
export interface NextHopSpec {
  gateway?: string;
  dev?: LinkRef;
  /** 1–256; default 1. */
  weight?: number;
  onlink?: boolean;
}

/** Metrics a route may carry (`mtu`, `advmss`, `window` …, in the kernel's units). */
export type RouteMetricsSpec = RouteMetrics;

/**
 * A route to add, replace, append or delete. Names follow `ip route add`; a Route from
 * `list()` has the same shape, so it can be passed back to `del()`.
 */
export interface RouteSpec {
  /** 'default', a prefix ('10.1.0.0/16', '2001:db8::/32') or an address (host route). */
  dst: string;
  /** Needed only for 'default' without a gateway (IPv4 otherwise). */
  family?: FamilyName;
  /** Next hop, of the same family as dst (`via`). */
  gateway?: string;
  /** Outgoing link (`dev`). */
  dev?: LinkRef;
  /** Preferred source address (`src`; RTA_PREFSRC). */
  src?: string;
  /** Source prefix (`from`; RTA_SRC, IPv6 subtrees). */
  from?: string;
  /** Table id or name (`table`); ids above 255 go in RTA_TABLE. Default main (local for local/broadcast/anycast/nat). */
  table?: TableRef;
  /** Priority (`metric`). */
  metric?: number;
  /** Scope name or number; default as iproute2: link for a unicast route without gateway, host for local. */
  scope?: string | number;
  /** Protocol name or number (`proto`); default 'boot' for add. */
  protocol?: string | number;
  /** Route type; default 'unicast'. */
  type?: RouteType | number;
  /** Type of service / DSCP byte (`tos`). */
  tos?: number;
  /** Gateway is on-link even without a matching prefix (`onlink`). */
  onlink?: boolean;
  /** Equal-cost or weighted next hops (RTA_MULTIPATH). */
  multipath?: NextHopSpec[];
  /** Route metrics (RTA_METRICS). */
  metrics?: RouteMetricsSpec;
  /** Shortcut for metrics.mtu (`mtu`). */
  mtu?: number;
  /** IPv6 router preference (`pref`). */
  pref?: 'low' | 'medium' | 'high';
  /** Nexthop object id (`nhid`, from `ip nexthop`). */
  nhid?: number;
  /** IPv6: seconds until the route expires (`expires`). */
  expires?: number;
  /** Realm (`realm`, RTA_FLOW). */
  realm?: number;
}

/** Options of `rt.route.list()`. */
export interface RouteListOptions {
  /** Table to list; default 'main' (as `ip route show`); 'all' for every table. */
  table?: TableRef;
  /** Family; default both IPv4 and IPv6. */
  family?: FamilyName;
  /** Only routes out of this link (filtered in the kernel). */
  dev?: LinkRef;
  /** Only routes of this protocol (filtered in the kernel). */
  protocol?: string | number;
  /** Only routes of this type (filtered in the kernel). */
  type?: RouteType | number;
  /** Resolve `dev` names of routes (one extra link dump). Default true. */
  names?: boolean;
}

/** Options of `rt.route.get()` (`ip route get ADDR from … iif … oif … mark …`). */
export interface RouteGetOptions {
  /** Source address of the flow (`from`). */
  from?: string;
  /** Input link: look up as if the packet came in here (`iif`). */
  iif?: LinkRef;
  /** Output link (`oif`). */
  oif?: LinkRef;
  /** Firewall mark (`mark`). */
  mark?: number;
  /** UID of the flow (`uid`). */
  uid?: number;
  tos?: number;
  /** IP protocol number and ports (`ipproto`, `sport`, `dport`). */
  ipProto?: number;
  sport?: number;
  dport?: number;
  /** Return the FIB entry that matched rather than the resulting route (`fibmatch`). */
  fibMatch?: boolean;
  /** Resolve `dev` names (one link lookup). Default true. */
  names?: boolean;
}

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWROUTE ? decodeRoute(buf, off, len) : undefined);


/** What a route change does: its message type and flags (as `ip route add|replace|append|del`). */
export type RouteChange = 'add' | 'replace' | 'append' | 'del';

const CHANGE_FLAGS: Record<RouteChange, number> = {
  add: NLM_F_CREATE | NLM_F_EXCL,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
  append: NLM_F_CREATE | NLM_F_APPEND,
  del: 0,
};

const OPERATIONS: Record<RouteChange, string> = { add: 'route.add', replace: 'route.replace', append: 'route.append', del: 'route.del' };


interface ParsedHop {
  gateway?: Buffer;
  weight: number;
  onlink: boolean;
  dev?: LinkRef;
}

/** Length of one struct rtnexthop with its attributes (only RTA_GATEWAY here). */
function hopLength(h: ParsedHop): number {
  return 8 + (h.gateway ? 4 + h.gateway.length : 0);
}

/** The family of the first address that is set, if any (parse errors name their field). */
function firstFamily(candidates: [string, string | undefined][]): number | undefined {
  for (const [field, v] of candidates) if (v !== undefined) return parseIp(v, field).family;
  return undefined;
}

/** Top-level RTA_* types → the RouteSpec field that sets them (to name extack offsets). */
const ROUTE_ATTRS: AttrTable = {
  headerSize: RTMSG_SIZE,
  fields: {
    [RTA.DST]: 'dst', [RTA.SRC]: 'from', [RTA.GATEWAY]: 'gateway', [RTA.OIF]: 'dev', [RTA.PREFSRC]: 'src',
    [RTA.PRIORITY]: 'metric', [RTA.TABLE]: 'table', [RTA.METRICS]: 'metrics', [RTA.MULTIPATH]: 'multipath',
    [RTA.FLOW]: 'realm', [RTA.NH_ID]: 'nhid', [RTA.PREF]: 'pref', [RTA.EXPIRES]: 'expires',
  },
};

const METRIC_NAMES = Object.keys(RTAX).filter((n) => n !== 'lock');

/**
 * Keys a route change accepts: the RouteSpec fields, and the fields a Route from `list()` or
 * `get()` carries (ignored on a change), so a listed route can be handed back to `del()`.
 */
const ROUTE_KEYS = new Set([
  'dst', 'family', 'gateway', 'dev', 'src', 'from', 'table', 'metric', 'scope', 'protocol', 'type', 'tos', 'onlink',
  'multipath', 'metrics', 'mtu', 'pref', 'nhid', 'expires', 'realm',
  'dstLen', 'fromLen', 'tableName', 'via', 'oif', 'iif', 'iifName', 'flags', 'mark', 'uid', 'cacheInfo',
  'ttlPropagate', 'ipProto', 'sport', 'dport', 'encapType', 'encap', 'unknown',
]);
/** Keys of one next hop (NextHopSpec, and the decoded hop's fields). */
const HOP_KEYS = new Set(['gateway', 'dev', 'weight', 'onlink', 'oif', 'flags', 'via', 'realm', 'encapType', 'encap', 'unknown']);
const ROUTE_LIST_KEYS = ['table', 'family', 'dev', 'protocol', 'type', 'names'];
const ROUTE_GET_KEYS = ['from', 'iif', 'oif', 'mark', 'uid', 'tos', 'ipProto', 'sport', 'dport', 'fibMatch', 'names'];

/** Validates a route change; nothing is sent. Used by add/replace/append/del and rt.batch(). */
export function prepareRoute(change: RouteChange, spec: RouteSpec): PreparedRequest {
  specObject(spec, 'route');
  checkKeys(spec, ROUTE_KEYS, '');
  const isDel = change === 'del';
  let family = familyNumber(spec.family);
  let dst: Buffer | undefined;
  // IPv4 dst and gateway go on the wire as numbers: a bulk add parses 100 000 of each, and a
  // Buffer per address was a good part of its cost.
  let dst4 = -1;
  let dstLen = 0;
  if (spec.dst === undefined) throw new ValidationError('dst', "a destination is required ('default' for the default route)");
  if (spec.dst !== 'default') {
    const c4 = family !== AF_INET6 && typeof spec.dst === 'string' ? parseCidr4(spec.dst, 'dst') : null;
    if (c4) {
      family = AF_INET;
      dst4 = c4.value;
      dstLen = c4.prefixLen;
    } else {
      const c = parseCidr(spec.dst, 'dst', family);
      family = c.family;
      dst = c.bytes;
      dstLen = c.prefixLen;
    }
  }
  // 'default' takes its family from the first address given (gateway, src …), else IPv4.
  const fam = family ?? firstFamily([
    ['gateway', spec.gateway], ['src', spec.src], ['multipath.0.gateway', Array.isArray(spec.multipath) ? spec.multipath[0]?.gateway : undefined],
  ]) ?? AF_INET;
  const gateway4 = fam === AF_INET && typeof spec.gateway === 'string' ? ipv4Value(spec.gateway) : -1;
  const gateway = spec.gateway !== undefined && gateway4 < 0 ? parseIp(spec.gateway, 'gateway', fam).bytes : undefined;
  const src = spec.src !== undefined ? parseIp(spec.src, 'src', fam).bytes : undefined;
  let from: Buffer | undefined;
  let fromLen = 0;
  if (spec.from !== undefined) {
    const c = parseCidr(spec.from, 'from', fam);
    from = c.bytes;
    fromLen = c.prefixLen;
  }
  const type = spec.type !== undefined ? routeTypes.number(spec.type, 'type') : isDel ? 0 : RTN.unicast;
  const localish = type === RTN.local || type === RTN.broadcast || type === RTN.anycast || type === RTN.nat;
  const table = spec.table !== undefined ? tableId(spec.table) : localish ? RT_TABLE.local : RT_TABLE_MAIN;
  if (table === 0 && spec.table !== undefined) throw new ValidationError('table', "a change needs one table, not 'all'");
  const protocol = spec.protocol !== undefined ? routeProtocols.number(spec.protocol, 'protocol') : isDel ? 0 : RTPROT_BOOT;
  const metric = spec.metric !== undefined ? uint(spec.metric, 'metric') : undefined;
  const tos = spec.tos !== undefined ? uint(spec.tos, 'tos', 255) : 0;
  const nhid = spec.nhid !== undefined ? uint(spec.nhid, 'nhid') : undefined;
  const realm = spec.realm !== undefined ? uint(spec.realm, 'realm') : undefined;

  let hops: ParsedHop[] | undefined;
  if (spec.multipath !== undefined) {
    if (!Array.isArray(spec.multipath) || spec.multipath.length === 0) throw new ValidationError('multipath', 'expected a non-empty array of next hops');
    hops = spec.multipath.map((h, i) => {
      const at = `multipath.${i}`;
      checkKeys(h, HOP_KEYS, at);
      const hop: ParsedHop = {
        weight: h.weight !== undefined ? uint(h.weight, `${at}.weight`, 256) : 1,
        onlink: !!h.onlink,
      };
      if (hop.weight < 1) throw new ValidationError(`${at}.weight`, 'weight must be 1–256');
      if (h.gateway !== undefined) hop.gateway = parseIp(h.gateway, `${at}.gateway`, fam).bytes;
      if (h.dev !== undefined) hop.dev = h.dev; // validated as it is written
      if (!hop.gateway && hop.dev === undefined) throw new ValidationError(at, 'a next hop needs a gateway or a dev');
      return hop;
    });
  }

  let scope: number;
  if (spec.scope !== undefined) scope = scopes.number(spec.scope, 'scope');
  else if (isDel) scope = RT_SCOPE.nowhere; // matches any scope
  else if (type === RTN.local || type === RTN.nat) scope = RT_SCOPE.host;
  else if (type === RTN.broadcast || type === RTN.multicast || type === RTN.anycast) scope = RT_SCOPE.link;
  else if (type === RTN.unicast && !gateway && gateway4 < 0 && !hops && nhid === undefined) scope = RT_SCOPE.link;
  else scope = RT_SCOPE.global;

  let pref: number | undefined;
  if (spec.pref !== undefined) {
    if (fam !== AF_INET6) throw new ValidationError('pref', 'router preference is IPv6-only');
    pref = ROUTE_PREF[spec.pref];
    if (pref === undefined) throw new ValidationError('pref', "expected 'low', 'medium' or 'high'");
  }
  let expires: number | undefined;
  if (spec.expires !== undefined) {
    if (fam !== AF_INET6) throw new ValidationError('expires', 'route expiry is IPv6-only');
    expires = uint(spec.expires, 'expires');
  }

  // Metrics: u32 values by RTAX number, congctl as a string, lock as a bitmask.
  const metrics: [number, number | string][] = [];
  if (spec.metrics !== undefined) specObject(spec.metrics, 'metrics');
  const m: RouteMetricsSpec | undefined = spec.mtu !== undefined ? { ...spec.metrics, mtu: spec.mtu } : spec.metrics;
  for (const key of m ? (Object.keys(m) as (keyof RouteMetrics)[]) : []) {
    const v = m![key];
    if (v === undefined) continue;
    const field = key === 'mtu' && spec.mtu !== undefined ? 'mtu' : `metrics.${key}`;
    if (key === 'lock') metrics.push([RTAX.lock!, lockMask(v, field)]);
    else if (key === 'congctl') {
      if (typeof v !== 'string' || !v) throw new ValidationError(field, 'expected a congestion control name');
      metrics.push([RTAX.congctl!, v]);
    } else if (RTAX[key] !== undefined) metrics.push([RTAX[key]!, uint(v, field)]);
    else throw new ValidationError(`metrics.${key}`, `unknown metric (known: ${METRIC_NAMES.join(', ')})`);
  }

  const flags = spec.onlink ? RTNH_F_ONLINK : 0;
  const links: LinkField[] = [];
  const w = new MessageWriter(isDel ? RTM_DELROUTE : RTM_NEWROUTE, CHANGE_FLAGS[change], 128);
  // Attribute names for extack are derived only on error (ROUTE_FIELDS), not kept per message.
  w.struct(RTMSG_SIZE, (b, at) => writeRtMsg(b, at, {
    family: fam, dstLen, srcLen: fromLen, tos, table: table > 255 ? 0 : table, protocol, scope, type, flags,
  }));
  if (table > 255) w.u32(RTA.TABLE, table);
  if (dst4 >= 0) w.u32be(RTA.DST, dst4);
  else if (dst) w.bytes(RTA.DST, dst);
  if (from) w.bytes(RTA.SRC, from);
  if (gateway4 >= 0) w.u32be(RTA.GATEWAY, gateway4);
  else if (gateway) w.bytes(RTA.GATEWAY, gateway);
  if (spec.dev !== undefined) w.u32(RTA.OIF, linkIndex(links, 'dev', spec.dev, w.offset + 4));
  if (src) w.bytes(RTA.PREFSRC, src);
  if (metric !== undefined) w.u32(RTA.PRIORITY, metric);
  if (realm !== undefined) w.u32(RTA.FLOW, realm);
  if (nhid !== undefined) w.u32(RTA.NH_ID, nhid);
  if (pref !== undefined) w.u8(RTA.PREF, pref);
  if (expires !== undefined) w.u32(RTA.EXPIRES, expires);
  if (metrics.length) {
    w.nestStart(RTA.METRICS, undefined, true);
    for (const [t, v] of metrics) {
      if (typeof v === 'string') w.string(t, v);
      else w.u32(t, v);
    }
    w.nestEnd();
  }
  if (hops) {
    // RTA_MULTIPATH is a packed array of struct rtnexthop, each followed by its attributes.
    w.nestStart(RTA.MULTIPATH, undefined, true);
    hops.forEach((h, i) => {
      const ifindex = h.dev !== undefined ? linkIndex(links, `multipath.${i}.dev`, h.dev, w.offset + 4) : 0;
      w.struct(8, (b, at) => {
        b.writeUInt16LE(hopLength(h), at);
        b.writeUInt8(h.onlink ? RTNH_F_ONLINK : 0, at + 2);
        b.writeUInt8(h.weight - 1, at + 3);
        b.writeInt32LE(ifindex, at + 4);
      });
      if (h.gateway) w.bytes(RTA.GATEWAY, h.gateway);
    });
    w.nestEnd();
  }
  return { operation: OPERATIONS[change], msg: w.finish(ROUTE_ATTRS), links };
}

/** Route operations of one rtnetlink handle. */
export class RouteApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  /**
   * Adds a route; EEXIST if the same route is already there.
   * Equivalent to: ip route add [TYPE] DST [via GW] [dev D] [src S] [from F] [table T]
   *                [metric M] [scope S] [proto P] [onlink] [mtu N …] [pref P] [nhid N]
   *                [nexthop via G dev D weight W …]
   */
  add(spec: RouteSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareRoute, 'add', spec, opts);
  }

  /**
   * Adds a route or replaces the one with the same key (dst, table, tos, metric).
   * Equivalent to: ip route replace …
   */
  replace(spec: RouteSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareRoute, 'replace', spec, opts);
  }

  /**
   * Adds a route after existing ones with the same key (IPv6: adds a next hop to a multipath route).
   * Equivalent to: ip route append …
   */
  append(spec: RouteSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareRoute, 'append', spec, opts);
  }

  /**
   * Deletes the first route matching every field given (unset type, protocol and scope match
   * any); NetlinkError 'ESRCH' when none does.
   * Equivalent to: ip route del DST [via GW] [dev D] [table T] [metric M] …
   */
  del(spec: RouteSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareRoute, 'del', spec, opts);
  }

  /**
   * Lists routes, filtered in the kernel by table, family, outgoing link, protocol and type
   * (strict check).
   * Equivalent to: ip [-4|-6] route show table T [dev D] [proto P] [type T]
   */
  async list(filter: RouteListOptions = {}, opts?: CallOptions): Promise<Route[]> {
    checkKeys(filter, ROUTE_LIST_KEYS, 'filter');
    const signal = callSignal(opts);
    const table = tableId(filter.table);
    const families = filter.family !== undefined ? [familyNumber(filter.family)!] : [AF_INET, AF_INET6];
    const protocol = filter.protocol !== undefined ? routeProtocols.number(filter.protocol, 'protocol') : 0;
    const type = filter.type !== undefined ? routeTypes.number(filter.type, 'type') : 0;
    const names = filter.names !== false ? this.links.names(signal ? { signal } : {}) : undefined;
    // Keep the link dump from rejecting unobserved while the dev lookup and route dumps run.
    names?.catch(() => {});
    const naming = names && namingDecoder(names, RTM_NEWROUTE, decodeRouteNamed);
    const oif = filter.dev !== undefined ? await this.links.resolver.resolve(filter.dev, 'dev') : undefined;
    const settled = await Promise.allSettled(families.map((f) => this.dump(f, table, oif, protocol, type, naming ? naming.decode : decode, signal)));
    // A table that exists for one family only is not an error when both were asked for.
    const missing = (r: PromiseSettledResult<Route[]>) => r.status === 'rejected' && r.reason instanceof NetlinkError && r.reason.code === 'ENOENT';
    const failed = settled.find((r) => r.status === 'rejected' && !(families.length > 1 && missing(r) && !settled.every(missing)));
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const byIndex = await names;
    // The dumps' own arrays, joined without a copy when one family has (nearly) every route.
    const routes = joinLists(settled.map((r) => (r.status === 'fulfilled' ? r.value : [])));
    if (byIndex && naming?.someUnnamed()) for (const r of routes) nameDevs(r, byIndex);
    return routes;
  }

  private dump(family: number, table: number, oif: number | undefined, protocol: number, type: number, decodeWith: Decoder<Route>, signal?: AbortSignal): Promise<Route[]> {
    const w = new MessageWriter(RTM_GETROUTE, NLM_F_DUMP);
    w.struct(RTMSG_SIZE, (b, at) => writeRtMsg(b, at, { family, table: table > 255 ? 0 : table, protocol, type }));
    if (table !== 0) w.u32(RTA.TABLE, table, 'table');
    if (oif !== undefined) w.u32(RTA.OIF, oif, 'dev');
    return this.engine.request(w.finish(), { operation: 'route.list', dump: true, decode: decodeWith, ...(signal ? { signal } : {}) });
  }

  /**
   * Asks the kernel which route a packet to `dst` would take (rules, tables, metrics and all).
   * Equivalent to: ip route get ADDR [from F] [iif I] [oif O] [mark M] [uid U] [fibmatch]
   */
  async get(dst: string, spec: RouteGetOptions = {}, callOpts?: CallOptions): Promise<Route> {
    checkKeys(spec, ROUTE_GET_KEYS, '');
    const signal = callSignal(callOpts);
    const opts = spec;
    const d = parseIp(dst, 'dst');
    const fam = d.family;
    const from = opts.from !== undefined ? parseIp(opts.from, 'from', fam).bytes : undefined;
    const mark = opts.mark !== undefined ? uint(opts.mark, 'mark') : undefined;
    const uid = opts.uid !== undefined ? uint(opts.uid, 'uid') : undefined;
    const tos = opts.tos !== undefined ? uint(opts.tos, 'tos', 255) : 0;
    const ipProto = opts.ipProto !== undefined ? uint(opts.ipProto, 'ipProto', 255) : undefined;
    const sport = opts.sport !== undefined ? uint(opts.sport, 'sport', 0xffff) : undefined;
    const dport = opts.dport !== undefined ? uint(opts.dport, 'dport', 0xffff) : undefined;
    const links: LinkField[] = [];
    const w = new MessageWriter(RTM_GETROUTE, 0, 128);
    w.struct(RTMSG_SIZE, (b, at) => writeRtMsg(b, at, {
      family: fam, dstLen: fam === AF_INET ? 32 : 128, srcLen: from ? (fam === AF_INET ? 32 : 128) : 0, tos,
      // IPv4 reports the table the lookup used on request; IPv6 refuses any flag but fibmatch.
      flags: (fam === AF_INET ? RTM_F_LOOKUP_TABLE : 0) | (opts.fibMatch ? RTM_F_FIB_MATCH : 0),
    }));
    w.bytes(RTA.DST, d.bytes, 'dst');
    if (from) w.bytes(RTA.SRC, from, 'from');
    if (opts.iif !== undefined) linkAttr(w, links, RTA.IIF, 'iif', opts.iif);
    if (opts.oif !== undefined) linkAttr(w, links, RTA.OIF, 'oif', opts.oif);
    if (mark !== undefined) w.u32(RTA.MARK, mark, 'mark');
    if (uid !== undefined) w.u32(RTA.UID, uid, 'uid');
    if (ipProto !== undefined) w.u8(RTA.IP_PROTO, ipProto, 'ipProto');
    if (sport !== undefined) w.u16be(RTA.SPORT, sport, 'sport');
    if (dport !== undefined) w.u16be(RTA.DPORT, dport, 'dport');
    const prep: PreparedRequest<Route> = { operation: 'route.get', msg: w.finish(), links, decode };
    const [route] = await submit(this.engine, this.links.resolver, prep, signal);
    if (!route) throw new Error('route.get: the kernel acknowledged without a reply');
    if (opts.names !== false) {
      const wanted = new Set<number>();
      if (route.oif) wanted.add(route.oif);
      if (route.iif) wanted.add(route.iif);
      for (const hop of route.multipath ?? []) if (hop.oif) wanted.add(hop.oif);
      const names = new Map<number, string>();
      await Promise.all([...wanted].map(async (i) => {
        try {
          names.set(i, (await this.links.get(i, {}, signal ? { signal } : {})).name);
        } catch {
          // A link that vanished since the lookup just stays unnamed.
        }
      }));
      nameDevs(route, names);
      if (route.iif !== undefined && names.has(route.iif)) route.iifName = names.get(route.iif)!;
    }
    return route;
  }
}

export { nameDevs } from './route-decode';
