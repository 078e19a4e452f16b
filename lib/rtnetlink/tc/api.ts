/**
 * rt.tc: traffic control on an rtnetlink handle — qdiscs, classes, filters (with actions),
 * chains, and the one-call bandwidth recipe. Data goes in the spec; the trailing options
 * carry only control (`{ signal }`).
 */
import type { Engine } from '../../core/engine';
import { callSignal, checkKeys, signalOf, type CallOptions } from '../../core/options';
import { ValidationError } from '../../errors';
import { NLM_F_DUMP } from '../../wire/constants';
import { MessageWriter } from '../../wire/message-writer';
import { holdsFor, optionsFor, type PreparedRequest } from '../request/prepare';
import type { LinkRef } from '../request/link-ref';
import type { LinkApi } from '../link/link';
import { RTM_GETCHAIN, RTM_GETQDISC, RTM_GETTCLASS, RTM_GETTFILTER, RTM_NEWCHAIN, RTM_NEWQDISC, RTM_NEWTCLASS, RTM_NEWTFILTER } from './constants';
import { parseHandle, type TcHandle } from './handle';
import { decodeChain, decodeClass, decodeFilter, decodeQdisc, type Chain, type Filter, type Qdisc, type TcClass } from './objects';
import {
  prepareChain, prepareClass, prepareFilter, prepareQdisc,
  type ChainSpec, type ClassDelSpec, type ClassSpec, type FilterDelSpec, type FilterSpec, type QdiscDelSpec, type QdiscSpec, type TcChange,
} from './requests';
import { TCMSG_SIZE, writeTcMsg } from './tcmsg';
import { applyBandwidth, type BandwidthSpec } from './bandwidth';
import { withPinnedProgram } from './bpf-pinned';

/** Filter of `rt.tc.qdisc.list()` / `rt.tc.class.list()`. */
export interface TcListOptions {
  /** Only this device (name or ifindex). */
  dev?: LinkRef;
  /** Resolve `dev` names (one extra link dump). Default true. */
  names?: boolean;
}

/** Filter of `rt.tc.filter.list()` / `rt.tc.chain.list()`. */
export interface FilterListOptions {
  dev: LinkRef;
  /** 'root' (tc's default), a qdisc/class '1:', or 'ingress' / 'egress'. */
  parent?: TcHandle;
  chain?: number;
  names?: boolean;
}

type Dec<T> = (buf: Buffer, off: number, len: number) => T;
const only = <T>(type: number, dec: Dec<T>) => (buf: Buffer, off: number, len: number, t: number) => (t === type ? dec(buf, off, len) : undefined);
const qdiscDecoder = only(RTM_NEWQDISC, decodeQdisc);
const classDecoder = only(RTM_NEWTCLASS, decodeClass);
const filterDecoder = only(RTM_NEWTFILTER, decodeFilter);
const chainDecoder = only(RTM_NEWCHAIN, decodeChain);

/** Shared plumbing of the four object APIs. */
abstract class TcPart {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  /**
   * Prepares and sends one change (a ValidationError rejects, nothing sent). No closure or
   * object per call: bulk adds run this 10 000 times; options are shared per operation and
   * the named links wait on one lookup per name.
   */
  protected apply<S>(prepare: (c: any, dev: LinkRef, spec: S) => PreparedRequest, change: string, dev: LinkRef, spec: S, opts?: CallOptions): Promise<void> {
    let prep: PreparedRequest;
    let signal: AbortSignal | undefined;
    try {
      signal = callSignal(opts);
      prep = prepare(change, dev, spec);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.engine.change(prep.msg, optionsFor(prep, signal), holdsFor(this.links.resolver, prep.links));
  }

  /** One dump per device (or one for all), devices named, optionally filtered to one. */
  protected async dump<T extends { index: number; dev?: string }>(
    type: number, operation: string, decode: (buf: Buffer, off: number, len: number, t: number) => T | undefined,
    filter: TcListOptions & { parent?: TcHandle; chain?: number }, callOpts: CallOptions | undefined, perDevice: boolean, parentRole: 'filter-parent' | 'classid' = 'filter-parent',
  ): Promise<T[]> {
    const signal = signalOf(callOpts);
    const parent = filter.parent !== undefined ? parseHandle(filter.parent, 'filter.parent', parentRole) : 0;
    const chain = filter.chain;
    const index = filter.dev !== undefined ? await this.links.resolver.resolve(filter.dev, 'filter.dev') : undefined;
    // Objects of the one device asked for by name are named by that name: no link dump for it.
    const byName = index !== undefined && typeof filter.dev === 'string' ? filter.dev : undefined;
    const names = byName === undefined && (filter.names !== false || (perDevice && filter.dev === undefined))
      ? this.links.names(signal)
      : filter.names !== false && byName !== undefined ? Promise.resolve(new Map([[index!, byName]])) : undefined;
    names?.catch(() => {});
    const indexes = index !== undefined ? [index] : perDevice ? [...(await names!).keys()] : [0];
    const dumps = await Promise.all(indexes.map((ifindex) => {
      const w = new MessageWriter(type, NLM_F_DUMP);
      w.struct(TCMSG_SIZE, (b, at) => writeTcMsg(b, at, { index: ifindex, parent }));
      if (chain !== undefined) w.u32(11, chain, 'filter.chain');
      return this.engine.request(w.finish(), { operation, dump: true, decode, ...signal });
    }));
    let out = dumps.length === 1 ? dumps[0]! : dumps.flat();
    if (index !== undefined && !perDevice) out = out.filter((o) => o.index === index);
    if (names) {
      const byIndex = await names;
      for (const o of out) {
        const n = byIndex.get(o.index);
        if (n !== undefined) o.dev = n;
      }
    }
    return out;
  }
}

/** `rt.tc.qdisc`: queueing disciplines. */
export class QdiscApi extends TcPart {
  /**
   * Adds a qdisc; EEXIST if one is there (a second root qdisc is refused with the kernel's extack).
   * Equivalent to: tc qdisc add dev D [root | parent P | ingress | clsact] [handle H] KIND [options]
   */
  add(dev: LinkRef, spec: QdiscSpec, opts?: CallOptions): Promise<void> {
    return this.apply(prepareQdisc, 'add', dev, spec, opts);
  }

