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
  /**
   * Instead of attrNames, for messages built by the hundred thousand: one shared table of
   * top-level attribute names, matched against the bytes only when an error points into them.
   */
  attrTable?: AttrTable;
}

/** Top-level attribute type → field name, for the messages of one operation. */
export interface AttrTable {
  /** Size of the fixed struct after the nlmsghdr (where attributes start). */
  headerSize: number;
  fields: Readonly<Record<number, string>>;
  /**
   * Names an attribute below the top level (a dotted path such as 'actions[0].mirred.dev'),
   * from the message's bytes: tables of nested kinds need no per-message map either.
   */
  nameAt?: (msg: Buffer, offset: number) => string | undefined;
}

/**
 * Zeroes [from, to): structs and padding are a few bytes, where a plain loop is much cheaper
 * than Buffer#fill's call into C++ (bulk changes build 100 000 messages).
 */
function zero(buf: Buffer, from: number, to: number): void {
  if (to - from > 64) buf.fill(0, from, to);
  else for (let i = from; i < to; i++) buf[i] = 0;
}

// Messages are built straight into a shared slab rather than a Buffer each: a bulk change
// builds 100 000 of them. A writer claims `capacity` bytes at the slab's end; finishing gives
// back what it did not use when nobody claimed after it, so messages built one after another
// sit back to back. Regions are never reused (a new slab replaces a full one), so a finished
// message stays valid however long it is kept; one that outgrows its claim moves to a Buffer
// of its own, and an abandoned writer only wastes its claim.
const SLAB_BYTES = 256 * 1024;
let slab = Buffer.allocUnsafe(0);
let slabUsed = 0;

/** Builds exactly one netlink message. */
export class MessageWriter {
  private buf: Buffer;
  /** Where the message starts in `buf`; `off` and every recorded position are absolute. */
  private base: number;
  private end: number;
  private off: number;
  private nests: number[] | undefined;
  /** null: names are not recorded (see unnamed()). */
  private names: Map<number, string> | undefined | null;

