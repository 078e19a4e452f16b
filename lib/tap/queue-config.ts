/**
 * Opening and setting up the queues (fds) of a TUN/TAP or macvtap device, shared by `nl.tap`
 * and `nl.macvtap`. The configuration ioctls act on the fd, so they run on the calling thread
 * whatever namespace the device is in.
 */
import { withContext } from '../netns/netns-error';
import { nativeTap, TUN_F, type NativeOpenResult } from './native-tap';
import type { Tap } from './tap-device';
import { throwIfAborted, type ResolvedCommon } from './tap-options';

/**
 * Sets the vnet header size and offloads on a fresh queue and returns the offload bits the
 * kernel took: USO is dropped on kernels that lack it (EINVAL), everything else must stick.
 * A TUN/TAP device keeps both per device (so its first queue is enough); a macvtap keeps the
 * header size per queue.
 *
 * `alwaysSetOffloads`: also set offloads (to 0) without a vnet header. TUN/TAP needs that
 * when attaching to a device someone configured before, since a reader without the header
 * cannot be handed partial or GSO frames. macvtap segments for such readers by itself.
 *
 * Equivalent to the ioctls TUNSETVNETHDRSZ, TUNSETOFFLOAD.
 */
export function configureOffloads(fd: number, common: ResolvedCommon, bits: number, alwaysSetOffloads: boolean): number {
  const t = nativeTap();
  if (common.vnetHdrSize > 0) t.tapIoctl(fd, 'TUNSETVNETHDRSZ', common.vnetHdrSize);
  if (common.vnetHdrSize > 0 || alwaysSetOffloads) {
    try {
      t.tapIoctl(fd, 'TUNSETOFFLOAD', bits);
    } catch (err) {
      const uso = TUN_F.USO4 | TUN_F.USO6;
      if ((err as { code?: string }).code !== 'EINVAL' || (bits & uso) === 0) throw err;
      bits &= ~uso;
      t.tapIoctl(fd, 'TUNSETOFFLOAD', bits);
    }
  }
  return bits;
}

/**
 * Sets the send buffer of a fresh queue. Every queue needs it: the kernel applies TUNSETSNDBUF
 * to the queues attached at the time, and a queue attached later starts with the default.
 *
 * Equivalent to the ioctl TUNSETSNDBUF.
 */
export function configureSndbuf(fd: number, common: ResolvedCommon): void {
  if (common.sndbuf !== undefined) nativeTap().tapIoctl(fd, 'TUNSETSNDBUF', common.sndbuf);
}

/** The steps of opening one queue, for {@link openQueue}. */
export interface QueueSteps {
  /** Gets the fd (on a short-lived thread inside the device's namespace when it has one). */
  open(): Promise<NativeOpenResult>;
  /** Sets the fresh fd up; if it throws, the fd is closed. */
  configure(r: NativeOpenResult): void;
  /** Makes the Tap that owns the fd from then on. */
  wrap(r: NativeOpenResult): Tap;
}

/**
 * Opens one queue: open, configure (closing the fd if that fails or `signal` aborted meanwhile),
 * wrap. Errors carry `context` ('tap.open tap0').
 */
export async function openQueue(steps: QueueSteps, context: string, signal: AbortSignal | undefined): Promise<Tap> {
  let r: NativeOpenResult;
  try {
    r = await steps.open();
  } catch (err) {
    throw withContext(err, context);
  }
  try {
    throwIfAborted(signal);
    steps.configure(r);
  } catch (err) {
    nativeTap().tapCloseFd(r.fd);
    throw withContext(err, context);
  }
  return steps.wrap(r);
}

/**
 * Opens `count` queues with `openOne` (the first, then the others one by one) and runs `finish`
 * on the first; if any of it fails, closes every queue opened so far and rethrows.
 * Resolves with the first queue (whose `queues` lists them all).
 */
export async function openQueues(count: number, openOne: (first: boolean) => Promise<Tap>, finish?: (first: Tap) => void): Promise<Tap> {
  const first = await openOne(true);
  try {
    for (let i = 1; i < count; i++) await openOne(false);
    finish?.(first);
  } catch (err) {
    first.closeAll();
    throw err;
  }
  return first;
}
