/**
 * What every nftables object codec shares: building an nf_tables message (nlmsghdr + nfgenmsg),
 * the big-endian u32/u64 attributes nf_tables uses throughout, nft's "userdata" TLVs (how nft
 * stores comments and key byte orders, which the kernel keeps opaque), and the checks of the
 * JSON fields every object has (family, table, name, handle).
 */
import { ValidationError } from '../../../errors';
import { forEachAttr, readString, type AttrSpec } from '../../../wire/attributes';
import { MessageWriter } from '../../../wire/message-writer';
import { writeNfgenmsg } from '../../nfnetlink';
import { FAMILIES, NFTA_DEVICE_NAME, nftType } from '../constants';

/** Starts an nf_tables message of `msg` type for `family` (an NFPROTO number). */
export function nftMessage(msg: number, flags: number, family: number, capacity = 256): MessageWriter {
  const w = new MessageWriter(nftType(msg), flags, capacity);
  writeNfgenmsg(w, family, 0);
  return w;
}

/** Reads a big-endian u64 as a number (exact below 2^53: handles, counters, milliseconds). */
export function readBe64(buf: Buffer, off: number): number {
  return buf.readUInt32BE(off) * 0x1_0000_0000 + buf.readUInt32BE(off + 4);
}

/** Writes a big-endian u64 attribute. */
export function writeBe64(w: MessageWriter, type: number, v: number | bigint, field?: string): void {
  w.u64be(type, v, field);
}

/** Schema spec pieces: big-endian u64 (nf_tables handles, byte counts, timeouts in ms). */
export const be64: Pick<AttrSpec, 'type' | 'decode' | 'encode'> = {
  type: 'binary',
  decode: (b, o, l) => (l >= 8 ? readBe64(b, o) : undefined),
  encode: (w, t, v, f) => writeBe64(w, t, v, f),
};

/** Big-endian signed 32-bit (chain priorities, verdict codes). */
export const s32be: Pick<AttrSpec, 'type' | 'decode' | 'encode'> = {
  type: 'binary',
  decode: (b, o, l) => (l >= 4 ? b.readInt32BE(o) : undefined),
  encode: (w, t, v, f) => {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(Number(v));
    w.bytes(t, b, f);
  },
};

// ------------------------------------------------------------------ userdata (libnftnl udata)

/** One nftnl udata TLV: u8 type, u8 length, value. */
export interface Udata {
  type: number;
  value: Buffer;
}

/** Parses nft's userdata blob (malformed tails are ignored: it is advisory). */
export function parseUdata(buf: Buffer): Udata[] {
  const out: Udata[] = [];
  let off = 0;
  while (off + 2 <= buf.length) {
    const type = buf[off]!;
    const len = buf[off + 1]!;
    if (off + 2 + len > buf.length) break;
    out.push({ type, value: buf.subarray(off + 2, off + 2 + len) });
    off += 2 + len;
  }
  return out;
}

/** Builds a userdata blob. */
export function buildUdata(items: Udata[]): Buffer {
  return Buffer.concat(items.flatMap((u) => [Buffer.from([u.type, u.value.length]), u.value]));
}

/** A comment as nft stores it in userdata: NUL-terminated, at most 128 bytes with the NUL. */
export function commentUdata(type: number, comment: string, field: string): Udata {
  const bytes = Buffer.from(`${comment}\0`, 'utf8');
  if (bytes.length > 128) throw new ValidationError(field, 'comment is longer than 127 bytes');
  return { type, value: bytes };
}

/** The text of a NUL-terminated udata string. */
export function udataString(v: Buffer): string {
  const nul = v.indexOf(0);
  return v.toString('utf8', 0, nul < 0 ? v.length : nul);
}

/** The u32 (host order, as libnftnl writes it) of a udata value. */
export function udataU32(v: Buffer): number | undefined {
  return v.length >= 4 ? v.readUInt32LE(0) : undefined;
}

/** A host-order u32 udata value. */
export function u32Udata(type: number, n: number): Udata {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return { type, value: b };
}

// ------------------------------------------------------------------ JSON field checks

/** The object part of a command must be a plain object. */
export function obj(v: unknown, path: string): Record<string, any> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(path, 'expected an object');
  return v as Record<string, any>;
}

/** A required family name → its NFPROTO number. */
export function familyOf(o: Record<string, any>, path: string, fallback?: string): { name: string; num: number } {
  const name = o.family ?? fallback;
  if (name === undefined) throw new ValidationError(`${path}.family`, 'missing family');
  const num = typeof name === 'string' ? FAMILIES[name] : undefined;
  if (num === undefined) throw new ValidationError(`${path}.family`, `unknown family ${JSON.stringify(name)} (ip, ip6, inet, arp, bridge, netdev)`);
  return { name, num };
}

/** A required object name (table, chain, set … names are at most 255 bytes). */
export function nameOf(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new ValidationError(path, 'expected a non-empty name');
  if (Buffer.byteLength(v) > 255) throw new ValidationError(path, 'name is longer than 255 bytes');
  return v;
}

/** An optional non-negative integer. */
export function optUint(v: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new ValidationError(path, `expected an integer 0–${max}`);
  return v;
}

/** An optional string. */
export function optString(v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ValidationError(path, 'expected a string');
  return v;
}

/** Which command verb built a message: the kernel flags it sends with. */
export type Verb = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'flush';

/**
 * What a delete names its object by: the name when given, else the handle
 * (`{"delete": {"chain": {"family", "table", "handle": 4}}}`), written as the kind's attributes.
 */
export function writeNameOrHandle(
  w: MessageWriter, o: Record<string, any>, path: string, what: string, nameAttr: number, handleAttr: number,
): void {
  if (o.name !== undefined) w.string(nameAttr, nameOf(o.name, `${path}.name`), `${path}.name`);
  else if (o.handle !== undefined) writeBe64(w, handleAttr, optUint(o.handle, `${path}.handle`)!, `${path}.handle`);
  else throw new ValidationError(`${path}.name`, `give the ${what} name or handle`);
}

/** A nested list of NFTA_DEVICE_NAME strings (chain and flowtable hooks) → the names, sorted as nft prints them. */
export const devicesSpec: Pick<AttrSpec, 'type' | 'decode'> = {
  type: 'binary',
  decode: (b, o, l) => {
    const names: string[] = [];
    forEachAttr(b, o, o + l, (t, at, n) => {
      if (t === NFTA_DEVICE_NAME) names.push(readString(b, at, n));
    });
    return names.sort();
  },
};
