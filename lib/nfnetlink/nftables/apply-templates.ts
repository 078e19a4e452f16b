/**
 * Applying many rules fast: rules of one shape (the same statements, differing only in the
 * values they compare with and their counters) are compiled once. The first rule of a shape is
 * compiled in full while compile.ts reports its leaves (values that land in one attribute's
 * bytes and decide nothing else, see CompileRecorder); its encoded expressions become the
 * template, and a later rule whose statements equal the first one's everywhere but at the
 * leaves gets a copy of those bytes with its own values encoded into the leaves' places.
 * A leaf value that does not encode (or encodes to another length) sends the rule through the
 * full compiler, which reports it with its path.
 */
import { MessageWriter } from '../../wire/message-writer';
import { LEAF_CMP_DATA, LEAF_COUNTER_BYTES, LEAF_COUNTER_PACKETS } from './decompile';
import { uint, type CompileRecorder, type LeafWriter } from './compile';
import type { Expr } from './expr/codec';
import { encodeExprs } from './expr/codec';
import { leafCandidates } from './rule-templates';

/** Stands in a template's statements for a leaf: any value of the same JSON type. */
class LeafMark {
  constructor(readonly type: string) {}
}

interface LeafSite {
  /** Where the value is in the statements: keys and indexes from `expr`. */
  segs: (string | number)[];
  /** Its bytes in the expressions payload. */
  at: number;
  len: number;
  encode: (json: unknown) => Buffer;
  write?: LeafWriter;
}

/** One shape: its first rule's statements and expression bytes, and where the leaves go. */
class Shape {
  /** The bytes of the rule being built: the shape's, with that rule's leaves written in. */
  private readonly scratch: Buffer;

  constructor(
    /** The statements of the rule it was made from, leaves replaced by LeafMarks. */
    readonly skeleton: unknown[],
    /** Its NFTA_RULE_EXPRESSIONS payload. */
    bytes: Buffer,
    readonly leaves: LeafSite[],
  ) {
    this.scratch = Buffer.from(bytes);
  }

  /** Writes the leaves of statements `expr` into the scratch bytes; false if one does not encode. */
  fill(expr: unknown[]): boolean {
    const b = this.scratch;
    for (const l of this.leaves) {
      const value = valueAt(expr, l.segs);
      if (l.write?.(value, b, l.at)) continue;
      let v: Buffer;
      try {
        v = l.encode(value);
      } catch {
        return false; // the full compiler names the path
      }
      if (v.length !== l.len) return false;
      for (let i = 0; i < v.length; i++) b[l.at + i] = v[i]!;
    }
    return true;
  }

  /** Writes the bytes `fill` made (for buildRule, right after `fill`). */
  readonly write = (w: MessageWriter): void => {
    const bytes = this.scratch;
    w.raw(bytes.length, (b, at) => {
      bytes.copy(b, at);
    });
  };
}

/** How many shapes one statement count keeps per table (rules differing outside leaves make one each). */
const MAX_SHAPES = 16;

/** A counter value in place: what `uint` accepts, as 8 big-endian bytes. */
const writeBe64: LeafWriter = (json, b, at) => {
  if (typeof json !== 'number' || !Number.isInteger(json) || json < 0 || json > Number.MAX_SAFE_INTEGER) return false;
  const hi = Math.floor(json / 0x1_0000_0000);
  const lo = json >>> 0;
  b[at] = hi >>> 24;
  b[at + 1] = (hi >>> 16) & 255;
  b[at + 2] = (hi >>> 8) & 255;
  b[at + 3] = hi & 255;
  b[at + 4] = lo >>> 24;
  b[at + 5] = (lo >>> 16) & 255;
  b[at + 6] = (lo >>> 8) & 255;
  b[at + 7] = lo & 255;
  return true;
};

/** A counter value (already checked by `uint`) as its 8 bytes. */
function be64(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeBe64(n, b, 0);
  return b;
}

/** The rule shapes of one `apply` (its sets fixed: cleared whenever the document defines one). */
export class RuleShapes {
  private readonly shapes = new Map<string, Shape[]>();

  /** Forgets every shape (the sets a rule may name changed, and with them its compilation). */
  clear(): void {
    this.shapes.clear();
  }

  /**
   * The NFTA_RULE_EXPRESSIONS payload of statements `expr` in `family`/`table` from a known
   * shape, written by `write` (undefined when no shape fits: compile it, then `learn`).
   */
  build(family: string, table: string, expr: unknown[]): ((w: MessageWriter) => void) | undefined {
    const list = this.shapes.get(`${family}\0${table}\0${expr.length}`);
    if (!list) return undefined;
    for (const s of list) {
      if (!same(s.skeleton, expr, 0)) continue;
      // The shape's scratch bytes hold this rule until the next build: the caller writes them now.
      return s.fill(expr) ? s.write : undefined;
    }
    return undefined;
  }

