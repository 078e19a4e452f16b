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
  | 'nested'
  | 'skip';   // known, deliberately not decoded (superseded by another attribute): dropped, not kept
              // raw; with `decode`, whatever it returns is kept (undefined: dropped)

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
  /**
   * Custom decoder that writes into the decoded object itself (one attribute spreading into
   * several fields, e.g. IFLA_LINKINFO into `kind` and `info`); overrides `decode` and `type`.
   * Returning false keeps the attribute raw.
   */
  decodeInto?: (out: any, buf: Buffer, off: number, len: number) => boolean | void;
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
  /** @internal The decoder generated from this schema on first use (see compileDecoder). */
  compiled: CompiledDecoder | undefined;
}

/** A schema's generated decode loop: decodes buf[off, end) into `out` and returns it. */
type CompiledDecoder = (buf: Buffer, off: number, end: number, out: any) => any;

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
  return { name, attrs, byName, byType, compiled: undefined };
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
    case 'skip': return undefined;
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
  return (schema.compiled ??= compileDecoder(schema))(buf, off, end, out) as T;
}

/**
 * The decoder of one schema as a function of its own, for hot callers (a dump's per-message
 * decoder): calling it directly keeps that call site monomorphic, where every decodeAttrs call
 * shares one site across all schemas.
 */
export function schemaDecoder<T extends object = Record<string, any>>(schema: Schema): (buf: Buffer, off: number, end: number, out: T) => T {
  return (schema.compiled ??= compileDecoder(schema)) as (buf: Buffer, off: number, end: number, out: T) => T;
}

/**
 * The generic decode loop, for attribute numbers past a schema's dense table (none of the
 * rtnetlink schemas has any) and as the reference the generated decoders must match (the
 * unit tests compare the two on random input).
 * @internal
 */
export function decodeAttrsGeneric(schema: Schema, buf: Buffer, off: number, end: number, out: any): any {
  while (end - off >= 4) {
    const len = buf[off]! | (buf[off + 1]! << 8);
    if (len < 4 || off + len > end) throw overrun(schema, off, len, end);
    const type = (buf[off + 2]! | (buf[off + 3]! << 8)) & NLA_TYPE_MASK;
    const spec = type < schema.byType.length ? schema.byType[type] : schema.attrs.get(type);
    if (spec?.decodeInto) {
      if (spec.decodeInto(out, buf, off + 4, len - 4) === false) keepRaw(out, type, buf, off + 4, len - 4);
      off += (len + 3) & ~3;
      continue;
    }
    const value = spec ? decodeValue(spec, buf, off + 4, len - 4) : undefined;
    if (spec && value !== undefined) {
      if (spec.multi) (out[spec.name] ??= []).push(value);
      else out[spec.name] = value;
    } else if (!spec || spec.type !== 'skip') {
      (out.unknown ??= []).push({ type, data: Buffer.from(buf.subarray(off + 4, off + len)) } satisfies RawAttribute);
    }
    off += (len + 3) & ~3;
  }
  return out;
}

function overrun(schema: Schema, off: number, len: number, end: number): ParseError {
  return new ParseError(`${schema.name}: attribute at offset ${off} has length ${len}, ${end - off} bytes left`);
}

/** Payload reads for the fixed-size types, as expressions over `b`, `p` (payload offset), `n` (length). */
const INLINE_READS: Partial<Record<AttrType, [minLen: number, expr: string]>> = {
  u8: [1, 'b[p]'],
  bool8: [1, 'b[p] !== 0'],
  u16: [2, '(b[p] | (b[p + 1] << 8))'],
  u16be: [2, '((b[p] << 8) | b[p + 1])'],
  u32: [4, '((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 16777216)'],
  s32: [4, '(b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24))'],
  u32be: [4, '(((b[p] << 16) | (b[p + 1] << 8) | b[p + 2]) * 256 + b[p + 3])'],
};

