/**
 * The request engine: sequence numbers, the pending map, multipart dumps, acks,
 * NLM_F_DUMP_INTR retries, NLMSG_ERROR → NetlinkError (with extack), and pipelining.
 *
 * Pipelining: requests queue up and are flushed once per event-loop turn, so everything
 * issued in the same tick leaves in as few sendmsg calls as possible (the kernel processes
 * every message of one sendmsg in turn). The number of requests in flight is bounded so acks
 * never overflow the receive buffer. Only one dump runs at a time per socket (the kernel
 * answers EBUSY to a second), and requests leave in the order they were issued, so a list
 * issued after a change sees it.
 *
 * Acks by barrier: a change that expects no reply (no decoder) is sent without NLM_F_ACK, and
 * each sendmsg that carries such changes ends with an NLMSG_NOOP that asks for an ack. The
 * kernel handles one socket's messages in order and always answers a failure with an
 * NLMSG_ERROR for that message's sequence number, so when the barrier's ack arrives every
 * covered change without an error has succeeded. This spares the kernel an ack skb per change
 * and us a datagram per change: the difference between keeping up with `ip -batch` and beating it.
 */
import { HandleClosedError, NetlinkError, ParseError } from '../errors';
import {
  NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_MIN_TYPE, NLMSG_NOOP, NLMSG_OVERRUN,
  NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP_INTR, NLM_F_REQUEST,
  NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLA_TYPE_MASK, align4,
} from '../wire/constants';
import { forEachAttr, readString } from '../wire/attributes';
import type { AttrTable, BuiltMessage } from '../wire/message-writer';

/** What the engine needs from a socket (the native NetlinkSocket, or a fake in unit tests). */
export interface Transport {
  send(buf: Buffer): number;
  ref(): void;
  unref(): void;
  close(): void;
}

/**
 * Decodes one reply message. `off` is the start of its nlmsghdr and `len` its length.
 * Returns the decoded item, or undefined to skip the message (e.g. a filtered-out family).
 */
export type Decoder<T> = (buf: Buffer, off: number, len: number, type: number, flags: number) => T | undefined;

/** Options of one request. */
export interface RequestOptions<T> {
  /** Library operation name for errors, e.g. 'link.add'. */
  operation: string;
  /** A dump (NLM_F_DUMP): completes at NLMSG_DONE. Otherwise NLM_F_ACK is set and the ack completes it. */
  dump?: boolean;
  /** Decoder for reply messages (dump parts, echoes, get replies). */
  decode?: Decoder<T>;
  signal?: AbortSignal;
}

/** Options of Engine.group. */
export interface GroupOptions<T> {
  /** Operation name for errors (and for each message unless `operations` names it). */
  operation: string;
  /** Per-message operation names, e.g. 'nft.add rule (nftables[3])'. */
  operations?: readonly (string | undefined)[];
  /** Decoder for replies to any message of the group (echoes). */
  decode?: Decoder<T>;
}

/** What one message of a group drew: its decoded replies, or the kernel's error for it. */
export interface GroupReply<T> {
  items: T[];
  error?: NetlinkError | Error;
}

/** Thrown when a dump kept being interrupted by concurrent changes (NLM_F_DUMP_INTR). */
export class DumpInterruptedError extends NetlinkError {
  constructor(operation: string, attempts: number) {
    super({ errno: 4 /* EINTR */, operation, extack: `dump was interrupted by concurrent changes ${attempts} times in a row` });
    this.name = 'DumpInterruptedError';
  }
}

/** Tunables of the engine. */
export interface EngineOptions {
  /** Requests (not dumps) in flight at once. */
  maxInFlight?: number;
  /** Bytes per sendmsg (must stay below the socket's send buffer). */
  maxBatchBytes?: number;
  /** How many times an interrupted dump is retried before DumpInterruptedError. */
  dumpRetries?: number;
}

/**
 * A u32 a queued request needs before it may leave: the ifindex of a link given by name while
 * its lookup runs. The request waits in its place in the queue (so issue order holds) and the
 * engine writes the value in when it sends, so 100 000 changes naming one link wait on one
 * lookup without a promise chained per change.
 */
