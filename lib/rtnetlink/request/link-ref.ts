/**
 * How callers name a link: its name, its ifindex, or a Link object. Requests that need an
 * ifindex resolve names with one RTM_GETLINK; lookups made in the same event-loop turn share
 * one request, so a burst of 100 000 route adds on 'v0' costs one lookup, not 100 000.
 */
import { NetlinkError, ValidationError } from '../../errors';
import { Hold } from '../../core/engine';
import { validateLinkName } from '../../core/ifname';

/** A link by name, ifindex or object. */
export type LinkRef = string | number | { index: number };

export { validateLinkName };

/** Splits a LinkRef into what goes on the wire: an index, or a (validated) name. */
export function linkRefParts(ref: LinkRef, field = 'link'): { index?: number; name?: string } {
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref <= 0 || ref > 0x7fffffff) throw new ValidationError(field, `invalid ifindex ${ref}`);
    return { index: ref };
  }
  if (typeof ref === 'string') {
    validateLinkName(ref, field);
    return { name: ref };
  }
  if (ref && typeof ref === 'object' && Number.isInteger(ref.index) && ref.index > 0) return { index: ref.index };
  throw new ValidationError(field, 'expected a link name, ifindex or Link');
}

/** Resolves names to ifindexes, sharing lookups issued in the same turn of the event loop. */
export class LinkIndexResolver {
  private memo = new Map<string, Hold>();
  private clearScheduled = false;

  constructor(private readonly lookup: (name: string) => Promise<number>) {}

  /** The ifindex for `ref` (no request when it already is one). */
  resolve(ref: LinkRef, field = 'link'): Promise<number> {
    const parts = linkRefParts(ref, field);
    if (parts.index !== undefined) return Promise.resolve(parts.index);
    return this.hold(parts.name!).promise;
  }

  /**
   * The shared lookup of a (validated) link name as a Hold, for requests that wait in the
   * engine's queue for the ifindex instead of chaining a promise each.
   */
  hold(name: string): LinkHold {
    let h = this.memo.get(name) as LinkHold | undefined;
    if (!h) {
      h = new LinkHold(name, this.lookup(name));
      this.memo.set(name, h);
      if (!this.clearScheduled) {
        this.clearScheduled = true;
        // A name may be renamed or re-created later; only share within this burst.
        setImmediate(() => {
          this.clearScheduled = false;
          this.memo = new Map();
        });
      }
    }
    return h;
  }
}

/**
 * One name lookup: a Hold for the engine, and the same outcome as a promise. The lookup is
 * queued when the hold is made, so it is always ahead of every request that waits on it.
 */
export class LinkHold extends Hold {
  constructor(readonly name: string, readonly promise: Promise<number>) {
    super((operation, field, err) => lookupError(operation, field, name, err));
    promise.then((index) => this.resolve(index), (err: unknown) => this.reject(err));
  }
}

/** Turns a failed name lookup into an error that names the operation and the field. */
export function lookupError(operation: string, field: string, name: string, err: unknown): Error {
  if (err instanceof NetlinkError) {
    return new NetlinkError({ errno: err.errno, operation, extack: `no link named ${JSON.stringify(name)}${err.extack ? ` (${err.extack})` : ''}`, attribute: field });
  }
  return err as Error;
}
