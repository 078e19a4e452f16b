/**
 * One batch of frames read by a FramePump: a window onto the pump's arena.
 *
 * The arena and the batch object are reused for every batch of a device, so reading costs no
 * allocation. Consequently **a batch and every view taken from it are valid only during the
 * 'frames' call**; copy (`batch.copy(i)`, `Buffer.from(view)`) what must outlive it.
 *
 * Each frame is stored as the device delivered it: [packet info (4 bytes, TUN/TAP with
 * `packetInfo`)] [vnet header (`vnetHdr`)] [frame]. `frame(i)` and iteration give the frame
 * without that prefix; `raw(i)` gives everything.
 */
import { readVnetHeader, gsoTypeName, VNET_HDR_F_NEEDS_CSUM, type GsoType, type VnetHeader } from './vnet-header';

/** struct tun_pi: what a TUN/TAP opened with `packetInfo` puts in front of each frame. */
export interface PacketInfo {
  /** TUN_PKT_STRIP (1) when the frame did not fit the read. */
  flags: number;
  /** The EtherType of the packet (0x0800 IPv4, 0x86dd IPv6 …). */
  proto: number;
}

/** Bytes of struct tun_pi. */
export const PACKET_INFO_BYTES = 4;

/** A batch of frames; see the module comment for the lifetime rule. */
export class FrameBatch implements Iterable<Buffer> {
  /** Number of frames in the batch. */
  count = 0;
  /**
   * The pump's arena: the same Buffer for every batch of this queue (a new one only if user
   * code detached it). It cannot be transferred: structuredClone/postMessage copy it or throw.
   */
  readonly buffer: Buffer;
  /** [offset, length] pairs of the raw frames in {@link buffer}; only the first 2 × count are meaningful. */
  readonly meta: Uint32Array;
  /** Bytes in front of each frame: packet info + vnet header. */
  readonly prefixBytes: number;
  /** Size of the vnet header (0 without vnet_hdr). */
  readonly vnetHdrSize: number;
  /** 4 with packet info, else 0. */
  readonly packetInfoBytes: number;

  /** @internal made by the Tap that owns the arena. */
  constructor(buffer: Buffer, meta: Uint32Array, packetInfoBytes: number, vnetHdrSize: number) {
    this.buffer = buffer;
    this.meta = meta;
    this.packetInfoBytes = packetInfoBytes;
    this.vnetHdrSize = vnetHdrSize;
    this.prefixBytes = packetInfoBytes + vnetHdrSize;
  }

  /** Offset of frame i (past the prefix) in {@link buffer}. */
  offset(i: number): number {
    return this.meta[2 * i] + this.prefixBytes;
  }

  /** Length of frame i without the prefix. */
  length(i: number): number {
    return Math.max(0, this.meta[2 * i + 1] - this.prefixBytes);
  }

  /** Frame i as a view (no copy; valid during the call). */
  frame(i: number): Buffer {
    this.check(i);
    const off = this.meta[2 * i];
    const len = this.meta[2 * i + 1];
    return this.buffer.subarray(Math.min(off + this.prefixBytes, off + len), off + len);
  }

  /** Frame i with its prefix, exactly as read (a view). */
  raw(i: number): Buffer {
    this.check(i);
    const off = this.meta[2 * i];
    return this.buffer.subarray(off, off + this.meta[2 * i + 1]);
  }

  /** A copy of frame i that outlives the batch. */
  copy(i: number): Buffer {
    return Buffer.from(this.frame(i));
  }

  /** Copies of every frame. */
  toArray(): Buffer[] {
    const out: Buffer[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.copy(i);
    return out;
  }

  /** The decoded vnet header of frame i, or undefined without vnet_hdr. */
  vnetHeader(i: number): VnetHeader | undefined {
    if (this.vnetHdrSize === 0) return undefined;
    this.check(i);
    return readVnetHeader(this.buffer, this.meta[2 * i] + this.packetInfoBytes, this.vnetHdrSize);
  }

  /** GSO type of frame i ('none' without vnet_hdr); cheaper than {@link vnetHeader}. */
  gsoType(i: number): GsoType {
    if (this.vnetHdrSize === 0) return 'none';
    return gsoTypeName(this.buffer[this.meta[2 * i] + this.packetInfoBytes + 1]);
  }

  /** GSO segment size of frame i (0 when not a super-frame). */
  gsoSize(i: number): number {
    if (this.vnetHdrSize === 0) return 0;
    const at = this.meta[2 * i] + this.packetInfoBytes + 4;
    return this.buffer[at] | (this.buffer[at + 1] << 8);
  }

  /** True when frame i's L4 checksum is partial (vnet_hdr NEEDS_CSUM). */
  needsCsum(i: number): boolean {
    if (this.vnetHdrSize === 0) return false;
    return (this.buffer[this.meta[2 * i] + this.packetInfoBytes] & VNET_HDR_F_NEEDS_CSUM) !== 0;
  }

  /** The packet information of frame i (TUN/TAP opened with `packetInfo`), else undefined. */
  packetInfo(i: number): PacketInfo | undefined {
    if (this.packetInfoBytes === 0) return undefined;
    this.check(i);
    const off = this.meta[2 * i];
    return { flags: this.buffer.readUInt16BE(off), proto: this.buffer.readUInt16BE(off + 2) };
  }

  /** Views of every frame (no copies; valid during the call). */
  *[Symbol.iterator](): Iterator<Buffer> {
    for (let i = 0; i < this.count; i++) yield this.frame(i);
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`frame index ${i} is outside 0..${this.count - 1}`);
  }
}
