/**
 * Shared request plumbing of the rtnetlink change APIs. Every change API (address, route, neigh, fdb, rule) works in two steps:
 * `prepare*` validates the input and builds the request (nothing sent; a link given by name
 * gets a 0 where its ifindex goes, and a LinkField saying where), then `submit` resolves those
 * names, patches the ifindexes in and hands the message to the engine. Lookups of one name in
 * one event-loop turn are shared, so 100 000 changes naming 'v0' cost one RTM_GETLINK.
 * `rt.batch(ops)` runs the same two steps for many ops at once: it validates all of them,
 * resolves each distinct name once, queues every message in one synchronous pass, so the
 * engine pipelines them (many per sendmsg, bounded in flight), and reports each op's own
 * result instead of failing the whole batch.
 */
import { NetlinkError, ValidationError } from '../../errors';
import type { BuiltMessage, MessageWriter } from '../../wire/message-writer';
import type { Decoder, Engine, HoldSlot, RequestOptions } from '../../core/engine';
import { callSignal, type CallOptions } from '../../core/options';
import { linkRefParts, type LinkIndexResolver, type LinkRef } from './link-ref';

/** A link the request names, by the input field that named it, to be resolved before sending. */
export interface LinkField {
  field: string;
  /** The link's name (ifindexes are written at once and need no entry). */
  name: string;
  /** Offset in the built message of the 32-bit ifindex to fill in. */
  at: number;
}

/** A validated change, already built; only the ifindexes of links given by name are missing. */
export interface PreparedRequest<T = unknown> {
  /** Library operation name for errors, e.g. 'route.add'. */
  operation: string;
  /** The request, with 0 wherever a named link's ifindex goes. */
  msg: BuiltMessage;
  /** Named links to resolve and patch in. */
  links: LinkField[];
  /** Decoder of the reply (requests that answer with an object, e.g. route.get). */
  decode?: Decoder<T>;
}

/** Checks an unsigned integer option (ValidationError naming `field`). */
export function uint(value: unknown, field: string, max = 0xffff_ffff): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new ValidationError(field, `expected an integer 0–${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks that an options object is an object (null/arrays/primitives are a ValidationError). */
export function specObject<T>(value: T, field: string): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(field, 'expected an options object');
  }
  return value;
}

/**
 * Validates a LinkRef now (so a bad one fails before anything is sent) and returns the
 * ifindex to write: the real one, or 0 plus a LinkField that `submit` fills in at `at`.
 */
export function linkIndex(links: LinkField[], field: string, ref: LinkRef, at: number): number {
  const parts = linkRefParts(ref, field);
  if (parts.index !== undefined) return parts.index;
  links.push({ field, name: parts.name!, at });
  return 0;
}

/** Writes a u32 ifindex attribute for a LinkRef (resolved later when it is a name). */
export function linkAttr(w: MessageWriter, links: LinkField[], type: number, field: string, ref: LinkRef): void {
  w.u32(type, linkIndex(links, field, ref, w.offset + 4), field);
}

const plainOptionsByOperation = new Map<string, RequestOptions<any>>();

/**
 * The options of a prepared request: for the common case (no signal, no decoder) one shared,
 * never-changed object per operation, so a bulk change allocates none.
 */
export function optionsFor<T>(prep: PreparedRequest<T>, signal?: AbortSignal): RequestOptions<T> {
  if (prep.decode || signal) {
    const opts: RequestOptions<T> = { operation: prep.operation };
    if (prep.decode) opts.decode = prep.decode;
    if (signal) opts.signal = signal;
    return opts;
  }
  if (prep.operation === lastPlain.operation) return lastPlain; // bulk: the same operation 100 000 times
  let o = plainOptionsByOperation.get(prep.operation);
  if (!o) {
    o = Object.freeze({ operation: prep.operation });
    plainOptionsByOperation.set(prep.operation, o);
  }
  lastPlain = o;
  return o;
}
let lastPlain: RequestOptions<any> = Object.freeze({ operation: '' });

/**
 * The holds of a prepared request's named links: each waits on the lookup shared by every
 * request naming that link in this turn, and the engine writes the ifindex in as it sends.
 */
export function holdsFor(resolver: LinkIndexResolver, links: readonly LinkField[]): HoldSlot[] | undefined {
  if (links.length === 0) return undefined;
  return links.map(({ field, name, at }) => ({ hold: resolver.hold(name), at, field }));
}

/**
 * Sends a prepared request. Named links don't delay it: it takes its place in the queue at
 * once and waits there for their lookups, so requests leave in the order they were issued.
 */
export function submit<T>(engine: Engine, resolver: LinkIndexResolver, prep: PreparedRequest<T>, signal?: AbortSignal): Promise<T[]> {
  return engine.request(prep.msg, optionsFor(prep, signal), holdsFor(resolver, prep.links));
}

/**
 * Prepares and sends one change; a ValidationError from `prepare` becomes the rejection
 * (nothing is sent). Resolves with nothing once the kernel acknowledged.
 */
export function applyChange<C, S>(
  engine: Engine, resolver: LinkIndexResolver,
  prepare: (change: C, spec: S) => PreparedRequest, change: C, spec: S, opts?: CallOptions,
): Promise<void> {
  let prep: PreparedRequest;
  let signal: AbortSignal | undefined;
  try {
    signal = callSignal(opts);
    prep = prepare(change, spec);
  } catch (err) {
    return Promise.reject(err);
  }
  return engine.change(prep.msg, optionsFor(prep, signal), holdsFor(resolver, prep.links));
}