  /**
   * Adds a qdisc, or replaces the one at the same parent.
   * Equivalent to: tc qdisc replace dev D … KIND [options]
   */
  replace(dev: LinkRef, spec: QdiscSpec, opts?: CallOptions): Promise<void> {
    return this.apply(prepareQdisc, 'replace', dev, spec, opts);
  }

  /**
   * Changes the options of an existing qdisc (same kind); ENOENT when there is none.
   * Equivalent to: tc qdisc change dev D … KIND [options]
   */
  change(dev: LinkRef, spec: QdiscSpec, opts?: CallOptions): Promise<void> {
    return this.apply(prepareQdisc, 'change', dev, spec, opts);
  }

  /**
   * Deletes a qdisc (and everything below it).
   * Equivalent to: tc qdisc del dev D [root | parent P | ingress | clsact] [handle H]
   */
  del(dev: LinkRef, spec: QdiscDelSpec = {}, opts?: CallOptions): Promise<void> {
    return this.apply(prepareQdisc, 'del', dev, spec, opts);
  }

  /**
   * Lists qdiscs with statistics (the kernel dumps every device's; `dev` filters).
   * Equivalent to: tc -s qdisc show [dev D]
   */
  list(filter: TcListOptions = {}, opts?: CallOptions): Promise<Qdisc[]> {
    try {
      checkKeys(filter, ['dev', 'names'], 'filter');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.dump(RTM_GETQDISC, 'tc.qdisc.list', qdiscDecoder, filter, opts, false);
  }
}

/** `rt.tc.class`: classes of classful qdiscs. */
export class ClassApi extends TcPart {
  /**
   * Adds a class.
   * Equivalent to: tc class add dev D parent P classid C KIND [options]
   */
  add(dev: LinkRef, spec: ClassSpec, opts?: CallOptions): Promise<void> {
    return this.apply(prepareClass, 'add', dev, spec, opts);
  }

  /**
   * Adds a class or changes the one with that classid.
   * Equivalent to: tc class replace dev D parent P classid C KIND [options]
   */
  replace(dev: LinkRef, spec: ClassSpec, opts?: CallOptions): Promise<void> {
    return this.apply(prepareClass, 'replace', dev, spec, opts);
  }

  /**
   * Changes an existing class.
   * Equivalent to: tc class change dev D parent P classid C KIND [options]
   */
  change(dev: LinkRef, spec: ClassSpec, opts?: CallOptions): Promise<void> {
    return this.apply(prepareClass, 'change', dev, spec, opts);
  }

  /**
   * Deletes a class.
   * Equivalent to: tc class del dev D classid C
   */
  del(dev: LinkRef, spec: ClassDelSpec, opts?: CallOptions): Promise<void> {
    return this.apply(prepareClass, 'del', dev, spec, opts);
  }

  /**
   * Lists classes with statistics (one dump per device; all devices when `dev` is absent).
   * Equivalent to: tc -s class show dev D
   */
  list(filter: TcListOptions = {}, opts?: CallOptions): Promise<TcClass[]> {
    try {
      checkKeys(filter, ['dev', 'names', 'parent'], 'filter');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.dump(RTM_GETTCLASS, 'tc.class.list', classDecoder, filter, opts, true, 'classid');
  }
}

/** `rt.tc.filter`: classifiers and their actions. */
export class FilterApi extends TcPart {
  /**
   * Adds a filter (a new priority needs `protocol`).
   * Equivalent to: tc filter add dev D parent P protocol PROTO prio N [handle H] [chain C] KIND … [classid C] [action …]
   */
  add(dev: LinkRef, spec: FilterSpec, opts?: CallOptions): Promise<void> {
    return this.filterChange('add', dev, spec, opts);
  }

