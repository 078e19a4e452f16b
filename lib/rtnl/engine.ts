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
import { NetlinkError, ParseError, errnoCode } from '../errors';
import {
  NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_NOOP, NLMSG_OVERRUN,
  NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP_INTR, NLM_F_REQUEST,
  NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, align4,
} from '../wire/constants';
import { forEachAttr, readString } from '../wire/attributes';
import type { BuiltMessage } from '../wire/message-writer';

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

interface Pending {
  seq: number;
  msg: BuiltMessage;
  opts: RequestOptions<any>;
  items: unknown[];
  resolve: (items: any[]) => void;
  reject: (err: Error) => void;
  interrupted: boolean;
  attempts: number;
  aborted: boolean;
  sent: boolean;
  /** Sent without NLM_F_ACK; completed by the barrier that follows it. */
  byBarrier: boolean;
  /** For a barrier: the changes it completes. */
  covers?: Pending[];
  onAbort?: () => void;
}

/** Handler for messages nobody asked for (multicast notifications, seq 0). */
export type NotificationHandler = (buf: Buffer, off: number, len: number, type: number, nsid: number) => void;

/** The request engine over one netlink socket. */
export class Engine {
  private seq = Math.floor(Math.random() * 0x7fff_ffff);
  // FIFO with a moving head: Array#shift is O(n), which turns 100 000 queued requests quadratic.
  private queue: Pending[] = [];
  private head = 0;
  private readonly inFlight = new Map<number, Pending>();
  private requestsInFlight = 0;
  private dumpInFlight = false;
  private flushScheduled = false;
  private refs = 0;
  private closed = false;
  private readonly maxInFlight: number;
  private readonly maxBatchBytes: number;
  private readonly dumpRetries: number;
  /** Messages with no pending request (multicast events). */
  onNotification?: NotificationHandler;
  /** A reply that could not be parsed (skipped; never fatal). */
  onParseError: (err: ParseError) => void = (err) => process.emitWarning(err.message, 'NetlinkParseWarning');

  constructor(private readonly transport: Transport, opts: EngineOptions = {}) {
    this.maxInFlight = opts.maxInFlight ?? 4096;
    this.maxBatchBytes = opts.maxBatchBytes ?? 1 << 20;
    this.dumpRetries = opts.dumpRetries ?? 5;
  }

  /** Number of requests queued or awaiting their reply. */
  get pending(): number {
    return this.queue.length - this.head + this.inFlight.size;
  }

