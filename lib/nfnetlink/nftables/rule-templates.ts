/**
 * Listing many rules fast: rules of one shape (the same expressions, differing only in the
 * values they compare with and their counters) are decompiled once. The first rule of a shape
 * is decompiled in full while decompile.ts records which printed values are leaves (a pure
 * function of one attribute's bytes that changes nothing else, see LeafRecorder); the output
 * becomes a template, compiled on its second use into a function that builds the statements
 * straight from a rule's bytes (object literals, the leaf formatters called on the offsets).
 * A rule uses a template only when every byte outside the template's leaves is the same as in
 * the rule the template was made from, so a template never prints a rule differently from the
 * full decompiler (`meta l4proto tcp` and `meta l4proto udp` never share one: a dependency's
 * value is not a leaf).
 *
 * This happens while the dump is read, so a rule costs no copy and no expression objects.
 * Rules whose statements need what only the rest of the listing knows (the elements of an
 * anonymous set, interface names) keep their expressions' bytes and are decompiled at the end.
 */
import { ParseError } from '../../errors';
import { NLA_TYPE_MASK } from '../../wire/constants';
import { FAMILY_NAMES, NFTA_RULE } from './constants';
import { LEAF_CMP_DATA, LEAF_COUNTER_BYTES, LEAF_COUNTER_PACKETS, Leaf, LeafRecorder, decompileRule, type DecompileContext, type LeafFormat } from './decompile';
import { decodeExprs } from './expr/codec';
import type { NftFamily } from './compile';
import { parseUdata, udataString } from './objects/common';

/** NFTNL_UDATA_RULE_COMMENT. */
const UDATA_RULE_COMMENT = 0;
/** NFT_META_IIF / NFT_META_OIF: meta keys holding an ifindex (the listing needs link names). */
const META_IIF = 4;
const META_OIF = 5;

/** A listed rule as `nft -j` prints it; `expr` is undefined while it is deferred (see RuleDumpDecoder). */
export interface ListedRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  comment?: string;
  expr: unknown[] | undefined;
}

/**
 * Decodes the NEWRULE parts of one rule dump: `decode` is the dump's decoder, one rule (its
 * final JSON) per message, so a dump the engine restarts after NLM_F_DUMP_INTR collects no
 * rule twice. A rule whose statements need the rest of the listing has `expr` undefined and its
 * expressions' bytes in `deferred`; `finish` decompiles those.
 */
export class RuleDumpDecoder {
  /** A rule has a `meta iif` / `oif` expression (printed by name: the link names are needed). */
  ifindex = false;
  /** Expressions of the rules decompiled at the end, by rule. */
  readonly deferred = new Map<ListedRule, Buffer>();
  // Rules come chain by chain: the last name read is nearly always the next one.
  private lastTable = '';
  private lastChain = '';
  private readonly c = new Candidates();
  private readonly shapes = new Map<number, Template[]>();
  /** The reply buffer last read, as 32-bit words. */
  private lastBuf: Buffer | undefined;
  private words: Int32Array<ArrayBufferLike> = new Int32Array(0);

