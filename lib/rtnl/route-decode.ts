/** RTM_NEWROUTE/RTM_DELROUTE → Route (list, get, monitor). */
import { decodeAttrs, type RawAttribute } from '../wire/attributes';
import { familyName } from '../wire/address';
import { AF_INET, AF_INET6, NLMSG_HDRLEN } from '../wire/constants';
import { RTMSG_SIZE, readRtMsg } from '../wire/structs';
import { routeSchema, RTNH_F, type NextHop, type RouteMetrics } from './route-schema';
import { routeProtocols, routeTables, routeTypes, scopes } from './names';

/** A route as the kernel describes it. */
export interface Route {
  family: 'inet' | 'inet6' | string;
  /** 'default', 'a.b.c.d/len', or a bare address for a host route (as `ip route` prints it). */
  dst: string;
  dstLen: number;
  /** Source prefix (IPv6 subtrees, `from`), when set. */
  src?: string;
  srcLen?: number;
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
  metric?: number;
  prefsrc?: string;
  /** rtm_flags and next-hop flags ('onlink', 'linkdown' …). */
  flags: string[];
  multipath?: NextHop[];
  metrics?: RouteMetrics;
  pref?: string;
  mark?: number;
  uid?: number;
  nhid?: number;
  expires?: number;
  realm?: number;
  cacheInfo?: { expires: number; used: number; lastUse: number };
  encapType?: number;
  encap?: Buffer;
  unknown?: RawAttribute[];
}

function prefixText(addr: string | undefined, len: number, family: number): string {
  if (len === 0 && !addr) return 'default';
  if (!addr) return family === AF_INET6 ? `::/${len}` : `0.0.0.0/${len}`;
  const max = family === AF_INET ? 32 : family === AF_INET6 ? 128 : -1;
  return len === max ? addr : `${addr}/${len}`;
}

/** Decodes one route message. */
export function decodeRoute(buf: Buffer, off: number, len: number): Route {
  const hdr = readRtMsg(buf, off + NLMSG_HDRLEN, len - NLMSG_HDRLEN);
  const raw: any = decodeAttrs(routeSchema, buf, off + NLMSG_HDRLEN + RTMSG_SIZE, off + len);
  const table = raw.rtaTable ?? hdr.table;
  const route: Route = {
    family: familyName(hdr.family),
    dst: prefixText(raw.rtaDst, hdr.dstLen, hdr.family),
    dstLen: hdr.dstLen,
    table,
    tableName: routeTables.name(table),
    protocol: routeProtocols.name(hdr.protocol),
    scope: scopes.name(hdr.scope),
    type: routeTypes.name(hdr.type),
    tos: hdr.tos,
    flags: RTNH_F.filter(([bit]) => hdr.flags & bit).map(([, n]) => n),
  };
  if (hdr.srcLen || raw.rtaSrc) {
    route.src = prefixText(raw.rtaSrc, hdr.srcLen, hdr.family);
    route.srcLen = hdr.srcLen;
  }
  for (const key of Object.keys(raw)) {
    if (key === 'rtaDst' || key === 'rtaSrc' || key === 'rtaTable') continue;
    (route as any)[key] = raw[key];
  }
  return route;
}
