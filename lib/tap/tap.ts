/**
 * TUN and TAP devices through /dev/net/tun. Exported from the package root as `nl.tap`:
 *
 *   const tap = await nl.tap.open({ name: 'tap0', netns: 'h1', vnetHdr: true, offloads: ['tso4'] });
 *   tap.on('frames', (batch) => { for (const f of batch) … });
 *
 * Opening inside another namespace runs on a short-lived native thread (setns → open →
 * TUNSETIFF → exit); the fd, and so the device, stays in that namespace for life. The
 * remaining configuration ioctls act on the fd and run on the calling thread.
 *
 * @module
 */
import { ValidationError } from '../errors';
import { toNsTarget, type NativeNsTarget, type NetnsRef } from '../netns/netns-ref';
import { validateLinkName } from '../core/ifname';
import { withContext } from '../netns/netns-error';
import { PACKET_INFO_BYTES } from './frame-batch';
import { IFF, nativeTap } from './native-tap';
import { configureOffloads, configureSndbuf, openQueue, openQueues } from './queue-config';
import { Tap } from './tap-device';
import { offloadNames, resolveCommon, throwIfAborted, type CommonTapOptions } from './tap-options';

export { stream, type TapStreamOptions } from './stream';

/** Options of {@link open}. */
export interface TapOptions extends CommonTapOptions {
  /**
   * Interface name (≤ 15 bytes). May hold one `%d` for the kernel to number ('nl%d');
   * omitted → the kernel picks 'tap0', 'tun1' ….
   */
  name?: string;
  /** 'tap' (Ethernet frames, the default) or 'tun' (IP packets). */
  mode?: 'tap' | 'tun';
  /** Create (or attach) the device in this namespace instead of the current one. */
  netns?: NetnsRef;
  /** IFF_MULTI_QUEUE even with one queue, so that `addQueue()` works later. */
  multiQueue?: boolean;
  /** Keep struct tun_pi (4 bytes: flags, protocol) in front of frames (IFF_NO_PI off). */
  packetInfo?: boolean;
  /** true: the device outlives this process (TUNSETPERSIST); false: clear it on an existing one. */
  persist?: boolean;
  /** Only this uid may attach later (TUNSETOWNER). */
  owner?: number;
  /** Only this gid may attach later (TUNSETGROUP). */
  group?: number;
  /** The device must already exist (a persistent one): fail with ENODEV instead of creating it. */
  attach?: boolean;
  /** Fail with EBUSY if the device already exists (IFF_TUN_EXCL). */
  exclusive?: boolean;
  /** Let the kernel take written frames through NAPI/GRO (IFF_NAPI). */
  napi?: boolean;
}

function validateName(name: unknown): string {
  if (name === undefined) return '';
  validateLinkName(name, 'name');
  // TUNSETIFF numbers a '%d' itself (dev_alloc_name); any other '%' would be taken as a format.
  if ((name.match(/%/g) ?? []).length > (name.includes('%d') ? 1 : 0)) throw new ValidationError('name', 'may hold at most one %d and no other %');
  return name;
}

function optionalId(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xfffffffe) throw new ValidationError(field, 'must be a uid/gid (non-negative integer)');
  return v;
}

/**
 * Opens a TUN or TAP device, creating it unless it exists (and `attach`/`exclusive` say
 * otherwise). With `queues: n` opens n queues; the returned Tap is the first and
 * `tap.queues` lists them all.
 *
 * Equivalent to: ip tuntap add dev NAME mode tap [multi_queue] [vnet_hdr] [user U] [group G]
 * (then holding the device open)
 */
export async function open(opts: TapOptions = {}): Promise<Tap> {
  if (opts === null || typeof opts !== 'object') throw new ValidationError('opts', 'must be an object');
  const mode = opts.mode ?? 'tap';
  if (mode !== 'tap' && mode !== 'tun') throw new ValidationError('mode', "must be 'tap' or 'tun'");
  const name = validateName(opts.name);
  const packetInfo = opts.packetInfo === true;
  const common = resolveCommon(opts, packetInfo ? PACKET_INFO_BYTES : 0);
  const multiQueue = opts.multiQueue === true || common.queues > 1;
  const owner = optionalId(opts.owner, 'owner');
  const group = optionalId(opts.group, 'group');
  const target: NativeNsTarget | undefined = opts.netns === undefined ? undefined : toNsTarget(opts.netns);
  if (opts.attach && opts.exclusive) throw new ValidationError('attach', 'attach and exclusive contradict each other');
  if (opts.attach && name === '') throw new ValidationError('name', 'attach needs the name of the existing device');
  if (opts.persist !== undefined && typeof opts.persist !== 'boolean') throw new ValidationError('persist', 'must be a boolean');

  let flags = (mode === 'tun' ? IFF.TUN : IFF.TAP) | (packetInfo ? 0 : IFF.NO_PI);
  if (common.vnetHdrSize > 0) flags |= IFF.VNET_HDR;
  if (multiQueue) flags |= IFF.MULTI_QUEUE;
  if (opts.exclusive) flags |= IFF.TUN_EXCL;
  if (opts.napi) flags |= IFF.NAPI;

  const t = nativeTap();
  const context = `tap.open ${name || '(kernel-named)'}`;
  const signal = opts.signal;
  throwIfAborted(signal);

  const queues: Tap[] = [];
  let deviceName = name;
  let appliedOffloads = common.offloadBits;

  // One more fd on the device: TUNSETIFF by name (the device exists after the first one).
  const openOne = (first: boolean): Promise<Tap> =>
    openQueue(
      {
        open: () => t.tapOpenTun(deviceName, first ? flags : flags & ~IFF.TUN_EXCL, first ? opts.attach === true : true, target),
        configure: (r) => {
          deviceName = r.text;
          // tun keeps the vnet header size, offloads, owner and group per device.
          if (first) {
            appliedOffloads = configureOffloads(r.fd, common, appliedOffloads, true);
            if (owner !== undefined) t.tapIoctl(r.fd, 'TUNSETOWNER', owner);
            if (group !== undefined) t.tapIoctl(r.fd, 'TUNSETGROUP', group);
          }
          configureSndbuf(r.fd, common);
        },
        wrap: (r) =>
          new Tap({
            fd: r.fd,
            kind: mode,
            name: r.text,
            index: r.number,
            vnetHdrSize: common.vnetHdrSize,
            packetInfo,
            offloads: offloadNames(appliedOffloads).filter((o) => common.offloads.includes(o)),
            multiQueue,
            pump: common.pump,
            arenaBytes: common.arenaBytes,
            queues,
            openQueue: multiQueue ? () => openOne(false) : undefined,
          }),
      },
      context,
      signal,
    );

  const persist = opts.persist;
  return openQueues(common.queues, openOne, (first) => {
    if (persist === undefined) return;
    try {
      t.tapIoctl(first.fd, 'TUNSETPERSIST', persist ? 1 : 0);
    } catch (err) {
      throw withContext(err, context);
    }
  });
}