  readonly decode = (buf: Buffer, off: number, len: number): ListedRule => {
    // Expressions are compared and hashed as 32-bit words (attributes are 4-byte aligned).
    const familyNum = buf[off + 16]!;
    const family = FAMILY_NAMES[familyNum] ?? String(familyNum);
    const end = off + len;
    let table = '';
    let chain = '';
    let handle = 0;
    let comment: string | undefined;
    let eOff = 0;
    let eEnd = 0;
    let at = off + 20;
    while (end - at >= 4) {
      const alen = buf[at]! | (buf[at + 1]! << 8);
      if (alen < 4 || at + alen > end) throw new ParseError(`nft rule: attribute at offset ${at - off} has length ${alen}, ${end - at} bytes left`);
      const type = (buf[at + 2]! | (buf[at + 3]! << 8)) & NLA_TYPE_MASK;
      const o = at + 4;
      const l = alen - 4;
      if (type === NFTA_RULE.TABLE) table = this.lastTable = sameString(buf, o, l, this.lastTable);
      else if (type === NFTA_RULE.CHAIN) chain = this.lastChain = sameString(buf, o, l, this.lastChain);
      else if (type === NFTA_RULE.HANDLE) {
        if (l >= 8) handle = buf.readUInt32BE(o) * 0x1_0000_0000 + buf.readUInt32BE(o + 4);
      } else if (type === NFTA_RULE.USERDATA) comment = ruleComment(buf, o, l);
      else if (type === NFTA_RULE.EXPRESSIONS) {
        eOff = o;
        eEnd = o + l;
      }
      at += (alen + 3) & ~3;
    }
    const r: ListedRule = comment === undefined ? { family, table, chain, handle, expr: undefined } : { family, table, chain, handle, comment, expr: undefined };
    if ((eEnd - eOff) & 3) {
      // Not a whole number of attributes: decompiled on its own.
      this.decompileNew(r, buf, eOff, eEnd, familyNum, -1);
      return r;
    }
    if ((eOff & 3) !== 0 || (buf.byteOffset & 3) !== 0) {
      // Not on a 4-byte boundary (never so in a reply buffer): an aligned copy.
      const copy = Buffer.alloc(eEnd - eOff);
      buf.copy(copy, 0, eOff, eEnd);
      buf = copy;
      eEnd -= eOff;
      eOff = 0;
    }
    if (buf !== this.lastBuf) {
      this.lastBuf = buf;
      this.words = new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
    }
    const w = this.words;
    const hash = shapeHash(w, eOff >> 2, eEnd >> 2);
    const list = this.shapes.get(hash);
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const t = list[i]!;
        if (t.familyNum !== familyNum || !t.matches(w, eOff >> 2, eEnd >> 2)) continue;
        if (t.ifindex) this.ifindex = true;
        r.expr = t.instantiate(buf, eOff);
        return r;
      }
    }
    this.decompileNew(r, buf, eOff, eEnd, familyNum, hash);
    return r;
  };

  /** Decompiles the deferred rules of `rules` with what the listing knows (`ctxOf`). */
  finish(rules: readonly ListedRule[], ctxOf: (r: ListedRule) => DecompileContext): void {
    for (const r of rules) {
      if (r.expr !== undefined) continue;
      const bytes = this.deferred.get(r);
      // The bytes decoded once already (as the dump was read), so this does not throw.
      r.expr = bytes ? decompileRule(decodeExprs(bytes, 0, bytes.length), ctxOf(r)) : [];
    }
  }

  /** A rule of a new shape: decompiled in full (a template made of it unless `hash` is -1), or deferred. */
  private decompileNew(r: ListedRule, buf: Buffer, off: number, end: number, familyNum: number, hash: number): void {
    // ParseError on malformed expressions: the engine leaves the rule out with a warning.
    const exprs = decodeExprs(buf, off, end);
    const c = this.c;
    const scanned = scan(buf, off, end, c);
    if (c.ifindex) this.ifindex = true;
    // Interface names and anonymous sets' elements are known only at the end: no use
    // decompiling such a rule now.
    if (c.ifindex || exprs.some((e) => e.name === 'lookup' && typeof e.set === 'string' && (e.set.startsWith('__set') || e.set.startsWith('__map')))) {
      this.deferred.set(r, Buffer.from(buf.subarray(off, end)));
      return;
    }
    let needsListing = false;
    const ctx: DecompileContext = {
      family: r.family as NftFamily,
      set: () => {
        needsListing = true;
        return undefined;
      },
      ifname: () => {
        needsListing = true;
        return undefined;
      },
    };
    const list = hash >= 0 ? this.shapes.get(hash) : undefined;
    if (hash < 0 || !scanned || (list && list.length >= MAX_PER_HASH)) {
      const out = decompileRule(exprs, ctx);
      if (needsListing) this.deferred.set(r, Buffer.from(buf.subarray(off, end)));
      else r.expr = out;
      return;
    }
    const rec = new LeafRecorder((expr, attr) => c.find(expr, attr) >= 0);
    ctx.record = rec;
    const out = decompileRule(exprs, ctx);
    if (needsListing) {
      this.deferred.set(r, Buffer.from(buf.subarray(off, end)));
      return;
    }
    if (!rec.raw) {
      const leaves = rec.sites.map((s) => {
        const k = c.find(s.expr, s.attr);
        return { at: c.off[k]! - off, len: c.len[k]!, format: s.format };
      });
      // The builder's source first: `fill` then puts this rule's values in place of the markers.
      const source = sourceOf(out, leaves);
      if (source !== undefined) {
        const t = new Template(familyNum, c.ifindex, Buffer.from(buf.subarray(off, end)), leaves, source);
        if (list) list.push(t);
        else this.shapes.set(hash, [t]);
      }
    }
    r.expr = fill(out) as unknown[];
  }
}

