/**
 * The TUN/TAP part of the addon (native/tap-device.cc and native/frame-pump.cc), typed, with
 * the kernel constants the TypeScript side uses to build flags. Only fds and syscalls live in
 * C++; every decision about flags, offloads and names is made in lib/tap.
 */
import { native } from '../native';
import type { NativeNsTarget } from '../netns/netns-ref';

/** What a RunInNetns open resolves with. */
export interface NativeOpenResult {
  fd: number;
  /** tapOpenTun: the device name the kernel used; tapOpenMacvtap: the node opened ('' = private node). */
  text: string;
  /** The ifindex in the device's namespace (0 if it could not be read). */
  number: number;
}

/** Tuning for one FramePump; every field has a native default. */
export interface NativePumpOptions {
  /** Largest read, including the prefix (packet info + vnet header). */
  maxFrame: number;
  /** Most frames handed to JS per call. */
  batchFrames: number;
  /** Queue limits for writes that met EAGAIN; frames beyond them are dropped and counted. */
  maxQueueFrames: number;
  maxQueueBytes: number;
  /** Bytes of prefix per frame: the zero prefix of `write(frame, true)` and flagged spans, the slice size of `writeBatch` prefixes. */
  prefixBytes: number;
}

/**
 * The memory a FramePump lends to JS. The pump allocates it and shares ownership with these
 * objects (external ArrayBuffers, which Node will not transfer), so nothing JS does with them
 * can free memory the pump still writes into.
 */
export interface NativePumpBuffers {
  /** Frames of the current batch. */
  arena: Buffer;
  /** [offset, length] of each frame of the current batch in `arena`. */
  meta: Uint32Array;
  /** Counters, indexed by {@link STAT}. */
  stats: Float64Array;
}

/** A FramePump: owns one fd, reads batches into its arena, writes frames. */
export interface NativeFramePump {
  readonly fd: number;
  /** The buffers lent now; new objects after a {@link PUMP_EVENT}.buffers event. */
  buffers(): NativePumpBuffers;
  /** Starts watching the fd (reading unless paused). */
  start(): void;
  pause(): void;
  resume(): void;
  /** One frame; prefix `true` prepends prefixBytes zero bytes. Returns a {@link WRITE_RESULT}. */
  write(frame: Uint8Array, prefix?: Uint8Array | boolean): number;
  /**
   * Many frames in one call; returns how many were written or queued. `prefixes`: frames.length
   * × prefixBytes bytes, slice i in front of frame i; `true`: prefixBytes zero bytes before each.
   */
  writeBatch(frames: readonly Uint8Array[], prefixes?: Uint8Array | boolean): number;
  /** `count` triples [bufferIndex | SPAN_ZERO_PREFIX?, offset, length]; returns frames accepted. */
  writeSpans(buffers: readonly Uint8Array[], spans: Uint32Array, count: number): number;
  /** Stops polling and closes the fd; safe inside the frames callback and when repeated. */
  close(): void;
  ref(): void;
  unref(): void;
}

/** The ioctls `tapIoctl` understands, named as in linux/if_tun.h. */
export type TapIoctlOp =
  | 'TUNSETIFF'
  | 'TUNGETFEATURES'
  | 'TUNGETVNETHDRSZ'
  | 'TUNGETSNDBUF'
  | 'TUNSETOFFLOAD'
  | 'TUNSETPERSIST'
  | 'TUNSETOWNER'
  | 'TUNSETGROUP'
  | 'TUNSETVNETHDRSZ'
  | 'TUNSETSNDBUF'
  | 'TUNSETCARRIER'
  | 'TUNSETQUEUE';

/** Exports of tap-device.cc and frame-pump.cc. */
export interface TapNative {
  /** open(/dev/net/tun) + TUNSETIFF, inside `netns` when given (on a short-lived thread). */
  tapOpenTun(name: string, flags: number, mustExist: boolean, netns?: NativeNsTarget): Promise<NativeOpenResult>;
  /** Opens /dev/tapN for the macvtap `link` (N = its ifindex), making a private node if needed. */
  tapOpenMacvtap(link: string, netns?: NativeNsTarget): Promise<NativeOpenResult>;
  tapIoctl(fd: number, op: 'TUNGETIFF'): { name: string; flags: number };
  tapIoctl(fd: number, op: 'TUNGETFEATURES' | 'TUNGETVNETHDRSZ' | 'TUNGETSNDBUF'): number;
  tapIoctl(fd: number, op: TapIoctlOp, value: number): void;
  tapCloseFd(fd: number): void;
  /** Takes ownership of `fd`; throws RangeError naming the option for an out-of-range size (then `fd` is still the caller's). */
  FramePump: new (fd: number, opts: Partial<NativePumpOptions & { arenaBytes: number }>, onEvent: (kind: number, n: number) => void) => NativeFramePump;
}

/** The addon's TUN/TAP functions (loads the addon on first use). */
export function nativeTap(): TapNative {
  return native() as unknown as TapNative;
}

/**
 * Slots of the pump's shared Float64Array, mirroring native/frame-pump.cc `enum Stat`; a Tap
 * refuses a stats array that is not exactly `count` long, so the two cannot drift apart silently.
 */
export const STAT = {
  rxFrames: 0,
  rxBytes: 1,
  txFrames: 2,
  txBytes: 3,
  txDrops: 4,
  rxErrors: 5,
  txErrors: 6,
  queuedFrames: 7,
  queuedBytes: 8,
  rxBatches: 9,
  lastErrno: 10,
  closedErrno: 11,
  count: 12,
} as const;

/**
 * First argument of the pump's event callback. `buffers`: JS detached a lent buffer, so the
 * pump lent new ones (fetch them with `buffers()` before the next batch arrives).
 */
export const PUMP_EVENT = { frames: 0, drain: 1, close: 2, buffers: 3 } as const;

/** What `NativeFramePump.write` returns. */
export const WRITE_RESULT = { written: 0, queued: 1, dropped: 2, closed: 3 } as const;

/** Span flag: write a zeroed prefix (an empty vnet header) in front of the frame (frame-pump.cc kSpanZeroPrefix). */
export const SPAN_ZERO_PREFIX = 0x100;

/** TUNSETIFF flags (linux/if_tun.h). */
export const IFF = {
  TUN: 0x0001,
  TAP: 0x0002,
  NAPI: 0x0010,
  NAPI_FRAGS: 0x0020,
  NO_CARRIER: 0x0040,
  MULTI_QUEUE: 0x0100,
  ATTACH_QUEUE: 0x0200,
  DETACH_QUEUE: 0x0400,
  PERSIST: 0x0800,
  NO_PI: 0x1000,
  VNET_HDR: 0x4000,
  TUN_EXCL: 0x8000,
} as const;

/** TUNSETOFFLOAD bits (linux/if_tun.h; USO4/USO6 since Linux 6.2). */
export const TUN_F = {
  CSUM: 0x01,
  TSO4: 0x02,
  TSO6: 0x04,
  TSO_ECN: 0x08,
  UFO: 0x10,
  USO4: 0x20,
  USO6: 0x40,
} as const;
