/**
 * rt.route: the routing tables.
 */
import { ValidationError, NetlinkError } from '../errors';
import { familyNumber, type FamilyName } from '../wire/address';
import { AF_INET, AF_INET6, NLM_F_DUMP, RTM_GETROUTE, RTM_NEWROUTE } from '../wire/constants';
import { MessageWriter } from '../wire/message-writer';
import { RTMSG_SIZE, writeRtMsg } from '../wire/structs';
import type { Engine } from './engine';
import type { LinkApi } from './link';
import type { LinkRef } from './link-ref';
import { RT_TABLE_MAIN, routeTables } from './names';
import { decodeRoute, type Route } from './route-decode';
import { RTA } from './route-schema';

/** A routing table: an id, a name from rt_tables ('main', 'local', 'default'), or 'all'. */
export type TableRef = number | 'main' | 'local' | 'default' | 'all' | string;

/** Options of `rt.route.list()`. */
export interface RouteListOptions {
  /** Table to list; default 'main' (as `ip route show`); 'all' for every table. */
  table?: TableRef;
  /** Family; default both IPv4 and IPv6. */
  family?: FamilyName;
  /** Only routes out of this link (filtered in the kernel). */
  dev?: LinkRef;
  /** Resolve `dev` names of routes (one extra link dump). Default true. */
  names?: boolean;
  signal?: AbortSignal;
}

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWROUTE ? decodeRoute(buf, off, len) : undefined);

/** Resolves a TableRef to a table id (0 = all tables). */
export function tableId(ref: TableRef | undefined, field = 'table'): number {
  if (ref === undefined) return RT_TABLE_MAIN;
  if (ref === 'all') return 0;
  return routeTables.number(ref, field, 0xffff_ffff);
}

/** Route operations of one rtnetlink handle. */
export class RouteApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  /**
   * Lists routes, filtered in the kernel by table, family and outgoing link (strict check).
   * Equivalent to: ip [-4|-6] route show table T [dev D]
   */
  async list(opts: RouteListOptions = {}): Promise<Route[]> {
    const table = tableId(opts.table);
    const families = opts.family !== undefined ? [familyNumber(opts.family)!] : [AF_INET, AF_INET6];
    const oif = opts.dev !== undefined ? await this.links.resolver.resolve(opts.dev, 'dev') : undefined;
    const names = opts.names !== false ? this.links.list(opts.signal ? { signal: opts.signal } : {}) : undefined;
    const settled = await Promise.allSettled(families.map((f) => this.dump(f, table, oif, opts.signal)));
    const linkNames = names ? new Map((await names).map((l) => [l.index, l.name])) : undefined;
    // A table that exists for one family only is not an error when both were asked for.
    const missing = (r: PromiseSettledResult<Route[]>) => r.status === 'rejected' && r.reason instanceof NetlinkError && r.reason.code === 'ENOENT';
    const failed = settled.find((r) => r.status === 'rejected' && !(families.length > 1 && missing(r) && !settled.every(missing)));
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const routes = settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (linkNames) for (const r of routes) nameDevs(r, linkNames);
    return routes;
  }

  private dump(family: number, table: number, oif: number | undefined, signal?: AbortSignal): Promise<Route[]> {
    const w = new MessageWriter(RTM_GETROUTE, NLM_F_DUMP);
    w.struct(RTMSG_SIZE, (b, at) => writeRtMsg(b, at, { family, table: table > 255 ? 0 : table }));
    if (table !== 0) w.u32(RTA.TABLE, table, 'table');
    if (oif !== undefined) w.u32(RTA.OIF, oif, 'dev');
    return this.engine.request(w.finish(), { operation: 'route.list', dump: true, decode, ...(signal ? { signal } : {}) });
  }
}

/** Fills `dev` names from ifindexes. */
export function nameDevs(r: Route, names: Map<number, string>): void {
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

export { ValidationError };
