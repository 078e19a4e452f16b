/**
 * The conntrack handle: `const ct = await nl.conntrack.open({ netns })`, then list / get /
 * delete / flush / events over ctnetlink, as `conntrack -L / -G / -D / -F / -E` do.
 */
import type { Engine } from '../../core/engine';
import { SOCKET_OPTION_KEYS, type SocketOptions } from '../../core/socket';
import { checkKeys } from '../../core/options';
import { NetlinkError, ValidationError } from '../../errors';
import { openNfnetlinkSocket } from '../nfnetlink';
import { decodeConntrack, type ConntrackEntry, type ConntrackEventType } from './conntrack-decode';
import {
  compileFilter, deleteEntryRequest, flushRequest, getRequest, listRequest, matchesFilter,
  type ConntrackFamilyInput, type ConntrackFilter, type ConntrackTupleSpec,
} from './conntrack-request';
import { ConntrackEventStream, eventTypes } from './conntrack-events';

/** Options of `nl.conntrack.open()`: the namespace (netns / netnsPid) and socket sizes. */
export interface ConntrackOpenOptions extends SocketOptions {}

/** Options of a request that waits. */
export interface ConntrackRequestOptions {
  signal?: AbortSignal;
}

/** Options of `ct.events()`. */
export interface ConntrackEventsOptions {
  /** Which notifications: 'new', 'update', 'destroy' (default all). */
  types?: readonly ConntrackEventType[];
  /** Only entries matching this (as `list`'s filter; checked after decoding). */
  filter?: ConntrackFilter;
  /** Events a loop may have waiting before the socket is paused. Default 16384. */
  highWaterMark?: number;
  /** Closes the stream when aborted. */
  signal?: AbortSignal;
}

const REQUEST_KEYS = ['signal'];
const EVENTS_KEYS = ['types', 'filter', 'highWaterMark', 'signal'];

/** A handle on the connection tracking table of one network namespace. */
export class Conntrack {
  private readonly streams = new Set<ConntrackEventStream>();

  /** @internal use `nl.conntrack.open()`. */
  constructor(
    readonly engine: Engine,
    private readonly opts: ConntrackOpenOptions,
  ) {}

  /**
   * The entries matching `filter` (all without one). The family, exact addresses, protocol,
   * ports and mark are compared in the kernel; prefixes, zone and status bits here.
   * Equivalent to: conntrack -L [-f ipv4] [-p tcp] [-s A] [-d B] [--sport P] [--dport Q] [-m M] [-w Z]
   */
  async list(filter?: ConntrackFilter, opts: ConntrackRequestOptions = {}): Promise<ConntrackEntry[]> {
    const f = compileFilter(filter);
    checkKeys(opts, REQUEST_KEYS, '');
    const items = await this.engine.request(listRequest(f), {
      operation: 'conntrack.list',
      dump: true,
      decode: (buf, off, len) => decodeConntrack(buf, off, len),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return items.filter((ct) => matchesFilter(f, ct));
  }

  /**
   * The one entry with this tuple (original direction unless `direction: 'reply'`); a
   * NetlinkError with code 'ENOENT' when there is none.
   * Equivalent to: conntrack -G -p tcp -s A -d B --sport P --dport Q
   */
  async get(tuple: ConntrackTupleSpec, opts: ConntrackRequestOptions = {}): Promise<ConntrackEntry> {
    const msg = getRequest(tuple);
    checkKeys(opts, REQUEST_KEYS, '');
    const items = await this.engine.request(msg, {
      operation: 'conntrack.get',
      decode: (buf, off, len) => decodeConntrack(buf, off, len),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (!items[0]) throw new NetlinkError({ errno: 2, operation: 'conntrack.get', extack: 'no reply' });
    return items[0];
  }

  /**
   * Deletes the entries matching `filter` and says how many went: they are listed (filtered as
   * `list` does), then each is deleted by its tuple and id in one pipelined burst. Entries that
   * expired in between are not counted. `delete({})` deletes everything.
   * Equivalent to: conntrack -D [-p tcp] [-s A] [-d B] [--dport Q] …
   */
  async delete(filter: ConntrackFilter, opts: ConntrackRequestOptions = {}): Promise<number> {
    if (filter === undefined) throw new ValidationError('filter', 'required (give {} to delete every entry)');
    const entries = await this.list(filter, opts);
    const results = await Promise.allSettled(
      entries.map((ct) => this.engine.change(deleteEntryRequest(ct), { operation: 'conntrack.delete', ...(opts.signal ? { signal: opts.signal } : {}) })),
    );
    let deleted = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') deleted++;
      else if (!(r.reason instanceof NetlinkError && r.reason.code === 'ENOENT')) throw r.reason;
    }
    return deleted;
  }

  /**
   * Empties the table, or only one family's entries.
   * Equivalent to: conntrack -F [-f ipv4|ipv6]
   */
  async flush(opts: { family?: ConntrackFamilyInput; signal?: AbortSignal } = {}): Promise<void> {
    const { signal, ...rest } = opts ?? {};
    await this.engine.change(flushRequest(rest), { operation: 'conntrack.flush', ...(signal ? { signal } : {}) });
  }

  /**
   * Notifications of new, updated and destroyed entries, for `for await`. Await `stream.ready`
   * to know the subscription is in place before making traffic.
   * Equivalent to: conntrack -E [-e NEW,UPDATES,DESTROY]
   */
  events(opts: ConntrackEventsOptions = {}): ConntrackEventStream {
    checkKeys(opts, EVENTS_KEYS, '');
    const types = eventTypes(opts.types);
    const filter = compileFilter(opts.filter);
    const hwm = opts.highWaterMark ?? 16384;
    if (!Number.isInteger(hwm) || hwm < 1) throw new ValidationError('highWaterMark', 'expected a positive integer');
    if (this.engine.isClosed) throw new ValidationError('events', 'the conntrack handle is closed');
    const { netns, netnsPid, receiveBufferSize } = this.opts;
    const stream = new ConntrackEventStream(
      (onError) => openNfnetlinkSocket({
        ...(netns !== undefined ? { netns } : {}),
        ...(netnsPid !== undefined ? { netnsPid } : {}),
        ...(receiveBufferSize !== undefined ? { receiveBufferSize } : {}),
      }, onError),
      types, filter, hwm, opts.signal, (s) => this.streams.delete(s),
    );
    if (!stream.isClosed) this.streams.add(stream);
    return stream;
  }

  /** True once close() was called. */
  get isClosed(): boolean {
    return this.engine.isClosed;
  }

  /** Closes the socket and every event stream of this handle. Safe to call twice. */
  close(): void {
    for (const s of [...this.streams]) s.close();
    this.engine.close();
  }

  /** `await using ct = await nl.conntrack.open()` closes it at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** `using ct = …` closes it too. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens a conntrack handle in this namespace, or another one (`{ netns: 'name' }`, a path, an
 * fd, or `{ netnsPid }`).
 */
export async function open(opts: ConntrackOpenOptions = {}): Promise<Conntrack> {
  checkKeys(opts, SOCKET_OPTION_KEYS, '');
  const { engine } = await openNfnetlinkSocket(opts);
  return new Conntrack(engine, { ...opts });
}

/** Same as `open`, under a name that says what it opens (for named imports). */
export const openConntrack = open;

/** `nl.conntrack.open(…)`. */
export const conntrack = {
  /** Opens a conntrack handle (here, or in `{ netns }` / `{ netnsPid }`). Equivalent to: conntrack -L/-D/-E … */
  open,
};
