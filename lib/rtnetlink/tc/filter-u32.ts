/**
 * u32: the 32-bit key classifier. Typed match helpers build tc's keys exactly as tc does
 * (`match ip src 10.0.0.0/8`, `match ip dport 80 0xffff`, `match ip6 dst …`, `match u32 V M at O`),
 * merging keys at the same offset as tc's pack_key; hash tables and links for those who need them.
 * Keys read back both raw and, where they sit at the well-known offsets, as the same helpers.
 */
import { checkKeys } from '../../core/options';
import { ValidationError } from '../../errors';
import { AF_INET, AF_INET6 } from '../../wire/constants';
import { readString } from '../../wire/attributes';
import { attrLen, attrType, nextAttr } from './tlv';
import { formatIp, parseCidr, parseCidr4 } from '../../wire/address';
import type { MessageWriter } from '../../wire/message-writer';
import { decodeActions, encodeActions, encodePolice, type ActionSpec } from './actions';
import { formatHandle, parseHandle, type TcHandle } from './handle';
import type { EncodeContext } from './kind';
import { parseInt32 } from './units';

const TCA_U32_CLASSID = 1;
const TCA_U32_HASH = 2;
const TCA_U32_LINK = 3;
const TCA_U32_DIVISOR = 4;
const TCA_U32_SEL = 5;
const TCA_U32_POLICE = 6;
const TCA_U32_ACT = 7;
const TCA_U32_INDEV = 8;
const TCA_U32_FLAGS = 11;
const TC_U32_TERMINAL = 1;
const SEL_SIZE = 16;
const KEY_SIZE = 16;

/** IP protocols by name, for match helpers and flower. */
export const IP_PROTOCOLS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132 };

/** A port, optionally with a mask ('80', 80, '0x50/0xfff0'); numbers match exactly. */
export type U32Port = number | { value: number; mask: number };

/** IPv4 header fields (offsets assume no IP options, as tc's `match ip sport` does). */
export interface U32IpMatch {
  src?: string;
  dst?: string;
  protocol?: string | number;
  tos?: number | { value: number; mask: number };
  sport?: U32Port;
  dport?: U32Port;
}

/** IPv6 header fields (ports assume no extension headers). */
export interface U32Ip6Match {
  src?: string;
  dst?: string;
  protocol?: string | number;
  sport?: U32Port;
  dport?: U32Port;
}

/** A raw key: `value` under `mask` at byte offset `at` (a multiple of 4). */
export interface U32RawMatch {
  value: number;
  mask: number;
  at: number;
  /** Offset relative to the next header (`at nexthdr+N`). */
  nexthdr?: boolean;
}

/** One `match` clause. `{ all: true }` matches every packet (tc's `match u32 0 0`). */
export type U32Match = { ip: U32IpMatch } | { ip6: U32Ip6Match } | { u32: U32RawMatch } | { all: true };

/** Options of a u32 filter. */
export interface U32Options {
  match?: U32Match[];
  /** Hash table this filter goes in ('800:' is the root table); tc's `ht`. */
  ht?: TcHandle;
  /** Hash table to continue in (`link`). */
  link?: TcHandle;
  /** Make this filter a hash table of N buckets (`divisor`). */
  divisor?: number;
  /** Which bits pick the bucket in the linked table (`hashkey mask M at O`). */
  hashkey?: { mask: number; at: number };
  /** Only packets that came in this device (`indev`). */
  indev?: string;
  skipSw?: boolean;
  skipHw?: boolean;
}

interface Key { value: number; mask: number; off: number; offmask: number }

let scratchBuf = Buffer.alloc(SEL_SIZE + 128 * KEY_SIZE);
/**
 * A view of the shared scratch buffer, `n` bytes long, its selector header zeroed (the caller
 * writes every key): a byte loop, cheaper than Buffer#fill's call into C++ 10 000 times.
 */
function scratch(n: number): Buffer {
  if (n > scratchBuf.length) scratchBuf = Buffer.alloc(n);
  const b = scratchBuf.subarray(0, n);
  for (let i = 0; i < SEL_SIZE; i++) b[i] = 0;
  return b;
}

