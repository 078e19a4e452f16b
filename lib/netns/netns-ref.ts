/**
 * How callers name a network namespace, everywhere an API takes `netns`:
 * a name under /run/netns (as `ip netns` makes), an absolute path to a namespace file,
 * an open namespace fd (a number, or a handle from `nl.netns.open()`), or `{ pid }`.
 */
import { ValidationError } from '../errors';

/** Anything that has an open namespace fd, such as the handle `nl.netns.open()` returns. */
export interface NetnsFdHolder {
  readonly fd: number;
}

/** A reference to a network namespace. */
export type NetnsRef = string | number | NetnsFdHolder | { pid: number };

/** What the native layer accepts: exactly one of path, fd, pid. */
export interface NativeNsTarget {
  path?: string;
  fd?: number;
  pid?: number;
}

/** Directory where `ip netns` keeps its namespace bind mounts. */
export const NETNS_RUN_DIR = '/run/netns';

/** Validates a namespace name the way `ip netns` does (a single path component). */
export function validateNetnsName(name: string, field = 'netns'): void {
  if (typeof name !== 'string' || name.length === 0) throw new ValidationError(field, 'namespace name must be a non-empty string');
  if (Buffer.byteLength(name) > 255) throw new ValidationError(field, 'namespace name is longer than 255 bytes');
  if (name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new ValidationError(field, `invalid namespace name ${JSON.stringify(name)}`);
  }
}

/** Resolves a NetnsRef to the native target. Strings without '/' are names under /run/netns. */
export function toNsTarget(ref: NetnsRef, field = 'netns'): NativeNsTarget {
  if (typeof ref === 'string') {
    if (ref.startsWith('/')) return { path: ref };
    validateNetnsName(ref, field);
    return { path: `${NETNS_RUN_DIR}/${ref}` };
  }
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref < 0) throw new ValidationError(field, 'namespace fd must be a non-negative integer');
    return { fd: ref };
  }
  if (ref && typeof ref === 'object') {
    if ('fd' in ref && Number.isInteger(ref.fd) && ref.fd >= 0) return { fd: ref.fd };
    if ('pid' in ref && Number.isInteger(ref.pid) && ref.pid > 0) return { pid: ref.pid };
  }
  throw new ValidationError(field, 'expected a namespace name, path, fd, handle or { pid }');
}
