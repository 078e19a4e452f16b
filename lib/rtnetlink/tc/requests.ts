/**
 * Building qdisc, class, filter and chain requests, with the netlink flags iproute2 uses for
 * each verb: add = CREATE|EXCL; replace = CREATE|REPLACE for qdiscs and CREATE for classes
 * and filters (tc_qdisc.c, tc_class.c, tc_filter.c); change = none; del = none. Nothing is
 * sent here: a bad field is a ValidationError before any request exists.
 */
import { checkKeys } from '../../core/options';
import { ValidationError } from '../../errors';
import { NLMSG_HDRLEN, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../../wire/constants';
import { MessageWriter } from '../../wire/message-writer';
import { linkIndex, type LinkField, type PreparedRequest } from '../request/prepare';
import type { LinkRef } from '../request/link-ref';
import type { ActionSpec, PoliceOptions } from './actions';
import {
  ETH_P_ALL, RTM_DELCHAIN, RTM_DELQDISC, RTM_DELTCLASS, RTM_DELTFILTER, RTM_NEWCHAIN, RTM_NEWQDISC, RTM_NEWTCLASS, RTM_NEWTFILTER,
  TCA, TC_H_CLSACT, TC_H_INGRESS, TC_H_INGRESS_HANDLE, TC_H_ROOT,
} from './constants';
import { FILTER_ATTRS } from './extack-names';
import { ethTypeNumber } from './filter-flower';
import { FILTER_CODECS } from './filter-kinds';
import { parseHandle, type TcHandle } from './handle';
import type { EncodeContext, KindCodec } from './kind';
import { CLASS_CODECS, QDISC_CODECS } from './objects';
import { TCMSG_SIZE, writeTcMsg } from './tcmsg';
import { parseInt32 } from './units';

/** The verbs of `tc qdisc|class|filter`. */
export type TcChange = 'add' | 'replace' | 'change' | 'del';

const QDISC_FLAGS: Record<TcChange, number> = { add: NLM_F_CREATE | NLM_F_EXCL, replace: NLM_F_CREATE | NLM_F_REPLACE, change: 0, del: 0 };
const CLASS_FLAGS: Record<TcChange, number> = { add: NLM_F_CREATE | NLM_F_EXCL, replace: NLM_F_CREATE, change: 0, del: 0 };

/** Rate estimator of a qdisc or class (`estimator INTERVAL TIME_CONSTANT`, as their log2 codes). */
export interface Estimator {
  /** log2(interval in seconds / 4) + 2: −2 = 250 ms … 3 = 8 s. */
  interval: number;
  /** Averaging time constant as log2 of the number of intervals. */
  ewmaLog: number;
}

/**
 * A qdisc to add/replace/change (`tc qdisc add dev D [parent P | root | ingress | clsact] [handle H] KIND …`).
 * Options go under the kind's name: `{ kind: 'htb', htb: { defaultClass: '1:10' } }`.
 */
export interface QdiscSpec {
  /** 'root' (default), a class '1:10', or 'ingress' / 'clsact' (default for those kinds). */
  parent?: TcHandle;
  /** '1:'; the kernel picks one when absent (ingress and clsact are always 'ffff:'). */
  handle?: TcHandle;
  kind: string;
  /** Raw TCA_OPTIONS payload for a kind without typed options. */
  options?: Buffer;
  estimator?: Estimator;
  ingressBlock?: number;
  egressBlock?: number;
  [kindOptions: string]: unknown;
}

/** What `rt.tc.qdisc.del` matches (`tc qdisc del dev D root | parent P | ingress | clsact [handle H]`). */
export interface QdiscDelSpec {
  parent?: TcHandle;
  handle?: TcHandle;
  kind?: string;
}

/** A class (`tc class add dev D parent P classid C KIND …`). */
export interface ClassSpec {
  parent?: TcHandle;
  classid: TcHandle;
  kind: string;
  options?: Buffer;
  estimator?: Estimator;
  [kindOptions: string]: unknown;
}

/** What `rt.tc.class.del` matches. */
export interface ClassDelSpec {
  classid: TcHandle;
  parent?: TcHandle;
}

/**
 * A filter (`tc filter add dev D parent P protocol PROTO prio N [handle H] [chain C] KIND … [classid C] [action …]`).
 */
export interface FilterSpec {
  /** 'root', a qdisc or class '1:', 'ingress' / 'egress' (clsact hooks; 'ingress' also serves an ingress qdisc). */
  parent: TcHandle;
  /** Ethertype: 'ip', 'ipv6', 'all', '802.1q', 'arp' … or a number. Required to create a filter. */
  protocol?: string | number;
  /** Preference (tc's prio/pref): lower runs first; the kernel picks one when absent. */
  priority?: number;
  /** The filter's handle: a number, or u32's 'htid:hash:node' ('800::800'); fw's handle is the mark. */
  handle?: number | string;
  chain?: number;
  kind: string;
  /** Class the matched packets go to. */
  classid?: TcHandle;
  actions?: ActionSpec[];
  /** A policer attached directly (u32, fw, basic, bpf). */
  police?: PoliceOptions;
  options?: Buffer;
  [kindOptions: string]: unknown;
}

/** What `rt.tc.filter.del` matches: a whole priority, or one handle of it (then `kind` too). */
export interface FilterDelSpec {
  parent: TcHandle;
  priority?: number;
  protocol?: string | number;
  handle?: number | string;
  kind?: string;
  chain?: number;
}

/** A chain (`tc chain add dev D parent P chain N [KIND template]`). */
export interface ChainSpec {
  parent: TcHandle;
  chain: number;
  /** A template: the only filter kind (and key set) the chain accepts. */
  kind?: string;
  [kindOptions: string]: unknown;
}

/** Allowed spec keys per kind (built once per kind: bulk adds check 10 000 specs). */
function keysFor(cache: Map<string, ReadonlySet<string>>, base: readonly string[], kind: string | undefined): ReadonlySet<string> {
  const k = kind ?? '';
  let set = cache.get(k);
  if (!set) {
    set = new Set(kind ? [...base, kind] : base);
    cache.set(k, set);
  }
  return set;
}
const qdiscKeyCache = new Map<string, ReadonlySet<string>>();
const classKeyCache = new Map<string, ReadonlySet<string>>();
const filterKeyCache = new Map<string, ReadonlySet<string>>();

// What fillTcMsg writes: set just before each struct() call (no closure or object per message).
const tcm = { index: 0, handle: 0, parent: 0, info: 0 };
function fillTcMsg(b: Buffer, at: number): void {
  writeTcMsg(b, at, tcm);
}

/**
 * Starts a tc request: header, tcmsg with the device (resolved later when named). `unnamed`
 * messages record no attribute names (their finish() gets a table that reads names off the bytes).
 */
function start(type: number, flags: number, dev: LinkRef, links: LinkField[], handle: number, parent: number, info: number, capacity = 256, unnamed = false): MessageWriter {
  const index = linkIndex(links, 'dev', dev, NLMSG_HDRLEN + 4);
  const w = new MessageWriter(type, flags, capacity);
  if (unnamed) w.unnamed();
  tcm.index = index;
  tcm.handle = handle;
  tcm.parent = parent;
  tcm.info = info;
  w.struct(TCMSG_SIZE, fillTcMsg);
  return w;
}

function kindOptions(w: MessageWriter, codecs: Record<string, KindCodec>, spec: Record<string, unknown>, kind: string, ctx: EncodeContext, withOptions: boolean): void {
  const codec = codecs[kind];
  if (codec) {
    const opts = spec[kind];
    if (opts === undefined && codec.required && withOptions) codec.encode(w, undefined, kind, ctx); // throws naming the missing field
    else if (opts !== undefined || withOptions) codec.encode(w, opts, kind, ctx);
  } else if (spec.options !== undefined) {
    const raw = spec.options;
    if (!Buffer.isBuffer(raw)) throw new ValidationError('options', 'expected the raw TCA_OPTIONS payload as a Buffer');
    w.bytes(TCA.OPTIONS, raw, 'options');
  }
}

function checkKind(kind: unknown): string {
  if (typeof kind !== 'string' || kind.length === 0 || kind.length > 15) throw new ValidationError('kind', 'expected a kind name such as \'htb\'');
  return kind;
}

function estimator(w: MessageWriter, e: Estimator | undefined): void {
  if (e === undefined) return;
  checkKeys(e, ['interval', 'ewmaLog'], 'estimator');
  const b = Buffer.alloc(2);
  b.writeInt8(parseInt32(e.interval, 'estimator.interval', 5, -2), 0);
  b[1] = parseInt32(e.ewmaLog, 'estimator.ewmaLog', 31, 1);
  w.bytes(TCA.RATE, b, 'estimator');
}

const QDISC_KEYS = new Set(['parent', 'handle', 'kind', 'options', 'estimator', 'ingressBlock', 'egressBlock']);
// Keys a listed Qdisc carries: accepted (and ignored) so a listed object can be changed and re-sent.
const QDISC_LISTED = ['dev', 'index', 'stats', 'xstats', 'xstatsRaw', 'offloaded'];

/** Validates and builds a qdisc change; nothing is sent. */
export function prepareQdisc(change: TcChange, dev: LinkRef, spec: QdiscSpec | QdiscDelSpec): PreparedRequest {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('qdisc', 'expected a qdisc spec');
  const isDel = change === 'del';
  const kind = spec.kind !== undefined ? checkKind(spec.kind) : isDel ? undefined : checkKind(spec.kind);
  checkKeys(spec, keysFor(qdiscKeyCache, [...QDISC_KEYS, ...QDISC_LISTED], kind), '');
  const special = kind === 'ingress' || kind === 'clsact';
  let parent: number;
  if (spec.parent !== undefined) parent = parseHandle(spec.parent, 'parent', 'qdisc-parent');
  else if (special) parent = kind === 'ingress' ? TC_H_INGRESS : TC_H_CLSACT;
  else parent = TC_H_ROOT;
  let handle = spec.handle !== undefined ? parseHandle(spec.handle, 'handle', 'qdisc-handle') : 0;
  if (special || parent === TC_H_INGRESS) {
    if (spec.handle !== undefined && handle !== TC_H_INGRESS_HANDLE) throw new ValidationError('handle', `${kind ?? 'an ingress/clsact'} qdisc's handle is always 'ffff:'`);
    handle = TC_H_INGRESS_HANDLE;
  }
  const links: LinkField[] = [];
  const w = start(isDel ? RTM_DELQDISC : RTM_NEWQDISC, QDISC_FLAGS[change], dev, links, handle, parent, 0);
  if (kind) w.string(TCA.KIND, kind, 'kind');
  const s = spec as QdiscSpec;
  if (!isDel && kind) {
    kindOptions(w, QDISC_CODECS, s, kind, { links, handle }, change !== 'change' || s[kind] !== undefined);
    estimator(w, s.estimator);
    if (s.ingressBlock !== undefined) w.u32(TCA.INGRESS_BLOCK, parseInt32(s.ingressBlock, 'ingressBlock', 0xffff_ffff, 1), 'ingressBlock');
    if (s.egressBlock !== undefined) w.u32(TCA.EGRESS_BLOCK, parseInt32(s.egressBlock, 'egressBlock', 0xffff_ffff, 1), 'egressBlock');
  }
  return { operation: `tc.qdisc.${change}`, msg: w.finish(), links };
}

const CLASS_KEYS = new Set(['parent', 'classid', 'kind', 'options', 'estimator']);
const CLASS_LISTED = ['dev', 'index', 'stats', 'xstats', 'xstatsRaw', 'leaf'];

/** Validates and builds a class change; nothing is sent. */
export function prepareClass(change: TcChange, dev: LinkRef, spec: ClassSpec | ClassDelSpec): PreparedRequest {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('class', 'expected a class spec');
  const isDel = change === 'del';
  const s = spec as ClassSpec;
  const kind = s.kind !== undefined || !isDel ? checkKind(s.kind) : undefined;
  checkKeys(spec, keysFor(classKeyCache, [...CLASS_KEYS, ...CLASS_LISTED], kind), '');
  if (spec.classid === undefined) throw new ValidationError('classid', "a class needs a classid such as '1:10'");
  const classid = parseHandle(spec.classid, 'classid', 'classid');
  if ((classid & 0xffff) === 0) throw new ValidationError('classid', `a class id has a minor number ('${(classid >>> 16).toString(16)}:1')`);
  // tc's default parent is the class's own qdisc (major of the class id).
  const parent = spec.parent !== undefined ? parseHandle(spec.parent, 'parent', 'classid') : isDel ? 0 : (classid & 0xffff0000) >>> 0;
  const links: LinkField[] = [];
  const w = start(isDel ? RTM_DELTCLASS : RTM_NEWTCLASS, CLASS_FLAGS[change], dev, links, classid, parent, 0, 2600);
  if (kind) w.string(TCA.KIND, kind, 'kind');
  if (!isDel && kind) {
    kindOptions(w, CLASS_CODECS, s, kind, { links, handle: classid }, change !== 'change' || s[kind] !== undefined);
    estimator(w, s.estimator);
  }
  return { operation: `tc.class.${change}`, msg: w.finish(), links };
}

/** A filter handle: number, or u32's 'htid:hash:node' in hex (tc's get_u32_handle). */
export function parseFilterHandle(v: number | string, field: string): number {
  if (typeof v === 'number') return parseInt32(v, field);
  if (typeof v === 'string') {
    if (v.includes(':')) {
      const m = /^([0-9a-f]{0,3}):([0-9a-f]{0,2})(?::([0-9a-f]{0,3}))?$/i.exec(v);
      if (!m) throw new ValidationError(field, `${JSON.stringify(v)} is not a u32 handle ('htid:hash:node' in hex, e.g. '800::800')`);
      const n = (s: string | undefined) => (s ? parseInt(s, 16) : 0);
      return ((n(m[1]) << 20) | (n(m[2]) << 12) | n(m[3])) >>> 0;
    }
    if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(v)) return parseInt32(Number(v), field);
  }
  throw new ValidationError(field, `expected a filter handle (a number, or 'htid:hash:node' for u32), got ${JSON.stringify(v)}`);
}