/** tc's pack_key: keys at the same offset merge; contradicting ones are an error. */
function packKey(keys: Key[], value: number, mask: number, off: number, offmask: number, field: string): void {
  value = (value & mask) >>> 0;
  for (const k of keys) {
    if (k.off === off && k.offmask === offmask) {
      if (((k.value ^ value) & k.mask & mask) !== 0) throw new ValidationError(field, 'contradicts an earlier match at the same offset');
      k.value = (k.value | value) >>> 0;
      k.mask = (k.mask | mask) >>> 0;
      return;
    }
  }
  if (keys.length >= 128) throw new ValidationError(field, 'too many keys');
  keys.push({ value, mask: mask >>> 0, off, offmask });
}

function packKey16(keys: Key[], value: number, mask: number, off: number, field: string): void {
  if ((off & 3) === 3) throw new ValidationError(field, 'a 16-bit key cannot start at offset 3 of a word');
  const shift = 16 - 8 * (off & 3);
  packKey(keys, (value << shift) >>> 0, ((mask & 0xffff) << shift) >>> 0, off & ~3, 0, field);
}

function packKey8(keys: Key[], value: number, mask: number, off: number, field: string): void {
  const shift = 24 - 8 * (off & 3);
  packKey(keys, (value << shift) >>> 0, ((mask & 0xff) << shift) >>> 0, off & ~3, 0, field);
}

function packAddr(keys: Key[], cidr: string, family: number, off: number, field: string): void {
  if (family === AF_INET && typeof cidr === 'string') {
    // IPv4 as numbers, no Buffer per address (bulk adds pack 10 000 of these).
    const c4 = parseCidr4(cidr, field);
    if (c4) {
      if (c4.prefixLen > 0) packKey(keys, c4.value, c4.prefixLen === 32 ? 0xffff_ffff : (0xffff_ffff << (32 - c4.prefixLen)) >>> 0, off, 0, field);
      return;
    }
  }
  const c = parseCidr(cidr, field, family);
  for (let i = 0; i < c.bytes.length / 4; i++) {
    const bits = Math.max(0, Math.min(32, c.prefixLen - i * 32));
    if (bits === 0) break;
    const mask = bits === 32 ? 0xffff_ffff : (0xffff_ffff << (32 - bits)) >>> 0;
    packKey(keys, c.bytes.readUInt32BE(i * 4), mask, off + i * 4, 0, field);
  }
}

function proto(v: string | number, field: string): number {
  if (typeof v === 'number') return parseInt32(v, field, 255);
  const n = IP_PROTOCOLS[v];
  if (n === undefined) throw new ValidationError(field, `unknown protocol ${JSON.stringify(v)} (known: ${Object.keys(IP_PROTOCOLS).join(', ')}, or a number)`);
  return n;
}

function port(keys: Key[], v: U32Port, off: number, field: string): void {
  if (typeof v === 'number') return packKey16(keys, parseInt32(v, field, 0xffff), 0xffff, off, field);
  checkKeys(v, ['value', 'mask'], field);
  packKey16(keys, parseInt32(v.value, `${field}.value`, 0xffff), parseInt32(v.mask, `${field}.mask`, 0xffff), off, field);
}

// Allowed keys as Sets built once (bulk adds check 10 000 matches).
const MATCH_KEYS: ReadonlySet<string> = new Set(['ip', 'ip6', 'u32', 'all']);
const IP_KEYS: ReadonlySet<string> = new Set(['src', 'dst', 'protocol', 'tos', 'sport', 'dport']);
const IP6_KEYS: ReadonlySet<string> = new Set(['src', 'dst', 'protocol', 'sport', 'dport']);
const RAW_KEYS: ReadonlySet<string> = new Set(['value', 'mask', 'at', 'nexthdr']);

