/**
 * Namespace handles: an open fd on a network namespace. Holding one keeps the namespace
 * alive (even after `netns.del` removes its name) and lets every API that takes `netns` use
 * it without resolving a name again.
 */
import * as fs from 'node:fs';
import { ValidationError } from '../errors';
import { toNsTarget, type NetnsFdHolder, type NetnsRef } from './netns-ref';
import type { MessageWriter } from '../wire/message-writer';
import { nativeNetns } from './native-netns';
import { describeTarget, netnsError, targetPath, withContext } from './netns-error';

/** What `netns.open()` accepts: a name under /run/netns, an absolute path, a pid, or `{ pid }`. */
export type NetnsOpenRef = string | number | { pid: number };

/** An open network namespace. Pass it as `netns` to `nl.open`, `link.set`, `tap.open` … */
export class NetnsHandle implements NetnsFdHolder {
  /** The name under /run/netns, when the handle was opened by name. */
  readonly name?: string;
  /** The file that was opened, e.g. `/run/netns/h1` or `/proc/1234/ns/net`. */
  readonly path: string;
  /** The namespace's inode number (as in `ls -iL /proc/self/ns/net`); equal inodes mean the same namespace. */
  readonly inode: number;
  #fd: number;

  /** @internal use {@link open}. */
  constructor(fd: number, path: string, inode: number, name?: string) {
    this.#fd = fd;
    this.path = path;
    this.inode = inode;
    if (name !== undefined) this.name = name;
  }

  /** The open fd. Throws EBADF once the handle is closed, so a stale number is never reused. */
  get fd(): number {
    if (this.#fd < 0) throw netnsError('EBADF', 'fd', `netns handle for ${this.path} is closed`, this.path);
    return this.#fd;
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the fd; the namespace itself lives on while it has a name, a process or another fd. Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    fs.closeSync(fd);
  }

  /** `using ns = nl.netns.open('h1')` closes the handle at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }
}

interface Resolved {
  path: string;
  name?: string;
  /** Says what was asked for, in error messages. */
  what: string;
}

function resolve(ref: NetnsOpenRef): Resolved {
  if (typeof ref === 'string') {
    const target = toNsTarget(ref, 'netns');
    return { path: target.path!, ...(ref.startsWith('/') ? {} : { name: ref }), what: describeTarget(target) };
  }
  const pid = typeof ref === 'number' ? ref : ref && typeof ref === 'object' ? ref.pid : undefined;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) {
    throw new ValidationError('netns', 'expected a namespace name, an absolute path, a pid or { pid }');
  }
  return { path: targetPath({ pid }), what: describeTarget({ pid }) };
}

/**
 * Opens a network namespace and returns a handle holding it (an fd; call `close()`).
 * A name is looked up under /run/netns, as `ip netns` keeps them; a number is a process id.
 * Fails with code 'ENOENT' when the name (or process) does not exist, and 'EINVAL' when the
 * file is not a network namespace (e.g. a leftover /run/netns entry whose mount is gone).
 *
 * Equivalent to: the namespace lookup of `ip netns exec NAME …` / `nsenter --net=PATH`.
 */
export function open(ref: NetnsOpenRef): NetnsHandle {
  const r = resolve(ref);
  let fd: number;
  try {
    fd = fs.openSync(r.path, fs.constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw netnsError('ENOENT', 'open', `netns.open: ${r.what} does not exist (${r.path})`, r.path);
    }
    throw withContext(err, `netns.open: ${r.what}`, r.path);
  }
  try {
    let type: number;
    try {
      type = nativeNetns().netnsType(fd);
    } catch {
      type = -1;
    }
    if (type !== nativeNetns().CLONE_NEWNET) {
      throw netnsError('EINVAL', 'ioctl', `netns.open: ${r.path} is not a network namespace`, r.path);
    }
    const inode = fs.fstatSync(fd).ino;
    return new NetnsHandle(fd, r.path, inode, r.name);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/**
 * Writes a namespace reference into a request as the attribute the kernel takes for it:
 * `attrs.pid` for `{ pid }`, `attrs.fd` for an fd or handle, and for a name or path `attrs.fd`
 * with the fd of a handle opened here. The kernel resolves that fd in this process while it
 * handles the request, so the returned handle must stay open until the reply; the caller
 * closes it. Nothing is opened (undefined) for a pid or fd.
 */
export function writeNsTarget(w: MessageWriter, ref: NetnsRef, field: string, attrs: { pid: number; fd: number }): NetnsHandle | undefined {
  const target = toNsTarget(ref, field);
  if (target.pid !== undefined) {
    w.u32(attrs.pid, target.pid, field);
    return undefined;
  }
  if (target.fd !== undefined) {
    w.u32(attrs.fd, target.fd, field);
    return undefined;
  }
  const handle = open(target.path!);
  w.u32(attrs.fd, handle.fd, field);
  return handle;
}
