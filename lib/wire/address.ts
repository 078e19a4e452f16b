/**
 * IPv4 / IPv6 / MAC / CIDR text ⇄ bytes. Parsing validates strictly and throws
 * ValidationError naming the field; formatting follows what iproute2 prints
 * (RFC 5952 for IPv6, lowercase colon-separated hex for link-layer addresses).
 */
import { ValidationError } from '../errors';
import { AF_INET, AF_INET6 } from './constants';

/** An address family name as the public API spells it. */
export type FamilyName = 'inet' | 'inet6';

/** Parsed IP address: its family and network-order bytes. */
export interface IpBytes {
  family: typeof AF_INET | typeof AF_INET6;
  bytes: Buffer;
}

/** Parsed CIDR prefix. */
export interface CidrBytes extends IpBytes {
  prefixLen: number;
}

/**
 * Dotted quad in text[start, end) → its value as an unsigned 32-bit number, or -1.
 * Hand-rolled rather than a regex: bulk changes parse two addresses per route, and the
 * regex's match array and substrings were most of their cost. Each part is 1–3 digits,
 * ≤ 255, without leading zeros ('01' looks octal to other tools).
 */
export function ipv4Value(text: string, start = 0, end = text.length): number {
  const n = end - start;
  if (n < 7 || n > 15) return -1;
  let acc = 0;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 0x2e; // a '.' after the end closes the last part
    if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return -1;
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return -1;
    } else if (c === 0x2e) {
      if (digits === 0 || part > 3) return -1;
      acc = acc * 256 + value;
      part++;
      value = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  return part === 4 ? acc : -1;
}

function parseIPv4(text: string): Buffer | null {
  const v = ipv4Value(text);
  if (v < 0) return null;
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(v, 0);
  return out;
}

function parseIPv6(text: string): Buffer | null {
  if (text.length < 2 || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const parts = s.split(':');
    const words: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        words.push(parseInt(p, 16));
      }
    }
    return words;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return null;
  let words: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    words = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    words = head;
  }
  if (words.length !== 8) return null;
  const out = Buffer.allocUnsafe(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(words[i]!, i * 2);
  return out;
}

/** Parses an IPv4 or IPv6 address; `family` restricts which is accepted. */
export function parseIp(text: unknown, field: string, family?: number): IpBytes {
  if (typeof text !== 'string') throw new ValidationError(field, 'expected an IP address string');
  const v4 = family === AF_INET6 ? null : parseIPv4(text);
  if (v4) return { family: AF_INET, bytes: v4 };
  const v6 = family === AF_INET ? null : parseIPv6(text);
  if (v6) return { family: AF_INET6, bytes: v6 };
  if (family === AF_INET && parseIPv6(text)) throw new ValidationError(field, `${JSON.stringify(text)} is IPv6, expected IPv4`);
  if (family === AF_INET6 && parseIPv4(text)) throw new ValidationError(field, `${JSON.stringify(text)} is IPv4, expected IPv6`);
  throw new ValidationError(field, `invalid IP address ${JSON.stringify(text)}`);
}

/** Parses 'addr/len' (or a bare address, as a host prefix) with a valid prefix length. */
export function parseCidr(text: unknown, field: string, family?: number): CidrBytes {
  if (typeof text !== 'string') throw new ValidationError(field, 'expected an address/prefix string');
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addr, field, family);
  const prefixLen = prefixLength(text, slash, ip.family === AF_INET ? 32 : 128, field);
  // Not `{ ...ip, prefixLen }`: object spread costs microseconds, and bulk changes parse 100 000 of these.
  return { family: ip.family, bytes: ip.bytes, prefixLen };
}

/**
 * An IPv4 'addr/len' (or bare address) as numbers, for bulk paths that write it without a
 * Buffer per address; null when the address part is not IPv4 (parseCidr then explains why).
 */