export class Hold {
  /** 0 waiting, 1 has `value`, 2 failed with `error`. */
  state = 0;
  value = 0;
  error: unknown;
  private wakers: (() => void)[] = [];

  /** `explain` turns the failure into the error of one request (its operation and field). */
  constructor(readonly explain: (operation: string, field: string, err: unknown) => Error) {}

  resolve(value: number): void {
    if (this.state !== 0) return;
    this.state = 1;
    this.value = value;
    this.wake();
  }

  reject(err: unknown): void {
    if (this.state !== 0) return;
    this.state = 2;
    this.error = err;
    this.wake();
  }

  /** Calls `fn` once the hold settles (engines waiting on it flush then). */
  onSettle(fn: () => void): void {
    if (!this.wakers.includes(fn)) this.wakers.push(fn);
  }

  private wake(): void {
    const fns = this.wakers;
    this.wakers = [];
    for (const fn of fns) fn();
  }
}

/** Where a held request writes its Hold's value, and the field named if it fails. */
export interface HoldSlot {
  hold: Hold;
  /** Offset in the message of the u32 to write. */
  at: number;
  field: string;
}

// Flags of a Pending.
const INTERRUPTED = 1;
const ABORTED = 2;
const SENT = 4;
/** Sent without NLM_F_ACK; completed by the barrier that follows it. */
const BY_BARRIER = 8;
/** Resolves with undefined (a change) rather than the decoded replies. */
const VOID_RESULT = 16;
/** `resolve` is a completion callback (error or undefined), not a promise's resolve. */
const CALLBACK = 32;
/** A group (see Engine.group): holds its place in the queue, leaves alone in one sendmsg. */
const GROUP = 64;

/** What only some requests need: replies (decoders), retries (dumps), covers (barriers). */
interface PendingExtra {
  items?: unknown[];
  attempts?: number;
  /** For a barrier: the changes it completes. */
  covers?: Pending[];
  /** Holds past the first (a request naming several links by name). */
  holds?: readonly HoldSlot[];
  /** For a group: its messages, each answered on its own. */
  children?: Pending[];
}

/** The requests one AbortSignal covers, and the one listener the engine put on it. */
interface SignalGroup {
  pending: Set<Pending>;
  onAbort: () => void;
}

// A class, not an object literal with closures, with what only some requests need kept aside:
// a bulk change keeps 100 000 of these alive at once, and their size is most of what the GC
// then has to copy. The message is `len` bytes at `off` in `bytes`, a Buffer over the
// whole of the memory the message was built in (MessageWriter's slab, where messages built one
// after another sit back to back), so 100 000 queued changes are not 100 000 Buffers. Only
// `resolve` is kept; a failure resolves with a rejected promise. The first hold is kept
// inline (the bulk case: one link named by name), any others aside.
class Pending {
  seq = 0;
  flags: number;
  hold: Hold | undefined = undefined;
  holdAt = 0;
  holdField = '';
  extra: PendingExtra | undefined = undefined;
  resolve: (value: any) => void = noop;

  constructor(
    readonly bytes: Buffer,
    readonly off: number,
    readonly len: number,
    /** Attribute names for extack offsets: a message's map, or a table by top-level type. */
    readonly names: Map<number, string> | AttrTable | undefined,
    readonly opts: RequestOptions<any>,
    flags: number,
  ) {
    this.flags = flags;
  }

  get aborted(): boolean {
    return (this.flags & ABORTED) !== 0;
  }

  get more(): PendingExtra {
    return (this.extra ??= {});
  }

  reject(err: Error): void {
    // A barrier has no promise of its own: nothing to reject (and no stray rejected promise).
    if (this.flags & CALLBACK) this.resolve(err);
    else if (this.resolve !== noop) this.resolve(Promise.reject(err));
  }
}

/** Requests in flight unless told otherwise (socket.ts lowers it for small receive buffers). */
export const MAX_IN_FLIGHT = 4096;

function noop(): void {}

const WAITING = Symbol('waiting');

const BARRIER_OPTIONS: RequestOptions<never> = Object.freeze({ operation: 'barrier' });

