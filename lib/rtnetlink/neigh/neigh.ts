/**
 * rt.neigh: the ARP (IPv4) and NDP (IPv6) neighbour tables, including proxy entries.
 */
import { ValidationError } from '../../errors';
import { familyNumber, parseIp, parseLladdr, type FamilyName } from '../../wire/address';
import { AF_INET, AF_INET6, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE } from '../../wire/constants';
import { RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGH } from '../constants';
import { MessageWriter, type AttrTable } from '../../wire/message-writer';
import { NDMSG_SIZE, writeNdMsg } from '../structs';
import { applyChange, linkIndex, submit, type LinkField, type PreparedRequest, specObject } from '../request/prepare';
import { decodeNeighTable, ntableDumpRequest, prepareNeighTable, RTM_NEWNEIGHTBL, type NeighTable, type NeighTableChanges } from './ntable';
import type { Engine } from '../../core/engine';
import { checkKeys, signalOf, type CallOptions } from '../../core/options';
import type { LinkApi } from '../link/link';
import type { LinkRef } from '../request/link-ref';
import { routeProtocols } from '../request/names';
import { decodeNeighbour, decodeNeighbourNamed, type Neighbour } from './neigh-decode';
import { joinLists } from '../request/join-lists';
import { namingDecoder } from '../request/dump-names';
import {
  NDA, NTF_EXT_LEARNED, NTF_EXT_MANAGED, NTF_PROXY, NTF_ROUTER, NTF_USE, NUD, NUD_PERMANENT,
} from './neigh-schema';

/** NUD state names a caller may set. */
export type NeighState = 'permanent' | 'noarp' | 'reachable' | 'stale' | 'delay' | 'probe' | 'failed' | 'incomplete' | 'none';

/** A neighbour entry to add, replace, change or delete (names as `ip neigh add`). */
export interface NeighSpec {
  /** The link (`dev`). */
  dev: LinkRef;
  /** The neighbour's IP address (IPv4 → ARP, IPv6 → NDP). */
  address: string;
  /** Its link-layer address (`lladdr`); not for proxy entries. */
  lladdr?: string;
  /** NUD state (`nud`); default 'permanent'. An array ORs several. */
  state?: NeighState | NeighState[];
  /** A proxy ARP/NDP entry (`proxy`): answer for this address on `dev`. */
  proxy?: boolean;
  /** The neighbour is a router (`router`, IPv6). */
  router?: boolean;
  /** Learned by something outside the kernel (`extern_learn`); not aged out. */
  externLearn?: boolean;
  /** Kernel keeps the entry resolved (`managed`). */
  managed?: boolean;
  /** Mark as in use (`use`), e.g. to refresh its reachability. */
  use?: boolean;
  /** Protocol that installed it (`protocol`): a name from rt_protos ('static', 'babel' …) or 0–255. */
  protocol?: string | number;
}

/** Options of `rt.neigh.list()`. */
export interface NeighListOptions {
  /** Only this link's entries (filtered in the kernel). */
  dev?: LinkRef;
  /** Only entries on ports of this master (filtered in the kernel). */
  master?: LinkRef;
  /** Family; default both IPv4 and IPv6. */
  family?: FamilyName;
  /** List proxy entries instead (`ip neigh show proxy`). */
  proxy?: boolean;
  /** Resolve `dev` names (one extra link dump). Default true. */
  names?: boolean;
}

/** Keys a neighbour change accepts: NeighSpec's, and those of a listed Neighbour (ignored). */
const NEIGH_KEYS = new Set([
  'dev', 'address', 'lladdr', 'state', 'proxy', 'router', 'externLearn', 'managed', 'use', 'protocol',
  'family', 'index', 'flags', 'type', 'probes', 'cacheInfo', 'unknown',
]);

/** What a neighbour change does (`ip neigh add|replace|change|del`). */
export type NeighChange = 'add' | 'replace' | 'change' | 'del';

const CHANGE_FLAGS: Record<NeighChange, number> = {
  add: NLM_F_CREATE | NLM_F_EXCL,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
  change: NLM_F_REPLACE,
  del: 0,
};

const NUD_BY_NAME = new Map<string, number>([...NUD.map(([b, n]): [string, number] => [n, b]), ['none', 0]]);