/**
 * Generates a schema's decode loop: a switch on the attribute number whose every case stores
 * its own named property. The generic loop's `out[spec.name] = value` is one store site seeing
 * every property of every schema (megamorphic: a hash lookup per attribute) and a call through
 * a type switch per value; here each store and each read is its own monomorphic site. It is the
 * hot loop of every dump (2 001 links → ~90 000 attributes, 100 000 routes → ~500 000). The
 * table stays the single source: the code is derived from it, and custom decoders, nested
 * schemas and repeated attributes run exactly as in decodeAttrsGeneric.
 */
function compileDecoder(schema: Schema): CompiledDecoder {
  const specs = schema.byType;
  const cases: string[] = [];
  for (let t = 0; t < specs.length; t++) {
    const spec = specs[t];
    if (!spec) continue;
    const key = JSON.stringify(spec.name);
    const store = spec.multi ? `(o[${key}] ??= []).push(v);` : `o[${key}] = v;`;
    let body: string;
    const inline = spec.decode ? undefined : INLINE_READS[spec.type];
    if (spec.decodeInto) {
      body = `if (S[${t}].decodeInto(o, b, p, n) === false) raw(o, t, b, p, n);`;
    } else if (spec.type === 'skip') {
      body = spec.decode ? `{ const v = S[${t}].decode(b, p, n); if (v !== undefined) ${store} }` : '';
    } else if (inline && !spec.multi) {
      body = `if (n >= ${inline[0]}) o[${key}] = ${inline[1]}; else raw(o, t, b, p, n);`;
    } else if (spec.type === 'flag' && !spec.decode) {
      body = spec.multi ? `{ const v = true; ${store} }` : `o[${key}] = true;`;
    } else {
      body = `{ const v = ${valueExpr(spec, t)}; if (v !== undefined) ${store} else raw(o, t, b, p, n); }`;
    }
    cases.push(`case ${t}: ${body} break;`);
  }
  const src = `
    return function decode_${schema.name.replace(/[^A-Za-z0-9_]/g, '_')}(b, off, end, o) {
      while (end - off >= 4) {
        const len = b[off] | (b[off + 1] << 8);
        if (len < 4 || off + len > end) throw overrun(schema, off, len, end);
        const t = (b[off + 2] | (b[off + 3] << 8)) & ${NLA_TYPE_MASK};
        const p = off + 4;
        const n = len - 4;
        switch (t) {
          ${cases.join('\n          ')}
          default:
            if (t >= ${specs.length} && schema.attrs.has(t)) generic(schema, b, off, off + len, o);
            else raw(o, t, b, p, n);
        }
        off += (len + 3) & ~3;
      }
      return o;
    };`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('schema', 'S', 'dv', 'raw', 'overrun', 'generic', 'H', src)(schema, specs, decodeValue, keepRaw, overrun, decodeAttrsGeneric, HELPERS) as CompiledDecoder;
}

/** What the generated code calls, passed in (it sees no module scope). */
const HELPERS = { readU64, readString, formatIp, formatMac, decodeAttrs };

/** The expression that decodes spec `t`'s payload (undefined → kept raw), each call its own site. */
function valueExpr(spec: AttrSpec, t: number): string {
  if (spec.decode) return `S[${t}].decode(b, p, n)`;
  switch (spec.type) {
    case 'u64': return '(n >= 8 ? H.readU64(b, p) : undefined)';
    case 'string': return 'H.readString(b, p, n)';
    case 'ip': return '(n === 4 || n === 16 ? H.formatIp(b, p, n) : undefined)';
    case 'mac': return '(n > 0 ? H.formatMac(b, p, n) : undefined)';
    case 'nested': return `H.decodeAttrs(S[${t}].nested, b, p, p + n, {})`;
    default: return `dv(S[${t}], b, p, n)`;
  }
}

/** Keeps an attribute the schema doesn't know (or whose payload was odd) as bytes. */
function keepRaw(out: any, type: number, buf: Buffer, p: number, n: number): void {
  (out.unknown ??= []).push({ type, data: Buffer.from(buf.subarray(p, p + n)) } satisfies RawAttribute);
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
    case 'skip': return;
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