/** Handler for messages nobody asked for (multicast notifications, seq 0). */
export type NotificationHandler = (buf: Buffer, off: number, len: number, type: number, nsid: number) => void;

/** The request engine over one netlink socket. */
export class Engine {
  private seq = Math.floor(Math.random() * 0x7fff_ffff);
  /** A Buffer over the whole of the memory the last message came in (see Pending). */
  private region: Buffer = Buffer.alloc(0);
  // FIFO with a moving head: Array#shift is O(n), which turns 100 000 queued requests quadratic.
  private queue: Pending[] = [];
  private head = 0;
  private readonly inFlight = new Map<number, Pending>();
  private dumpInFlight = false;
  private flushScheduled = false;
  /** Whether the transport keeps the event loop alive: exactly while anything is pending. */
  private referenced = false;
  private closed = false;
  private readonly maxInFlight: number;
  private readonly maxBatchBytes: number;
  private readonly dumpRetries: number;
  /** Messages with no pending request (multicast events). */
  onNotification?: NotificationHandler;
  /** A reply that could not be parsed (skipped; never fatal). */
  onParseError: (err: ParseError) => void = (err) => process.emitWarning(err.message, 'NetlinkParseWarning');

  constructor(private readonly transport: Transport, opts: EngineOptions = {}) {
    this.maxInFlight = opts.maxInFlight ?? MAX_IN_FLIGHT;
    this.maxBatchBytes = opts.maxBatchBytes ?? 1 << 20;
    this.dumpRetries = opts.dumpRetries ?? 5;
  }

  /** True once close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Number of requests queued or awaiting their reply. */
  get pending(): number {
    return this.queue.length - this.head + this.inFlight.size;
  }

  /**
   * Sends a request; resolves with every decoded reply (dump parts, echo, get reply). With
   * `holds`, it keeps its place in the queue until every hold settles, then leaves with each
   * hold's value written at its `at` (or fails with the first failed hold's error, never sent).
   */
  request<T>(msg: BuiltMessage, opts: RequestOptions<T>, holds?: readonly HoldSlot[]): Promise<T[]> {
    return this.enqueue(msg, opts, false, holds, undefined)!;
  }

  /** `request` for a change that expects no reply: resolves with nothing once accepted. */
  change(msg: BuiltMessage, opts: RequestOptions<unknown>, holds?: readonly HoldSlot[]): Promise<void> {
    return this.enqueue(msg, opts, true, holds, undefined)!;
  }

  /**
   * `change` for bulk callers that track outcomes themselves (rt.batch): `done` is called
   * with undefined on success or the error, and no promise is made per request.
   */
  changeThen(msg: BuiltMessage, opts: RequestOptions<unknown>, holds: readonly HoldSlot[] | undefined, done: (err: Error | undefined) => void): void {
    this.enqueue(msg, opts, true, holds, done);
  }

  /**
   * Sends `msgs` together in ONE sendmsg of their own (nothing before or after them in it),
   * in the queue's order, then an acked barrier in the next sendmsg. Resolves once every
   * message is answered, with each one's decoded replies (echoes) or its error. This is what
   * an nfnetlink transaction needs: the kernel takes a whole datagram as the batch, drops
   * whatever follows BATCH_END in it, and answers only errors (and messages asking for acks).
   */
  group<T>(msgs: readonly BuiltMessage[], opts: GroupOptions<T>): Promise<GroupReply<T>[]> {
    if (this.closed) return Promise.reject(new HandleClosedError(`${opts.operation}: the netlink handle is closed`));
    let total = 0;
    for (const m of msgs) total += align4(m.bytes.length);
    const bytes = Buffer.alloc(total);
    const children: Pending[] = [];
    const results: GroupReply<T>[] = new Array(msgs.length);
    let left = msgs.length;
    let resolveAll!: (r: GroupReply<T>[]) => void;
    const promise = new Promise<GroupReply<T>[]>((r) => (resolveAll = r));
    let pos = 0;
    msgs.forEach((m, i) => {
      m.bytes.copy(bytes, pos);
      const childOpts: RequestOptions<T> = { operation: opts.operations?.[i] ?? opts.operation, ...(opts.decode ? { decode: opts.decode } : {}) };
      const c = new Pending(bytes, pos, m.bytes.length, m.attrTable ?? m.attrNames, childOpts, BY_BARRIER | CALLBACK);
      c.resolve = (v: unknown) => {
        results[i] = v instanceof Error ? { items: [], error: v } : { items: (v as T[]) ?? [] };
        if (--left === 0) resolveAll(results);
      };
      children.push(c);
      pos += align4(m.bytes.length);
    });
    if (!msgs.length) return Promise.resolve([]);
    const g = new Pending(bytes, 0, total, undefined, { operation: opts.operation }, GROUP);
    g.more.children = children;
    this.queue.push(g);
    if (!this.referenced) {
      this.referenced = true;
      this.transport.ref();
    }
    this.scheduleFlush();
    return promise;
  }