/** NUD state name(s) → bits. */
export function nudState(v: unknown, field: string): number {
  const names = Array.isArray(v) ? v : [v];
  let bits = 0;
  for (const n of names) {
    const b = NUD_BY_NAME.get(n as string);
    if (b === undefined) throw new ValidationError(field, `unknown state ${JSON.stringify(n)} (known: ${[...NUD_BY_NAME.keys()].join(', ')})`);
    bits |= b;
  }
  return bits;
}

const NEIGH_OPERATIONS: Record<NeighChange, string> = { add: 'neigh.add', replace: 'neigh.replace', change: 'neigh.change', del: 'neigh.del' };

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWNEIGH ? decodeNeighbour(buf, off, len) : undefined);

/** Top-level NDA_* types → the NeighSpec field that sets them (to name extack offsets). */
const NEIGH_ATTRS: AttrTable = {
  headerSize: NDMSG_SIZE,
  fields: { [NDA.DST]: 'address', [NDA.LLADDR]: 'lladdr', [NDA.FLAGS_EXT]: 'managed', [NDA.PROTOCOL]: 'protocol' },
};

/** Validates a neighbour change; nothing is sent. Used by add/replace/change/del and rt.batch(). */
export function prepareNeigh(change: NeighChange, spec: NeighSpec): PreparedRequest {
  specObject(spec, 'neigh');
  checkKeys(spec, NEIGH_KEYS, '');
  if (spec.dev === undefined) throw new ValidationError('dev', 'a neighbour entry needs a link');
  const addr = parseIp(spec.address, 'address');
  const lladdr = spec.lladdr !== undefined ? parseLladdr(spec.lladdr, 'lladdr') : undefined;
  if (lladdr && spec.proxy) throw new ValidationError('lladdr', 'proxy entries have no link-layer address');
  const state = change === 'del' ? 0 : spec.state !== undefined ? nudState(spec.state, 'state') : NUD_PERMANENT;
  let flags = 0;
  if (spec.proxy) flags |= NTF_PROXY;
  if (spec.router) flags |= NTF_ROUTER;
  if (spec.externLearn) flags |= NTF_EXT_LEARNED;
  if (spec.use) flags |= NTF_USE;
  const protocol = spec.protocol !== undefined ? routeProtocols.number(spec.protocol, 'protocol') : undefined;
  const links: LinkField[] = [];
  const w = new MessageWriter(change === 'del' ? RTM_DELNEIGH : RTM_NEWNEIGH, CHANGE_FLAGS[change], 64);
  const index = linkIndex(links, 'dev', spec.dev, w.offset + 4);
  w.struct(NDMSG_SIZE, (b, at) => writeNdMsg(b, at, { family: addr.family, index, state, flags }));
  w.bytes(NDA.DST, addr.bytes);
  if (lladdr) w.bytes(NDA.LLADDR, lladdr);
  if (spec.managed && change !== 'del') w.u32(NDA.FLAGS_EXT, NTF_EXT_MANAGED);
  if (protocol !== undefined) w.u8(NDA.PROTOCOL, protocol);
  return { operation: NEIGH_OPERATIONS[change], msg: w.finish(NEIGH_ATTRS), links };
}