/** The comment in a rule's userdata. */
function ruleComment(buf: Buffer, off: number, len: number): string | undefined {
  let comment: string | undefined;
  for (const u of parseUdata(buf.subarray(off, off + len))) if (u.type === UDATA_RULE_COMMENT) comment = udataString(u.value);
  return comment;
}

/** The string at buf[off, off + len) (up to a NUL): `last` itself when its bytes are the same ASCII. */
function sameString(buf: Buffer, off: number, len: number, last: string): string {
  let n = 0;
  while (n < len && buf[off + n] !== 0) n++;
  if (n === last.length) {
    let i = 0;
    while (i < n && buf[off + i]! < 0x80 && buf[off + i] === last.charCodeAt(i)) i++;
    if (i === n) return last;
  }
  return buf.toString('utf8', off, off + n);
}

// ---------------------------------------------------------------- shapes

/**
 * The leaf candidates of an expression list (a rule's NFTA_RULE_EXPRESSIONS payload): each
 * cmp data value and counter value, by expression index and attribute; undefined if malformed.
 */
export function leafCandidates(bytes: Buffer): { expr: number; attr: number; off: number; len: number }[] | undefined {
  const c = new Candidates();
  if (!scan(bytes, 0, bytes.length, c)) return undefined;
  return Array.from({ length: c.n }, (_, i) => ({ expr: c.expr[i]!, attr: c.attr[i]!, off: c.off[i]!, len: c.len[i]! }));
}

/** How many leaf candidates a rule records (more are compared as plain bytes). */
const MAX_CANDIDATES = 64;

/**
 * The leaf candidates of a rule (expression index, attribute, payload offset and length), as
 * `scan` finds them: cmp data values and counter values, in byte order. Reused for every rule.
 */
class Candidates {
  n = 0;
  /** The list has a meta load/set of iif or oif. */
  ifindex = false;
  readonly expr = new Int32Array(MAX_CANDIDATES);
  readonly attr = new Int32Array(MAX_CANDIDATES);
  readonly off = new Int32Array(MAX_CANDIDATES);
  readonly len = new Int32Array(MAX_CANDIDATES);

  find(expr: number, attr: number): number {
    for (let i = 0; i < this.n; i++) if (this.expr[i] === expr && this.attr[i] === attr) return i;
    return -1;
  }
}

// Expression names as little-endian 32-bit words.
const CMP = 0x00706d63; // "cmp\0"
const COUN = 0x6e756f63; // "coun"
const TER = 0x00726574; // "ter\0"
const META = 0x6174656d; // "meta"

