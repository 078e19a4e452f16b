/**
 * Table-driven TLV attributes. A Schema maps attribute numbers to a name and a value type;
 * one schema drives both decoding (kernel → typed object) and encoding (object → request).
 * Decoding is tolerant: unknown attributes and ones whose payload has an unexpected size are
 * kept as raw bytes in `unknown`; only a TLV that overruns its container is a ParseError.
 */
import { ParseError } from '../errors';
import { NLA_TYPE_MASK } from './constants';
import { formatIp, formatMac, parseIp, parseLladdr } from './address';
import type { MessageWriter } from './message-writer';

/** How an attribute's payload is read and written. */
export type AttrType =
  | 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 'u16be' | 'u32be'
  | 'bool8'   // u8 0/1 as boolean
  | 'flag'    // present = true, no payload
  | 'string'  // NUL-terminated
  | 'binary'  // Buffer
  | 'ip'      // 4 or 16 bytes ⇄ text
  | 'mac'     // link-layer address ⇄ 'aa:bb:…'
  | 'nested';

/** One attribute's entry in a schema. */
export interface AttrSpec {
  /** Property name in the decoded object. */
  name: string;
  type: AttrType;
  /** Schema of a nested attribute's children. */
  nested?: Schema;
  /** Repeated attribute: decoded values collect into an array. */
  multi?: boolean;
  /** Custom payload decoder (overrides `type` when decoding); return undefined to keep raw. */
  decode?: (buf: Buffer, off: number, len: number) => unknown;
  /** Custom encoder (overrides `type` when encoding). */
  encode?: (w: MessageWriter, type: number, value: any, field: string) => void;
}

/** An attribute kept as bytes because the schema doesn't know it (or its size was odd). */
export interface RawAttribute {
  type: number;
  data: Buffer;
}

/** A named attribute table; `byName` is derived for encoding, `byType` for fast decoding. */
export interface Schema {
  readonly name: string;
  readonly attrs: ReadonlyMap<number, AttrSpec>;
  readonly byName: ReadonlyMap<string, { type: number; spec: AttrSpec }>;
  /** The same specs indexed by attribute number (undefined where none), for the decode loop. */
  readonly byType: readonly (AttrSpec | undefined)[];
}

/** Builds a schema from `{ [attrNumber]: spec }`. */
export function defineSchema(name: string, table: Record<number, AttrSpec>): Schema {
  const attrs = new Map<number, AttrSpec>();
  const byName = new Map<string, { type: number; spec: AttrSpec }>();
  const byType: (AttrSpec | undefined)[] = [];
  for (const [k, spec] of Object.entries(table)) {
    const type = Number(k);
    attrs.set(type, spec);
    byName.set(spec.name, { type, spec });
  }
  // A dense array (undefined, not holes) keeps element access on V8's fast path; numbers past
  // the cap (no rtnetlink attribute comes close) are looked up in `attrs` instead.
  const max = Math.min(attrs.size ? Math.max(...attrs.keys()) : -1, 1023);
  for (let t = 0; t <= max; t++) byType.push(attrs.get(t));
  return { name, attrs, byName, byType };
}

/** Reads a little-endian u64 as a JS number (exact below 2^53, which counters stay under). */
export function readU64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 0x1_0000_0000;
}

/** Reads a NUL-terminated string payload. */
export function readString(buf: Buffer, off: number, len: number): string {
  let end = off;
  const stop = off + len;
  while (end < stop && buf[end] !== 0) end++;
  return buf.toString('utf8', off, end);
}

function decodeValue(spec: AttrSpec, buf: Buffer, off: number, len: number): unknown {
  if (spec.decode) return spec.decode(buf, off, len);
  switch (spec.type) {
    case 'u8': return len >= 1 ? buf[off] : undefined;
    case 'bool8': return len >= 1 ? buf[off] !== 0 : undefined;
    case 'u16': return len >= 2 ? buf.readUInt16LE(off) : undefined;
    case 'u16be': return len >= 2 ? buf.readUInt16BE(off) : undefined;
    case 'u32': return len >= 4 ? buf.readUInt32LE(off) : undefined;
    case 's32': return len >= 4 ? buf.readInt32LE(off) : undefined;
    case 'u32be': return len >= 4 ? buf.readUInt32BE(off) : undefined;
    case 'u64': return len >= 8 ? readU64(buf, off) : undefined;
    case 'flag': return true;
    case 'string': return readString(buf, off, len);
    case 'binary': return Buffer.from(buf.subarray(off, off + len));
    case 'ip': return len === 4 || len === 16 ? formatIp(buf, off, len) : undefined;
    case 'mac': return len > 0 ? formatMac(buf, off, len) : undefined;
    case 'nested': return decodeAttrs(spec.nested!, buf, off, off + len);
  }
}

