/**
 * Builds netlink messages into one growable buffer: a header, a fixed struct, then TLV
 * attributes (nested where needed). Lengths and padding are patched in place, so building
 * never copies the message. The engine stamps sequence number and port id when it sends.
 */
import { NLMSG_HDRLEN, NLA_F_NESTED, NLM_F_REQUEST, align4 } from './constants';

/** A finished message: the bytes and where each attribute started (for extack offsets). */
export interface BuiltMessage {
  bytes: Buffer;
  /** Attribute start offsets (relative to the message) → dotted attribute names. */
  attrNames?: Map<number, string>;
}

/** Builds exactly one netlink message. */
export class MessageWriter {
  private buf: Buffer;
  private off = 0;
  private readonly nests: number[] = [];
  private names: Map<number, string> | undefined;

  constructor(type: number, flags: number, capacity = 256) {
    // Pooled and unzeroed: every byte up to `off` is written explicitly (structs fill their
    // whole size, attributes their padding), and bytes past `off` are never sent.
    this.buf = Buffer.allocUnsafe(capacity);
    this.buf.writeUInt32LE(0, 8);
    this.buf.writeUInt32LE(0, 12);
    this.buf.writeUInt16LE(type, 4);
    this.buf.writeUInt16LE(flags | NLM_F_REQUEST, 6);
    this.off = NLMSG_HDRLEN;
  }

  private reserve(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  /** Bytes written so far: where the next struct or attribute starts (to patch a value later). */
  get offset(): number {
    return this.off;
  }

  /** Appends a fixed-size struct (ifinfomsg, rtmsg …) filled by `fill`; padded to 4 bytes. */
  struct(size: number, fill: (b: Buffer, at: number) => void): this {
    const padded = align4(size);
    this.reserve(padded);
    this.buf.fill(0, this.off, this.off + padded);
    fill(this.buf, this.off);
    this.off += padded;
    return this;
  }

  private header(type: number, payloadLen: number, name?: string): number {
    const start = this.off;
    this.reserve(4 + align4(payloadLen));
    this.buf.writeUInt16LE(4 + payloadLen, start);
    this.buf.writeUInt16LE(type, start + 2);
    if (name !== undefined) {
      this.names ??= new Map();
      this.names.set(start, name);
    }
    this.off += 4;
    return start;
  }

  private pad(payloadLen: number): void {
    const padded = align4(payloadLen);
    this.buf.fill(0, this.off + payloadLen, this.off + padded);
    this.off += padded;
  }

  /** Raw attribute payload. */
  bytes(type: number, data: Uint8Array, name?: string): this {
    this.header(type, data.length, name);
    this.buf.set(data, this.off);
    this.pad(data.length);
    return this;
  }

  /** Attribute with no payload (NLA_FLAG). */
  flag(type: number, name?: string): this {
    this.header(type, 0, name);
    return this;
  }

  u8(type: number, v: number, name?: string): this {
    this.header(type, 1, name);
    this.buf.writeUInt8(v & 0xff, this.off);
    this.pad(1);
    return this;
  }

  u16(type: number, v: number, name?: string): this {
    this.header(type, 2, name);
    this.buf.writeUInt16LE(v & 0xffff, this.off);
    this.pad(2);
    return this;
  }

  /** Big-endian (network order) u16, e.g. ports and VLAN protocols. */
  u16be(type: number, v: number, name?: string): this {
    this.header(type, 2, name);
    this.buf.writeUInt16BE(v & 0xffff, this.off);
    this.pad(2);
    return this;
  }

  u32(type: number, v: number, name?: string): this {
    this.header(type, 4, name);
    this.buf.writeUInt32LE(v >>> 0, this.off);
    this.off += 4;
    return this;
  }

  s32(type: number, v: number, name?: string): this {
    this.header(type, 4, name);
    this.buf.writeInt32LE(v | 0, this.off);
    this.off += 4;
    return this;
  }

  u32be(type: number, v: number, name?: string): this {
    this.header(type, 4, name);
    this.buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
    return this;
  }

  u64(type: number, v: number | bigint, name?: string): this {
    this.header(type, 8, name);
    this.buf.writeBigUInt64LE(BigInt(v), this.off);
    this.off += 8;
    return this;
  }

  /** NUL-terminated string (NLA_NUL_STRING / NLA_STRING as the kernel expects). */
  string(type: number, s: string, name?: string): this {
    const len = Buffer.byteLength(s);
    this.header(type, len + 1, name);
    this.buf.write(s, this.off, 'utf8');
    this.buf[this.off + len] = 0;
    this.pad(len + 1);
    return this;
  }

  /**
   * Opens a nested attribute (NLA_F_NESTED set unless `plain`: some old kernel parsers, e.g.
   * IFLA_LINKINFO's children on 6.1, accept either). `name` is the full dotted field name.
   */
  nestStart(type: number, name?: string, plain = false): this {
    const start = this.header(plain ? type : type | NLA_F_NESTED, 0, name);
    this.nests.push(start);
    return this;
  }

  /** Closes the innermost nest, fixing its length. */
  nestEnd(): this {
    const start = this.nests.pop();
    if (start === undefined) throw new Error('nestEnd without nestStart');
    this.buf.writeUInt16LE(this.off - start, start);
    return this;
  }

  /** Finishes the message: length patched, buffer trimmed. */
  finish(): BuiltMessage {
    if (this.nests.length) throw new Error('unclosed nested attribute');
    this.buf.writeUInt32LE(this.off, 0);
    const out: BuiltMessage = { bytes: this.buf.subarray(0, this.off) };
    if (this.names) out.attrNames = this.names;
    return out;
  }
}
