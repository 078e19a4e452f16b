/**
 * Table-driven option attributes. Most tc kinds keep their options as flat TLVs of numbers;
 * a kind declares a table `{ publicName: { attr, wire, enc?, dec? } }` and that one table
 * drives validation (unknown keys name the field), encoding and decoding (through the shared
 * attribute schema walker, so unknown attributes are kept raw).
 */
import { checkKeys } from '../../core/options';
import { ValidationError } from '../../errors';
import { decodeAttrs, defineSchema, readU64, type AttrSpec, type Schema } from '../../wire/attributes';
import type { MessageWriter } from '../../wire/message-writer';
import { parseInt32, parseRate, parseSize, rateBits } from './units';

/** How a field travels. 'bool32' is a u32 0/1; 'flag' a present-or-absent attribute. */
export type Wire = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 's64' | 'flag' | 'bool32' | 'bool8' | 'string' | 'u16be' | 'u32be' | 'binary';

/** One option field. */
export interface OptField {
  attr: number;
  wire: Wire;
  /** Public value → wire value (validates; ValidationError naming `field`). */
  enc?: (v: unknown, field: string) => number | string | boolean | Buffer;
  /** Wire value → public value. */
  dec?: (v: any) => unknown;
}

/** A kind's option fields by public name. */
export type FieldTable = Record<string, OptField>;

/** A compiled table: the keys for checkKeys and the schema for the walker. */
export interface Fields {
  readonly table: FieldTable;
  readonly keys: readonly string[];
  readonly schema: Schema;
}

function readWire(wire: Wire, b: Buffer, off: number, len: number): unknown {
  switch (wire) {
    case 'u8': return len >= 1 ? b[off] : undefined;
    case 'bool8': return len >= 1 ? b[off] !== 0 : undefined;
    case 'u16': return len >= 2 ? b.readUInt16LE(off) : undefined;
    case 'u16be': return len >= 2 ? b.readUInt16BE(off) : undefined;
    case 'u32': return len >= 4 ? b.readUInt32LE(off) : undefined;
    case 'u32be': return len >= 4 ? b.readUInt32BE(off) : undefined;
    case 'bool32': return len >= 4 ? b.readUInt32LE(off) !== 0 : undefined;
    case 's32': return len >= 4 ? b.readInt32LE(off) : undefined;
    case 'u64': return len >= 8 ? readU64(b, off) : undefined;
    case 's64': return len >= 8 ? Number(b.readBigInt64LE(off)) : undefined;
    case 'flag': return true;
    case 'string': { let e = off; while (e < off + len && b[e] !== 0) e++; return b.toString('utf8', off, e); }
    case 'binary': return Buffer.from(b.subarray(off, off + len));
  }
}

const WIRE_MAX: Partial<Record<Wire, number>> = { u8: 0xff, u16: 0xffff, u16be: 0xffff, u32: 0xffff_ffff, u32be: 0xffff_ffff };

/** Writes one wire value. */
export function writeWire(w: MessageWriter, wire: Wire, attr: number, v: any, field: string): void {
  switch (wire) {
    case 'u8': w.u8(attr, v, field); return;
    case 'bool8': w.u8(attr, v ? 1 : 0, field); return;
    case 'u16': w.u16(attr, v, field); return;
    case 'u16be': w.u16be(attr, v, field); return;
    case 'u32': w.u32(attr, v, field); return;
    case 'u32be': w.u32be(attr, v, field); return;
    case 'bool32': w.u32(attr, v ? 1 : 0, field); return;
    case 's32': w.s32(attr, v, field); return;
    case 'u64': w.u64(attr, BigInt(v), field); return;
    case 's64': {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(v));
      w.bytes(attr, b, field);
      return;
    }
    case 'flag': if (v) w.flag(attr, field); return;
    case 'string': w.string(attr, String(v), field); return;
    case 'binary': w.bytes(attr, v as Buffer, field); return;
  }
}