export function parseCidr4(text: string, field: string): { value: number; prefixLen: number } | null {
  const slash = text.indexOf('/');
  const value = ipv4Value(text, 0, slash < 0 ? text.length : slash);
  if (value < 0) return null;
  return { value, prefixLen: prefixLength(text, slash, 32, field) };
}

/** The prefix length after the '/' at `slash` (the full length when there is none). */
function prefixLength(text: string, slash: number, max: number, field: string): number {
  if (slash < 0) return max;
  let len = 0;
  const digits = text.length - slash - 1;
  for (let i = slash + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) { len = -1; break; }
    len = len * 10 + (c - 0x30);
  }
  if (digits < 1 || digits > 3 || len < 0 || len > max) {
    throw new ValidationError(field, `invalid prefix length in ${JSON.stringify(text)} (0–${max})`);
  }
  return len;
}

/** Formats 4 bytes at `off` as dotted quad. */
export function formatIPv4(buf: Uint8Array, off = 0): string {
  const hi = (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
  // As a signed 32-bit value: it stays a small integer whatever the address (an unsigned one
  // from 128.0.0.0 up would be a heap number, allocated anew each time one is remembered).
  const v = (hi << 8) | buf[off + 3]!;
  // A dump repeats addresses (100 000 routes via one gateway, alternating with distinct dsts):
  // the last two are remembered, so a repeat costs no formatting and no new string.
  if (v === v4a) {
    v4aUsedLast = true;
    return v4aText;
  }
  if (v === v4b) {
    v4aUsedLast = false;
    return v4bText;
  }
  // The rest of a dump's addresses mostly share their first three bytes with others (a /24
  // of hosts, routes or neighbours): 'a.b.c.' comes from a small cache, so an address costs
  // one string, not the four intermediate ones a template or concatenation chain leaves for
  // the collector.
  const slot = (hi ^ (hi >>> 12)) & (V4_PREFIX_SLOTS - 1);
  let prefix = v4PrefixText[slot]!;
  if (v4PrefixKey[slot] !== hi) {
    prefix = `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.`;
    v4PrefixKey[slot] = hi;
    v4PrefixText[slot] = prefix;
  }
  const text = prefix + DECIMAL[buf[off + 3]!]!;
  if (v4aUsedLast) {
    v4b = v;
    v4bText = text;
    v4aUsedLast = false;
  } else {
    v4a = v;
    v4aText = text;
    v4aUsedLast = true;
  }
  return text;
}
// Both start as a true pair (0 is 0.0.0.0): no sentinel that some address could equal.
let v4a = 0;
let v4aText = '0.0.0.0';
let v4b = 0;
let v4bText = '0.0.0.0';
let v4aUsedLast = false;
/** '0' … '255'. */
const DECIMAL = Array.from({ length: 256 }, (_, i) => String(i));
const V4_PREFIX_SLOTS = 1024;
const v4PrefixKey = new Int32Array(V4_PREFIX_SLOTS).fill(-1);
const v4PrefixText: string[] = new Array<string>(V4_PREFIX_SLOTS).fill('');

/** Formats 16 bytes at `off` per RFC 5952 (longest zero run compressed, v4-mapped dotted). */
export function formatIPv6(buf: Uint8Array, off = 0): string {
  const w = new Array<number>(8);
  for (let i = 0; i < 8; i++) w[i] = (buf[off + 2 * i]! << 8) | buf[off + 2 * i + 1]!;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${formatIPv4(buf, off + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number) => w.slice(a, b).map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Formats an IP address of `len` bytes (4 or 16) at `off`; other lengths as hex. */
export function formatIp(buf: Uint8Array, off: number, len: number): string {
  if (len === 4) return formatIPv4(buf, off);
  if (len === 16) return formatIPv6(buf, off);
  return formatMac(buf, off, len);
}

/**
 * A prefix as `ip` prints it: 'a.b.c.d/len', a bare address when it is a host prefix, '0.0.0.0/len'
 * or '::/len' when only a length is known, and undefined when there is neither (a route
 * decoder then writes 'default', a rule leaves the match out).
 */
export function formatPrefix(addr: string | undefined, len: number, family: number): string | undefined {
  if (addr === undefined) return len ? `${family === AF_INET6 ? '::' : '0.0.0.0'}/${len}` : undefined;
  const max = family === AF_INET ? 32 : family === AF_INET6 ? 128 : -1;
  return len === max ? addr : `${addr}/${len}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Char codes of each byte's two hex digits. */
const HI = HEX.map((h) => h.charCodeAt(0));
const LO = HEX.map((h) => h.charCodeAt(1));

/** Formats a link-layer address as lowercase colon-separated hex ('02:00:00:00:00:01'). */
export function formatMac(buf: Uint8Array, off = 0, len = 6): string {
  if (len === 6) {
    // One flat string: concatenation would build a tree of five cons-strings per address,
    // and a link dump formats two addresses for every link.
    const a = buf[off]!, b = buf[off + 1]!, c = buf[off + 2]!, d = buf[off + 3]!, e = buf[off + 4]!, f = buf[off + 5]!;
    return String.fromCharCode(HI[a]!, LO[a]!, 58, HI[b]!, LO[b]!, 58, HI[c]!, LO[c]!, 58, HI[d]!, LO[d]!, 58, HI[e]!, LO[e]!, 58, HI[f]!, LO[f]!);
  }
  let s = HEX[buf[off]!]!;
  for (let i = 1; i < len; i++) s += `:${HEX[buf[off + i]!]}`;
  return s;
}

/**
 * 'aa:bb:…' (groups of 1–2 hex digits) → bytes, or null when malformed or not `min`–`max`
 * groups long. Hand-rolled: bulk neighbour and FDB changes parse one per entry, and the
 * regex + split + parseInt version was a third of their cost.
 */
function parseHexGroups(text: string, min: number, max: number): Buffer | null {
  const n = text.length;
  if (n < 2 * min - 1 || n > 3 * max - 1) return null;
  let groups = 1;
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) === 0x3a) groups++;
  if (groups < min || groups > max) return null;
  const out = Buffer.allocUnsafe(groups);
  let count = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0x3a; // a ':' after the end closes the last group
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else if (c === 0x3a) {
      if (digits === 0) return null;
      out[count++] = value;
      value = 0;
      digits = 0;
      continue;
    } else return null;
    if (++digits > 2) return null;
    value = value * 16 + d;
  }
  return out;
}

/** Parses an Ethernet MAC ('02:00:00:00:00:01'; 1–2 hex digits per group). */
export function parseMac(text: unknown, field: string): Buffer {
  const mac = typeof text === 'string' ? parseHexGroups(text, 6, 6) : null;
  if (!mac) throw new ValidationError(field, `invalid MAC address ${JSON.stringify(text)} (expected aa:bb:cc:dd:ee:ff)`);
  return mac;
}

/** Parses a link-layer address of any length ('aa:bb:…'); used for non-Ethernet links. */
export function parseLladdr(text: unknown, field: string): Buffer {
  const addr = typeof text === 'string' ? parseHexGroups(text, 1, 32) : null;
  if (!addr) throw new ValidationError(field, `invalid link-layer address ${JSON.stringify(text)}`);
  return addr;
}

/** 'inet' | 'inet6' | number → AF_* number (undefined stays undefined). */
export function familyNumber(family: FamilyName | number | undefined, field = 'family'): number | undefined {
  if (family === undefined) return undefined;
  if (family === 'inet' || family === AF_INET) return AF_INET;
  if (family === 'inet6' || family === AF_INET6) return AF_INET6;
  throw new ValidationError(field, `unknown family ${JSON.stringify(family)} (expected 'inet' or 'inet6')`);
}

/** AF_* number → 'inet' | 'inet6' (others as their number in text, e.g. 'af7'). */
export function familyName(family: number): string {
  if (family === AF_INET) return 'inet';
  if (family === AF_INET6) return 'inet6';
  if (family === 7) return 'bridge';
  if (family === 0) return 'unspec';
  return `af${family}`;
}