  /** Sends a group's messages in one sendmsg and its barrier in the next (see group). */
  private sendGroup(g: Pending): void {
    const children = g.extra!.children!;
    for (const c of children) {
      c.seq = this.nextSeq();
      c.bytes.writeUInt32LE(c.seq, c.off + 8);
      c.flags |= SENT;
      this.inFlight.set(c.seq, c);
    }
    const barrier = this.barrier(children);
    try {
      this.transport.send(g.bytes.subarray(g.off, g.off + g.len));
      this.transport.send(barrier.bytes);
    } catch (err) {
      for (const c of children) this.finish(c, err as Error);
      this.finish(barrier, err as Error);
    }
  }

  private enqueue(
    msg: BuiltMessage, opts: RequestOptions<any>, voidResult: boolean, holds: readonly HoldSlot[] | undefined,
    done: ((err: Error | undefined) => void) | undefined,
  ): Promise<any> | undefined {
    let early: Error | undefined;
    if (this.closed) early = new HandleClosedError(`${opts.operation}: the netlink handle is closed`);
    else if (opts.signal?.aborted) early = abortError(opts.signal);
    if (early) {
      if (!done) return Promise.reject(early);
      done(early);
      return undefined;
    }
    const byBarrier = !opts.dump && !opts.decode;
    if (!opts.dump && !byBarrier) {
      msg.bytes.writeUInt16LE(msg.bytes.readUInt16LE(6) | NLM_F_ACK, 6);
    }
    const bytes = msg.bytes;
    if (bytes.buffer !== this.region.buffer) this.region = Buffer.from(bytes.buffer);
    const flags = (byBarrier ? BY_BARRIER : 0) | (voidResult ? VOID_RESULT : 0) | (done ? CALLBACK : 0);
    const p = new Pending(this.region, bytes.byteOffset, bytes.length, msg.attrTable ?? msg.attrNames, opts, flags);
    if (holds?.length) {
      // Indexing, not `[first, ...rest]` destructuring: that runs the iterator protocol per request.
      const first = holds[0]!;
      p.hold = first.hold;
      p.holdAt = first.at;
      p.holdField = first.field;
      if (holds.length > 1) p.more.holds = holds.slice(1);
      for (const h of holds) if (h.hold.state === 0) h.hold.onSettle(this.wake);
    }
    let promise: Promise<any> | undefined;
    if (done) {
      p.resolve = done;
    } else {
      promise = new Promise<any>((resolve) => {
        p.resolve = resolve;
      });
    }
    if (opts.signal) this.watchSignal(p, opts.signal);
    this.queue.push(p);
    if (!this.referenced) {
      this.referenced = true;
      this.transport.ref();
    }
    this.scheduleFlush();
    return promise;
  }

  private readonly wake = (): void => this.scheduleFlush();