function buildKeys(match: U32Match[], field: string): Key[] {
  const keys: Key[] = [];
  for (let i = 0; i < match.length; i++) {
    const m = match[i]!;
    const f = `${field}[${i}]`;
    if (m === null || typeof m !== 'object') throw new ValidationError(f, 'expected { ip }, { ip6 }, { u32 } or { all: true }');
    checkKeys(m, MATCH_KEYS, f);
    if ('all' in m) {
      if (m.all !== true) throw new ValidationError(`${f}.all`, 'expected true');
      packKey(keys, 0, 0, 0, 0, f);
    } else if ('ip' in m) {
      const ip = m.ip;
      const g = `${f}.ip`;
      checkKeys(ip, IP_KEYS, g);
      if (ip.tos !== undefined) {
        const t = typeof ip.tos === 'number' ? { value: ip.tos, mask: 0xff } : ip.tos;
        packKey8(keys, parseInt32(t.value, `${g}.tos`, 255), parseInt32(t.mask, `${g}.tos`, 255), 1, `${g}.tos`);
      }
      if (ip.protocol !== undefined) packKey8(keys, proto(ip.protocol, `${g}.protocol`), 0xff, 9, `${g}.protocol`);
      if (ip.src !== undefined) packAddr(keys, ip.src, AF_INET, 12, `${g}.src`);
      if (ip.dst !== undefined) packAddr(keys, ip.dst, AF_INET, 16, `${g}.dst`);
      if (ip.sport !== undefined) port(keys, ip.sport, 20, `${g}.sport`);
      if (ip.dport !== undefined) port(keys, ip.dport, 22, `${g}.dport`);
    } else if ('ip6' in m) {
      const ip = m.ip6;
      const g = `${f}.ip6`;
      checkKeys(ip, IP6_KEYS, g);
      if (ip.protocol !== undefined) packKey8(keys, proto(ip.protocol, `${g}.protocol`), 0xff, 6, `${g}.protocol`);
      if (ip.src !== undefined) packAddr(keys, ip.src, AF_INET6, 8, `${g}.src`);
      if (ip.dst !== undefined) packAddr(keys, ip.dst, AF_INET6, 24, `${g}.dst`);
      if (ip.sport !== undefined) port(keys, ip.sport, 40, `${g}.sport`);
      if (ip.dport !== undefined) port(keys, ip.dport, 42, `${g}.dport`);
    } else if ('u32' in m) {
      const r = m.u32;
      const g = `${f}.u32`;
      checkKeys(r, RAW_KEYS, g);
      const at = parseInt32(r.at, `${g}.at`, 0x7fff_ffff, -0x8000_0000);
      if (at % 4 !== 0) throw new ValidationError(`${g}.at`, 'a u32 key starts at a multiple of 4');
      packKey(keys, parseInt32(r.value, `${g}.value`), parseInt32(r.mask, `${g}.mask`), at, r.nexthdr ? 1 : 0, g);
    } else {
      throw new ValidationError(f, 'expected { ip }, { ip6 }, { u32 } or { all: true }');
    }
  }
  return keys;
}

const OPT_KEYS: ReadonlySet<string> = new Set(['match', 'ht', 'link', 'divisor', 'hashkey', 'indev', 'skipSw', 'skipHw', 'keys']);

/** Writes a u32 filter's options (TCA_OPTIONS contents). */
export function encodeU32(w: MessageWriter, opts: U32Options, field: string, classid: number | undefined, actions: ActionSpec[] | undefined, police: unknown, ctx: EncodeContext): void {
  checkKeys(opts, OPT_KEYS, field);
  const keys = opts.match !== undefined ? (Array.isArray(opts.match) ? buildKeys(opts.match, `${field}.match`) : (() => { throw new ValidationError(`${field}.match`, 'expected an array of matches'); })()) : [];
  const terminal = classid !== undefined || (actions !== undefined && actions.length > 0) || police !== undefined;
  if (opts.divisor !== undefined) w.u32(TCA_U32_DIVISOR, parseInt32(opts.divisor, `${field}.divisor`, 0x100, 1), `${field}.divisor`);
  if (opts.ht !== undefined) w.u32(TCA_U32_HASH, parseHandle(opts.ht, `${field}.ht`, 'classid'), `${field}.ht`);
  if (opts.link !== undefined) w.u32(TCA_U32_LINK, parseHandle(opts.link, `${field}.link`, 'classid'), `${field}.link`);
  if (classid !== undefined) w.u32(TCA_U32_CLASSID, classid, 'classid');
  if (opts.indev !== undefined) w.string(TCA_U32_INDEV, opts.indev, `${field}.indev`);
  if (opts.skipSw || opts.skipHw) w.u32(TCA_U32_FLAGS, (opts.skipHw ? 1 : 0) | (opts.skipSw ? 2 : 0), field);
  if (opts.match !== undefined || opts.hashkey !== undefined || terminal || opts.link !== undefined) {
    // Built in a reused scratch buffer (w.bytes copies it): bulk adds build 10 000 selectors.
    const sel = scratch(SEL_SIZE + keys.length * KEY_SIZE);
    sel[0] = terminal ? TC_U32_TERMINAL : 0;
    sel[2] = keys.length;
    if (opts.hashkey !== undefined) {
      checkKeys(opts.hashkey, ['mask', 'at'], `${field}.hashkey`);
      sel.writeUInt32BE(parseInt32(opts.hashkey.mask, `${field}.hashkey.mask`), 12);
      sel.writeInt16LE(parseInt32(opts.hashkey.at, `${field}.hashkey.at`, 0x7fff, -0x8000), 10);
    }
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const at = SEL_SIZE + i * KEY_SIZE;
      sel.writeUInt32BE(k.mask, at);
      sel.writeUInt32BE(k.value, at + 4);
      sel.writeInt32LE(k.off, at + 8);
      sel.writeInt32LE(k.offmask, at + 12);
    }
    w.bytes(TCA_U32_SEL, sel, `${field}.match`);
  }
  if (police !== undefined) {
    w.nestStart(TCA_U32_POLICE, 'police');
    encodePolice(w, police as any, 'police');
    w.nestEnd();
  }
  if (actions !== undefined && actions.length) encodeActions(w, TCA_U32_ACT, actions, 'actions', ctx);
}

