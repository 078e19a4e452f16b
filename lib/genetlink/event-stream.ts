/**
 * Multicast notifications of a generic netlink family as an async iterable (the shared
 * AsyncQueue). The stream owns its own socket (joined to the groups asked for), so leaving the
 * loop closes exactly that. When `highWaterMark` events wait unread the socket is paused: the
 * kernel then buffers, and an overflow ends the loop with the ENOBUFS error rather than losing
 * events silently.
 */
import type { SystemError } from '../errors';
import type { SocketOptions } from '../core/socket';
import { AsyncQueue } from '../core/async-queue';
import { abortError } from '../core/engine';
import type { GenlFamily } from './ctrl';
import { openGenlSocket, type GenlSocket } from './genl-socket';

/** Options of an event stream. */
export interface EventStreamOptions {
  /** Events that may wait unread before the socket is paused. Default 4096. */
  highWaterMark?: number;
  /** Ends the stream when aborted. */
  signal?: AbortSignal;
}

/** Turns one notification into an event; undefined drops it. */
export type EventDecoder<T> = (buf: Buffer, off: number, len: number, cmd: number) => T | undefined;

/** An async iterable of decoded notifications; `close()` (or leaving a for-await loop) ends it. */
export class GenlEventStream<T> extends AsyncQueue<T> {
  private onAbort: (() => void) | undefined;

  /** @internal use the family's `events()` */
  constructor(
    private readonly socket: GenlSocket,
    highWaterMark: number,
    private readonly signal?: AbortSignal,
  ) {
    super({ highWaterMark, onFull: () => socket.sock.pause(), onDrain: () => socket.sock.resume() });
    if (signal) {
      this.onAbort = () => this.end(abortError(signal));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** Ends the stream (with `err` after the queued events) and closes its socket. */
  override end(err?: Error): void {
    super.end(err);
    if (this.onAbort) {
      this.signal!.removeEventListener('abort', this.onAbort);
      this.onAbort = undefined;
    }
    if (!this.socket.isClosed) this.socket.close();
  }

  /** `await using stream = …` closes it at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

/**
 * Opens a socket in the namespace of `opts`, resolves `familyName` on it, joins `groups` and
 * streams what `decode` makes of each notification of that family.
 */
export async function openEventStream<T>(
  familyName: string,
  groups: readonly string[],
  decode: EventDecoder<T>,
  socketOpts: SocketOptions,
  opts: EventStreamOptions = {},
  groupField = 'groups',
): Promise<GenlEventStream<T>> {
  let stream: GenlEventStream<T> | undefined;
  const socket = await openGenlSocket(socketOpts, (err: SystemError) => stream?.end(err));
  try {
    const family: GenlFamily = await socket.family(familyName, opts.signal);
    groups.forEach((g, i) => socket.join(family, g, groups.length > 1 ? `${groupField}[${i}]` : groupField));
    stream = new GenlEventStream<T>(socket, opts.highWaterMark ?? 4096, opts.signal);
    const s = stream;
    socket.engine.onNotification = (buf, off, len, type) => {
      if (type !== family.id) return;
      const ev = decode(buf, off, len, buf[off + 16]!);
      if (ev !== undefined) s.push(ev);
    };
    // Nothing is pending on this socket, but it must keep the loop alive while someone listens.
    socket.sock.ref();
    if (opts.signal?.aborted) stream.end(abortError(opts.signal));
    return stream;
  } catch (err) {
    socket.close();
    throw err;
  }
}
