/**
 * `ct.events()`: conntrack notifications as an async iterable (`conntrack -E`). Its own
 * NETLINK_NETFILTER socket joins the NEW / UPDATE / DESTROY groups asked for; leaving the
 * `for await` loop (or close(), or the signal) closes it. When the kernel drops notifications
 * (ENOBUFS) the stream yields `{ type: 'resync' }` and goes on: re-list what you track.
 */
import type { NetlinkSocketHandle } from '../../core/socket';
import { abortError } from '../../core/engine';
import { ValidationError, type SystemError } from '../../errors';
import { AsyncQueue } from '../../core/async-queue';
import { NFNLGRP } from '../nfnetlink';
import { decodeConntrack, eventTypeOf, type ConntrackEntry, type ConntrackEventType } from './conntrack-decode';
import { matchesFilter, type CompiledFilter } from './conntrack-request';

/** A change to one entry, or notice that some were lost. */
export type ConntrackEvent =
  | { type: ConntrackEventType; entry: ConntrackEntry }
  /** The kernel dropped notifications (socket buffer overrun): what you track may be stale. */
  | { type: 'resync' };

const GROUPS: Record<ConntrackEventType, number> = {
  new: NFNLGRP.conntrackNew,
  update: NFNLGRP.conntrackUpdate,
  destroy: NFNLGRP.conntrackDestroy,
};

/** Validates `types` ('new' | 'update' | 'destroy'; default all three). */
export function eventTypes(types: unknown): Set<ConntrackEventType> {
  if (types === undefined) return new Set(['new', 'update', 'destroy']);
  if (!Array.isArray(types) || types.length === 0) throw new ValidationError('types', "expected a non-empty array of 'new', 'update', 'destroy'");
  const out = new Set<ConntrackEventType>();
  types.forEach((t, i) => {
    if (t !== 'new' && t !== 'update' && t !== 'destroy') throw new ValidationError(`types[${i}]`, `unknown event type ${JSON.stringify(t)}`);
    out.add(t);
  });
  return out;
}

/**
 * The stream behind `for await (const ev of ct.events())`. Reading stops (the kernel then
 * buffers, and says ENOBUFS if it overflows) while `highWaterMark` events wait unread.
 */
export class ConntrackEventStream implements AsyncIterableIterator<ConntrackEvent> {
  /** Resolves once the socket has joined its groups: events from then on are seen. */
  readonly ready: Promise<void>;
  private handle: NetlinkSocketHandle | undefined;
  private readonly queue: AsyncQueue<ConntrackEvent>;
  private readonly onAbort = (): void => this.shutdown(abortError(this.signal!));

  /** @internal use `ct.events()`. */
  constructor(
    open: (onError: (err: SystemError) => void) => Promise<NetlinkSocketHandle>,
    private readonly types: ReadonlySet<ConntrackEventType>,
    private readonly filter: CompiledFilter,
    highWaterMark: number,
    private readonly signal: AbortSignal | undefined,
    private readonly onClosed: (s: ConntrackEventStream) => void,
  ) {
    this.queue = new AsyncQueue<ConntrackEvent>({
      highWaterMark,
      onFull: () => this.handle?.sock.pause(),
      onDrain: () => this.handle?.sock.resume(),
      onReturn: () => this.shutdown(),
    });
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.ready = open((err) => this.onSocketError(err)).then(
      (h) => {
        if (this.queue.ended) {
          h.engine.close();
          return;
        }
        this.handle = h;
        h.engine.onNotification = (buf, off, len, type) => this.onMessage(buf, off, len, type);
        for (const t of this.types) h.sock.addMembership(GROUPS[t]);
        h.sock.ref();
      },
      (err) => {
        this.shutdown(err);
        throw err;
      },
    );
    // A failed open also ends the loop with the error; nobody need await `ready`.
    this.ready.catch(() => {});
    if (signal?.aborted) this.onAbort();
  }

  /** Events waiting to be read. */
  get length(): number {
    return this.queue.length;
  }

  /** True once closed (by the loop, close(), the signal, or a socket failure). */
  get isClosed(): boolean {
    return this.queue.ended;
  }

  private onMessage(buf: Buffer, off: number, len: number, type: number): void {
    const t = eventTypeOf(type, buf.readUInt16LE(off + 6));
    if (!t || !this.types.has(t)) return;
    const entry = decodeConntrack(buf, off, len);
    if (!matchesFilter(this.filter, entry)) return;
    this.queue.push({ type: t, entry });
  }

  private onSocketError(err: SystemError): void {
    // Overrun: say so and keep reading (the socket stays joined; later events still arrive).
    if (err.code === 'ENOBUFS') this.queue.push({ type: 'resync' });
    else this.shutdown(err);
  }

  /** Next event; waits for one. */
  next(): Promise<IteratorResult<ConntrackEvent>> {
    return this.queue.next();
  }

  /** Leaving the loop early closes the stream. */
  return(): Promise<IteratorResult<ConntrackEvent>> {
    return this.queue.return();
  }

  /** `for await (const ev of stream)`: the stream is its own iterator; leaving the loop closes it. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Stops listening; a waiting loop ends, queued events are dropped. Safe to call twice. */
  close(): void {
    this.queue.close();
    this.shutdown();
  }

  /** Releases the socket; with `err`, the loop throws it after the queued events. */
  private shutdown(err?: Error): void {
    this.queue.end(err);
    this.signal?.removeEventListener('abort', this.onAbort);
    if (this.handle) {
      this.handle.engine.close();
      this.handle = undefined;
    }
    this.onClosed(this);
  }
}