const FILTER_KEYS = new Set(['parent', 'protocol', 'priority', 'handle', 'chain', 'kind', 'classid', 'actions', 'police', 'options']);
const FILTER_LISTED = ['dev', 'index', 'stats'];
const FILTER_ALL = [...FILTER_KEYS, ...FILTER_LISTED];
const FILTER_OPERATIONS: Record<TcChange, string> = { add: 'tc.filter.add', replace: 'tc.filter.replace', change: 'tc.filter.change', del: 'tc.filter.del' };

/** Validates and builds a filter change; nothing is sent. */
export function prepareFilter(change: TcChange, dev: LinkRef, spec: FilterSpec | FilterDelSpec): PreparedRequest {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('filter', 'expected a filter spec');
  const isDel = change === 'del';
  const s = spec as FilterSpec;
  const kind = s.kind !== undefined || !isDel ? checkKind(s.kind) : undefined;
  checkKeys(spec, keysFor(filterKeyCache, FILTER_ALL, kind), '');
  if (spec.parent === undefined) throw new ValidationError('parent', "a filter needs a parent ('1:', 'ingress', 'egress' …)");
  const parent = parseHandle(spec.parent, 'parent', 'filter-parent');
  // The kernel needs a protocol to create a priority; tc quietly writes 'all'. Ask instead.
  if (spec.protocol === undefined && change !== 'del' && change !== 'change') throw new ValidationError('protocol', "a new filter needs a protocol ('ip', 'ipv6', 'all' …)");
  const eth = spec.protocol !== undefined ? ethTypeNumber(spec.protocol, 'protocol') : ETH_P_ALL;
  // tcm_info's low 16 bits: the protocol in network order.
  const protoInfo = spec.protocol !== undefined ? ((eth & 0xff) << 8) | (eth >> 8) : 0;
  const priority = spec.priority !== undefined ? parseInt32(spec.priority, 'priority', 0xffff) : 0;
  if (isDel && spec.handle !== undefined && (kind === undefined || priority === 0)) throw new ValidationError('kind', 'deleting one filter by handle needs its kind and priority');
  const handle = spec.handle !== undefined ? parseFilterHandle(spec.handle, 'handle') : 0;
  const links: LinkField[] = [];
  const w = start(isDel ? RTM_DELTFILTER : RTM_NEWTFILTER, CLASS_FLAGS[change], dev, links, handle, parent, ((priority << 16) | protoInfo) >>> 0, 512, true);
  if (spec.chain !== undefined) w.u32(TCA.CHAIN, parseInt32(spec.chain, 'chain'), 'chain');
  if (kind) w.string(TCA.KIND, kind, 'kind');
  if (!isDel && kind) {
    const codec = FILTER_CODECS[kind];
    const classid = s.classid !== undefined ? parseHandle(s.classid, 'classid', 'classid') : undefined;
    if (s.actions !== undefined && !Array.isArray(s.actions)) throw new ValidationError('actions', 'expected an array of actions');
    if (codec) {
      w.nestStart(TCA.OPTIONS, kind, true);
      codec.encode(w, s[kind], kind, { classid, actions: s.actions, police: s.police, ethType: eth }, { links, handle });
      w.nestEnd();
    } else if (s.options !== undefined) {
      if (!Buffer.isBuffer(s.options)) throw new ValidationError('options', 'expected the raw TCA_OPTIONS payload as a Buffer');
      if (classid !== undefined || s.actions !== undefined) throw new ValidationError('kind', `no typed options for filter kind ${JSON.stringify(kind)}: put classid and actions in the raw options`);
      w.bytes(TCA.OPTIONS, s.options, 'options');
    } else if (classid !== undefined || s.actions !== undefined) {
      throw new ValidationError('kind', `unknown filter kind ${JSON.stringify(kind)} (known: ${Object.keys(FILTER_CODECS).join(', ')})`);
    }
  }
  return { operation: FILTER_OPERATIONS[change], msg: w.finish(FILTER_ATTRS), links };
}