/** Neighbour operations of one rtnetlink handle. */
export class NeighApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  /**
   * Adds a neighbour entry; EEXIST if there is one.
   * Equivalent to: ip neigh add ADDR [lladdr L] dev D [nud STATE] [router] [extern_learn] [proxy]
   */
  add(spec: NeighSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareNeigh, 'add', spec, opts);
  }

  /**
   * Adds a neighbour entry or overwrites the existing one.
   * Equivalent to: ip neigh replace ADDR lladdr L dev D [nud STATE] …
   */
  replace(spec: NeighSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareNeigh, 'replace', spec, opts);
  }

  /**
   * Changes an existing neighbour entry; ENOENT if there is none.
   * Equivalent to: ip neigh change ADDR lladdr L dev D [nud STATE] …
   */
  change(spec: NeighSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareNeigh, 'change', spec, opts);
  }

  /**
   * Deletes a neighbour (or, with `proxy`, a proxy) entry.
   * Equivalent to: ip neigh del ADDR dev D [proxy]
   */
  del(spec: Pick<NeighSpec, 'dev' | 'address' | 'proxy'>, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareNeigh, 'del', spec, opts);
  }

  /**
   * Lists neighbour entries of every state, filtered in the kernel by link and master.
   * Equivalent to: ip [-4|-6] neigh show nud all [dev D] [master M] [proxy]
   */
  async list(filter: NeighListOptions = {}, callOpts?: CallOptions): Promise<Neighbour[]> {
    checkKeys(filter, ['dev', 'master', 'family', 'proxy', 'names'], 'filter');
    const opts = filter;
    const families = opts.family !== undefined ? [familyNumber(opts.family)!] : [AF_INET, AF_INET6];
    const signal = signalOf(callOpts);
    const names = opts.names !== false ? this.links.names(signal) : undefined;
    // Keep the link dump from rejecting unobserved while the lookups and neighbour dumps run.
    names?.catch(() => {});
    const naming = names && namingDecoder(names, RTM_NEWNEIGH, decodeNeighbourNamed);
    const [ifindex, master] = await Promise.all([
      opts.dev !== undefined ? this.links.resolver.resolve(opts.dev, 'dev') : undefined,
      opts.master !== undefined ? this.links.resolver.resolve(opts.master, 'master') : undefined,
    ]);
    const dumps = await Promise.all(families.map((family) => {
      const w = new MessageWriter(RTM_GETNEIGH, NLM_F_DUMP);
      w.struct(NDMSG_SIZE, (b, at) => writeNdMsg(b, at, { family, flags: opts.proxy ? NTF_PROXY : 0 }));
      if (ifindex !== undefined) w.u32(NDA.IFINDEX, ifindex, 'dev');
      if (master !== undefined) w.u32(NDA.MASTER, master, 'master');
      return this.engine.request(w.finish(), { operation: 'neigh.list', dump: true, decode: naming ? naming.decode : decode, ...signal });
    }));
    // The dumps' own arrays, joined without a copy when one family has (nearly) every entry.
    const out = joinLists(dumps);
    const byIndex = await names;
    if (byIndex && naming?.someUnnamed()) {
      for (const n of out) {
        const name = byIndex.get(n.index);
        if (name !== undefined) n.dev = name;
      }
    }
    return out;
  }

  /**
   * The neighbour tables: each table's thresholds and gc interval, and its default and
   * per-device timers and probe counts (filtered by device, family or table name).
   * Equivalent to: ip [-4|-6] ntable show [dev D] [name N]
   */
  async tables(filter: NeighTableListOptions = {}, callOpts?: CallOptions): Promise<NeighTable[]> {
    checkKeys(filter, ['dev', 'family', 'name', 'names'], 'filter');
    const signal = signalOf(callOpts);
    const msg = ntableDumpRequest(filter.family);
    const names = filter.names !== false ? this.links.names(signal) : undefined;
    names?.catch(() => {});
    const dev = filter.dev !== undefined ? await this.links.resolver.resolve(filter.dev, 'filter.dev') : undefined;
    let rows = await this.engine.request(msg, {
      operation: 'neigh.tables',
      dump: true,
      decode: (b, o, l, type) => (type === RTM_NEWNEIGHTBL ? decodeNeighTable(b, o, l) : undefined),
      ...signal,
    });
    // The kernel filters table dumps by family only, as `ip ntable` does the rest.
    if (dev !== undefined) rows = rows.filter((r) => r.index === dev);
    if (filter.name !== undefined) rows = rows.filter((r) => r.name === filter.name);
    if (names) {
      const byIndex = await names;
      for (const r of rows) if (r.index !== undefined && byIndex.has(r.index)) r.dev = byIndex.get(r.index)!;
    }
    return rows;
  }

  /**
   * Changes a neighbour table's thresholds / gc interval, or its default or one device's
   * parameters.
   * Equivalent to: ip ntable change name N [dev D] [thresh1 N] [gc_int MS] [base_reachable MS] [queue N] …
   */
  setTable(changes: NeighTableChanges, callOpts?: CallOptions): Promise<void> {
    let prep: PreparedRequest;
    let signal: AbortSignal | undefined;
    try {
      signal = signalOf(callOpts).signal;
      const { msg, links } = prepareNeighTable(changes);
      prep = { operation: 'neigh.setTable', msg, links };
    } catch (err) {
      return Promise.reject(err);
    }
    return submit(this.engine, this.links.resolver, prep, signal).then(() => undefined);
  }
}

/** Filter of `rt.neigh.tables()`. */
export interface NeighTableListOptions {
  /** Only this device's parameters. */
  dev?: LinkRef;
  family?: FamilyName;
  /** Only this table ('arp_cache', 'ndisc_cache'). */
  name?: string;
  /** Resolve device names (one link dump). Default true. */
  names?: boolean;
}
