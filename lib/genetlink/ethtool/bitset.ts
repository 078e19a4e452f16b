/**
 * ethtool's bitsets (ETHTOOL_A_BITSET_*): the compact form (size + u32 words of value and
 * mask) and the verbose form (a list of bits by index and name). Replies come in either form
 * (compact when ETHTOOL_FLAG_COMPACT_BITSETS was asked); requests here are always verbose by
 * name, which the kernel resolves against the same string set it reports.
 */
import { ParseError } from '../../errors';
import { decodeAttrs, defineSchema, forEachAttr } from '../../wire/attributes';
import type { MessageWriter } from '../../wire/message-writer';

// ETHTOOL_A_BITSET_* (the bitset nest), _BITS_* and _BIT_* (its verbose bit list).
const ETHTOOL_A_BITSET_NOMASK = 1;
const ETHTOOL_A_BITSET_SIZE = 2;
const ETHTOOL_A_BITSET_BITS = 3;
const ETHTOOL_A_BITSET_VALUE = 4;
const ETHTOOL_A_BITSET_MASK = 5;
const ETHTOOL_A_BITSET_BITS_BIT = 1;
const ETHTOOL_A_BITSET_BIT_INDEX = 1;
const ETHTOOL_A_BITSET_BIT_NAME = 2;
const ETHTOOL_A_BITSET_BIT_VALUE = 3;

/** A decoded bitset: `value` and (unless the kernel sent none) `mask`, bit i in word i >> 5. */
export interface Bitset {
  size: number;
  value: Uint32Array;
  mask?: Uint32Array;
  /** Names the kernel sent with the bits (verbose form only). */
  names: Map<number, string>;
}

const bitSchema = defineSchema('ethtool.bitset.bit', {
  [ETHTOOL_A_BITSET_BIT_INDEX]: { name: 'index', type: 'u32' },
  [ETHTOOL_A_BITSET_BIT_NAME]: { name: 'name', type: 'string' },
  [ETHTOOL_A_BITSET_BIT_VALUE]: { name: 'value', type: 'flag' },
});

function words(buf: Buffer, off: number, len: number): Uint32Array {
  const out = new Uint32Array(len >> 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readUInt32LE(off + i * 4);
  return out;
}

function setBit(w: Uint32Array, i: number): void {
  if (i >> 5 < w.length) w[i >> 5]! |= 1 << (i & 31);
}

/** Whether bit `i` is set in `w` (false past its end). */
export function bitOn(w: Uint32Array | undefined, i: number): boolean {
  return w !== undefined && i >> 5 < w.length && (w[i >> 5]! & (1 << (i & 31))) !== 0;
}

/** Decodes an ETHTOOL_A_BITSET nest's payload at buf[off, off + len). */
export function decodeBitset(buf: Buffer, off: number, len: number): Bitset {
  let nomask = false;
  let size = 0;
  let value: Uint32Array | undefined;
  let mask: Uint32Array | undefined;
  let bits: { index?: number; name?: string; value?: boolean }[] | undefined;
  forEachAttr(buf, off, off + len, (type, at, n) => {
    if (type === ETHTOOL_A_BITSET_NOMASK) nomask = true;
    else if (type === ETHTOOL_A_BITSET_SIZE && n >= 4) size = buf.readUInt32LE(at);
    else if (type === ETHTOOL_A_BITSET_VALUE) value = words(buf, at, n);
    else if (type === ETHTOOL_A_BITSET_MASK) mask = words(buf, at, n);
    else if (type === ETHTOOL_A_BITSET_BITS) {
      bits = [];
      forEachAttr(buf, at, at + n, (_t, bat, bn) => bits!.push(decodeAttrs(bitSchema, buf, bat, bat + bn)), 'bitset bits');
    }
  }, 'bitset');
  const names = new Map<number, string>();
  if (value === undefined) {
    // Verbose: with a mask, the listed bits are the mask and VALUE marks the set ones; without,
    // the listed bits are the set ones.
    let max = size;
    for (const b of bits ?? []) if (b.index !== undefined) max = Math.max(max, b.index + 1);
    value = new Uint32Array((max + 31) >> 5);
    if (!nomask) mask = new Uint32Array(value.length);
    for (const b of bits ?? []) {
      if (b.index === undefined) throw new ParseError('ethtool bitset: bit without an index');
      if (b.name !== undefined) names.set(b.index, b.name);
      if (nomask || b.value) setBit(value, b.index);
      if (mask) setBit(mask, b.index);
    }
    size = Math.max(size, max);
  } else if (nomask) {
    mask = undefined;
  }
  return { size, value, ...(mask ? { mask } : {}), names };
}

/** Indices of the set bits of `w` below `size`. */
export function setBits(w: Uint32Array, size = w.length * 32): number[] {
  const out: number[] = [];
  for (let i = 0; i < size; i++) if (bitOn(w, i)) out.push(i);
  return out;
}

/**
 * Writes a verbose bitset changing only the named bits (no NOMASK: bits not listed keep
 * their value): `{ 'rx-gro': false, … }`.
 */
export function encodeBitsetChanges(w: MessageWriter, type: number, changes: ReadonlyMap<string, boolean>, field: string): void {
  w.nestStart(type, field);
  w.nestStart(ETHTOOL_A_BITSET_BITS);
  for (const [name, on] of changes) {
    w.nestStart(ETHTOOL_A_BITSET_BITS_BIT, `${field}.${name}`);
    w.string(ETHTOOL_A_BITSET_BIT_NAME, name);
    if (on) w.flag(ETHTOOL_A_BITSET_BIT_VALUE);
    w.nestEnd();
  }
  w.nestEnd();
  w.nestEnd();
}

/** Writes a verbose bitset that is exactly `names` (NOMASK: every other bit is clear). */
export function encodeBitsetList(w: MessageWriter, type: number, names: readonly string[], field: string): void {
  w.nestStart(type, field);
  w.flag(ETHTOOL_A_BITSET_NOMASK);
  w.nestStart(ETHTOOL_A_BITSET_BITS);
  for (const name of names) {
    w.nestStart(ETHTOOL_A_BITSET_BITS_BIT, `${field}.${name}`);
    w.string(ETHTOOL_A_BITSET_BIT_NAME, name);
    w.nestEnd();
  }
  w.nestEnd();
  w.nestEnd();
}

