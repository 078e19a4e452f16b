/**
 * nl.monitor(): rtnetlink notifications as typed events.
 *
 *   const mon = await nl.monitor({ groups: ['link', 'address', 'route'], netns: 'h1' });
 *   for await (const ev of mon) { … }          // or mon.on('event', …)
 *
 * Equivalent to: ip monitor link address route   (ip -n h1 monitor …; ip monitor all-nsid)
 *
 * The socket joins each multicast group with NETLINK_ADD_MEMBERSHIP (so groups above 32
 * work) and is read on the main loop like every other netlink socket; each notification is
 * decoded by the same decoder the list call uses. When the kernel drops notifications
 * (ENOBUFS) the monitor says so with a 'resync' event; with `resync: 'auto'` it re-lists what
 * it watches and emits the differences first.
 */
import { EventEmitter } from 'node:events';
import { ValidationError, type SystemError } from '../../errors';
import { open as openNetns, type NetnsHandle } from '../../netns/handle';
import type { NetnsRef } from '../../netns/netns-ref';
import { open as openRtnl } from '../handle';
import { abortError, type Engine } from '../../core/engine';
import type { NativeNetlinkSocket } from '../../core/native-netlink';
import { openRtnlSocket } from '../socket';
import { checkKeys } from '../../core/options';
import { NETLINK_LISTEN_ALL_NSID, NLMSG_HDRLEN, NLM_F_REPLACE, SOL_NETLINK } from '../../wire/constants';
import { AsyncQueue } from '../../core/async-queue';
import { KINDS, KIND_OF_CHANNEL, makeEvent, objectOf, type KindSpec, type ListSource } from './event-kinds';
import type {
  ActionEvent, AddressEvent, ChainEvent, FdbEvent, FilterEvent, LinkEvent, MdbEvent, MonitorEvent, NeighEvent, NexthopEvent,
  NsidEvent, ObjectEvent, QdiscEvent, ResyncEvent, RouteEvent, RuleEvent, StatsEvent, TcClassEvent, VlanEvent, VniEvent,
} from './events';
import { CHANNELS, channelOf, channelsOf, multicastGroups, type MonitorChannel, type MonitorGroup } from './groups';
import { MonitorView, type TouchedKeys } from './view';

/** Options of `nl.monitor()`. */
export interface MonitorOptions {
  /**
   * What to watch: 'link', 'address' ('address4', 'address6'), 'route' ('route4', 'route6'),
   * 'neigh' ('neigh4', 'neigh6'), 'fdb', 'rule' ('rule4', 'rule6'), 'nsid', 'vlan'.
   * Default: all but 'vlan' (as `ip monitor all`).
   */
  groups?: readonly MonitorGroup[];
  /** Namespace to watch (name under /run/netns, path, fd or handle); default the current one. */
  netns?: NetnsRef;
  /** Watch the namespace of this process. */
  netnsPid?: number;
  /**
   * Also hear every namespace that has an nsid in the watched one (NETLINK_LISTEN_ALL_NSID);
   * each event then carries `nsid`. The kernel only forwards namespaces that have an id
   * (`ip netns set NAME ID`, or one assigned when a veth peer or similar was moved there).
   */
  allNetns?: boolean;
  /**
   * 'event' (default): on ENOBUFS join a fresh socket, then emit
   * `{ type: 'resync', auto: false }`: re-list what you track (nothing after it is missed).
   * 'auto': keep a view of the watched objects (`mon.view`), re-list on ENOBUFS, emit the
   * differences (`synthesized: true`) and then `{ type: 'resync', auto: true }`. The view
   * also follows what the kernel changes without a notification — IPv4 routes removed with
   * their link or source address, the 'linkdown' flag, rules whose interface went away: link
   * changes and address removals trigger a re-list of routes and rules.
   */
  resync?: 'event' | 'auto';
  /** Socket receive buffer in bytes (forced when privileged). Default 32 MiB. */
  receiveBufferSize?: number;
  /**
   * Events a `for await` loop may have waiting before the monitor stops reading the socket
   * (the kernel then buffers, and reports overflow as 'resync'). Default 16384.
   */
  highWaterMark?: number;
  /** Closes the monitor when aborted (also while it is opening). */
  signal?: AbortSignal;
}