const PROTOCOL_NAMES = new Map(Object.entries(IP_PROTOCOLS).map(([k, v]) => [v, k]));

function maskLen(mask: number): number | undefined {
  const n = Math.clz32(~mask); // leading ones
  return n === 32 || ((mask << n) >>> 0) === 0 ? n : undefined;
}

/**
 * Interprets keys (as listed in `keys`) at the well-known offsets as ip/ip6 helpers; the rest
 * stay raw. No scratch objects: a dump interprets the keys of 10 000 filters.
 */
function interpret(keys: U32RawMatch[], protocol: string | number | undefined): U32Match[] {
  const v6 = protocol === 'ipv6';
  let ip: Record<string, unknown> | undefined;
  let raw: U32Match[] | undefined;
  // src and dst: IPv4 addresses as one number, IPv6 ones in a Buffer; bits -1 = none.
  let src4 = 0;
  let dst4 = 0;
  let srcBits = -1;
  let dstBits = -1;
  let src6: Buffer | undefined;
  let dst6: Buffer | undefined;
  const srcAt = v6 ? 8 : 12;
  const dstAt = v6 ? 24 : 16;
  const size = v6 ? 16 : 4;
  for (let ki = 0; ki < keys.length; ki++) {
    const k = keys[ki]!;
    if (k.mask === 0 && k.value === 0 && k.at === 0 && !k.nexthdr) { (raw ??= []).push({ all: true }); continue; }
    let used = false;
    if (!k.nexthdr && (protocol === 'ip' || v6)) {
      const s = extendPrefix(k, srcAt, size, srcBits);
      if (s >= 0) {
        if (v6) (src6 ??= Buffer.alloc(16)).writeUInt32BE(k.value, k.at - srcAt);
        else src4 = k.value;
        srcBits = s;
        used = true;
      }
      const d = extendPrefix(k, dstAt, size, dstBits);
      if (d >= 0) {
        if (v6) (dst6 ??= Buffer.alloc(16)).writeUInt32BE(k.value, k.at - dstAt);
        else dst4 = k.value;
        dstBits = d;
        used = true;
      }
      const protoOff = v6 ? 4 : 8;
      const portOff = v6 ? 40 : 20;
      if (!used && k.at === protoOff && k.mask === (v6 ? 0x0000ff00 : 0x00ff0000)) {
        const n = v6 ? (k.value >>> 8) & 0xff : (k.value >>> 16) & 0xff;
        (ip ??= {}).protocol = PROTOCOL_NAMES.get(n) ?? n;
        used = true;
      } else if (!used && !v6 && k.at === 0 && (k.mask & 0xff00ffff) === 0 && k.mask !== 0) {
        const m = (k.mask >>> 16) & 0xff;
        (ip ??= {}).tos = m === 0xff ? (k.value >>> 16) & 0xff : { value: (k.value >>> 16) & 0xff, mask: m };
        used = true;
      } else if (!used && k.at === portOff) {
        const hi = k.mask >>> 16;
        const lo = k.mask & 0xffff;
        if (hi) (ip ??= {}).sport = hi === 0xffff ? k.value >>> 16 : { value: k.value >>> 16, mask: hi };
        if (lo) (ip ??= {}).dport = lo === 0xffff ? k.value & 0xffff : { value: k.value & 0xffff, mask: lo };
        used = true;
      }
    }
    if (!used) (raw ??= []).push({ u32: k.nexthdr ? { value: k.value, mask: k.mask, at: k.at, nexthdr: true } : { value: k.value, mask: k.mask, at: k.at } });
  }
  if (srcBits >= 0) (ip ??= {}).src = `${v6 ? formatIp(src6!, 0, 16) : dotted(src4)}/${srcBits}`;
  if (dstBits >= 0) (ip ??= {}).dst = `${v6 ? formatIp(dst6!, 0, 16) : dotted(dst4)}/${dstBits}`;
  const out: U32Match[] = new Array((ip ? 1 : 0) + (raw ? raw.length : 0)); // sized: see decodeU32
  let at = 0;
  if (ip) out[at++] = v6 ? { ip6: ip as U32Ip6Match } : { ip: ip as U32IpMatch };
  if (raw) for (let i = 0; i < raw.length; i++) out[at++] = raw[i]!;
  return out;
}