  /**
   * A held request at the head of the queue: WAITING while a hold is unsettled; else the
   * first failed hold's error; else undefined, with every value written in.
   */
  private releaseHolds(p: Pending): Error | typeof WAITING | undefined {
    // Plain loops, no slot array per request: a bulk change naming two links runs this 10 000 times.
    const first = p.hold!;
    const rest = p.extra?.holds;
    if (first.state === 0) return WAITING;
    if (rest) for (let i = 0; i < rest.length; i++) if (rest[i]!.hold.state === 0) return WAITING;
    if (first.state === 2) return first.explain(p.opts.operation, p.holdField, first.error);
    if (rest) {
      for (let i = 0; i < rest.length; i++) {
        const h = rest[i]!;
        if (h.hold.state === 2) return h.hold.explain(p.opts.operation, h.field, h.hold.error);
      }
    }
    p.bytes.writeUInt32LE(first.value, p.off + p.holdAt);
    if (rest) for (let i = 0; i < rest.length; i++) p.bytes.writeUInt32LE(rest[i]!.hold.value, p.off + rest[i]!.at);
    p.hold = undefined;
    return undefined;
  }

  // One listener per signal, not per request: 100 000 changes under one signal would otherwise
  // put 100 000 listeners on it, and aborting them must stay linear.
  private readonly signalGroups = new Map<AbortSignal, SignalGroup>();

  private watchSignal(p: Pending, signal: AbortSignal): void {
    let g = this.signalGroups.get(signal);
    if (!g) {
      const pending = new Set<Pending>();
      const onAbort = (): void => {
        this.signalGroups.delete(signal);
        for (const q of pending) this.abort(q);
      };
      g = { pending, onAbort };
      this.signalGroups.set(signal, g);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    g.pending.add(p);
  }

  private unwatchSignal(p: Pending): void {
    const signal = p.opts.signal;
    if (!signal) return;
    const g = this.signalGroups.get(signal);
    if (!g || !g.pending.delete(p) || g.pending.size) return;
    signal.removeEventListener('abort', g.onAbort);
    this.signalGroups.delete(signal);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1; // 0 is what multicast notifications carry
    return this.seq;
  }

  /** Sends as much of the queue as the limits allow, in order, in as few sendmsg as possible. */
  flush(): void {
    while (this.head < this.queue.length && !this.closed) {
      const batch: Pending[] = [];
      let bytes = 0;
      let group: Pending | undefined;
      while (this.head < this.queue.length) {
        const p = this.queue[this.head]!;
        if (p.flags & GROUP) {
          // A group leaves alone: first what is batched before it, then it, in a later pass.
          if (!batch.length) {
            this.head++;
            group = p;
          }
          break;
        }
        if (p.aborted) {
          // Aborted while queued: rejected already, never sent.
          this.head++;
          this.release();
          continue;
        }
        if (p.hold !== undefined) {
          const failed = this.releaseHolds(p);
          if (failed === WAITING) break; // keeps its place; the hold wakes us when it settles
          if (failed) {
            this.head++;
            this.release();
            this.unwatchSignal(p);
            p.reject(failed);
            continue;
          }
        }
        if (p.opts.dump) {
          if (this.dumpInFlight) break;
        } else if (this.inFlight.size - (this.dumpInFlight ? 1 : 0) >= this.maxInFlight) {
          break;
        }
        const len = p.len;
        if (batch.length && bytes + len > this.maxBatchBytes) break;
        this.head++;
        p.seq = this.nextSeq();
        p.bytes.writeUInt32LE(p.seq, p.off + 8);
        p.flags = (p.flags | SENT) & ~INTERRUPTED;
        if (p.extra) p.extra.items = undefined;
        if (p.opts.dump) this.dumpInFlight = true;
        this.inFlight.set(p.seq, p);
        batch.push(p);
        bytes += len;
      }
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (group) {
        this.sendGroup(group);
        continue;
      }
      if (!batch.length) return;
      const covered = batch.filter((p) => p.flags & BY_BARRIER);
      if (covered.length) {
        const barrier = this.barrier(covered);
        batch.push(barrier);
        bytes += barrier.len;
      }
      // Consecutive requests sit back to back in the memory they were built in: one copy per run.
      const out = Buffer.allocUnsafe(bytes);
      let pos = 0;
      for (let i = 0; i < batch.length; ) {
        const first = batch[i]!;
        let end = first.off + first.len;
        for (i++; i < batch.length && batch[i]!.bytes === first.bytes && batch[i]!.off === end; i++) end += batch[i]!.len;
        first.bytes.copy(out, pos, first.off, end);
        pos += end - first.off;
      }
      try {
        this.transport.send(out);
      } catch (err) {
        for (const p of batch) this.finish(p, err as Error);
      }
    }
  }

  /** An acked NLMSG_NOOP that completes `covers` when its ack arrives (see the file comment). */
  private barrier(covers: Pending[]): Pending {
    const bytes = Buffer.alloc(NLMSG_HDRLEN);
    bytes.writeUInt32LE(NLMSG_HDRLEN, 0);
    bytes.writeUInt16LE(NLMSG_NOOP, 4);
    bytes.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, 6);
    const p = new Pending(bytes, 0, NLMSG_HDRLEN, undefined, BARRIER_OPTIONS, VOID_RESULT | SENT);
    p.seq = this.nextSeq();
    p.more.covers = covers;
    bytes.writeUInt32LE(p.seq, 8);
    this.inFlight.set(p.seq, p);
    return p;
  }