function u32le(buf: Buffer, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

/**
 * The hash of a rule's shape from its words w[from, to): each expression's attribute headers
 * and first payload words (its name, the first nested header); the values are left to
 * `Template.matches`. Malformed lengths only make a poor hash: matching compares every word.
 */
function shapeHash(w: Int32Array, from: number, to: number): number {
  let h = 0x811c9dc5 ^ (to - from);
  for (let e = from; e < to; ) {
    const ew = w[e]!;
    const elen = ((ew & 0xffff) + 3) >> 2;
    h = Math.imul(h ^ ew, 0x01000193);
    if (elen < 1 || e + elen > to) break;
    const eend = e + elen;
    for (let a = e + 1; a + 1 < eend; ) {
      const aw = w[a]!;
      const alen = ((aw & 0xffff) + 3) >> 2;
      h = Math.imul(Math.imul(h ^ aw, 0x01000193) ^ w[a + 1]!, 0x01000193);
      if (alen < 1) break;
      a += alen;
    }
    e = eend;
  }
  return h >>> 0;
}

/** Finds the leaf candidates of the expression list at [off, end) into `c`; false when malformed. */
function scan(buf: Buffer, off: number, end: number, c: Candidates): boolean {
  c.n = 0;
  c.ifindex = false;
  let index = 0;
  for (let e = off; end - e >= 4; ) {
    const elen = buf[e]! | (buf[e + 1]! << 8);
    if (elen < 4 || e + elen > end) return false;
    if (((buf[e + 2]! | (buf[e + 3]! << 8)) & NLA_TYPE_MASK) === 1 && !scanExpr(buf, e + 4, e + elen, index++, c)) return false;
    e += (elen + 3) & ~3;
  }
  return true;
}

/** One expression's attributes at [off, end): its candidates into `c`; false when malformed. */
function scanExpr(buf: Buffer, off: number, end: number, index: number, c: Candidates): boolean {
  let kind = 0; // 1 cmp, 2 counter, 3 meta
  for (let a = off; end - a >= 4; ) {
    const alen = buf[a]! | (buf[a + 1]! << 8);
    if (alen < 4 || a + alen > end) return false;
    const t = (buf[a + 2]! | (buf[a + 3]! << 8)) & NLA_TYPE_MASK;
    if (t === 1) {
      const w = alen >= 8 ? u32le(buf, a + 4) : 0;
      kind = alen === 8 && w === CMP ? 1 : alen === 12 && w === COUN && u32le(buf, a + 8) === TER ? 2 : alen === 9 && w === META && buf[a + 8] === 0 ? 3 : 0;
    } else if (t === 2 && kind !== 0 && !scanData(buf, a + 4, a + alen, index, kind, c)) return false;
    a += (alen + 3) & ~3;
  }
  return true;
}

/** NFTA_EXPR_DATA of a cmp (1), counter (2) or meta (3) expression. */
function scanData(buf: Buffer, off: number, end: number, index: number, kind: number, c: Candidates): boolean {
  const first = c.n;
  let seen = 0;
  for (let d = off; end - d >= 4; ) {
    const dlen = buf[d]! | (buf[d + 1]! << 8);
    if (dlen < 4 || d + dlen > end) return false;
    const dt = (buf[d + 2]! | (buf[d + 3]! << 8)) & NLA_TYPE_MASK;
    if (kind === 1 && dt === 3) {
      // NFTA_CMP_DATA { NFTA_DATA_VALUE }: a candidate when the value is all it holds.
      seen += 1;
      const v = d + 4;
      const vlen = dlen >= 8 ? buf[v]! | (buf[v + 1]! << 8) : 0;
      if (vlen >= 4 && vlen + 4 <= dlen && ((buf[v + 2]! | (buf[v + 3]! << 8)) & NLA_TYPE_MASK) === 1 && ((vlen + 3) & ~3) + 4 >= dlen) {
        add(c, index, LEAF_CMP_DATA, v + 4, vlen - 4);
      }
    } else if (kind === 2 && (dt === 1 || dt === 2)) {
      seen += dt === 1 ? 1 : 256;
      if (dlen === 12) add(c, index, dt === 1 ? LEAF_COUNTER_BYTES : LEAF_COUNTER_PACKETS, d + 4, 8);
    } else if (kind === 3 && dt === 2 && dlen >= 8) {
      const key = buf.readUInt32BE(d + 4);
      if (key === META_IIF || key === META_OIF) c.ifindex = true;
    }
    d += (dlen + 3) & ~3;
  }
  // An attribute given twice: its bytes are compared as they are.
  if ((seen & 255) > 1 || seen >> 8 > 1) c.n = first;
  return true;
}

function add(c: Candidates, expr: number, attr: number, off: number, len: number): void {
  const n = c.n;
  if (n === MAX_CANDIDATES) return;
  c.expr[n] = expr;
  c.attr[n] = attr;
  c.off[n] = off;
  c.len[n] = len;
  c.n = n + 1;
}

/** How many templates one shape hash keeps (rules that differ outside leaves each make one). */
const MAX_PER_HASH = 16;

/** One shape: the words of the rule it was made from, its leaves, and the statements' builder. */
class Template {
  private readonly words: Int32Array;
  /** Leaf payloads in words from the expression list's start, in order, each once: [start, end) pairs. */
  private readonly skip: Int32Array;
  private readonly formats: LeafFormat[];
  private build: ((buf: Buffer, off: number) => unknown[]) | undefined;

  constructor(
    readonly familyNum: number,
    /** Its rules have a `meta iif` / `oif` expression. */
    readonly ifindex: boolean,
    bytes: Buffer,
    leaves: readonly { at: number; len: number; format: LeafFormat }[],
    private readonly source: string,
  ) {
    this.words = new Int32Array(bytes.length >> 2);
    new Uint8Array(this.words.buffer).set(bytes.subarray(0, this.words.length * 4));
    const sorted = [...new Map(leaves.map((l) => [l.at, l])).values()].sort((a, b) => a.at - b.at);
    this.skip = new Int32Array(sorted.length * 2);
    sorted.forEach((l, k) => {
      this.skip[2 * k] = l.at >> 2;
      this.skip[2 * k + 1] = (l.at + l.len + 3) >> 2;
    });
    this.formats = leaves.map((l) => l.format);
  }

  /** True when the words w[from, to) are this template's rule's outside the leaves. */
  matches(w: Int32Array, from: number, to: number): boolean {
    const t = this.words;
    const n = t.length;
    if (to - from !== n) return false;
    const skip = this.skip;
    let i = 0;
    for (let k = 0; k < skip.length; k += 2) {
      const stop = skip[k]!;
      for (; i < stop; i++) if (w[from + i] !== t[i]) return false;
      i = skip[k + 1]!;
    }
    for (; i < n; i++) if (w[from + i] !== t[i]) return false;
    return true;
  }

  /** The statements of the rule at `off` (the builder compiled on first use). */
  instantiate(buf: Buffer, off: number): unknown[] {
    if (!this.build) {
      const names = this.formats.map((_, k) => `f${k}`);
      this.build = new Function(...names, `return function template(b, o) { return ${this.source}; };`)(...this.formats) as (buf: Buffer, off: number) => unknown[];
    }
    return this.build(buf, off);
  }
}

/** Plain JSON with Leaf markers → the JS expression building it; undefined for anything else. */
function sourceOf(v: unknown, leafAt: readonly { at: number; len: number }[], depth = 0): string | undefined {
  if (depth > 64) return undefined;
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string': case 'boolean': return JSON.stringify(v);
    case 'number': return Object.is(v, -0) ? '-0' : Number.isFinite(v) ? String(v) : undefined;
    case 'undefined': return 'undefined';
    case 'object': break;
    default: return undefined;
  }
  if (v instanceof Leaf) {
    const l = leafAt[v.k]!;
    return `f${v.k}(b, o + ${l.at}, ${l.len})`;
  }
  const parts: string[] = [];
  if (Array.isArray(v)) {
    for (const x of v) {
      const s = sourceOf(x, leafAt, depth + 1);
      if (s === undefined) return undefined;
      parts.push(s);
    }
    return `[${parts.join(', ')}]`;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return undefined;
  for (const k of Object.keys(v as object)) {
    if (k === '__proto__') return undefined;
    const s = sourceOf((v as Record<string, unknown>)[k], leafAt, depth + 1);
    if (s === undefined) return undefined;
    parts.push(`${JSON.stringify(k)}: ${s}`);
  }
  return `{${parts.join(', ')}}`;
}

/** Replaces the Leaf markers in `v` by the values they stand for (in place). */
function fill(v: unknown, depth = 0): unknown {
  if (v instanceof Leaf) return v.value;
  if (v === null || typeof v !== 'object' || depth > 64) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = fill(v[i], depth + 1);
  } else {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = fill(o[k], depth + 1);
  }
  return v;
}
