/**
 * `Tap`: one open queue (fd) of a TUN, TAP or macvtap device, with its frame pump.
 *
 * Reading starts when the first 'frames' listener (or async iterator) appears and stops when
 * the last one goes, so frames are never read into the void. Each 'frames' call carries a
 * whole {@link FrameBatch} (one JS call per wakeup, not per frame).
 *
 * Events:
 * - 'frames' (batch: FrameBatch) — valid only during the call;
 * - 'drain' () — the write queue emptied after `write()` returned false;
 * - 'close' (error?: SystemError) — the fd is closed; `error` is set when the device went
 *   away rather than by `close()`: code 'EBADFD' for a deleted TUN/TAP (the fd reports it at
 *   once), 'ENOLINK' for a deleted macvtap (found by a periodic TUNGETIFF check, since its fd
 *   reports nothing).
 */
import { EventEmitter } from 'node:events';
import { errnoCode, ValidationError, type SystemError } from '../errors';
import { ETH_P_IP, ETH_P_IPV6 } from '../wire/constants';
import { FrameBatch, PACKET_INFO_BYTES } from './frame-batch';
import { nativeTap, PUMP_EVENT, STAT, WRITE_RESULT, type NativeFramePump, type NativePumpOptions } from './native-tap';
import type { Offload } from './tap-options';
import { encodeVnetHeader, type VnetHeader } from './vnet-header';

/** Which character device a Tap sits on. */
export type TapKind = 'tap' | 'tun' | 'macvtap';

/** Per-queue counters (cumulative since open). */
export interface TapStats {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Frames not sent: refused by the device (link down …), by a full write queue, or after close. */
  drops: number;
  /** Reads that failed with something other than EAGAIN. */
  rxErrors: number;
  /** Writes the device refused (EIO when the link is down, EINVAL for a bad vnet header …). */
  txErrors: number;
  /** Frames and bytes waiting for the device to accept writes again. */
  queuedFrames: number;
  queuedBytes: number;
  /** 'frames' calls made (rxFrames / rxBatches is the mean batch size). */
  rxBatches: number;
  /** Code of the last failed read or write ('EIO' …), if any. */
  lastError?: string;
}

/** How a Tap opens more queues of its device (TUN/TAP: TUNSETIFF again; macvtap: reopen /dev/tapN). */
export type QueueOpener = () => Promise<Tap>;

/** @internal what the openers hand to the constructor. */
export interface TapInit {
  fd: number;
  kind: TapKind;
  name: string;
  index: number;
  vnetHdrSize: number;
  packetInfo: boolean;
  offloads: Offload[];
  multiQueue: boolean;
  pump: NativePumpOptions;
  arenaBytes: number;
  /** Shared by all queues of one device. */
  queues: Tap[];
  openQueue: QueueOpener | undefined;
  /** macvtap: the node that was opened ('' when a private node was used). */
  devicePath?: string;
  /**
   * Check every so many ms that the device still exists (TUNGETIFF), for devices whose fd does
   * not report deletion: a deleted macvtap's fd just stops delivering and swallows writes.
   */
  livenessMs?: number;
}

function deviceError(errno: number, name: string, syscall = 'read'): SystemError {
  const code = errnoCode(errno);
  const err = new Error(`tap ${name}: device went away (${code})`) as SystemError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  return err;
}

/** One queue of a TUN/TAP/macvtap device. Made by `nl.tap.open`, `nl.macvtap.open` or `addQueue()`. */
export class Tap extends EventEmitter {
  /** Interface name (kernel-chosen when none was asked for). */
  readonly name: string;
  /** Interface index in the device's namespace. */
  readonly index: number;
  readonly kind: TapKind;
  /** Bytes of virtio-net header in front of every frame (0 = none). */
  readonly vnetHdrSize: number;
  /** Frames carry struct tun_pi (TUN/TAP opened with `packetInfo`). */
  readonly packetInfo: boolean;
  /** Offloads in effect (what the kernel accepted). */
  readonly offloads: readonly Offload[];
  readonly multiQueue: boolean;
  /** Bytes in front of every frame: packet info + vnet header. */
  readonly prefixBytes: number;
  /** macvtap: the character device node used ('' when it was opened through a private node). */
  readonly devicePath?: string;

