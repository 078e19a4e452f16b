/**
 * Byte-level fixtures for unit tests: build netlink replies the way the kernel does, and a
 * fake transport that records what the engine sends.
 */
import { NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_MULTI, align4 } from '../../lib/wire/constants';
import type { Transport } from '../../lib/core/engine';

/** One message: header + payload, padded. */
export function nlmsg(type: number, flags: number, seq: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const len = 16 + payload.length;
  const b = Buffer.alloc(align4(len));
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(0, 12);
  payload.copy(b, 16);
  return b;
}

/** One TLV attribute, padded. */
export function attr(type: number, data: Buffer): Buffer {
  const b = Buffer.alloc(align4(4 + data.length));
  b.writeUInt16LE(4 + data.length, 0);
  b.writeUInt16LE(type, 2);
  data.copy(b, 4);
  return b;
}

/** NUL-terminated string payload. */
export const cstr = (s: string) => Buffer.from(`${s}\0`);

/** NLMSG_ERROR for `seq` (errno 0 = ack), capped, with optional extack message and offset. */
export function ack(seq: number, errno = 0, extack?: { msg?: string; offs?: number }): Buffer {
  const tlvs: Buffer[] = [];
  if (extack?.msg) tlvs.push(attr(1, cstr(extack.msg)));
  if (extack?.offs !== undefined) {
    const o = Buffer.alloc(4);
    o.writeUInt32LE(extack.offs);
    tlvs.push(attr(2, o));
  }
  const head = Buffer.alloc(20);
  head.writeInt32LE(-errno, 0);
  head.writeUInt32LE(16, 4); // the echoed request header (only its length matters here)
  head.writeUInt32LE(seq, 12);
  return nlmsg(NLMSG_ERROR, NLM_F_CAPPED | (tlvs.length ? NLM_F_ACK_TLVS : 0), seq, Buffer.concat([head, ...tlvs]));
}

/** NLMSG_DONE for a dump, with an optional error and extack message. */
export function done(seq: number, errno = 0, msg?: string): Buffer {
  const e = Buffer.alloc(4);
  e.writeInt32LE(-errno);
  const tlvs = msg ? attr(1, cstr(msg)) : Buffer.alloc(0);
  return nlmsg(NLMSG_DONE, NLM_F_MULTI | (msg ? NLM_F_ACK_TLVS : 0), seq, Buffer.concat([e, tlvs]));
}

/** A transport that records each sendmsg's buffer and the messages in it. */
export class FakeTransport implements Transport {
  readonly sends: Buffer[] = [];
  refs = 0;
  closed = false;
  send(buf: Buffer): number {
    this.sends.push(Buffer.from(buf));
    return buf.length;
  }
  ref(): void {
    this.refs++;
  }
  unref(): void {
    this.refs--;
  }
  close(): void {
    this.closed = true;
  }
  /** Every message sent so far: { seq, type, flags, bytes }. */
  messages(): { seq: number; type: number; flags: number; bytes: Buffer }[] {
    const out = [];
    for (const b of this.sends) {
      let off = 0;
      while (off + 16 <= b.length) {
        const len = b.readUInt32LE(off);
        out.push({ seq: b.readUInt32LE(off + 8), type: b.readUInt16LE(off + 4), flags: b.readUInt16LE(off + 6), bytes: b.subarray(off, off + len) });
        off += align4(len);
      }
    }
    return out;
  }
}

/** Resolves after the engine's setImmediate flush has run. */
export const tick = () => new Promise<void>((r) => setImmediate(r));
