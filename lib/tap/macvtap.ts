/**
 * macvtap devices through their character device /dev/tapN (N = the link's ifindex).
 * Exported from the package root as `nl.macvtap`:
 *
 *   await rt.link.add({ name: 'mvt0', kind: 'macvtap', link: 'eth1', macvlan: { mode: 'bridge' } });
 *   const mvt = await nl.macvtap.open('mvt0', { vnetHdr: true });
 *
 * The node's major:minor comes from /sys/class/net/LINK/macvtap/tapN/dev. When /dev/tapN is
 * missing (a container with its own /dev) or belongs to another device (ifindexes repeat
 * across namespaces), the device is opened through a private node made for the purpose and
 * unlinked at once. For a link in another namespace the lookup runs on a short-lived thread
 * inside it, with a private mount namespace and its own sysfs (sysfs shows the namespace of
 * whoever mounted it).
 *
 * @module
 */
import { ValidationError } from '../errors';
import { toNsTarget, type NativeNsTarget, type NetnsRef } from '../netns/netns-ref';
import { validateLinkName } from '../core/ifname';
import { IFF, nativeTap } from './native-tap';
import { configureOffloads, configureSndbuf, openQueue, openQueues } from './queue-config';
import { Tap } from './tap-device';
import { offloadNames, resolveCommon, throwIfAborted, type CommonTapOptions } from './tap-options';

/** Options of {@link open}. */
export interface MacvtapOptions extends CommonTapOptions {
  /** The namespace the macvtap link is in (default: the current one). */
  netns?: NetnsRef;
  /**
   * How often to check that the link still exists (default 1000 ms; 0 = never). A deleted
   * macvtap's fd reports nothing — reads just stop and writes vanish — so the Tap asks the
   * kernel (TUNGETIFF, which fails with ENOLINK) and closes with 'close' when it is gone.
   */
  livenessMs?: number;
}

/**
 * Opens the macvtap link `link` (a name). Each extra queue (`queues: n`, `addQueue()`) is
 * another open of the same character device; the kernel spreads traffic over them.
 * The Tap's `kind` is 'macvtap', `devicePath` the node used.
 *
 * Equivalent to: exec 3<>/dev/tap$(cat /sys/class/net/LINK/ifindex)
 */
export async function open(link: string, opts: MacvtapOptions = {}): Promise<Tap> {
  validateLinkName(link, 'link');
  if (opts === null || typeof opts !== 'object') throw new ValidationError('opts', 'must be an object');
  const common = resolveCommon(opts, 0);
  const livenessMs = opts.livenessMs ?? 1000;
  if (typeof livenessMs !== 'number' || !Number.isInteger(livenessMs) || livenessMs < 0) throw new ValidationError('livenessMs', 'must be a non-negative integer');
  const target: NativeNsTarget | undefined = opts.netns === undefined ? undefined : toNsTarget(opts.netns);
  const t = nativeTap();
  const context = `macvtap.open ${link}`;
  const signal = opts.signal;
  throwIfAborted(signal);
  // A fresh macvtap queue starts with IFF_VNET_HDR on: say what we want.
  const flags = IFF.TAP | IFF.NO_PI | (common.vnetHdrSize > 0 ? IFF.VNET_HDR : 0);
  const queues: Tap[] = [];
  let appliedOffloads = common.offloadBits;

  const openOne = (): Promise<Tap> =>
    openQueue(
      {
        open: () => t.tapOpenMacvtap(link, target),
        // macvtap keeps the flags and the vnet header size per queue: every queue gets them.
        configure: (r) => {
          t.tapIoctl(r.fd, 'TUNSETIFF', flags);
          appliedOffloads = configureOffloads(r.fd, common, appliedOffloads, false);
          configureSndbuf(r.fd, common);
        },
        wrap: (r) =>
          new Tap({
            fd: r.fd,
            kind: 'macvtap',
            name: link,
            index: r.number,
            vnetHdrSize: common.vnetHdrSize,
            packetInfo: false,
            offloads: offloadNames(appliedOffloads).filter((o) => common.offloads.includes(o)),
            multiQueue: true,
            pump: common.pump,
            arenaBytes: common.arenaBytes,
            queues,
            openQueue: openOne,
            devicePath: r.text,
            livenessMs,
          }),
      },
      context,
      signal,
    );

  return openQueues(common.queues, openOne);
}
