/**
 * How callers name a link: its name, its ifindex, or a Link object. Requests that need an
 * ifindex resolve names with one RTM_GETLINK; lookups made in the same event-loop turn share
 * one request, so a burst of 100 000 route adds on 'v0' costs one lookup, not 100 000.
 */
import { ValidationError } from '../errors';

/** A link by name, ifindex or object. */
export type LinkRef = string | number | { index: number };

/** Checks a link name the way the kernel does (dev_valid_name): 1–15 bytes, no '/', ':', whitespace. */
export function validateLinkName(name: unknown, field = 'name'): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new ValidationError(field, 'link name must be a non-empty string');
  if (Buffer.byteLength(name) > 15) throw new ValidationError(field, `link name ${JSON.stringify(name)} is longer than 15 bytes`);
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new ValidationError(field, `link name ${JSON.stringify(name)} may not contain '/', ':' or whitespace`);
  }
}

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
  private memo = new Map<string, Promise<number>>();
  private clearScheduled = false;

  constructor(private readonly lookup: (name: string) => Promise<number>) {}

  /** The ifindex for `ref` (no request when it already is one). */
  resolve(ref: LinkRef, field = 'link'): Promise<number> {
    const parts = linkRefParts(ref, field);
    if (parts.index !== undefined) return Promise.resolve(parts.index);
    const name = parts.name!;
    let p = this.memo.get(name);
    if (!p) {
      p = this.lookup(name);
      this.memo.set(name, p);
      if (!this.clearScheduled) {
        this.clearScheduled = true;
        // A name may be renamed or re-created later; only share within this burst.
        setImmediate(() => {
          this.clearScheduled = false;
          this.memo = new Map();
        });
      }
    }
    return p;
  }
}