/** Validates and builds a chain add or del; nothing is sent. */
export function prepareChain(change: 'add' | 'del', dev: LinkRef, spec: ChainSpec): PreparedRequest {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('chain', 'expected a chain spec');
  const kind = spec.kind !== undefined ? checkKind(spec.kind) : undefined;
  checkKeys(spec, ['parent', 'chain', 'kind', 'dev', 'index', ...(kind ? [kind] : [])], '');
  if (spec.parent === undefined) throw new ValidationError('parent', 'a chain needs a parent');
  const parent = parseHandle(spec.parent, 'parent', 'filter-parent');
  const chain = parseInt32(spec.chain, 'chain');
  const links: LinkField[] = [];
  const w = start(change === 'add' ? RTM_NEWCHAIN : RTM_DELCHAIN, change === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0, dev, links, 0, parent, 0);
  w.u32(TCA.CHAIN, chain, 'chain');
  if (kind && change === 'add') {
    w.string(TCA.KIND, kind, 'kind');
    const codec = FILTER_CODECS[kind];
    if (!codec) throw new ValidationError('kind', `no template support for filter kind ${JSON.stringify(kind)}`);
    w.nestStart(TCA.OPTIONS, kind, true);
    codec.encode(w, spec[kind], kind, { ethType: ETH_P_ALL }, { links, handle: 0 });
    w.nestEnd();
  }
  return { operation: `tc.chain.${change}`, msg: w.finish(), links };
}