/** Default validation of a field without `enc`: integers in the wire's range, booleans for flags. */
function defaultEnc(f: OptField, v: unknown, field: string): unknown {
  if (f.wire === 'flag' || f.wire === 'bool32' || f.wire === 'bool8') {
    if (typeof v !== 'boolean') throw new ValidationError(field, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  if (f.wire === 'string') {
    if (typeof v !== 'string') throw new ValidationError(field, 'expected a string');
    return v;
  }
  if (f.wire === 'binary') {
    if (!Buffer.isBuffer(v)) throw new ValidationError(field, 'expected a Buffer');
    return v;
  }
  if (f.wire === 's32') return parseInt32(v, field, 0x7fff_ffff, -0x8000_0000);
  if (f.wire === 'u64' || f.wire === 's64') return parseInt32(v, field, Number.MAX_SAFE_INTEGER, f.wire === 's64' ? -Number.MAX_SAFE_INTEGER : 0);
  return parseInt32(v, field, WIRE_MAX[f.wire] ?? 0xffff_ffff);
}

/** Compiles a field table (once per kind, at module load). */
export function defineFields(name: string, table: FieldTable): Fields {
  const specs: Record<number, AttrSpec> = {};
  for (const [key, f] of Object.entries(table)) {
    specs[f.attr] = {
      name: key,
      type: 'binary',
      decode: (b, off, len) => {
        const raw = readWire(f.wire, b, off, len);
        return raw === undefined ? undefined : f.dec ? f.dec(raw) : raw;
      },
    };
  }
  return { table, keys: Object.keys(table), schema: defineSchema(name, specs) };
}

/** Checks `obj`'s keys against the table and writes every field given. */
export function encodeFields(w: MessageWriter, fields: Fields, obj: Record<string, unknown>, field: string): void {
  checkKeys(obj, fields.keys, field);
  for (const key of fields.keys) {
    const v = obj[key];
    if (v === undefined) continue;
    const f = fields.table[key]!;
    const name = `${field}.${key}`;
    writeWire(w, f.wire, f.attr, f.enc ? f.enc(v, name) : defaultEnc(f, v, name), name);
  }
}

/** Validates without writing (for checks made before a message exists). */
export function checkFields(fields: Fields, obj: Record<string, unknown>, field: string): void {
  checkKeys(obj, fields.keys, field);
  for (const key of fields.keys) {
    const v = obj[key];
    if (v === undefined) continue;
    const f = fields.table[key]!;
    if (f.enc) f.enc(v, `${field}.${key}`);
    else defaultEnc(f, v, `${field}.${key}`);
  }
}

/** Decodes attributes in buf[off, end) per the table. */
export function decodeFields(fields: Fields, buf: Buffer, off: number, end: number, out: Record<string, unknown> = {}): Record<string, unknown> {
  return decodeAttrs(fields.schema, buf, off, end, out);
}

// Field converters shared by the kinds.

/** A rate attribute kept as u64 bytes/s; callers use bit/s. */
export const rate64 = (attr: number): OptField => ({ attr, wire: 'u64', enc: parseRate, dec: rateBits });
/** A rate attribute kept as u32 bytes/s. */
export const rate32 = (attr: number): OptField => ({
  attr, wire: 'u32',
  enc: (v, field) => {
    const r = parseRate(v, field);
    if (r > 0xffff_ffff) throw new ValidationError(field, 'rate above 34.3 Gbit/s does not fit this field');
    return r;
  },
  dec: rateBits,
});
/** A size in bytes (u32). */
export const size32 = (attr: number): OptField => ({ attr, wire: 'u32', enc: (v, field) => parseSize(v, field) });
/** A plain u32 in the unit its name says. */
export const u32 = (attr: number, max = 0xffff_ffff): OptField => ({ attr, wire: 'u32', enc: (v, field) => parseInt32(v, field, max) });
/** A u8 field. */
export const u8 = (attr: number): OptField => ({ attr, wire: 'u8' });
/** A u16 field. */
export const u16 = (attr: number): OptField => ({ attr, wire: 'u16' });
/** A boolean travelling as a u32 0/1. */
export const bool32 = (attr: number): OptField => ({ attr, wire: 'bool32' });
/** A boolean travelling as a present-or-absent attribute. */
export const flag = (attr: number): OptField => ({ attr, wire: 'flag' });
/** A u32 the caller writes as names from a table (e.g. cake's diffserv modes). */
export function named(attr: number, names: readonly string[], wire: Wire = 'u32'): OptField {
  return {
    attr, wire,
    enc: (v, field) => {
      const i = typeof v === 'string' ? names.indexOf(v) : -1;
      if (i < 0 || names[i] === '') throw new ValidationError(field, `expected one of ${names.filter(Boolean).join(', ')}, got ${JSON.stringify(v)}`);
      return i;
    },
    dec: (n: number) => names[n] || n,
  };
}