const MONITOR_KEYS = ['groups', 'netns', 'netnsPid', 'allNetns', 'resync', 'receiveBufferSize', 'highWaterMark', 'signal'];

/** The socket operations the monitor uses. */
export type MonitorSocket = Pick<NativeNetlinkSocket, 'addMembership' | 'setIntOption' | 'ref' | 'unref' | 'pause' | 'resume'>;

/**
 * How a monitor opens its sockets. @internal unit tests pass fakes; `nl.monitor()` opens
 * real rtnetlink sockets in the watched namespace.
 */
export interface MonitorDeps {
  /** A configured, bound NETLINK_ROUTE socket whose engine will receive the notifications. */
  openSocket(onError: (err: SystemError) => void): Promise<{ sock: MonitorSocket; engine: Engine }>;
  /** A handle to re-list objects with (resync: 'auto'). */
  openLister(): Promise<ListSource & { close(): void }>;
}

interface Subscription {
  sock: MonitorSocket;
  engine: Engine;
  reading: boolean;
  dead: boolean;
}

interface Buffered {
  kind: KindSpec;
  ev: ObjectEvent;
  replace: boolean;
}

/** A re-list to do: which kinds, and why. */
interface Job {
  kinds: Set<KindSpec>;
  /** The socket lost notifications: open a fresh one before listing. */
  reopen: boolean;
  /** Emit a 'resync' event when done. */
  lost: boolean;
  /** The baseline taken when the monitor starts: nothing is emitted. */
  initial: boolean;
}

/** Event names whose listeners make the monitor start reading. */
const CONSUMER_EVENTS = new Set<string | symbol>(['event', 'resync', ...KINDS.map((k) => k.type)]);

const routeKind = KIND_OF_CHANNEL.get('route4')!;
const ruleKind = KIND_OF_CHANNEL.get('rule4')!;

export declare interface Monitor {
  /** Every event, in the order the kernel sent them. */
  on(event: 'event', listener: (ev: MonitorEvent) => void): this;
  /** Links created, changed or deleted (group 'link'). */
  on(event: 'link', listener: (ev: LinkEvent) => void): this;
  /** Addresses added or removed (groups 'address', 'address4', 'address6'). */
  on(event: 'address', listener: (ev: AddressEvent) => void): this;
  /** Routes added, replaced or removed (groups 'route', 'route4', 'route6'). */
  on(event: 'route', listener: (ev: RouteEvent) => void): this;
  /** Neighbour entries (groups 'neigh', 'neigh4', 'neigh6'). */
  on(event: 'neigh', listener: (ev: NeighEvent) => void): this;
  /** Bridge and VXLAN FDB entries (group 'fdb'). */
  on(event: 'fdb', listener: (ev: FdbEvent) => void): this;
  /** Policy routing rules (groups 'rule', 'rule4', 'rule6'). */
  on(event: 'rule', listener: (ev: RuleEvent) => void): this;
  /** Namespace ids assigned or removed (group 'nsid'). */
  on(event: 'nsid', listener: (ev: NsidEvent) => void): this;
  /** A bridge port's VLAN list changed (group 'vlan'). */
  on(event: 'vlan', listener: (ev: VlanEvent) => void): this;
  /** Nexthop objects (group 'nexthop'). */
  on(event: 'nexthop', listener: (ev: NexthopEvent) => void): this;
  /** Qdiscs (group 'tc'). */
  on(event: 'qdisc', listener: (ev: QdiscEvent) => void): this;
  /** Traffic classes (group 'tc'). */
  on(event: 'class', listener: (ev: TcClassEvent) => void): this;
  /** Filters (group 'tc'). */
  on(event: 'filter', listener: (ev: FilterEvent) => void): this;
  /** Filter chains (group 'tc'). */
  on(event: 'chain', listener: (ev: ChainEvent) => void): this;
  /** Standalone tc actions (group 'tc'). */
  on(event: 'action', listener: (ev: ActionEvent) => void): this;
  /** Bridge multicast database entries (group 'mdb'). */
  on(event: 'mdb', listener: (ev: MdbEvent) => void): this;
  /** VXLAN VNI filter entries (group 'vni'). */
  on(event: 'vni', listener: (ev: VniEvent) => void): this;
  /** Offload-stats state of links (group 'stats'). */
  on(event: 'stats', listener: (ev: StatsEvent) => void): this;
  /** The kernel dropped notifications (ENOBUFS). */
  on(event: 'resync', listener: (ev: ResyncEvent) => void): this;
  /** The socket failed for a reason other than ENOBUFS; the monitor closes. */
  on(event: 'error', listener: (err: Error) => void): this;
  /** The monitor closed (close(), an abort, or a socket error). */
  on(event: 'close', listener: () => void): this;
  /** Any other EventEmitter event. */
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  /** The next event, once. */
  once(event: 'event', listener: (ev: MonitorEvent) => void): this;
  /** The next resync, once. */
  once(event: 'resync', listener: (ev: ResyncEvent) => void): this;
  /** The close, once. */
  once(event: 'close', listener: () => void): this;
  /** Any other EventEmitter event, once. */
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * A stream of rtnetlink notifications from one namespace (or, with `allNetns`, several).
 * Reading starts when the first consumer attaches (an 'event'/'resync'/per-type listener or
 * a `for await` loop); until then notifications wait in the kernel's buffer. While open and
 * reading, the monitor keeps the process alive unless `unref()`ed; `close()` releases it.
 */
export class Monitor extends EventEmitter implements AsyncIterable<MonitorEvent> {
  /** With `resync: 'auto'`: the watched objects as the emitted events describe them. */
  readonly view: MonitorView | undefined;
  private readonly channels: ReadonlySet<MonitorChannel>;
  /** Channels read only to notice silent route flushes (resync: 'auto' with routes). */
  private readonly triggers = new Set<MonitorChannel>();
  private readonly listened: ReadonlySet<MonitorChannel>;
  private readonly kinds: Set<KindSpec>;
  private readonly allNetns: boolean;
  private readonly highWaterMark: number;
  private sub: Subscription | undefined;
  private lister: Promise<ListSource & { close(): void }> | undefined;
  private readonly queues = new Set<AsyncQueue<MonitorEvent>>();
  private consuming = false;
  private refd = true;
  private closed = false;
  private buffer: Buffered[] | undefined;
  private pending: Job | undefined;
  private reconciling = false;
  private running: Promise<void> | undefined;
  private lostCount = 0;
  private readonly opens = new Set<Promise<unknown>>();