  /** Sends a request; resolves with every decoded reply (dump parts, echo, get reply). */
  request<T>(msg: BuiltMessage, opts: RequestOptions<T>): Promise<T[]> {
    if (this.closed) return Promise.reject(new Error(`${opts.operation}: the netlink handle is closed`));
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal));
    const byBarrier = !opts.dump && !opts.decode;
    if (!opts.dump && !byBarrier) {
      msg.bytes.writeUInt16LE(msg.bytes.readUInt16LE(6) | NLM_F_ACK, 6);
    }
    return new Promise<T[]>((resolve, reject) => {
      const p: Pending = {
        seq: 0, msg, opts, items: [], resolve, reject,
        interrupted: false, attempts: 0, aborted: false, sent: false, byBarrier,
      };
      if (opts.signal) {
        p.onAbort = () => this.abort(p);
        opts.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.queue.push(p);
      if (this.refs++ === 0) this.transport.ref();
      this.scheduleFlush();
    });
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
      while (this.head < this.queue.length) {
        const p = this.queue[this.head]!;
        if (p.opts.dump) {
          if (this.dumpInFlight) break;
        } else if (this.requestsInFlight >= this.maxInFlight) {
          break;
        }
        const len = p.msg.bytes.length;
        if (batch.length && bytes + len > this.maxBatchBytes) break;
        this.head++;
        p.seq = this.nextSeq();
        p.msg.bytes.writeUInt32LE(p.seq, 8);
        p.sent = true;
        p.items = [];
        p.interrupted = false;
        if (p.opts.dump) this.dumpInFlight = true;
        else this.requestsInFlight++;
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
      if (!batch.length) return;
      const covered = batch.filter((p) => p.byBarrier);
      if (covered.length) {
        const barrier = this.barrier(covered);
        batch.push(barrier);
        bytes += barrier.msg.bytes.length;
      }
      const out = batch.length === 1 ? batch[0]!.msg.bytes : Buffer.concat(batch.map((p) => p.msg.bytes), bytes);
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
    const p: Pending = {
      seq: this.nextSeq(), msg: { bytes }, opts: { operation: 'barrier' }, items: [],
      resolve: () => {}, reject: () => {}, interrupted: false, attempts: 0, aborted: false,
      sent: true, byBarrier: false, covers,
    };
    bytes.writeUInt32LE(p.seq, 8);
    this.inFlight.set(p.seq, p);
    this.requestsInFlight++;
    this.refs++;
    return p;
  }

  private abort(p: Pending): void {
    if (p.aborted) return;
    p.aborted = true;
    const i = this.queue.indexOf(p, this.head);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.release();
    }
    // A sent request stays in the map until its ack/DONE so the reply is recognised and dropped.
    p.reject(abortError(p.opts.signal!));
  }

  private release(): void {
    if (--this.refs === 0 && !this.closed) this.transport.unref();
  }

  private finish(p: Pending, err: Error | null): void {
    if (!this.inFlight.delete(p.seq) && p.sent) return;
    if (p.opts.dump) this.dumpInFlight = false;
    else this.requestsInFlight--;
    if (p.onAbort) p.opts.signal!.removeEventListener('abort', p.onAbort);
    this.release();
    if (!p.aborted) {
      if (err) p.reject(err);
      else p.resolve(p.items);
    }
    if (this.head < this.queue.length) this.scheduleFlush();
  }

  /** Re-queues an interrupted dump at the front (it keeps its place in the order). */
  private retryDump(p: Pending): void {
    this.inFlight.delete(p.seq);
    this.dumpInFlight = false;
    p.attempts++;
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
      const len = buf.readUInt32LE(off);
      if (len < NLMSG_HDRLEN || len > end - off) {
        this.onParseError(new ParseError(`netlink message at offset ${off} has length ${len}, ${end - off} bytes left`));
        return; // the rest of this datagram can't be framed; the next datagram can
      }
      const type = buf.readUInt16LE(off + 4);
      const flags = buf.readUInt16LE(off + 6);
      const seq = buf.readUInt32LE(off + 8);
      const p = seq === 0 ? undefined : this.inFlight.get(seq);
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

  private handle(p: Pending, buf: Buffer, off: number, len: number, type: number, flags: number): void {
    if (type === NLMSG_NOOP || type === NLMSG_OVERRUN) return;
    if (type === NLMSG_ERROR) {
      if (len < NLMSG_HDRLEN + 4) return this.finish(p, new ParseError(`${p.opts.operation}: truncated NLMSG_ERROR`));
      const errno = -buf.readInt32LE(off + NLMSG_HDRLEN);
      if (errno === 0) {
        // Covered changes that drew no error before the barrier's ack have succeeded.
        if (p.covers) for (const c of p.covers) if (this.inFlight.get(c.seq) === c) this.finish(c, null);
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
      if (p.interrupted) {
        if (p.attempts + 1 >= this.dumpRetries + 1) return this.finish(p, new DumpInterruptedError(p.opts.operation, p.attempts + 1));
        return this.retryDump(p);
      }
      return this.finish(p, null);
    }
    if (flags & NLM_F_DUMP_INTR) p.interrupted = true;
    if (p.aborted || !p.opts.decode) return;
    try {
      const item = p.opts.decode(buf, off, len, type, flags);
      if (item !== undefined) p.items.push(item);
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
    if (ext.offset !== undefined) attribute = p.msg.attrNames?.get(ext.offset) ?? `offset ${ext.offset}`;
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
      else {
        this.release();
        if (!p.aborted) p.reject(err);
      }
    }
  }

  /** Rejects everything outstanding and closes the transport. */
  close(): void {
    if (this.closed) return;
    this.failAll(new Error('the netlink handle was closed'));
    this.closed = true;
    this.transport.close();
  }
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

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  (err as any).code = 'ABORT_ERR';
  return err;
}

export { errnoCode };