  /** A recorder for compiling a rule of statements `expr` whose path is `path` (its leaves). */
  recorder(path: string): ShapeRecorder {
    return new ShapeRecorder(path);
  }

  /** Makes a shape of a rule just compiled with `rec` to `exprs` (no anonymous sets). */
  learn(family: string, table: string, expr: unknown[], exprs: readonly Expr[], rec: ShapeRecorder): void {
    const key = `${family}\0${table}\0${expr.length}`;
    const list = this.shapes.get(key);
    if (list && list.length >= MAX_SHAPES) return;
    const w = new MessageWriter(0, 0, 512);
    const start = w.offset;
    encodeExprs(w, exprs);
    const all = w.finish().bytes;
    const bytes = Buffer.from(all.subarray(start, all.length));
    if (bytes.length & 3) return;
    // Where each expression's values are in the bytes.
    const found = leafCandidates(bytes);
    if (!found) return;
    const leaves: LeafSite[] = [];
    const marks: { segs: (string | number)[]; type: string }[] = [];
    for (const l of rec.leaves) {
      const index = exprs.findIndex((e) => (l.attr === LEAF_CMP_DATA ? e.name === 'cmp' && e.data === l.data : e === l.expr));
      if (index < 0) return; // merged with another comparison: not a leaf any more
      const c = found.find((x) => x.expr === index && x.attr === l.attr);
      const segs = segsOf(l.path, rec.prefix);
      if (!c || !segs) return;
      const value = valueAt(expr, segs);
      if (typeof value !== 'number' && typeof value !== 'string') return;
      leaves.push({ segs, at: c.off, len: c.len, encode: l.encode, ...(l.write ? { write: l.write } : {}) });
      marks.push({ segs, type: typeof value });
    }
    let skeleton: unknown[];
    try {
      skeleton = structuredClone(expr) as unknown[];
    } catch {
      return; // not plain data
    }
    for (const m of marks) setAt(skeleton, m.segs, new LeafMark(m.type));
    const shape = new Shape(skeleton, bytes, leaves);
    if (list) list.push(shape);
    else this.shapes.set(key, [shape]);
  }
}

/** Collects the leaves compile.ts reports for one rule. */
export class ShapeRecorder implements CompileRecorder {
  readonly leaves: { path: string; attr: number; data?: Buffer; expr?: Expr; encode: (json: unknown) => Buffer; write?: LeafWriter }[] = [];

  /** `prefix`: the path of the rule's statement list (`nftables[3].add.rule.expr`). */
  constructor(readonly prefix: string) {}

  cmp(path: string, data: Buffer, encode: (json: unknown) => Buffer, write?: LeafWriter): void {
    this.leaves.push({ path, attr: LEAF_CMP_DATA, data, encode, ...(write ? { write } : {}) });
  }

  counter(path: string, e: Expr, attr: 'packets' | 'bytes'): void {
    this.leaves.push({ path, attr: attr === 'bytes' ? LEAF_COUNTER_BYTES : LEAF_COUNTER_PACKETS, expr: e, encode: (json) => be64(uint(json, path)), write: writeBe64 });
  }
}

/** `prefix[1].match.right.set[0]` → [1, 'match', 'right', 'set', 0] (undefined if not under prefix). */
function segsOf(path: string, prefix: string): (string | number)[] | undefined {
  if (!path.startsWith(prefix)) return undefined;
  const segs: (string | number)[] = [];
  const re = /\[(\d+)\]|\.([^.[]+)/y;
  re.lastIndex = prefix.length;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) return undefined;
    segs.push(m[1] !== undefined ? Number(m[1]) : m[2]!);
  }
  return segs;
}

function valueAt(v: unknown, segs: readonly (string | number)[]): unknown {
  for (const s of segs) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

function setAt(v: unknown, segs: readonly (string | number)[], value: unknown): void {
  for (let i = 0; i < segs.length - 1; i++) v = (v as Record<string | number, unknown>)[segs[i]!];
  (v as Record<string | number, unknown>)[segs[segs.length - 1]!] = value;
}

/** True when `v` equals the skeleton `s` (a LeafMark: any value of its type). */
function same(s: unknown, v: unknown, depth: number): boolean {
  if (s === v) return true;
  if (s instanceof LeafMark) return typeof v === s.type;
  if (s === null || typeof s !== 'object' || v === null || typeof v !== 'object' || depth > 32) return false;
  if (Array.isArray(s)) {
    if (!Array.isArray(v) || v.length !== s.length) return false;
    for (let i = 0; i < s.length; i++) if (!same(s[i], v[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(v)) return false;
  let n = 0;
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(s, k) || !same((s as Record<string, unknown>)[k], (v as Record<string, unknown>)[k], depth + 1)) return false;
    n++;
  }
  for (const _ in s) n--;
  return n === 0;
}
