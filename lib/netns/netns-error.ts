/**
 * Errors of the namespace operations: the syscall failure the native layer reported, with a
 * message that names the namespace, shaped like Node's own system errors
 * (`errno`, `code`, `syscall`, `path`).
 */
import { constants as osConstants } from 'node:os';
import type { SystemError } from '../errors';
import { NETNS_RUN_DIR, type NativeNsTarget } from './netns-ref';

/**
 * A failed namespace operation (`netns.add/del/open`, or entering a namespace to open a
 * socket or a TAP there): a {@link SystemError} that also names the file involved.
 * `err instanceof nl.NetnsError` tells it from a NetlinkError.
 */
export class NetnsError extends Error implements SystemError {
  /** Positive errno, e.g. 2 for ENOENT. */
  errno: number;
  /** The errno name, e.g. 'ENOENT'. */
  code: string;
  /** The syscall that failed ('open', 'setns', 'mount' …). */
  syscall: string;
  /** The namespace file involved, e.g. `/run/netns/h1` or `/proc/1234/ns/net`. */
  path?: string;

  constructor(code: string, syscall: string, message: string, path?: string) {
    super(message);
    this.name = 'NetnsError';
    this.code = code;
    this.errno = (osConstants.errno as Record<string, number>)[code] ?? 0;
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
  }
}

/** Builds a NetnsError with `code`, positive `errno`, `syscall` and `path`. */
export function netnsError(code: string, syscall: string, message: string, path?: string): NetnsError {
  return new NetnsError(code, syscall, message, path);
}

/** Re-throws a native ErrnoError (or any Error with a `code`) with `context` in front of its message. */
export function withContext(err: unknown, context: string, path?: string): NetnsError {
  const e = err as Partial<NetnsError> & Error;
  if (!e || typeof e.code !== 'string') return err as NetnsError;
  return netnsError(e.code, e.syscall ?? 'unknown', `${context}: ${e.message}`, path);
}

/**
 * Names a namespace target in messages: `network namespace "h1"` for /run/netns/h1,
 * `namespace file /x`, `namespace fd 7`, or `the network namespace of process 1234`.
 */
export function describeTarget(target: NativeNsTarget): string {
  const prefix = `${NETNS_RUN_DIR}/`;
  if (target.path !== undefined) {
    const rest = target.path.slice(prefix.length);
    return target.path.startsWith(prefix) && rest && !rest.includes('/') ? `network namespace "${rest}"` : `namespace file ${target.path}`;
  }
  if (target.pid !== undefined) return `the network namespace of process ${target.pid}`;
  return `namespace fd ${target.fd}`;
}

/** The file behind a target: its path, /proc/PID/ns/net, or `fd N`. */
export function targetPath(target: NativeNsTarget): string {
  return target.path ?? (target.pid !== undefined ? `/proc/${target.pid}/ns/net` : `fd ${target.fd}`);
}

/**
 * For APIs that take `netns` and fail while entering it (nl.open, tap.open, monitor …): the
 * native error re-thrown with a message naming the namespace, e.g.
 * `open: network namespace "h1" does not exist (/run/netns/h1)` for ENOENT. Other system
 * errors keep their text, prefixed with the operation and the namespace; anything else is
 * returned unchanged.
 */
export function netnsEntryError(err: unknown, operation: string, target: NativeNsTarget): unknown {
  const e = err as Partial<NetnsError> & Error;
  if (!e || typeof e.code !== 'string') return err;
  const where = targetPath(target);
  if (e.code === 'ENOENT' && e.syscall === 'open') {
    return netnsError('ENOENT', 'open', `${operation}: ${describeTarget(target)} does not exist (${where})`, where);
  }
  return netnsError(e.code, e.syscall ?? 'unknown', `${operation}: ${describeTarget(target)}: ${e.message}`, where);
}