/**
 * Walks the TLVs in buf[off, end) and decodes them into `out` per `schema`.
 * Throws ParseError only when a TLV's length is impossible (shorter than its header or past
 * `end`); trailing bytes shorter than a header are ignored, as the kernel does.
 */
export function decodeAttrs<T extends object = Record<string, any>>(
  schema: Schema,
  buf: Buffer,
  off: number,
  end: number,
  out: any = {},
): T {
  // Hot loop of every dump (100 000 routes → ~500 000 attributes): plain byte reads and an
  // array lookup instead of Buffer#readUInt16LE (bounds-checked) and Map#get.
  const byType = schema.byType;
  while (end - off >= 4) {
    const len = buf[off]! | (buf[off + 1]! << 8);
    if (len < 4 || off + len > end) {
      throw new ParseError(`${schema.name}: attribute at offset ${off} has length ${len}, ${end - off} bytes left`);
    }
    const type = (buf[off + 2]! | (buf[off + 3]! << 8)) & NLA_TYPE_MASK;
    const spec = type < byType.length ? byType[type] : schema.attrs.get(type);
    const value = spec ? decodeValue(spec, buf, off + 4, len - 4) : undefined;
    if (spec && value !== undefined) {
      if (spec.multi) (out[spec.name] ??= []).push(value);
      else out[spec.name] = value;
    } else {
      (out.unknown ??= []).push({ type, data: Buffer.from(buf.subarray(off + 4, off + len)) } satisfies RawAttribute);
    }
    off += (len + 3) & ~3;
  }
  return out as T;
}

/** Calls `fn(type, payloadOff, payloadLen)` for each TLV in buf[off, end). */
export function forEachAttr(
  buf: Buffer,
  off: number,
  end: number,
  fn: (type: number, off: number, len: number) => void,
  where = 'attributes',
): void {
  while (end - off >= 4) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > end) throw new ParseError(`${where}: attribute at offset ${off} has length ${len}, ${end - off} bytes left`);
    fn(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, off + 4, len - 4);
    off += (len + 3) & ~3;
  }
}

/** Writes one value of a spec'd attribute. `field` names it in validation errors. */
export function encodeValue(w: MessageWriter, type: number, spec: AttrSpec, value: any, field: string): void {
  if (spec.encode) return spec.encode(w, type, value, field);
  switch (spec.type) {
    case 'u8': w.u8(type, Number(value), field); return;
    case 'bool8': w.u8(type, value ? 1 : 0, field); return;
    case 'u16': w.u16(type, Number(value), field); return;
    case 'u16be': w.u16be(type, Number(value), field); return;
    case 'u32': w.u32(type, Number(value), field); return;
    case 's32': w.s32(type, Number(value), field); return;
    case 'u32be': w.u32be(type, Number(value), field); return;
    case 'u64': w.u64(type, BigInt(value), field); return;
    case 'flag': if (value) w.flag(type, field); return;
    case 'string': w.string(type, String(value), field); return;
    case 'binary': w.bytes(type, value as Uint8Array, field); return;
    case 'ip': w.bytes(type, parseIp(value, field).bytes, field); return;
    case 'mac': w.bytes(type, parseLladdr(value, field), field); return;
    case 'nested':
      w.nestStart(type, field);
      encodeAttrs(w, spec.nested!, value, field);
      w.nestEnd();
      return;
  }
}

/**
 * Encodes every property of `obj` that the schema names (undefined values skipped).
 * Properties the schema doesn't know are an error in the caller's validation, not here.
 */
export function encodeAttrs(w: MessageWriter, schema: Schema, obj: Record<string, any>, prefix = ''): void {
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value === undefined) continue;
    const entry = schema.byName.get(key);
    if (!entry) continue;
    const field = prefix ? `${prefix}.${key}` : key;
    if (entry.spec.multi && Array.isArray(value)) {
      for (const v of value) encodeValue(w, entry.type, entry.spec, v, field);
    } else {
      encodeValue(w, entry.type, entry.spec, value, field);
    }
  }
}
