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

/** A FramePump: owns one fd, reads batches into a JS arena, writes frames. */
export interface NativeFramePump {
  readonly fd: number;
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
  FramePump: new (
    fd: number,
    arena: Buffer,
    meta: Uint32Array,
    stats: Float64Array,
    opts: Partial<NativePumpOptions>,
    onEvent: (kind: number, n: number) => void,
  ) => NativeFramePump;
}

/** The addon's TUN/TAP functions (loads the addon on first use). */
export function nativeTap(): TapNative {
  return native() as unknown as TapNative;
}

/**
 * Slots of the pump's shared Float64Array, mirroring native/frame-pump.cc `enum Stat`; the pump
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

/** First argument of the pump's event callback. */
export const PUMP_EVENT = { frames: 0, drain: 1, close: 2 } as const;

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