  constructor(type: number, flags: number, capacity = 256) {
    // Unzeroed: every byte up to `off` is written explicitly (structs fill their whole size,
    // attributes their padding), and bytes past `off` are never sent.
    if (slabUsed + capacity > slab.length) {
      slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, capacity));
      slabUsed = 0;
    }
    this.buf = slab;
    this.base = slabUsed;
    this.end = slabUsed + capacity;
    slabUsed = this.end;
    const b = this.buf;
    const at = this.base;
    b.writeUInt32LE(0, at + 8);
    b.writeUInt32LE(0, at + 12);
    b.writeUInt16LE(type, at + 4);
    b.writeUInt16LE(flags | NLM_F_REQUEST, at + 6);
    this.off = at + NLMSG_HDRLEN;
  }

  private reserve(n: number): void {
    if (this.off + n <= this.end) return;
    const used = this.off - this.base;
    let size = (this.end - this.base) * 2;
    while (size < used + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.base, this.off);
    if (this.nests) for (let i = 0; i < this.nests.length; i++) this.nests[i]! -= this.base;
    if (this.buf === slab && slabUsed === this.end) slabUsed = this.base;
    this.buf = next;
    this.base = 0;
    this.end = size;
    this.off = used;
  }

  /**
   * Records no attribute names from here on (no map per message): for changes built by the
   * ten thousand whose finish() gets an AttrTable to name extack offsets with instead.
   */
  unnamed(): this {
    this.names = null;
    return this;
  }

  /** Bytes written so far: where the next struct or attribute starts (to patch a value later). */
  get offset(): number {
    return this.off - this.base;
  }

  /** Appends a fixed-size struct (ifinfomsg, rtmsg …) filled by `fill`; padded to 4 bytes. */
  struct(size: number, fill: (b: Buffer, at: number) => void): this {
    const padded = align4(size);
    this.reserve(padded);
    zero(this.buf, this.off, this.off + padded);
    fill(this.buf, this.off);
    this.off += padded;
    return this;
  }

  private header(type: number, payloadLen: number, name?: string): number {
    this.reserve(4 + align4(payloadLen)); // may move the message: read `off` after it
    const start = this.off;
    const b = this.buf;
    // Byte stores rather than writeUInt16LE: this runs for every attribute of every message.
    const len = 4 + payloadLen;
    if (len > 0xffff) throw new RangeError(`attribute of ${len} bytes: netlink attributes hold at most 65535`);
    b[start] = len & 0xff;
    b[start + 1] = len >>> 8;
    b[start + 2] = type & 0xff;
    b[start + 3] = (type >>> 8) & 0xff;
    if (name !== undefined && this.names !== null) {
      this.names ??= new Map();
      this.names.set(start - this.base, name);
    }
    this.off += 4;
    return start;
  }

  private pad(payloadLen: number): void {
    const padded = align4(payloadLen);
    zero(this.buf, this.off + payloadLen, this.off + padded);
    this.off += padded;
  }

  /** Raw attribute payload. */
  bytes(type: number, data: Uint8Array, name?: string): this {
    this.header(type, data.length, name);
    const n = data.length;
    if (n <= 16) {
      // Addresses: a loop beats a call into the typed-array builtin at this size.
      for (let i = 0; i < n; i++) this.buf[this.off + i] = data[i]!;
    } else {
      this.buf.set(data, this.off);
    }
    this.pad(n);
    return this;
  }

  /**
   * Appends `n` bytes (a multiple of 4) that `fill` writes at `at` in `b`: every one of them,
   * nothing is zeroed. For callers laying out many fixed-size attributes at once (the
   * elements of a large set), where an attribute call each is most of the cost.
   */
  raw(n: number, fill: (b: Buffer, at: number) => void): this {
    if (n & 3) throw new RangeError(`raw: ${n} bytes is not a multiple of 4`);
    this.reserve(n);
    fill(this.buf, this.off);
    this.off += n;
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
    const b = this.buf;
    const o = this.off;
    b[o] = v >>> 24;
    b[o + 1] = (v >>> 16) & 0xff;
    b[o + 2] = (v >>> 8) & 0xff;
    b[o + 3] = v & 0xff;
    this.off = o + 4;
    return this;
  }

  /** Big-endian u64 (nf_tables handles, counters, timeouts); numbers must be exact (< 2^53). */
  u64be(type: number, v: number | bigint, name?: string): this {
    this.header(type, 8, name);
    if (typeof v === 'bigint' || !(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v))) {
      this.buf.writeBigUInt64BE(BigInt(v), this.off); // throws as BigInt does for what is no u64
    } else {
      const hi = Math.floor(v / 0x1_0000_0000);
      this.buf.writeUInt32BE(hi >>> 0, this.off);
      this.buf.writeUInt32BE((v - hi * 0x1_0000_0000) >>> 0, this.off + 4);
    }
    this.off += 8;
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
    // Short ASCII (names of expressions, tables, chains, sets): byte stores beat the UTF-8
    // encoder's calls into C++.
    const n = s.length;
    if (n <= 32) {
      let ascii = true;
      for (let i = 0; i < n; i++) {
        if (s.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.header(type, n + 1, name);
        const b = this.buf;
        const o = this.off;
        for (let i = 0; i < n; i++) b[o + i] = s.charCodeAt(i);
        b[o + n] = 0;
        this.pad(n + 1);
        return this;
      }
    }
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
    (this.nests ??= []).push(start);
    return this;
  }

  /** Closes the innermost nest, fixing its length. */
  nestEnd(): this {
    const start = this.nests?.pop();
    if (start === undefined) throw new Error('nestEnd without nestStart');
    const len = this.off - start;
    if (len > 0xffff) throw new RangeError(`nested attribute of ${len} bytes: netlink attributes hold at most 65535`);
    this.buf[start] = len & 0xff;
    this.buf[start + 1] = len >>> 8;
    return this;
  }

  /** Finishes the message: length patched; `attrTable` names its attributes for extack offsets. */
  finish(attrTable?: AttrTable): BuiltMessage {
    if (this.nests?.length) throw new Error('unclosed nested attribute');
    this.buf.writeUInt32LE(this.off - this.base, this.base);
    // Hand back the unused rest of the claim if nothing was claimed after it.
    if (this.buf === slab && slabUsed === this.end) slabUsed = align4(this.off);
    const out: BuiltMessage = { bytes: this.buf.subarray(this.base, this.off) };
    if (attrTable) out.attrTable = attrTable;
    else if (this.names) out.attrNames = this.names;
    return out;
  }
}