  private abort(p: Pending): void {
    if (p.aborted) return;
    p.flags |= ABORTED;
    // A queued request is skipped (and released) when the queue reaches it; a sent one stays
    // in the map until its ack/DONE so the reply is recognised and dropped.
    if (!(p.flags & SENT)) this.scheduleFlush();
    p.reject(abortError(p.opts.signal!));
  }

  /** After a request left the queue or the in-flight map: lets the loop go once nothing is pending. */
  private release(): void {
    if (this.referenced && this.pending === 0 && !this.closed) {
      this.referenced = false;
      this.transport.unref();
    }
  }

  private finish(p: Pending, err: Error | null): void {
    if (!this.inFlight.delete(p.seq)) return;
    if (p.opts.dump) this.dumpInFlight = false;
    this.unwatchSignal(p);
    this.release();
    if (!p.aborted) {
      if (err) p.reject(err);
      else p.resolve(p.flags & VOID_RESULT ? undefined : (p.extra?.items ?? []));
    }
    if (this.head < this.queue.length) this.scheduleFlush();
  }

  /** Re-queues an interrupted dump at the front (it keeps its place in the order). */
  private retryDump(p: Pending): void {
    this.inFlight.delete(p.seq);
    this.dumpInFlight = false;
    p.more.attempts = (p.extra?.attempts ?? 0) + 1;
    if (this.head > 0) this.queue[--this.head] = p;
    else this.queue.unshift(p);
    this.scheduleFlush();
  }

  /**
   * Feeds received bytes: `ends` holds the end offset of each datagram (messages never span
   * datagrams), `nsids` the source namespace id per datagram when listening to all.
   */
  receive(buf: Buffer, ends?: ArrayLike<number>, nsids?: ArrayLike<number>): void {
    let start = 0;
    const count = ends ? ends.length : 1;
    for (let d = 0; d < count; d++) {
      const end = ends ? ends[d]! : buf.length;
      this.receiveDatagram(buf, start, end, nsids ? nsids[d]! : -1);
      start = end;
    }
  }