  readonly #pump: NativeFramePump;
  #stats!: Float64Array;
  #batch!: FrameBatch;
  readonly #queues: Tap[];
  readonly #openQueue: QueueOpener | undefined;
  #fd: number;
  #closed = false;
  #reading = false;
  #userPaused = false;
  #iteratorHolds = 0;
  #closeEmitted = false;
  #liveness: NodeJS.Timeout | undefined;

  /** @internal use `nl.tap.open` / `nl.macvtap.open`. */
  constructor(init: TapInit) {
    super();
    this.name = init.name;
    this.index = init.index;
    this.kind = init.kind;
    this.vnetHdrSize = init.vnetHdrSize;
    this.packetInfo = init.packetInfo;
    this.offloads = Object.freeze([...init.offloads]);
    this.multiQueue = init.multiQueue;
    this.prefixBytes = (init.packetInfo ? PACKET_INFO_BYTES : 0) + init.vnetHdrSize;
    if (init.devicePath !== undefined) this.devicePath = init.devicePath;
    this.#fd = init.fd;
    this.#queues = init.queues;
    this.#openQueue = init.openQueue;

    const t = nativeTap();
    // The pump allocates the arena, meta and stats itself and lends them (see NativePumpBuffers).
    try {
      this.#pump = new t.FramePump(init.fd, { ...init.pump, arenaBytes: init.arenaBytes }, this.#onEvent);
    } catch (err) {
      t.tapCloseFd(init.fd);
      if (err instanceof RangeError) throw new ValidationError(/^\w+/.exec(err.message)?.[0] ?? 'pump', err.message);
      throw err;
    }
    this.#takeBuffers();
    this.#pump.pause();
    this.#pump.start();
    this.#queues.push(this);
    if (init.livenessMs !== undefined && init.livenessMs > 0) {
      this.#liveness = setInterval(() => this.#checkAlive(), init.livenessMs);
      this.#liveness.unref();
    }

    this.on('newListener', (event: string | symbol) => {
      if (event === 'frames') queueMicrotask(() => this.#updateReading());
    });
    this.on('removeListener', (event: string | symbol) => {
      if (event === 'frames') this.#updateReading();
    });
  }

  /** The device fd (-1 once closed). */
  get fd(): number {
    return this.#fd;
  }

  /** True once closed, by `close()` or because the device went away. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Every open queue of this device, this one included (one entry unless multi-queue). */
  get queues(): readonly Tap[] {
    return this.#queues;
  }

  /** True while written frames wait in the queue; `write()` returns false then, 'drain' follows. */
  get writableNeedDrain(): boolean {
    return this.#stats[STAT.queuedFrames] > 0;
  }

  /** Counters of this queue. */
  get stats(): TapStats {
    const s = this.#stats;
    const out: TapStats = {
      rxFrames: s[STAT.rxFrames],
      rxBytes: s[STAT.rxBytes],
      txFrames: s[STAT.txFrames],
      txBytes: s[STAT.txBytes],
      drops: s[STAT.txDrops],
      rxErrors: s[STAT.rxErrors],
      txErrors: s[STAT.txErrors],
      queuedFrames: s[STAT.queuedFrames],
      queuedBytes: s[STAT.queuedBytes],
      rxBatches: s[STAT.rxBatches],
    };
    if (s[STAT.lastErrno] !== 0) out.lastError = errnoCode(s[STAT.lastErrno]);
    return out;
  }

  /**
   * Sends one frame (an Ethernet frame; an IP packet for TUN). With vnet_hdr an empty header
   * is sent in front unless `header` gives one (fields, or the raw prefix bytes); with packet
   * info the struct tun_pi is filled in from the frame.
   *
   * Returns false when the frame had to be queued (or the queue was full and it was dropped):
   * wait for 'drain'. Link-down errors (EIO, ENETDOWN) drop the frame, count it in
   * `stats.drops` and return true — waiting would not help.
   */
  write(frame: Uint8Array, header?: Partial<VnetHeader> | Uint8Array): boolean {
    if (!(frame instanceof Uint8Array)) throw new ValidationError('frame', 'must be a Buffer or Uint8Array');
    if (header !== undefined) this.#checkHeader(header);
    if (this.#closed) {
      this.#stats[STAT.txDrops] += 1;
      return false;
    }
    let r: number;
    if (this.prefixBytes === 0 && header === undefined) {
      r = this.#pump.write(frame);
    } else if (header === undefined && !this.packetInfo) {
      r = this.#pump.write(frame, true);
    } else {
      r = this.#pump.write(frame, this.#prefix(frame, header));
    }
    if (r === WRITE_RESULT.closed) this.#closedByWrite();
    return r !== WRITE_RESULT.closed && !this.writableNeedDrain;
  }

  /**
   * Sends many frames in one native call (one write(2) each: a TAP takes one frame per
   * write). With vnet_hdr every frame gets an empty header, with packet info its struct tun_pi
   * (filled in from the frame, as in `write()`). Returns how many were written or
   * queued; if `writableNeedDrain` is then true, wait for 'drain' before sending more.
   */
  writeBatch(frames: readonly Uint8Array[]): number {
    if (!Array.isArray(frames)) throw new ValidationError('frames', 'must be an array of Buffers');
    if (this.#closed) {
      this.#stats[STAT.txDrops] += frames.length;
      return 0;
    }
    const prefixes = this.packetInfo ? this.#packetInfoPrefixes(frames) : this.prefixBytes > 0;
    let n: number;
    try {
      n = this.#pump.writeBatch(frames, prefixes);
    } catch (err) {
      // The native side checks every element before writing any.
      if (err instanceof TypeError) throw new ValidationError('frames', err.message);
      throw err;
    }
    if (this.#stats[STAT.closedErrno] !== 0) this.#closedByWrite();
    return n;
  }

  /**
   * Sends `count` frames described by triples in `spans`: [bufferIndex | SPAN_ZERO_PREFIX?,
   * offset, length] into `buffers` (at most 255). Bytes are sent as they are, so a span must
   * include the device's prefix unless flagged SPAN_ZERO_PREFIX (then an empty one is
   * written in front). This is how the L2Switch forwards straight out of another device's
   * arena without making views. Returns frames written or queued.
   */
  writeSpans(buffers: readonly Uint8Array[], spans: Uint32Array, count: number): number {
    if (this.#closed) {
      this.#stats[STAT.txDrops] += count;
      return 0;
    }
    const n = this.#pump.writeSpans(buffers, spans, count);
    if (this.#stats[STAT.closedErrno] !== 0) this.#closedByWrite();
    return n;
  }

  /** Stops reading (frames wait in the kernel's queue, then the kernel drops them). */
  pause(): this {
    this.#userPaused = true;
    this.#updateReading();
    return this;
  }

  /** Undoes {@link pause}. */
  resume(): this {
    this.#userPaused = false;
    this.#updateReading();
    return this;
  }

  /** True after {@link pause}. */
  isPaused(): boolean {
    return this.#userPaused;
  }

  /** Lets this queue keep the process alive while it reads or has writes queued (the default). */
  ref(): this {
    this.#pump.ref();
    return this;
  }

  /** Lets the process exit even though this queue is open. */
  unref(): this {
    this.#pump.unref();
    return this;
  }

  /**
   * Opens one more queue (fd) of this multi-queue device: for TUN/TAP another TUNSETIFF in
   * the device's namespace, for macvtap another open of its character device.
   */
  async addQueue(): Promise<Tap> {
    if (this.#openQueue === undefined) throw new Error(`tap ${this.name}: not opened with multi-queue (pass queues or multiQueue)`);
    if (this.#closed) throw new Error(`tap ${this.name}: closed`);
    return this.#openQueue();
  }

  /**
   * Closes this queue's fd (a non-persistent device disappears with its last queue).
   * Safe to call from a 'frames' listener and more than once; 'close' follows on the next tick.
   */
  close(): void {
    if (this.#closed) return;
    this.#markClosed();
    this.#pump.close();
    process.nextTick(() => this.#emitClose(undefined));
  }

  /** Closes every queue of the device. */
  closeAll(): void {
    for (const q of [...this.#queues]) q.close();
  }

  /** `using tap = …` closes this queue at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `await using tap = await nl.tap.open(…)` closes this queue at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /**
   * Frames as copies, for convenience (`for await (const f of tap)`). Reading pauses while
   * more than `highWaterMark` (256) copies are unconsumed. Ends when the tap closes; leaving
   * the loop early (break, return, throw) closes the tap, the library's one rule for every
   * object it iterates (a Monitor does the same). Use the 'frames' event to stop reading
   * without closing.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return this.frames();
  }

  /** Like `[Symbol.asyncIterator]` (leaving the loop closes the tap) with a chosen high-water mark. */
  frames(highWaterMark = 256): AsyncIterableIterator<Buffer> {
    const buffered: Buffer[] = [];
    let head = 0;
    let holding = false;
    let wake: (() => void) | undefined;
    let finished = false;
    const onFrames = (batch: FrameBatch): void => {
      for (let i = 0; i < batch.count; i++) buffered.push(batch.copy(i));
      if (!holding && buffered.length - head >= highWaterMark) {
        holding = true;
        this.#iteratorHolds++;
        this.#updateReading();
      }
      wake?.();
    };
    const onClose = (): void => {
      finished = true;
      wake?.();
    };
    const release = (): void => {
      if (holding) {
        holding = false;
        this.#iteratorHolds--;
      }
    };
    let cleaned = false;
    const cleanup = (): void => {
      if (cleaned) return;
      cleaned = true;
      finished = true;
      this.off('frames', onFrames);
      this.off('close', onClose);
      release();
      this.#updateReading();
    };
    this.on('frames', onFrames);
    this.on('close', onClose);
    const self = this;
    const it: AsyncIterableIterator<Buffer> = {
      async next(): Promise<IteratorResult<Buffer>> {
        for (;;) {
          if (head < buffered.length) {
            const value = buffered[head];
            buffered[head++] = undefined as unknown as Buffer;
            if (head > 1024 && head * 2 > buffered.length) {
              buffered.splice(0, head);
              head = 0;
            }
            if (holding && buffered.length - head <= highWaterMark >> 1) {
              release();
              self.#updateReading();
            }
            return { value, done: false };
          }
          if (finished || self.#closed) {
            cleanup();
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      // for-await calls this when the loop is left early: the tap goes with it.
      async return(): Promise<IteratorResult<Buffer>> {
        cleanup();
        buffered.length = 0;
        head = 0;
        self.close();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  #checkHeader(header: Partial<VnetHeader> | Uint8Array): void {
    if (this.vnetHdrSize === 0 && !(header instanceof Uint8Array && this.packetInfo)) {
      throw new ValidationError('header', `tap ${this.name} has no vnet header (open it with vnetHdr)`);
    }
    if (header instanceof Uint8Array) {
      if (header.length !== this.prefixBytes) throw new ValidationError('header', `must be ${this.prefixBytes} bytes (packet info + vnet header)`);
    } else if (header === null || typeof header !== 'object') {
      throw new ValidationError('header', 'must be vnet header fields or the raw prefix bytes');
    }
  }

  // One buffer of frames.length prefixes: struct tun_pi with each frame's protocol, then an
  // empty vnet header, so the whole batch still crosses into C++ once.
  #packetInfoPrefixes(frames: readonly Uint8Array[]): Buffer {
    const prefixes = Buffer.alloc(frames.length * this.prefixBytes);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (!(f instanceof Uint8Array)) throw new ValidationError('frames', `frames[${i}] must be a Uint8Array`);
      prefixes.writeUInt16BE(this.#protoOf(f), i * this.prefixBytes + 2);
    }
    return prefixes;
  }

  #prefix(frame: Uint8Array, header: Partial<VnetHeader> | Uint8Array | undefined): Uint8Array {
    if (header instanceof Uint8Array) return header;
    const parts: Uint8Array[] = [];
    if (this.packetInfo) {
      const pi = Buffer.alloc(PACKET_INFO_BYTES);
      pi.writeUInt16BE(this.#protoOf(frame), 2);
      parts.push(pi);
    }
    if (this.vnetHdrSize > 0) parts.push(encodeVnetHeader(header ?? {}, this.vnetHdrSize));
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  // struct tun_pi.proto: for TUN the kernel takes the packet's protocol from it.
  #protoOf(frame: Uint8Array): number {
    if (this.kind === 'tun') {
      const version = frame.length > 0 ? frame[0] >> 4 : 0;
      return version === 6 ? ETH_P_IPV6 : version === 4 ? ETH_P_IP : 0;
    }
    return frame.length >= 14 ? (frame[12] << 8) | frame[13] : 0;
  }

  #onEvent = (kind: number, n: number): void => {
    if (kind === PUMP_EVENT.frames) {
      this.#batch.count = n;
      this.emit('frames', this.#batch);
    } else if (kind === PUMP_EVENT.drain) {
      this.emit('drain');
    } else if (kind === PUMP_EVENT.close) {
      if (this.#closed) return;
      this.#markClosed();
      this.#emitClose(deviceError(n, this.name));
    } else if (kind === PUMP_EVENT.buffers) {
      this.#takeBuffers();
    }
  };

  // (Re)reads the buffers the pump lends: at construction, and after user code detached one.
  #takeBuffers(): void {
    const { arena, meta, stats } = this.#pump.buffers();
    if (stats.length !== STAT.count) throw new Error(`frame pump has ${stats.length} stats slots, lib/tap expects ${STAT.count}: addon and library are out of step`);
    this.#stats = stats;
    this.#batch = new FrameBatch(arena, meta, this.packetInfo ? PACKET_INFO_BYTES : 0, this.vnetHdrSize);
  }

  #checkAlive(): void {
    if (this.#closed) return;
    try {
      nativeTap().tapIoctl(this.#fd, 'TUNGETIFF');
    } catch (err) {
      const errno = (err as SystemError).errno;
      this.#markClosed();
      this.#pump.close();
      this.#emitClose(deviceError(errno, this.name, 'ioctl(TUNGETIFF)'));
    }
  }

  #closedByWrite(): void {
    if (this.#closed) return;
    this.#markClosed();
    const errno = this.#stats[STAT.closedErrno];
    process.nextTick(() => this.#emitClose(deviceError(errno, this.name)));
  }

  #markClosed(): void {
    this.#closed = true;
    this.#fd = -1;
    if (this.#liveness) clearInterval(this.#liveness);
    const i = this.#queues.indexOf(this);
    if (i >= 0) this.#queues.splice(i, 1);
  }

  #emitClose(err: SystemError | undefined): void {
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
    if (err) this.emit('close', err);
    else this.emit('close');
  }

  #updateReading(): void {
    if (this.#closed) return;
    const want = this.listenerCount('frames') > 0 && !this.#userPaused && this.#iteratorHolds === 0;
    if (want === this.#reading) return;
    this.#reading = want;
    if (want) this.#pump.resume();
    else this.#pump.pause();
  }
}