  /**
   * Adds a filter or replaces the one with that handle.
   * Equivalent to: tc filter replace dev D parent P protocol PROTO prio N handle H KIND …
   */
  replace(dev: LinkRef, spec: FilterSpec, opts?: CallOptions): Promise<void> {
    return this.filterChange('replace', dev, spec, opts);
  }

  /**
   * Changes an existing filter.
   * Equivalent to: tc filter change dev D parent P protocol PROTO prio N handle H KIND …
   */
  change(dev: LinkRef, spec: FilterSpec, opts?: CallOptions): Promise<void> {
    return this.filterChange('change', dev, spec, opts);
  }

  /** Sends one filter change; a bpf program named by its pinned path is opened for it first. */
  private filterChange(change: 'add' | 'replace' | 'change', dev: LinkRef, spec: FilterSpec, opts: CallOptions | undefined): Promise<void> {
    // Checked here, so the bulk path (10 000 u32 adds) allocates nothing for it.
    if ((spec as { bpf?: { pinned?: unknown } } | undefined)?.bpf?.pinned === undefined) return this.apply(prepareFilter, change, dev, spec, opts);
    return withPinnedProgram(spec, (s) => this.apply(prepareFilter, change, dev, s, opts));
  }

  /**
   * Deletes filters: all of a parent, one priority, or one handle.
   * Equivalent to: tc filter del dev D parent P [prio N [protocol PROTO] [handle H KIND]]
   */
  del(dev: LinkRef, spec: FilterDelSpec, opts?: CallOptions): Promise<void> {
    return this.apply(prepareFilter, 'del', dev, spec, opts);
  }

  /**
   * Lists the filters of one parent (default the root qdisc, as tc), with actions and their statistics.
   * Equivalent to: tc -s filter show dev D [parent P | ingress | egress] [chain C]
   */
  list(filter: FilterListOptions, opts?: CallOptions): Promise<Filter[]> {
    try {
      checkKeys(filter, ['dev', 'parent', 'chain', 'names'], 'filter');
      if (filter?.dev === undefined) throw new ValidationError('filter.dev', 'listing filters needs a device');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.dump(RTM_GETTFILTER, 'tc.filter.list', filterDecoder, filter, opts, true);
  }
}

/** `rt.tc.chain`: filter chains (goto chain targets) and their templates. */
export class ChainApi extends TcPart {
  /**
   * Adds a chain, optionally with a template.
   * Equivalent to: tc chain add dev D parent P chain N [KIND template]
   */
  add(dev: LinkRef, spec: ChainSpec, opts?: CallOptions): Promise<void> {
    return this.apply(prepareChain, 'add', dev, spec, opts);
  }

  /**
   * Deletes a chain and its filters.
   * Equivalent to: tc chain del dev D parent P chain N
   */
  del(dev: LinkRef, spec: ChainSpec, opts?: CallOptions): Promise<void> {
    return this.apply(prepareChain, 'del', dev, spec, opts);
  }

  /**
   * Lists the chains of a parent.
   * Equivalent to: tc chain show dev D [parent P | ingress | egress]
   */
  list(filter: FilterListOptions, opts?: CallOptions): Promise<Chain[]> {
    try {
      checkKeys(filter, ['dev', 'parent', 'names'], 'filter');
      if (filter?.dev === undefined) throw new ValidationError('filter.dev', 'listing chains needs a device');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.dump(RTM_GETCHAIN, 'tc.chain.list', chainDecoder, filter, opts, true);
  }
}

/** Traffic control of one rtnetlink handle (`rt.tc`). */
export class TcApi {
  /** Queueing disciplines. */
  readonly qdisc: QdiscApi;
  /** Classes. */
  readonly class: ClassApi;
  /** Filters and actions. */
  readonly filter: FilterApi;
  /** Filter chains. */
  readonly chain: ChainApi;

  constructor(private readonly engine: Engine, private readonly links: LinkApi) {
    this.qdisc = new QdiscApi(engine, links);
    this.class = new ClassApi(engine, links);
    this.filter = new FilterApi(engine, links);
    this.chain = new ChainApi(engine, links);
  }

  /**
   * Limits what a device sends (egress: a root tbf, or htb when a ceiling is given) and what it
   * receives (ingress: an ifb device the library creates, fed by an ingress mirred redirect,
   * shaped by a tbf), from the named device's own point of view. Idempotent; `null` removes
   * all of it, the ifb included.
   * Equivalent to: tc qdisc replace dev D root tbf …; ip link add ifb-… type ifb; tc qdisc add
   *   dev D ingress; tc filter add dev D parent ffff: protocol all matchall action mirred egress
   *   redirect dev ifb-…; tc qdisc replace dev ifb-… root tbf …
   */
  bandwidth(dev: string, spec: BandwidthSpec | null, opts?: CallOptions): Promise<void> {
    return applyBandwidth(this, this.links, dev, spec, opts);
  }
}

/** The verbs of `rt.tc.qdisc|class|filter` (re-exported for callers of this module). */
export type { TcChange };
