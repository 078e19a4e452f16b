/**
 * Allocation-free attribute walking for the hot decoders (filter dumps list 10 000 filters,
 * each a few levels of nests): inline loops instead of forEachAttr's callback per level,
 * and names (kinds) read through a small cache instead of a new string per attribute.
 */
import { ParseError } from '../../errors';
import { NLA_TYPE_MASK } from '../../wire/constants';

/** Length of the attribute at `p` (header included); ParseError when it overruns `end`. */
export function attrLen(buf: Buffer, p: number, end: number, where: string): number {
  const len = buf[p]! | (buf[p + 1]! << 8);
  if (len < 4 || p + len > end) throw new ParseError(`${where}: attribute at offset ${p} has length ${len}, ${end - p} bytes left`);
  return len;
}

/** Type of the attribute at `p` (flags masked off). */
export function attrType(buf: Buffer, p: number): number {
  return (buf[p + 2]! | (buf[p + 3]! << 8)) & NLA_TYPE_MASK;
}

/** Where the attribute after the one at `p` of length `len` starts. */
export function nextAttr(p: number, len: number): number {
  return p + ((len + 3) & ~3);
}

// Kind names repeat in every message of a dump ('u32', 'mirred' …): compared byte by byte
// against the ones seen before, a name costs no allocation after its first time.
const NAMES: string[] = ['u32', 'flower', 'matchall', 'fw', 'basic', 'bpf', 'mirred', 'gact', 'police', 'htb', 'tbf', 'ingress', 'clsact'];
const MAX_NAMES = 64;

/** A NUL-terminated name attribute's value, shared with earlier equal names. */
export function readName(buf: Buffer, off: number, len: number): string {
  let end = off;
  const stop = off + len;
  let ascii = true;
  while (end < stop && buf[end] !== 0) {
    if (buf[end]! >= 0x80) ascii = false;
    end++;
  }
  const n = end - off;
  if (ascii) {
    for (let k = 0; k < NAMES.length; k++) {
      const s = NAMES[k]!;
      if (s.length !== n) continue;
      let i = 0;
      while (i < n && s.charCodeAt(i) === buf[off + i]) i++;
      if (i === n) return s;
    }
  }
  const s = buf.toString('utf8', off, end);
  if (ascii && NAMES.length < MAX_NAMES) NAMES.push(s);
  return s;
}