  private receiveDatagram(buf: Buffer, off: number, end: number, nsid: number): void {
    while (end - off >= NLMSG_HDRLEN) {
      // The header is read byte by byte, not through Buffer#readUInt32LE and friends: this
      // loop runs once per message of every dump (100 000 routes), mostly before the JIT has
      // inlined those calls.
      const len = (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16)) + buf[off + 3]! * 0x100_0000;
      if (len < NLMSG_HDRLEN || len > end - off) {
        this.onParseError(new ParseError(`netlink message at offset ${off} has length ${len}, ${end - off} bytes left`));
        return; // the rest of this datagram can't be framed; the next datagram can
      }
      const type = buf[off + 4]! | (buf[off + 5]! << 8);
      const flags = buf[off + 6]! | (buf[off + 7]! << 8);
      const seq = (buf[off + 8]! | (buf[off + 9]! << 8) | (buf[off + 10]! << 16)) + buf[off + 11]! * 0x100_0000;
      const p = seq === 0 ? undefined : this.inFlight.get(seq);
      if (p !== undefined && type >= NLMSG_MIN_TYPE && (flags & NLM_F_DUMP_INTR) === 0 && p.opts.decode !== undefined && !p.aborted) {
        off = this.decodeRun(p, buf, off, end, seq);
        continue;
      }
      try {
        if (p) this.handle(p, buf, off, len, type, flags);
        else if (this.onNotification && type !== NLMSG_ERROR && type !== NLMSG_DONE) this.onNotification(buf, off, len, type, nsid);
      } catch (err) {
        if (err instanceof ParseError) this.onParseError(err);
        else throw err;
      }
      off += align4(len);
    }
  }

  /**
   * Decodes the run of reply messages for `p` that starts at `off` (a dump's part of one
   * datagram: some 500 routes) in one tight loop, the decoder and the item array held in
   * locals rather than looked up per message; returns where the run ended. Stops at anything
   * `handle` must see: another request's message, a control message (DONE, ERROR …), an
   * interrupted-dump flag.
   */
  private decodeRun(p: Pending, buf: Buffer, off: number, end: number, seq: number): number {
    const decode = p.opts.decode!;
    const items = (p.more.items ??= []);
    do {
      const len = (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16)) + buf[off + 3]! * 0x100_0000;
      if (len < NLMSG_HDRLEN || len > end - off) break; // receiveDatagram reports it
      const type = buf[off + 4]! | (buf[off + 5]! << 8);
      const flags = buf[off + 6]! | (buf[off + 7]! << 8);
      if (type < NLMSG_MIN_TYPE || (flags & NLM_F_DUMP_INTR) !== 0) break;
      if ((buf[off + 8]! | (buf[off + 9]! << 8) | (buf[off + 10]! << 16)) + buf[off + 11]! * 0x100_0000 !== seq) break;
      try {
        const item = decode(buf, off, len, type, flags);
        if (item !== undefined) items.push(item);
      } catch (err) {
        if (err instanceof ParseError) this.onParseError(new ParseError(`${p.opts.operation}: ${err.message}`));
        else throw err;
      }
      off += (len + 3) & ~3;
    } while (end - off >= NLMSG_HDRLEN);
    return off;
  }

  private handle(p: Pending, buf: Buffer, off: number, len: number, type: number, flags: number): void {
    if (type === NLMSG_NOOP || type === NLMSG_OVERRUN) return;
    if (type === NLMSG_ERROR) {
      if (len < NLMSG_HDRLEN + 4) return this.finish(p, new ParseError(`${p.opts.operation}: truncated NLMSG_ERROR`));
      const errno = -buf.readInt32LE(off + NLMSG_HDRLEN);
      if (errno === 0) {
        // Covered changes that drew no error before the barrier's ack have succeeded.
        const covers = p.extra?.covers;
        if (covers) for (const c of covers) if (this.inFlight.get(c.seq) === c) this.finish(c, null);
        return this.finish(p, null);
      }
      return this.finish(p, this.errorFromAck(p, buf, off, len, flags, errno));
    }
    if (type === NLMSG_DONE) {
      const errno = len >= NLMSG_HDRLEN + 4 ? -buf.readInt32LE(off + NLMSG_HDRLEN) : 0;
      if (errno > 0) {
        const ext = flags & NLM_F_ACK_TLVS ? parseExtack(buf, off + NLMSG_HDRLEN + 4, off + len) : {};
        return this.finish(p, this.makeError(p, errno, ext));
      }
      if (p.flags & INTERRUPTED) {
        const attempts = (p.extra?.attempts ?? 0) + 1;
        if (attempts >= this.dumpRetries + 1) return this.finish(p, new DumpInterruptedError(p.opts.operation, attempts));
        return this.retryDump(p);
      }
      return this.finish(p, null);
    }
    if (flags & NLM_F_DUMP_INTR) p.flags |= INTERRUPTED;
    if (p.aborted || !p.opts.decode) return;
    try {
      const item = p.opts.decode(buf, off, len, type, flags);
      if (item !== undefined) (p.more.items ??= []).push(item);
    } catch (err) {
      if (err instanceof ParseError) this.onParseError(new ParseError(`${p.opts.operation}: ${err.message}`));
      else throw err;
    }
  }

  private errorFromAck(p: Pending, buf: Buffer, off: number, len: number, flags: number, errno: number): NetlinkError {
    // nlmsgerr = { int error; struct nlmsghdr msg; } + the request's payload unless capped.
    const inner = off + NLMSG_HDRLEN + 4;
    let tlvs = inner + NLMSG_HDRLEN;
    if (!(flags & NLM_F_CAPPED) && inner + 4 <= off + len) tlvs = inner + align4(buf.readUInt32LE(inner));
    const ext = flags & NLM_F_ACK_TLVS && tlvs <= off + len ? parseExtack(buf, tlvs, off + len) : {};
    return this.makeError(p, errno, ext);
  }

  private makeError(p: Pending, errno: number, ext: Extack): NetlinkError {
    let attribute: string | undefined;
    if (ext.offset !== undefined) attribute = attributeAt(p, ext.offset) ?? `offset ${ext.offset}`;
    else if (ext.missingType !== undefined) attribute = `missing attribute type ${ext.missingType}`;
    return new NetlinkError({
      errno,
      operation: p.opts.operation,
      ...(ext.message !== undefined ? { extack: ext.message } : {}),
      ...(attribute !== undefined ? { attribute } : {}),
      ...(ext.offset !== undefined ? { offset: ext.offset } : {}),
    });
  }

  /** Fails everything outstanding with `err` (e.g. the socket broke), without closing. */
  failAll(err: Error): void {
    const queued = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const p of [...this.inFlight.values(), ...queued]) {
      if (this.inFlight.has(p.seq)) this.finish(p, err);
      else if (p.flags & GROUP) {
        this.release();
        for (const c of p.extra!.children!) c.reject(err);
      } else {
        this.unwatchSignal(p);
        this.release();
        if (!p.aborted) p.reject(err);
      }
    }
  }

  /** Rejects everything outstanding and closes the transport. */
  close(): void {
    if (this.closed) return;
    this.failAll(new HandleClosedError('the netlink handle was closed'));
    this.closed = true;
    this.transport.close();
  }
}