/**
 * The prefix length once key `k` extends the address at [start, start + size) whose prefix so
 * far is `prior` bits (-1: none yet); -1 when the key is not the address's next word of a
 * contiguous prefix (each word full but possibly the last).
 */
function extendPrefix(k: U32RawMatch, start: number, size: number, prior: number): number {
  if (k.at < start || k.at >= start + size) return -1;
  const bits = maskLen(k.mask);
  const have = prior < 0 ? 0 : prior;
  return bits !== undefined && have === (k.at - start) * 8 ? have + bits : -1;
}

function dotted(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

// Every filter of a table names the same one: the last formatted is reused, not re-made.
let lastHt = -1;
let lastHtText = '';
function htText(h: number): string {
  if (h !== lastHt) {
    lastHtText = formatHandle(h);
    lastHt = h;
  }
  return lastHtText;
}

/** Reads a u32 filter's options (an inline walk: dumps read 10 000 of these). */
export function decodeU32(buf: Buffer, off: number, len: number, protocol: string | number | undefined): { options: Record<string, unknown>; classid?: number; actions?: unknown[]; police?: unknown } {
  const o: Record<string, unknown> = {};
  const res: { options: Record<string, unknown>; classid?: number; actions?: unknown[]; police?: unknown } = { options: o };
  const end = off + len;
  for (let p = off; end - p >= 4;) {
    const alen = attrLen(buf, p, end, 'u32 options');
    const ao = p + 4;
    const al = alen - 4;
    switch (attrType(buf, p)) {
      case TCA_U32_CLASSID: if (al >= 4) res.classid = buf.readUInt32LE(ao); break;
      case TCA_U32_HASH: if (al >= 4) o.ht = htText(buf.readUInt32LE(ao) & 0xfff00000); break;
      case TCA_U32_LINK: if (al >= 4) o.link = formatHandle(buf.readUInt32LE(ao)); break;
      case TCA_U32_DIVISOR: if (al >= 4) o.divisor = buf.readUInt32LE(ao); break;
      case TCA_U32_INDEV: o.indev = readString(buf, ao, al); break;
      case TCA_U32_FLAGS: if (al >= 4) { const f = buf.readUInt32LE(ao); if (f & 1) o.skipHw = true; if (f & 2) o.skipSw = true; } break;
      case TCA_U32_ACT: res.actions = decodeActions(buf, ao, al); break;
      case TCA_U32_POLICE: res.police = undefined; break;
      case TCA_U32_SEL:
        if (al >= SEL_SIZE) {
          const n = buf[ao + 2]!;
          // Sized up front: an array grown by push keeps room for 17 (a dump keeps 10 000 of these).
          const count = Math.min(n, Math.floor((al - SEL_SIZE) / KEY_SIZE));
          const keys: U32RawMatch[] = new Array(count);
          for (let i = 0; i < count; i++) {
            const at = ao + SEL_SIZE + i * KEY_SIZE;
            const value = buf.readUInt32BE(at + 4);
            const mask = buf.readUInt32BE(at);
            const off = buf.readInt32LE(at + 8);
            keys[i] = buf.readInt32LE(at + 12) ? { value, mask, at: off, nexthdr: true } : { value, mask, at: off };
          }
          o.match = interpret(keys, protocol);
          o.keys = keys;
          const hmask = buf.readUInt32BE(ao + 12);
          if (hmask) o.hashkey = { mask: hmask, at: buf.readInt16LE(ao + 10) };
        }
        break;
    }
    p = nextAttr(p, alen);
  }
  return res;
}
