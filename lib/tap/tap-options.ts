/**
 * Validation of the options TUN/TAP and macvtap share: vnet header, offloads, queues and the
 * frame pump's tuning. Everything is checked before any fd is opened.
 */
import { ValidationError } from '../errors';
import { TUN_F, type NativePumpOptions } from './native-tap';
import { VNET_HDR_MIN, VNET_HDR_MRG } from './vnet-header';

/** Offloads the reader can take (TUNSETOFFLOAD). Every one of them implies 'csum'. */
export type Offload = 'csum' | 'tso4' | 'tso6' | 'tso_ecn' | 'ufo' | 'uso';

/** Tuning of the frame pump; the defaults suit both 1500-byte frames and 64 KiB super-frames. */
export interface PumpOptions {
  /** Most frames handed to one 'frames' call (default 256). */
  batchFrames?: number;
  /** Size of the read arena per queue (default 2 MiB, 4 MiB with vnet_hdr; at least 128 KiB). */
  arenaBytes?: number;
  /** Frames that may wait for POLLOUT after EAGAIN before further writes are dropped (default 1024). */
  maxQueueFrames?: number;
  /** Bytes that may wait likewise (default 8 MiB). */
  maxQueueBytes?: number;
}

/** Options shared by `tap.open` and `macvtap.open`. */
export interface CommonTapOptions extends PumpOptions {
  /**
   * Prefix every frame with a virtio-net header (IFF_VNET_HDR): `true` for the 12-byte
   * virtio 1.0 header, or a size in bytes (10 for the legacy header, up to 64).
   */
  vnetHdr?: boolean | number;
  /**
   * What this reader can take from the kernel: partial checksums and GSO super-frames.
   * Needs `vnetHdr`. 'uso' is skipped on kernels before 6.2; 'ufo' is accepted by the
   * kernel but Linux no longer produces UFO frames.
   */
  offloads?: readonly Offload[];
  /** Number of queues (fds) to open now, 1–256 (default 1); more turns on multi-queue. */
  queues?: number;
  /** Socket send buffer of the device in bytes (TUNSETSNDBUF): a small one makes writes meet EAGAIN sooner. */
  sndbuf?: number;
  /** Aborts the open; an fd already obtained is closed. */
  signal?: AbortSignal;
}

/** The validated, defaulted form. */
export interface ResolvedCommon {
  vnetHdrSize: number;
  offloadBits: number;
  offloads: Offload[];
  queues: number;
  sndbuf?: number;
  pump: NativePumpOptions;
  arenaBytes: number;
}

const OFFLOAD_BITS: Record<Offload, number> = {
  csum: TUN_F.CSUM,
  tso4: TUN_F.TSO4,
  tso6: TUN_F.TSO6,
  tso_ecn: TUN_F.TSO_ECN,
  ufo: TUN_F.UFO,
  uso: TUN_F.USO4 | TUN_F.USO6,
};

/** Linux's MAX_TAP_QUEUES. */
export const MAX_QUEUES = 256;

/** Largest frame a device can hand us without the prefix: 64 KiB payload + Ethernet + a tag. */
const MAX_FRAME_BODY = 65536 + 32;

function checkInt(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ValidationError(field, `must be an integer ${min}–${max}`);
  }
  return v;
}

/** Validates and defaults the shared options; `packetInfoBytes` adds to the prefix. */
export function resolveCommon(opts: CommonTapOptions, packetInfoBytes: number): ResolvedCommon {
  let vnetHdrSize = 0;
  if (opts.vnetHdr === true) vnetHdrSize = VNET_HDR_MRG;
  else if (typeof opts.vnetHdr === 'number') vnetHdrSize = checkInt(opts.vnetHdr, 'vnetHdr', VNET_HDR_MIN, 64);
  else if (opts.vnetHdr !== undefined && opts.vnetHdr !== false) throw new ValidationError('vnetHdr', 'must be a boolean or a header size');

  let offloadBits = 0;
  const offloads: Offload[] = [];
  if (opts.offloads !== undefined) {
    if (!Array.isArray(opts.offloads)) throw new ValidationError('offloads', 'must be an array of offload names');
    for (const [i, name] of opts.offloads.entries()) {
      const bit = OFFLOAD_BITS[name as Offload];
      if (bit === undefined) throw new ValidationError(`offloads[${i}]`, `unknown offload ${JSON.stringify(name)} (csum, tso4, tso6, tso_ecn, ufo, uso)`);
      offloadBits |= bit;
      if (!offloads.includes(name)) offloads.push(name);
    }
    if (offloadBits !== 0 && vnetHdrSize === 0) {
      throw new ValidationError('offloads', 'offloads need vnetHdr: the header is how the kernel says a frame is partial or GSO');
    }
    // The kernel refuses segmentation offloads without checksum offload.
    if (offloadBits !== 0 && !(offloadBits & TUN_F.CSUM)) {
      offloadBits |= TUN_F.CSUM;
      offloads.unshift('csum');
    }
  }

  const queues = opts.queues === undefined ? 1 : checkInt(opts.queues, 'queues', 1, MAX_QUEUES);
  const sndbuf = opts.sndbuf === undefined ? undefined : checkInt(opts.sndbuf, 'sndbuf', 1, 0x7fffffff);
  const batchFrames = opts.batchFrames === undefined ? 256 : checkInt(opts.batchFrames, 'batchFrames', 1, 65536);
  const maxFrame = packetInfoBytes + vnetHdrSize + MAX_FRAME_BODY;
  const defaultArena = vnetHdrSize > 0 ? 4 << 20 : 2 << 20;
  const arenaBytes = opts.arenaBytes === undefined ? defaultArena : checkInt(opts.arenaBytes, 'arenaBytes', 2 * maxFrame, 1 << 30);
  const maxQueueFrames = opts.maxQueueFrames === undefined ? 1024 : checkInt(opts.maxQueueFrames, 'maxQueueFrames', 0, 1 << 24);
  const maxQueueBytes = opts.maxQueueBytes === undefined ? 8 << 20 : checkInt(opts.maxQueueBytes, 'maxQueueBytes', 0, 1 << 30);
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new ValidationError('signal', 'must be an AbortSignal');

  return {
    vnetHdrSize,
    offloadBits,
    offloads,
    queues,
    ...(sndbuf !== undefined ? { sndbuf } : {}),
    arenaBytes,
    pump: { maxFrame, batchFrames, maxQueueFrames, maxQueueBytes, prefixBytes: packetInfoBytes + vnetHdrSize },
  };
}

/** The offload names whose bits are all in `bits`. */
export function offloadNames(bits: number): Offload[] {
  return (Object.keys(OFFLOAD_BITS) as Offload[]).filter((n) => (bits & OFFLOAD_BITS[n]) === OFFLOAD_BITS[n]);
}

/** Rejects with the signal's reason when it has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}