  /** @internal use `nl.monitor()`. */
  constructor(
    opts: MonitorOptions,
    private readonly deps: MonitorDeps,
    private readonly onClosed: () => void = () => {},
  ) {
    super();
    this.channels = channelsOf(opts.groups);
    this.kinds = new Set([...this.channels].map((c) => KIND_OF_CHANNEL.get(c)!));
    this.allNetns = opts.allNetns === true;
    this.highWaterMark = opts.highWaterMark ?? 16384;
    if (opts.resync === 'auto') {
      this.view = new MonitorView(this.kinds);
      if (this.kinds.has(routeKind) || this.kinds.has(ruleKind)) {
        for (const c of ['link', 'address4'] as const) if (!this.channels.has(c)) this.triggers.add(c);
      }
    }
    this.listened = new Set([...this.channels, ...this.triggers]);
    this.on('newListener', (name: string | symbol) => {
      if (CONSUMER_EVENTS.has(name)) this.startConsuming();
    });
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal subscribes and (resync: 'auto') takes the baseline listing. */
  async start(): Promise<void> {
    await this.subscribe();
    if (this.view && !this.closed) {
      this.requestReconcile(this.kinds, { initial: true });
      await this.running;
    }
  }

  /** Keep the process alive while the monitor is reading (the default). */
  ref(): this {
    this.refd = true;
    this.sub?.sock.ref();
    return this;
  }

  /** Let the process exit even though the monitor is open. */
  unref(): this {
    this.refd = false;
    this.sub?.sock.unref();
    return this;
  }

  /**
   * Stops listening and releases the socket. Pending `for await` loops finish after the
   * events already queued. Safe to call twice.
   */
  close(): void {
    this.shutdown();
  }

  /** `await using mon = await nl.monitor(…)` closes it at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** `using mon = …` closes it too. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Events from now on. Leaving the loop early (break, return, an exception) closes the
   * monitor, as it does for a stream; use a listener to watch from several places.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<MonitorEvent> {
    const q: AsyncQueue<MonitorEvent> = new AsyncQueue<MonitorEvent>({
      highWaterMark: this.highWaterMark,
      onFull: () => this.updateFlow(),
      onDrain: () => this.updateFlow(),
      onReturn: () => {
        this.queues.delete(q);
        this.close();
      },
    });
    if (this.closed) q.end();
    else this.queues.add(q);
    this.startConsuming();
    return q;
  }

  private startConsuming(): void {
    if (this.consuming) return;
    this.consuming = true;
    this.updateFlow();
  }

  /** Reads the socket while someone consumes (or a re-list is collecting), and no loop is full. */
  private updateFlow(): void {
    const sub = this.sub;
    if (!sub || sub.dead) return;
    let full = false;
    for (const q of this.queues) if (q.isFull) full = true;
    const read = !this.closed && (this.reconciling || (this.consuming && !full));
    if (read === sub.reading) return;
    sub.reading = read;
    if (read) sub.sock.resume();
    else sub.sock.pause();
  }

  /** Runs a native open, remembering it so a pinned namespace fd outlives it. */
  private track<T>(p: Promise<T>): Promise<T> {
    this.opens.add(p);
    const done = () => this.opens.delete(p);
    p.then(done, done);
    return p;
  }

  /** Opens a socket, joins the groups and makes it the current subscription. */
  private async subscribe(): Promise<void> {
    const holder: { sub?: Subscription } = {};
    const { sock, engine } = await this.track(this.deps.openSocket((err) => {
      if (holder.sub) this.onSocketError(holder.sub, err);
    }));
    const sub: Subscription = { sock, engine, reading: true, dead: false };
    holder.sub = sub;
    if (this.closed) {
      engine.close();
      return;
    }
    engine.onNotification = (buf, off, len, type, nsid) => this.onMessage(sub, buf, off, len, type, nsid);
    try {
      if (this.allNetns) sock.setIntOption(SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, 1);
      for (const group of multicastGroups(this.listened)) sock.addMembership(group);
    } catch (err) {
      engine.close();
      throw err;
    }
    if (this.refd) sock.ref();
    this.sub = sub;
    this.updateFlow();
  }

  private retire(sub: Subscription | undefined): void {
    if (!sub || sub.dead) return;
    sub.dead = true;
    if (this.sub === sub) this.sub = undefined;
    sub.engine.close();
  }

  private onMessage(sub: Subscription, buf: Buffer, off: number, len: number, type: number, nsid: number): void {
    if (sub.dead || this.closed) return;
    const family = len > NLMSG_HDRLEN ? buf[off + NLMSG_HDRLEN]! : 0;
    const channel = channelOf(type, family);
    if (!channel || !this.listened.has(channel)) return;
    const kind = KIND_OF_CHANNEL.get(channel)!;
    const action = type === CHANNELS[channel].newType ? 'new' : 'del';
    if (this.channels.has(channel)) {
      const obj = kind.decode(buf, off, len);
      const ev = makeEvent(kind, action === 'new' && kind.actionOf ? kind.actionOf(obj) : action, obj);
      if (this.allNetns) ev.nsid = nsid;
      this.accept(kind, ev, (buf.readUInt16LE(off + 6) & NLM_F_REPLACE) !== 0);
    }
    // IPv4 drops routes without a word when their link goes down or away or their preferred
    // source address is deleted; no notification says a route turned 'linkdown' or a rule's
    // interface went away ('iif_detached'). Re-list those when such a cause shows up.
    if (this.view && (channel === 'link' || (channel === 'address4' && action === 'del'))) {
      const kinds = (channel === 'link' ? [routeKind, ruleKind] : [routeKind]).filter((k) => this.view!.tracks(k.type));
      if (kinds.length) this.requestReconcile(kinds, {});
    }
  }

  /** An object event from the socket: straight out, or held while a re-list runs. */
  private accept(kind: KindSpec, ev: ObjectEvent, replace: boolean): void {
    if (this.buffer) {
      this.buffer.push({ kind, ev, replace });
      return;
    }
    this.view?.apply(kind, ev, replace);
    this.deliver(ev);
  }

  private deliver(ev: MonitorEvent): void {
    if (this.closed) return;
    this.emit('event', ev);
    this.emit(ev.type, ev);
    for (const q of this.queues) {
      q.push(ev); // reaching the high-water mark calls updateFlow (onFull)
    }
  }

  private onSocketError(sub: Subscription, err: SystemError): void {
    if (sub.dead || this.closed) return;
    if (err.code !== 'ENOBUFS') {
      this.shutdown(err);
      return;
    }
    // After an overrun the kernel keeps dropping, without telling again, until the queue is
    // empty, and what the queue still holds predates the loss. So this socket is done with:
    // a fresh one is joined, and only then is 'resync' said (or the re-list started), so
    // nothing that happens after the user hears it can be missed.
    this.lostCount++;
    this.retire(sub);
    this.requestReconcile(this.view ? this.kinds : [], { reopen: true, lost: true });
  }

  private requestReconcile(kinds: Iterable<KindSpec>, why: { reopen?: boolean; lost?: boolean; initial?: boolean }): void {
    const job = (this.pending ??= { kinds: new Set(), reopen: false, lost: false, initial: false });
    for (const k of kinds) job.kinds.add(k);
    job.reopen ||= why.reopen === true;
    job.lost ||= why.lost === true;
    job.initial ||= why.initial === true;
    // From this moment notifications wait until the listing is in, then replay on top of it.
    this.buffer ??= [];
    if (!this.reconciling) this.running = this.runReconciles();
  }

  /** Works through re-list jobs one at a time. Rejects only when the initial baseline fails. */
  private async runReconciles(): Promise<void> {
    this.reconciling = true;
    this.updateFlow();
    try {
      while (this.pending && !this.closed) {
        const job = this.pending;
        this.pending = undefined;
        if (job.reopen) {
          this.buffer = [];
          try {
            await this.subscribe();
          } catch (err) {
            // The namespace cannot be listened to any more (e.g. its fd was closed).
            this.shutdown(err as Error);
            return;
          }
          if (this.closed) return;
        }
        if (!this.view) {
          this.guard(() => this.finishLost());
          continue;
        }
        const lostBefore = this.lostCount;
        let listed: Map<KindSpec, unknown[]> | undefined;
        let error: Error | undefined;
        try {
          listed = await this.relist(job.kinds);
        } catch (err) {
          error = err as Error;
        }
        if (this.closed) return;
        if (this.lostCount !== lostBefore) {
          // Dropped again while listing: start over on a fresh socket, keeping this job's work.
          const next = this.pending!;
          for (const k of job.kinds) next.kinds.add(k);
          next.lost ||= job.lost;
          next.initial ||= job.initial;
          continue;
        }
        if (error && job.initial) throw error;
        this.guard(() => this.finish(job, listed, error));
      }
    } finally {
      this.reconciling = false;
      this.updateFlow();
    }
  }

  /** A listener that throws while held events are delivered fails like any listener would. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  }

  /** resync: 'event': the fresh socket is listening, so now is the moment to re-list. */
  private finishLost(): void {
    const held = this.buffer ?? [];
    this.buffer = this.pending ? [] : undefined;
    this.deliver({ type: 'resync', auto: false });
    for (const { ev } of held) this.deliver(ev);
  }

  private async relist(kinds: Set<KindSpec>): Promise<Map<KindSpec, unknown[]>> {
    if (!this.lister) {
      this.lister = this.track(this.deps.openLister());
      this.lister.catch(() => (this.lister = undefined));
    }
    const lister = await this.lister;
    const ordered = KINDS.filter((k) => kinds.has(k));
    const lists = await Promise.all(ordered.map((k) => k.list(lister, this.channels)));
    return new Map(ordered.map((k, i) => [k, lists[i]!]));
  }

  /**
   * Replays the notifications held back while the listing ran, in order, then applies the
   * listing to what they did not touch and emits those differences (then 'resync' if the
   * re-list was for lost notifications). The held notifications are complete from the moment
   * they were held, so they are the newer word on every object they mention; the listing is
   * the only word on the rest.
   */
  private finish(job: Job, listed: Map<KindSpec, unknown[]> | undefined, error: Error | undefined): void {
    const view = this.view!;
    const held = this.buffer ?? [];
    // A re-list already requested gets its own buffer at once, so nothing slips between.
    this.buffer = this.pending ? [] : undefined;
    const touched = new Map<KindSpec, TouchedKeys>();
    for (const { kind, ev, replace } of held) {
      let t = touched.get(kind);
      if (!t) touched.set(kind, (t = { keys: new Set(), replaceKeys: new Set() }));
      const obj = objectOf(kind, ev);
      t.keys.add(kind.key(obj));
      if (replace && kind.replaceKey) t.replaceKeys.add(kind.replaceKey(obj));
      view.apply(kind, ev, replace);
      if (!job.initial) this.deliver(ev);
    }
    const deleted: ObjectEvent[][] = [];
    const added: ObjectEvent[] = [];
    for (const [kind, items] of listed ?? []) {
      const diff = view.reconcile(kind, items, touched.get(kind));
      deleted.unshift(diff.deleted); // dependants (routes) go before what they depend on (links)
      added.push(...diff.added);
    }
    if (job.initial) return;
    for (const ev of deleted.flat()) this.deliver(ev);
    for (const ev of added) this.deliver(ev);
    if (error) this.deliver({ type: 'resync', auto: false, error });
    else if (job.lost) this.deliver({ type: 'resync', auto: true });
  }

  private shutdown(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.retire(this.sub);
    this.buffer = undefined;
    this.pending = undefined;
    const lister = this.lister;
    lister?.then((l) => l.close(), () => {});
    for (const q of this.queues) q.end(err);
    const heard = this.queues.size > 0 || this.listenerCount('error') > 0;
    this.queues.clear();
    this.updateFlow();
    Promise.allSettled([...this.opens]).then(() => this.onClosed());
    if (err) {
      if (this.listenerCount('error') > 0) this.emit('error', err);
      else if (!heard) process.emitWarning(`netlink monitor closed: ${err.message}`, 'NetlinkMonitorWarning');
    }
    this.emit('close');
  }
}

/**
 * Opens a monitor on the given groups of one namespace (the current one by default).
 * Resolves once the socket has joined every group: changes made after that are reported.
 *
 * Equivalent to: ip [-n NS] monitor [all-nsid] link address route nsid
 */
export async function monitor(opts: MonitorOptions = {}): Promise<Monitor> {
  checkKeys(opts, MONITOR_KEYS);
  if (opts.netns !== undefined && opts.netnsPid !== undefined) {
    throw new ValidationError('netnsPid', 'give either netns or netnsPid, not both');
  }
  if (opts.resync !== undefined && opts.resync !== 'auto' && opts.resync !== 'event') {
    throw new ValidationError('resync', "expected 'auto' or 'event'");
  }
  if (opts.resync === 'auto' && opts.allNetns) {
    // Other namespaces are known only by nsid here, and an nsid cannot be opened to re-list.
    throw new ValidationError('resync', "'auto' needs a single namespace to re-list; it cannot be combined with allNetns");
  }
  if (opts.highWaterMark !== undefined && (!Number.isInteger(opts.highWaterMark) || opts.highWaterMark < 1)) {
    throw new ValidationError('highWaterMark', 'must be a positive integer');
  }
  if (opts.receiveBufferSize !== undefined && (!Number.isInteger(opts.receiveBufferSize) || opts.receiveBufferSize < 1)) {
    throw new ValidationError('receiveBufferSize', 'must be a positive integer');
  }
  channelsOf(opts.groups);
  if (opts.signal?.aborted) throw abortError(opts.signal);
  // A namespace named by path or pid is opened once and held, so a resync reopens the very
  // same namespace even if its name was removed meanwhile.
  let pinned: NetnsHandle | undefined;
  if (typeof opts.netns === 'string') pinned = openNetns(opts.netns);
  else if (opts.netnsPid !== undefined) pinned = openNetns({ pid: opts.netnsPid });
  const netns = pinned ?? opts.netns;
  const deps: MonitorDeps = {
    openSocket: (onError) => openRtnlSocket({
      ...(netns !== undefined ? { netns } : {}),
      ...(opts.receiveBufferSize !== undefined ? { receiveBufferSize: opts.receiveBufferSize } : {}),
    }, onError),
    openLister: () => openRtnl(netns !== undefined ? { netns } : {}),
  };
  let mon: Monitor;
  try {
    mon = new Monitor(opts, deps, () => pinned?.close());
  } catch (err) {
    pinned?.close();
    throw err;
  }
  const signal = opts.signal;
  const onAbort = () => mon.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  mon.once('close', () => signal?.removeEventListener('abort', onAbort));
  try {
    await mon.start();
  } catch (err) {
    mon.close();
    throw err;
  }
  if (mon.isClosed) throw signal?.aborted ? abortError(signal) : new Error('the monitor was closed while opening');
  return mon;
}