/**
 * The name of the attribute an extack offset points at: from the message's own map, or from
 * its table of top-level types (a nested attribute is named by its top-level parent).
 */
function attributeAt(p: Pending, offset: number): string | undefined {
  const names = p.names;
  if (names === undefined) return undefined;
  if (names instanceof Map) return names.get(offset);
  const nested = names.nameAt?.(p.bytes.subarray(p.off, p.off + p.len), offset);
  if (nested !== undefined) return nested;
  let at = NLMSG_HDRLEN + align4(names.headerSize);
  while (p.len - at >= 4) {
    const len = p.bytes.readUInt16LE(p.off + at);
    if (len < 4) break;
    if (offset >= at && offset < at + len) return names.fields[p.bytes.readUInt16LE(p.off + at + 2) & NLA_TYPE_MASK];
    at += align4(len);
  }
  return undefined;
}

/** Decoded extended-ack attributes. */
export interface Extack {
  message?: string;
  offset?: number;
  missingType?: number;
}

/** Parses the NLMSGERR_ATTR_* TLVs that follow an error or DONE payload. */
export function parseExtack(buf: Buffer, off: number, end: number): Extack {
  const ext: Extack = {};
  try {
    forEachAttr(buf, off, end, (type, at, len) => {
      if (type === NLMSGERR_ATTR_MSG) ext.message = readString(buf, at, len);
      else if (type === NLMSGERR_ATTR_OFFS && len >= 4) ext.offset = buf.readUInt32LE(at);
      else if (type === NLMSGERR_ATTR_MISS_TYPE && len >= 4) ext.missingType = buf.readUInt32LE(at);
    }, 'extack');
  } catch {
    // A malformed extack never hides the errno itself.
  }
  return ext;
}

/** The rejection for an aborted request: the signal's reason, or an AbortError. */
export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  (err as any).code = 'ABORT_ERR';
  return err;
}

