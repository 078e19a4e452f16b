/**
 * Delinearize: a rule's register-level expressions (as the kernel lists them, whoever wrote
 * them) → libnftables JSON statements in the normal forms `nft -j list ruleset` prints:
 * implied protocol dependencies dropped (`meta l4proto tcp` before `tcp dport`), sub-byte
 * header fields and prefixes recognized from their masks, `cmp >=` + `cmp <=` as
 * `{"range": [a, b]}`, flag tests as op `in`, anonymous sets printed inline (one element as
 * the element itself), maps and verdict maps, NAT/mangle values from the registers they read.
 *
 * ## Interface
 *
 * `decompileRule(exprs, ctx)`: `ctx.family` is the table family; `ctx.set(name)` returns the
 * contents of a set the rule references (needed for anonymous sets, whose elements are printed
 * inline; for named sets it is not called): `{ flags, elements: [{ key, keyEnd?, flags, data? }] }`
 * with `data` a Buffer (map value) or `{ code, chain }` (verdict). `ctx.ifname(index)` names
 * interfaces for `meta iif`/`oif` (the index is printed when it is missing or unknown).
 *
 * ## What is not recognized
 *
 * The statements decoded before it are kept; everything from the first expression that fits no
 * known pattern to the end of the rule becomes ONE statement
 * `{"raw": {"exprs": [{ "name": "…", …attributes }]}}`, with byte values as "0x…" hex strings
 * and verdicts as `{code, chain}`. nft has no such statement: applying it is refused.
 */
import {
  NFT_SET_ELEM_INTERVAL_END, bitmaskJson, decrement, prefixLength, readInt, readUint, typeByName, verdictJson,
  type ByteOrder, type DataType, type Verdict,
} from './datatypes';
import type { Expr } from './expr/codec';
import { NFT_LOOKUP_F_INV, PAYLOAD_BASE, registerOfSlot, slotOfRegister } from './expr/schemas';
import {
  CT_BY_NUMBER, FIB_FLAGS, FIB_RESULTS, META_BY_NUMBER, NFTA_FIB_F_PRESENT, NFT_EXTHDR_F_PRESENT, NFT_EXTHDR_OP_TCPOPT, PROTOCOLS,
  TCP_OPTIONS, fieldEntries, metaOrder, transportByNumber,
} from './fields';
import { BYTE_UNITS, LIMIT_PERIODS, LOG_FLAGS, LOG_LEVELS, NAT_FLAGS, OBJREF_TYPES, type NftFamily } from './compile';

/** A set's contents as the decompiler needs them. */
export interface SetContents {
  flags: number;
  elements: readonly { key: Buffer; keyEnd?: Buffer; flags: number; data?: Buffer | Verdict }[];
}

/** What the decompiler needs to know about the rule's surroundings. */
export interface DecompileContext {
  family: NftFamily;
  /** Contents of a set the rule looks up (anonymous sets are printed inline). */
  set?: (name: string) => SetContents | undefined;
  /** Interface index → name in the rule's namespace. */
  ifname?: (index: number) => string | undefined;
  /** Notes which printed values come straight from one attribute's bytes (rule-templates.ts). */
  record?: LeafRecorder;
}

/** Turns the bytes buf[off, off + len) of an attribute into the JSON value printed for them. */
export type LeafFormat = (buf: Buffer, off: number, len: number) => unknown;

/** Which attribute of an expression a leaf value is read from. */
export const LEAF_CMP_DATA = 0;
export const LEAF_COUNTER_BYTES = 1;
export const LEAF_COUNTER_PACKETS = 2;

/** Stands in the recorded output for a value read from one attribute (`k`: its index in `sites`). */
export class Leaf {
  constructor(readonly k: number, readonly value: unknown) {}
}

/**
 * Records, while one rule is decompiled, every printed value that is a pure function of one
 * attribute's bytes and influences nothing else (not the statements' structure, nor what a later
 * expression means): those are the values a rule of the same shape may differ in. `candidate`
 * says which (expression, attribute) pairs the caller can locate in the rule's bytes.
 */
export class LeafRecorder {
  readonly sites: { expr: number; attr: number; format: LeafFormat }[] = [];
  /** The rule fell back to a `raw` statement: its output is not a template. */
  raw = false;

  constructor(private readonly candidate: (expr: number, attr: number) => boolean) {}

  /** `value` (already computed) as a Leaf when the attribute can be located, else as is. */
  mark(expr: number, attr: number, value: unknown, format: LeafFormat): unknown {
    if (!this.candidate(expr, attr)) return value;
    this.sites.push({ expr, attr, format });
    return new Leaf(this.sites.length - 1, value);
  }
}

const BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
const BYTE_DOT: readonly string[] = BYTE_TEXT.map((t) => `${t}.`);

/** An IPv4 address's dotted quad from its 4 bytes (three joins of short strings). */
export function ipv4Text(buf: Uint8Array, off: number): string {
  return BYTE_DOT[buf[off]!]! + BYTE_DOT[buf[off + 1]!]! + BYTE_DOT[buf[off + 2]!]! + BYTE_TEXT[buf[off + 3]!]!;
}

function uintBig(buf: Buffer, off: number, len: number): number {
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + buf[off + i]!;
  return v;
}

function uintHost(buf: Buffer, off: number, len: number): number {
  let v = 0;
  for (let i = len - 1; i >= 0; i--) v = v * 256 + buf[off + i]!;
  return v;
}

const counterValue: LeafFormat = (buf, off) => buf.readUInt32BE(off) * 0x1_0000_0000 + buf.readUInt32BE(off + 4);

class Unrecognized extends Error {}

const fail = (why: string): never => {
  throw new Unrecognized(why);
};

const isAnonymous = (name: string): boolean => name.startsWith('__set') || name.startsWith('__map');

/** A value being built in a register. */
interface Load {
  src: 'payload' | 'meta' | 'ct' | 'fib' | 'numgen' | 'hash' | 'exthdr' | 'const' | 'map';
  e: Expr;
  mask?: Buffer;
  xor?: Buffer;
  hton?: boolean;
  /** The key load of a `hash` (jhash). */
  inner?: Described;
  /** Constant data (src 'const'). */
  data?: Buffer;
  /** Map lookup result: formats `{"map": …}` once the value type is known. */
  map?: (t: ValueType) => unknown;
  /** Index of the first expression that built this value (for raw fallback bookkeeping). */
  start: number;
}

/** How values compared with / written to an expression are read. */
interface ValueType {
  dtype: DataType;
  order: ByteOrder;
  /** Right shift of sub-byte fields. */
  shift: number;
  /** Interpret `time` as milliseconds → seconds (ct expiration). */
  ms?: boolean;
}

/** A load resolved to its JSON expression. */
interface Described extends ValueType {
  json: unknown;
  /** Register bytes. */
  len: number;
  /** The bitwise of a sub-byte field was part of the field itself. */
  maskConsumed: boolean;
  /** Field length in bytes when the load covered only its first bytes (a prefix). */
  fieldLen?: number;
  /** Protocol of a payload field (for dependency elimination). */
  protocol?: string;
}

interface Stmt {
  json: unknown;
  dropped?: boolean;
}

const CMP_NAMES = ['==', '!=', '<', '<=', '>', '>='];

/** Register-level expressions of one rule → its JSON statements (never throws for unknown content). */
export function decompileRule(exprs: readonly Expr[], ctx: DecompileContext): unknown[] {
  const d = new Decompiler(ctx);
  let consumed = 0;
  try {
    for (let i = 0; i < exprs.length; i++) {
      const n = d.step(exprs, i);
      i += n;
      if (d.regsEmpty()) consumed = i + 1;
    }
    if (!d.regsEmpty()) fail('a loaded value is never used');
  } catch {
    // Unrecognized content (or a malformed attribute a pattern tripped over): never a failed
    // listing, the rest of the rule is shown raw.
    if (ctx.record) ctx.record.raw = true;
    d.truncate(consumed);
    d.stmts.push({ json: { raw: { exprs: exprs.slice(consumed).map(rawExprJson) } } });
  }
  return d.result();
}

/** An expression as the `raw` statement shows it (bytes as hex). */
export function rawExprJson(e: Expr): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (Buffer.isBuffer(v)) out[k] = `0x${v.toString('hex')}`;
    else if (k === 'unknown' && Array.isArray(v)) out[k] = v.map((u: { type: number; data: Buffer }) => ({ type: u.type, data: `0x${u.data.toString('hex')}` }));
    else if (Array.isArray(v)) out[k] = v.map((x) => (x && typeof x === 'object' && 'name' in x ? rawExprJson(x as Expr) : x));
    else if (v && typeof v === 'object' && 'name' in v) out[k] = rawExprJson(v as Expr);
    else out[k] = v;
  }
  return out;
}

function intJson(t: DataType, v: bigint | number): unknown {
  if (typeof v === 'number') {
    // Fast path (most values): symbols and plain numbers without BigInt.
    if (t.base === 'integer' && t.name !== 'classid') {
      if (t.symbols && t.name !== 'inet_service' && t.name !== 'mark') for (const [name, val] of t.symbols) if (val === v) return name;
      return v;
    }
    v = BigInt(v);
  }
  if (t.base === 'bitmask') return bitmaskJson(t, v);
  if (t.name === 'classid') {
    if (v === 0xffffffffn) return 'root';
    if (v === 0n) return 'none';
    return `${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  if (t.base === 'boolean') return v !== 0n;
  const n = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`;
  if (typeof n === 'number' && t.symbols && t.name !== 'inet_service' && t.name !== 'mark') {
    for (const [name, val] of t.symbols) if (val === n) return name;
  }
  return n;
}

function allZero(b: Buffer | undefined): boolean {
  return !b || b.every((x) => x === 0);
}

function allOnes(b: Buffer): boolean {
  return b.every((x) => x === 0xff);
}

/** Leading one bits of a big-endian mask that is exactly a prefix mask; -1 otherwise. */
function prefixOnes(mask: Buffer): number {
  const bits = mask.length * 8;
  let n = 0;
  while (n < bits && mask[n >> 3]! & (0x80 >> (n & 7))) n++;
  for (let i = n; i < bits; i++) if (mask[i >> 3]! & (0x80 >> (i & 7))) return -1;
  return n;
}

/** Bytes compared in a type's numeric order (host-order values reversed). */
function numericKey(b: Buffer, order: ByteOrder): Buffer {
  return order === 'host' ? Buffer.from(b).reverse() : b;
}

class Decompiler {
  readonly stmts: Stmt[] = [];
  private regs = new Map<number, Load>();
  /** Dependency id → index of the statement that matched it (dropped once a field implies it). */
  private pendingDeps = new Map<string, number>();
  private l4: number | undefined;
  private l3: string | undefined;
  private ll: 'ether' | 'vlan' = 'ether';

  constructor(private readonly ctx: DecompileContext) {
    if (ctx.family === 'ip' || ctx.family === 'ip6' || ctx.family === 'arp') this.l3 = ctx.family;
  }

  regsEmpty(): boolean {
    return this.regs.size === 0;
  }

  truncate(nExprs: number): void {
    // Statements were only emitted at points where all registers were consumed; keep those
    // produced from the first nExprs expressions (the count is tracked by the caller).
    while (this.stmts.length > this.stmtCountAt(nExprs)) this.stmts.pop();
  }

  private readonly stmtMarks: [exprIndex: number, stmtCount: number][] = [];

  private stmtCountAt(nExprs: number): number {
    let count = 0;
    for (const [i, c] of this.stmtMarks) if (i < nExprs) count = c;
    return count;
  }

  result(): unknown[] {
    return this.stmts.filter((s) => !s.dropped).map((s) => s.json);
  }

  private emit(json: unknown, exprIndex: number): number {
    // Only matches keep earlier dependencies pending: nft keeps `meta l4proto tcp` shown when
    // another statement (a counter …) stands between it and the `tcp dport` that implies it.
    if (!(json && typeof json === 'object' && 'match' in json)) this.pendingDeps.clear();
    this.stmts.push({ json });
    this.stmtMarks.push([exprIndex, this.stmts.length]);
    return this.stmts.length - 1;
  }

  private take(reg: number): Load {
    const l = this.regs.get(reg) ?? fail(`register ${reg} read before it was written`);
    this.regs.delete(reg);
    return l;
  }

  /** Handles exprs[i]; returns how many further expressions it consumed. */
  step(exprs: readonly Expr[], i: number): number {
    const e = exprs[i]!;
    const num = (k: string): number | undefined => (typeof e[k] === 'number' ? (e[k] as number) : undefined);
    if (e.raw || (e.unknown && e.unknown.length)) fail(`expression ${e.name} has attributes this library does not know`);
    switch (e.name) {
      case 'payload': {
        if (num('dreg') !== undefined) {
          this.regs.set(num('dreg')!, { src: 'payload', e, start: i });
          return 0;
        }
        this.payloadWrite(e, i);
        return 0;
      }
      case 'meta':
        if (num('dreg') !== undefined) {
          this.regs.set(num('dreg')!, { src: 'meta', e, start: i });
          return 0;
        }
        return this.metaCtSet(e, i);
      case 'ct':
        if (num('dreg') !== undefined) {
          this.regs.set(num('dreg')!, { src: 'ct', e, start: i });
          return 0;
        }
        return this.metaCtSet(e, i);
      case 'exthdr': {
        if (e.op !== NFT_EXTHDR_OP_TCPOPT) fail('exthdr other than tcp options');
        if (num('dreg') !== undefined) {
          this.regs.set(num('dreg')!, { src: 'exthdr', e, start: i });
          return 0;
        }
        const opt = tcpOptionAt(e) ?? fail('unknown tcp option field');
        const value = this.regValue(num('sreg') ?? fail('no sreg'), { dtype: typeByName('integer')!, order: 'big', shift: 0 });
        this.emit({ mangle: { key: { 'tcp option': opt }, value } }, i);
        return 0;
      }
      case 'dynset': this.dynset(e, i); return 0;
      case 'fib': case 'numgen':
        this.regs.set(num('dreg') ?? fail('no dreg'), { src: e.name, e, start: i });
        return 0;
      case 'hash': {
        const dreg = num('dreg') ?? fail('no dreg');
        let inner: Described | undefined;
        if (num('type') === 0 || e.type === undefined) inner = this.describe(this.take(num('sreg') ?? fail('no sreg')));
        this.regs.set(dreg, { src: 'hash', e, start: i, ...(inner ? { inner } : {}) });
        return 0;
      }
      case 'bitwise': {
        if (e.op !== undefined && e.op !== 0) fail('bitwise shift');
        const l = this.take(num('sreg') ?? fail('no sreg'));
        if (l.mask || l.hton || l.src === 'const' || l.src === 'map') fail('bitwise on this value');
        this.regs.set(num('dreg')!, { ...l, mask: e.mask as Buffer, xor: e.xor as Buffer });
        return 0;
      }
      case 'byteorder': {
        if (e.op !== 1) fail('byteorder ntoh');
        const l = this.take(num('sreg') ?? fail('no sreg'));
        this.regs.set(num('dreg')!, { ...l, hton: true });
        return 0;
      }
      case 'immediate': {
        const dreg = num('dreg');
        if (dreg === 0) {
          const v = e.data as Verdict;
          if (!v || Buffer.isBuffer(v)) fail('immediate data to the verdict register');
          this.emit(verdictJson(v), i);
          return 0;
        }
        if (!Buffer.isBuffer(e.data)) fail('verdict in a data register');
        this.regs.set(dreg ?? fail('no dreg'), { src: 'const', e, data: e.data as Buffer, start: i });
        return 0;
      }
      case 'cmp': return this.cmp(exprs, i);
      case 'range': {
        const l = this.take(num('sreg') ?? fail('no sreg'));
        const d = this.describe(l);
        const op = num('op') === 0 ? '==' : '!=';
        const lo = this.value(d, e.from as Buffer);
        const hi = this.value(d, e.to as Buffer);
        this.match(d, op, { range: [lo, hi] }, i);
        return 0;
      }
      case 'lookup': return this.lookup(e, i);
      case 'counter': {
        let packets: unknown = e.packets ?? 0;
        let bytes: unknown = e.bytes ?? 0;
        const rec = this.ctx.record;
        if (rec) {
          if (e.packets !== undefined) packets = rec.mark(i, LEAF_COUNTER_PACKETS, packets, counterValue);
          if (e.bytes !== undefined) bytes = rec.mark(i, LEAF_COUNTER_BYTES, bytes, counterValue);
        }
        this.emit({ counter: { packets, bytes } }, i);
        return 0;
      }
      case 'objref': {
        const type = num('immType');
        const name = Object.entries(OBJREF_TYPES).find(([, v]) => v === type)?.[0];
        if (!name || typeof e.immName !== 'string' || !['counter', 'quota', 'limit'].includes(name)) fail('objref');
        this.emit({ [name!]: e.immName }, i);
        return 0;
      }
      case 'limit': this.emit({ limit: limitJson(e) }, i); return 0;
      case 'quota': this.emit({ quota: quotaJson(e) }, i); return 0;
      case 'log': this.emit({ log: logJson(e) }, i); return 0;
      case 'reject': this.reject(e, i); return 0;
      case 'nat': this.nat(e, i); return 0;
      case 'masq': case 'redir': this.masqRedir(e, i); return 0;
      case 'notrack': this.emit({ notrack: null }, i); return 0;
      case 'flow_offload':
        this.emit({ flow: { op: 'add', flowtable: `@${e.table}` } }, i);
        return 0;
      default:
        return fail(`expression ${e.name}`);
    }
  }

  // ------------------------------------------------------------ describing loads

  /** The protocol a payload load at `base` reads, given what the rule matched before. */
  private protocolAt(base: number, offset: number): string | undefined {
    if (base === PAYLOAD_BASE.ll) return offset >= 14 && this.ll === 'vlan' ? 'vlan' : this.ctx.family === 'arp' ? undefined : 'ether';
    if (base === PAYLOAD_BASE.network) return this.l3;
    if (base === PAYLOAD_BASE.transport) return this.l4 !== undefined ? transportByNumber(this.l4)?.name ?? 'th' : 'th';
    return undefined;
  }

  describe(l: Load): Described {
    const e = l.e;
    switch (l.src) {
      case 'payload': return this.describePayload(l);
      case 'meta': {
        const m = META_BY_NUMBER.get(e.key as number) ?? fail(`meta key ${e.key}`);
        return { json: { meta: { key: m.name } }, dtype: typeByName(m.type)!, order: metaOrder(m), shift: 0, len: m.len, maskConsumed: false };
      }
      case 'ct': {
        const c = CT_BY_NUMBER.get(e.key as number) ?? fail(`ct key ${e.key}`);
        const ct: Record<string, unknown> = { key: c.name };
        if (e.direction !== undefined) ct.dir = e.direction === 0 ? 'original' : 'reply';
        let dtype = typeByName(c.type)!;
        let len = c.len;
        if ((c.name === 'saddr' || c.name === 'daddr') && this.ctx.family === 'ip6') {
          dtype = typeByName('ipv6_addr')!;
          len = 16;
        }
        return { json: { ct }, dtype, order: c.order, shift: 0, len, maskConsumed: false, ms: c.name === 'expiration' };
      }
      case 'fib': {
        const flags = (e.flags as number) ?? 0;
        const result = Object.entries(FIB_RESULTS).find(([, r]) => r[0] === e.result) ?? fail('fib result');
        const names = Object.entries(FIB_FLAGS).filter(([, v]) => flags & v).map(([n]) => n);
        const present = (flags & NFTA_FIB_F_PRESENT) !== 0;
        const [, type, len] = result[1];
        return {
          json: { fib: { result: result[0], flags: names } },
          dtype: present ? typeByName('boolean')! : typeByName(type)!, order: 'host', shift: 0, len: present ? 4 : len, maskConsumed: false,
        };
      }
      case 'exthdr': {
        if (Number(e.flags ?? 0) & NFT_EXTHDR_F_PRESENT) {
          const name = Object.entries(TCP_OPTIONS).find(([, o]) => o.kind === e.type)?.[0] ?? fail('tcp option kind');
          return { json: { 'tcp option': { name } }, dtype: typeByName('boolean')!, order: 'host', shift: 0, len: 1, maskConsumed: false };
        }
        const opt = tcpOptionAt(e) ?? fail('unknown tcp option field');
        return { json: { 'tcp option': opt }, dtype: typeByName('integer')!, order: 'big', shift: 0, len: e.len as number, maskConsumed: false };
      }
      case 'numgen': {
        const ng: Record<string, unknown> = { mode: e.type === 1 ? 'random' : 'inc', mod: e.modulus, offset: e.offset ?? 0 };
        return { json: { numgen: ng }, dtype: typeByName('integer')!, order: 'host', shift: 0, len: 4, maskConsumed: false };
      }
      case 'hash': {
        const h: Record<string, unknown> = { mod: e.modulus };
        if (l.inner) {
          if (e.seed !== undefined) h.seed = e.seed;
          if (e.offset) h.offset = e.offset;
          h.expr = l.inner.json;
          return { json: { jhash: h }, dtype: typeByName('integer')!, order: 'host', shift: 0, len: 4, maskConsumed: false };
        }
        if (e.offset) h.offset = e.offset;
        return { json: { symhash: h }, dtype: typeByName('integer')!, order: 'host', shift: 0, len: 4, maskConsumed: false };
      }
      default:
        return fail(`${l.src} as an operand`);
    }
  }

  private describePayload(l: Load): Described {
    const e = l.e;
    const base = e.base as number;
    const off = e.offset as number;
    const len = e.len as number;
    const protocol = this.protocolAt(base, off);
    const raw = (): Described => ({
      json: { payload: { base: ['ll', 'nh', 'th', 'ih'][base] ?? fail('payload base'), offset: off * 8, len: len * 8 } },
      dtype: typeByName('integer')!, order: 'big', shift: 0, len, maskConsumed: false,
    });
    if (!protocol) return raw();
    const p = PROTOCOLS[protocol]!;
    const bitOff = off * 8;
    // Sub-byte field: the load covers the field's bytes and the mask its bits.
    if (l.mask && allZero(l.xor)) {
      for (const [field, [fo, fl, type]] of fieldEntries(p.name)) {
        if (fo % 8 === 0 && fl % 8 === 0) continue;
        const start = Math.floor(fo / 8);
        const end = Math.ceil((fo + fl) / 8);
        if (start !== off || end - start !== len) continue;
        const shift = end * 8 - (fo + fl);
        const m = ((1n << BigInt(fl)) - 1n) << BigInt(shift);
        if (readInt(l.mask, 'big') !== m) continue;
        return { json: { payload: { protocol, field } }, dtype: typeByName(type)!, order: 'big', shift, len, maskConsumed: true, protocol };
      }
    }
    for (const [field, [fo, fl, type]] of fieldEntries(p.name)) {
      if (fo === bitOff && fl === len * 8) {
        return { json: { payload: { protocol, field } }, dtype: typeByName(type)!, order: 'big', shift: 0, len, maskConsumed: false, protocol };
      }
    }
    // A load of the first bytes of an address field: a byte-aligned prefix.
    for (const [field, [fo, fl, type]] of fieldEntries(p.name)) {
      const t = typeByName(type)!;
      if (fo === bitOff && fl > len * 8 && fl % 8 === 0 && (t.base === 'ipv4' || t.base === 'ipv6' || t.base === 'ether')) {
        return { json: { payload: { protocol, field } }, dtype: t, order: 'big', shift: 0, len, maskConsumed: false, fieldLen: fl / 8, protocol };
      }
    }
    return raw();
  }

  /** Bytes of a value compared with / written to `d` → JSON. */
  value(d: ValueType, bytes: Buffer): unknown {
    const t = d.dtype;
    if (d.shift) return intJson(t, readInt(bytes, 'big') >> BigInt(d.shift));
    const order = d.order;
    if (t.base === 'ipv4' || t.base === 'ipv6' || t.base === 'ether' || t.base === 'string') {
      if (t.base === 'ipv4' && bytes.length !== 4) fail('address length');
      if (t.base === 'ipv6' && bytes.length !== 16) fail('address length');
      return decodePlain(t, bytes);
    }
    const v = bytes.length <= 6 ? readUint(bytes, order) : readInt(bytes, order);
    if (t.name === 'time' && d.ms) return Math.floor(Number(v) / 1000);
    if (t.name === 'iface_index') return this.ctx.ifname?.(Number(v)) ?? Number(v);
    return intJson(t, v);
  }

  /**
   * `value(d, bytes)` of expression `expr`'s cmp data, as a recorded leaf when recording: the
   * same function of the bytes, specialised for the common types.
   */
  private leafValue(d: ValueType, bytes: Buffer, expr: number): unknown {
    const v = this.value(d, bytes);
    const rec = this.ctx.record;
    if (!rec) return v;
    const t = d.dtype;
    let format: LeafFormat;
    if (!d.shift && t.base === 'ipv4') format = ipv4Text;
    else if (
      !d.shift && t.base === 'integer' && bytes.length <= 6 && t.name !== 'classid' && t.name !== 'time' && t.name !== 'iface_index'
      && (!t.symbols || t.name === 'inet_service' || t.name === 'mark')
    ) format = d.order === 'big' ? uintBig : uintHost;
    else format = (buf, off, len) => this.value(d, buf.subarray(off, off + len));
    return rec.mark(expr, LEAF_CMP_DATA, v, format);
  }

  // ------------------------------------------------------------ dependencies

  /** Drops earlier dependency matches that a field of `protocol` implies. */
  private consumeDeps(protocol: string | undefined): void {
    if (!protocol) return;
    const ids = depIds(protocol, this.ctx.family);
    for (const id of ids) {
      const idx = this.pendingDeps.get(id);
      if (idx !== undefined) {
        this.stmts[idx]!.dropped = true;
        this.pendingDeps.delete(id);
      }
    }
  }

  /** True when an equality on `d` may be a dependency or tells about the headers (see noteDep). */
  private isDepField(d: Described): boolean {
    const j = d.json as Record<string, any>;
    if (j.meta) {
      const key = j.meta.key as string;
      return key === 'l4proto' || key === 'nfproto' || key === 'protocol' || key === 'iiftype';
    }
    const p = j.payload;
    if (!p) return false;
    return (p.protocol === 'ether' && p.field === 'type') || (p.protocol === 'ip' && p.field === 'protocol')
      || (p.protocol === 'ip6' && p.field === 'nexthdr') || (p.protocol === 'vlan' && p.field === 'type');
  }

  /** Records an equality that may be a dependency, and what it tells about the headers. */
  private noteDep(d: Described, data: Buffer, stmtIndex: number): void {
    if (!this.isDepField(d)) return;
    const j = d.json as Record<string, any>;
    let id: string | undefined;
    const v = Number(readInt(data, d.order));
    if (j.meta) {
      const key = j.meta.key as string;
      if (key === 'l4proto') {
        this.l4 = v;
        id = `meta:l4proto=${v}`;
      } else if (key === 'nfproto') {
        this.l3 = v === 2 ? 'ip' : v === 10 ? 'ip6' : this.l3;
        id = `meta:nfproto=${v}`;
      } else if (key === 'protocol') {
        this.l3 = v === 0x0800 ? 'ip' : v === 0x86dd ? 'ip6' : v === 0x0806 ? 'arp' : this.l3;
        id = `meta:protocol=${v}`;
      } else if (key === 'iiftype') id = `meta:iiftype=${v}`;
    } else if (j.payload && j.payload.protocol === 'ether' && j.payload.field === 'type') {
      if (v === 0x8100) this.ll = 'vlan';
      else if (v === 0x0800) this.l3 = 'ip';
      else if (v === 0x86dd) this.l3 = 'ip6';
      else if (v === 0x0806) this.l3 = 'arp';
      id = `ether:type=${v}`;
    } else if (j.payload && ((j.payload.protocol === 'ip' && j.payload.field === 'protocol') || (j.payload.protocol === 'ip6' && j.payload.field === 'nexthdr'))) {
      // An explicit `ip protocol tcp` establishes the transport header like `meta l4proto tcp`.
      this.l4 = v;
      id = `meta:l4proto=${v}`;
    } else if (j.payload && j.payload.protocol === 'vlan' && j.payload.field === 'type') {
      if (v === 0x0800) this.l3 = 'ip';
      else if (v === 0x86dd) this.l3 = 'ip6';
      else if (v === 0x0806) this.l3 = 'arp';
    }
    if (id) this.pendingDeps.set(id, stmtIndex);
  }

  // ------------------------------------------------------------ matches

  private match(d: Described, op: string, right: unknown, i: number): number {
    this.consumeDeps(d.protocol);
    return this.emit({ match: { op, left: d.json, right } }, i);
  }

  /** The left side as JSON with an unconsumed mask/xor written as a binary operation. */
  private withBinop(l: Load, d: Described): unknown {
    if (!l.mask || d.maskConsumed) return d.json;
    const xor = l.xor ?? Buffer.alloc(l.mask.length);
    const vt: ValueType = { dtype: d.dtype.base === 'bitmask' || d.dtype.base === 'integer' ? d.dtype : typeByName('integer')!, order: d.order, shift: 0 };
    const asValue = (b: Buffer): unknown => (d.dtype.base === 'ipv4' || d.dtype.base === 'ipv6' ? this.value(d, b) : this.value(vt, b));
    if (allZero(xor)) return { '&': [d.json, asValue(l.mask)] };
    if (allOnes(l.mask)) return { '^': [d.json, asValue(xor)] };
    if (l.mask.every((x, k) => (x ^ 0xff) === xor[k])) return { '|': [d.json, asValue(xor)] };
    return fail('bitwise with mask and xor');
  }

  private cmp(exprs: readonly Expr[], i: number): number {
    const e = exprs[i]!;
    const sreg = e.sreg as number;
    const l = this.take(sreg);
    if (l.src === 'const' || l.src === 'map') fail('cmp on a constant');
    const d = this.describe(l);
    const data = e.data as Buffer;
    if (!Buffer.isBuffer(data)) fail('cmp without data');
    const opNum = e.op as number;
    const op = CMP_NAMES[opNum] ?? fail(`cmp op ${opNum}`);
    const vt: ValueType = l.hton ? { ...d, order: 'big' } : d;
    // nft merges equalities on adjacent header fields into one load; print them one by one.
    if (l.src === 'payload' && !l.mask && opNum === 0 && !d.protocol) {
      const parts = this.splitPayload(l.e, data);
      if (parts) {
        for (const part of parts) {
          this.consumeDeps(part.d.protocol);
          const idx = this.emit({ match: { op: '==', left: part.d.json, right: this.value(part.d, part.bytes) } }, i);
          this.noteDep(part.d, part.bytes, idx);
        }
        return 0;
      }
    }
    // Range written as two comparisons.
    const next = exprs[i + 1];
    if (opNum === 5 && next && next.name === 'cmp' && next.sreg === sreg && next.op === 3 && Buffer.isBuffer(next.data) && !(l.mask && !d.maskConsumed)) {
      this.match(d, '==', { range: [this.leafValue(vt, data, i), this.leafValue(vt, next.data as Buffer, i + 1)] }, i);
      return 1;
    }
    if (l.mask && !d.maskConsumed && allZero(l.xor)) {
      const ones = prefixOnes(l.mask);
      const t = d.dtype;
      if ((op === '==' || op === '!=') && ones > 0 && (t.base === 'ipv4' || t.base === 'ipv6' || t.base === 'ether') && !d.fieldLen) {
        this.match(d, op, { prefix: { addr: this.leafValue(d, data, i), len: ones } }, i);
        return 0;
      }
      if (op === '!=' && allZero(data) && (t.base === 'bitmask')) {
        const bits = readInt(l.mask, d.order);
        // ct labels are named by bit number.
        const right = t.name === 'ct_label' && (bits & (bits - 1n)) === 0n ? bits.toString(2).length - 1 : bitmaskJson(t, bits);
        this.match(d, 'in', right, i);
        return 0;
      }
    }
    if (d.fieldLen && !l.mask) {
      const full = Buffer.alloc(d.fieldLen);
      data.copy(full);
      this.match(d, op, { prefix: { addr: decodePlain(d.dtype, full), len: data.length * 8 } }, i);
      return 0;
    }
    if (d.dtype.base === 'string' && data.length < d.len && data[data.length - 1] !== 0) {
      this.match(d, op, `${data.toString('utf8')}*`, i);
      return 0;
    }
    const left = this.withBinop(l, d);
    const dep = op === '==' && !(l.mask && !d.maskConsumed) && this.isDepField(d);
    // Never a leaf: a dependency's value (it decides what later fields mean), nor a value other
    // bytes of which would have taken a branch above (a zero flag test, a name wildcard).
    const branches = (d.dtype.base === 'string' && data.length < d.len)
      || (op === '!=' && !!l.mask && !d.maskConsumed && allZero(l.xor) && d.dtype.base === 'bitmask');
    const right = dep || branches ? this.value(vt, data) : this.leafValue(vt, data, i);
    this.consumeDeps(d.protocol);
    const idx = this.emit({ match: { op, left, right } }, i);
    if (dep) this.noteDep(d, data, idx);
    return 0;
  }

  /** A load spanning several whole header fields → each field and its bytes, in nft's field order. */
  private splitPayload(e: Expr, data: Buffer): { d: Described; bytes: Buffer }[] | undefined {
    const base = e.base as number;
    const off = e.offset as number;
    const protocol = this.protocolAt(base, off);
    const p = protocol ? PROTOCOLS[protocol] : undefined;
    if (!p || data.length !== e.len) return undefined;
    const out: { d: Described; bytes: Buffer }[] = [];
    let cur = off * 8;
    const end = (off + (e.len as number)) * 8;
    while (cur < end) {
      const hit = fieldEntries(p.name).find(([, [fo, fl]]) => fo === cur && fl % 8 === 0 && fo + fl <= end);
      if (!hit) return undefined;
      const [field, [fo, fl, type]] = hit;
      const from = fo / 8 - off;
      out.push({
        d: { json: { payload: { protocol, field } }, dtype: typeByName(type)!, order: 'big', shift: 0, len: fl / 8, maskConsumed: false, protocol },
        bytes: data.subarray(from, from + fl / 8),
      });
      cur += fl;
    }
    return out.length > 1 ? out : undefined;
  }

  // ------------------------------------------------------------ sets

  /** Collects the concatenation members loaded from `sreg` on (reg 1 = 32-bit registers 8–11). */
  private keyOf(sreg: number): { parts: { l: Load; d: Described }[]; json: unknown } {
    const first = this.take(sreg);
    if (first.src === 'const' || first.src === 'map') fail('lookup of a constant');
    const parts = [{ l: first, d: this.describe(first) }];
    let slot = slotOfRegister(sreg) + Math.ceil(parts[0]!.d.len / 4);
    while (this.regs.has(registerOfSlot(slot))) {
      const l = this.take(registerOfSlot(slot));
      const d = this.describe(l);
      parts.push({ l, d });
      slot += Math.ceil(d.len / 4);
    }
    if (parts.length === 1) return { parts, json: this.withBinop(first, parts[0]!.d) };
    for (const p of parts) if (p.l.mask && !p.d.maskConsumed) fail('masked concatenation member');
    return { parts, json: { concat: parts.map((p) => p.d.json) } };
  }

  /** Element key bytes → JSON for the key's members. */
  private keyValue(parts: { l: Load; d: Described }[], key: Buffer, hton: boolean): unknown {
    if (parts.length === 1) {
      const d = parts[0]!.d;
      const l = parts[0]!.l;
      const vt: ValueType = hton ? { ...d, order: 'big' } : d;
      if (l.mask && !d.maskConsumed) return this.value({ ...vt, dtype: d.dtype.base === 'bitmask' ? d.dtype : vt.dtype }, key);
      return this.value(vt, key);
    }
    const out: unknown[] = [];
    let off = 0;
    for (const { d } of parts) {
      out.push(this.value(d, key.subarray(off, off + d.len)));
      off += Math.ceil(d.len / 4) * 4;
    }
    return { concat: out };
  }

  private keyRange(parts: { l: Load; d: Described }[], from: Buffer, to: Buffer, hton: boolean): unknown {
    if (parts.length === 1) {
      if (from.equals(to)) return this.keyValue(parts, from, hton);
      const d = parts[0]!.d;
      if (d.dtype.base === 'ipv4' || d.dtype.base === 'ipv6') {
        const len = prefixLength(from, to);
        if (len >= 0) return { prefix: { addr: this.keyValue(parts, from, hton), len } };
      }
      return { range: [this.keyValue(parts, from, hton), this.keyValue(parts, to, hton)] };
    }
    const out: unknown[] = [];
    let off = 0;
    for (const p of parts) {
      const n = Math.ceil(p.d.len / 4) * 4;
      out.push(this.keyRange([p], from.subarray(off, off + p.d.len), to.subarray(off, off + p.d.len), false));
      off += n;
    }
    return { concat: out };
  }

  /** The elements of an anonymous set in nft's order: [keyJson, data?][] sorted by key. */
  private elements(name: string, parts: { l: Load; d: Described }[], hton: boolean): { key: unknown; data?: Buffer | Verdict }[] {
    const set = this.ctx.set?.(name) ?? fail(`contents of set ${name} unknown`);
    const order: ByteOrder = parts.length === 1 && !hton ? parts[0]!.d.order : 'big';
    const els = set.elements;
    type Item = { from: Buffer; to: Buffer; data?: Buffer | Verdict };
    let items: Item[];
    if (set.flags & 0x4 /* interval */ && !els.some((e) => e.keyEnd)) {
      const sorted = [...els].sort((a, b) => Buffer.compare(a.key, b.key) || (a.flags & 1) - (b.flags & 1));
      items = [];
      for (let k = 0; k < sorted.length; k++) {
        const el = sorted[k]!;
        if (el.flags & NFT_SET_ELEM_INTERVAL_END) continue;
        const next = sorted[k + 1];
        const to = next ? decrement(next.key) : Buffer.alloc(el.key.length, 0xff);
        items.push({ from: el.key, to, ...(el.data !== undefined ? { data: el.data } : {}) });
      }
    } else {
      items = els.filter((el) => !(el.flags & NFT_SET_ELEM_INTERVAL_END)).map((el) => ({ from: el.key, to: el.keyEnd ?? el.key, ...(el.data !== undefined ? { data: el.data } : {}) }));
    }
    // nft sorts elements by value, except for concatenated ranges, which it lists as the kernel does.
    if (!els.some((e) => e.keyEnd)) items.sort((a, b) => Buffer.compare(numericKey(a.from, order), numericKey(b.from, order)));
    return items.map((it) => ({ key: this.keyRange(parts, it.from, it.to, hton), ...(it.data !== undefined ? { data: it.data } : {}) }));
  }

  private lookup(e: Expr, i: number): number {
    const name = e.set as string;
    if (typeof name !== 'string') fail('lookup without set name');
    const sreg = e.sreg as number;
    const hton = this.regs.get(sreg)?.hton ?? false;
    const { parts, json } = this.keyOf(sreg);
    for (const p of parts) this.consumeDeps(p.d.protocol);
    const dreg = e.dreg as number | undefined;
    const anon = isAnonymous(name);
    if (dreg === 0) {
      const data = anon
        ? { set: this.elements(name, parts, hton).map((el) => [el.key, verdictJson((el.data as Verdict) ?? fail('verdict map element without verdict'))]) }
        : `@${name}`;
      this.emit({ vmap: { key: json, data } }, i);
      return 0;
    }
    if (dreg !== undefined) {
      const elems = anon ? this.elements(name, parts, hton) : undefined;
      this.regs.set(dreg, {
        src: 'map', e, start: i,
        map: (t: ValueType) => ({
          map: {
            key: json,
            data: elems ? { set: elems.map((el) => [el.key, Buffer.isBuffer(el.data) ? this.value(t, el.data) : fail('map element without data')]) } : `@${name}`,
          },
        }),
      });
      return 0;
    }
    const op = (e.flags as number) & NFT_LOOKUP_F_INV ? '!=' : '==';
    if (!anon) {
      this.emit({ match: { op, left: json, right: `@${name}` } }, i);
      return 0;
    }
    // nft compiles a one-element set to a plain comparison; one listed here stays a set.
    const elems = this.elements(name, parts, hton);
    const right = { set: elems.map((el) => el.key) };
    this.emit({ match: { op, left: json, right } }, i);
    return 0;
  }

  // ------------------------------------------------------------ statements

  /** The JSON of a value read from `reg`, typed as `t`. */
  private regValue(reg: number, t: ValueType): unknown {
    const l = this.take(reg);
    if (l.src === 'const') return this.value(t, l.data!);
    if (l.src === 'map') return l.map!(t);
    const d = this.describe(l);
    this.consumeDeps(d.protocol);
    return this.withBinop(l, d);
  }

  private dynset(e: Expr, i: number): void {
    const op = ['add', 'update', 'delete'][e.op as number] ?? fail('dynset op');
    if (typeof e.set !== 'string') fail('dynset without set name');
    if (e.flags && e.flags !== 0) fail('dynset flags');
    const { parts, json } = this.keyOf(e.sregKey as number);
    for (const p of parts) this.consumeDeps(p.d.protocol);
    const timeout = Number(e.timeout ?? 0);
    const elem = timeout ? { elem: { val: json, timeout: Math.floor(timeout / 1000) } } : json;
    const stmts = [...(e.expr ? [e.expr as Expr] : []), ...((e.exprs as Expr[] | undefined) ?? [])].map((x) => {
      if (x.name === 'counter') return { counter: null };
      if (x.name === 'limit') return { limit: limitJson(x) };
      if (x.name === 'quota') return { quota: quotaJson(x) };
      return fail(`element statement ${x.name}`);
    });
    if (e.sregData !== undefined) {
      const data = this.take(e.sregData as number);
      if (data.src === 'const' || data.src === 'map') fail('dynset data');
      const d = this.describe(data);
      this.consumeDeps(d.protocol);
      this.emit({ map: { op, elem, data: this.withBinop(data, d), map: `@${e.set}`, ...(stmts.length ? { stmt: stmts } : {}) } }, i);
      return;
    }
    this.emit({ set: { op, elem, set: `@${e.set}`, ...(stmts.length ? { stmt: stmts } : {}) } }, i);
  }

  private metaCtSet(e: Expr, i: number): number {
    const sreg = e.sreg as number;
    if (e.name === 'meta') {
      const m = META_BY_NUMBER.get(e.key as number) ?? fail('meta key');
      const value = this.regValue(sreg, { dtype: typeByName(m.type)!, order: metaOrder(m), shift: 0 });
      this.emit({ mangle: { key: { meta: { key: m.name } }, value } }, i);
      return 0;
    }
    const c = CT_BY_NUMBER.get(e.key as number) ?? fail('ct key');
    const ct: Record<string, unknown> = { key: c.name };
    if (e.direction !== undefined) ct.dir = e.direction === 0 ? 'original' : 'reply';
    const value = this.regValue(sreg, { dtype: typeByName(c.type)!, order: c.order, shift: 0 });
    this.emit({ mangle: { key: { ct }, value } }, i);
    return 0;
  }

  private payloadWrite(e: Expr, i: number): void {
    const base = e.base as number;
    const off = e.offset as number;
    const len = e.len as number;
    const sreg = e.sreg as number;
    const protocol = this.protocolAt(base, off) ?? fail('payload write to an unknown header');
    const p = PROTOCOLS[protocol]!;
    const src = this.regs.get(sreg) ?? fail('payload write of an unset register');
    // Merged write of a narrow field: load window, mask out the field, xor the value in.
    if (src.src === 'payload' && src.mask && src.e.base === base && src.e.offset === off && src.e.len === len) {
      this.regs.delete(sreg);
      const keep = readInt(src.mask, 'big');
      const all = (1n << BigInt(len * 8)) - 1n;
      const fieldBits = all & ~keep;
      for (const [field, [fo, fl, type]] of fieldEntries(p.name)) {
        const shift = (off + len) * 8 - (fo + fl);
        if (shift < 0 || fo < off * 8) continue;
        if ((((1n << BigInt(fl)) - 1n) << BigInt(shift)) !== fieldBits) continue;
        const v = (readInt(src.xor ?? Buffer.alloc(len), 'big') & fieldBits) >> BigInt(shift);
        this.consumeDeps(protocol);
        this.emit({ mangle: { key: { payload: { protocol, field } }, value: intJson(typeByName(type)!, v) } }, i);
        return;
      }
      fail('masked payload write');
    }
    for (const [field, [fo, fl, type]] of fieldEntries(p.name)) {
      if (fo === off * 8 && fl === len * 8) {
        const value = this.regValue(sreg, { dtype: typeByName(type)!, order: 'big', shift: 0 });
        this.consumeDeps(protocol);
        this.emit({ mangle: { key: { payload: { protocol, field } }, value } }, i);
        return;
      }
    }
    fail('payload write of an unknown field');
  }

  private reject(e: Expr, i: number): void {
    const type = e.type as number;
    const code = (e.icmpCode as number) ?? 0;
    if (type === 1) {
      // In ip/ip6 tables nft adds (and hides) `meta l4proto tcp` for a reset; inet keeps it shown.
      if (this.ctx.family === 'ip' || this.ctx.family === 'ip6') this.consumeDeps('tcp');
      this.emit({ reject: { type: 'tcp reset' } }, i);
      return;
    }
    if (type === 2) {
      this.emit({ reject: { type: 'icmpx', expr: intJson(typeByName('icmpx_code')!, BigInt(code)) } }, i);
      return;
    }
    if (type !== 0) fail('reject type');
    const v6 = this.ctx.family === 'ip6' || this.l3 === 'ip6';
    this.consumeDeps(v6 ? 'ip6' : 'ip');
    const t = typeByName(v6 ? 'icmpv6_code' : 'icmp_code')!;
    this.emit({ reject: { type: v6 ? 'icmpv6' : 'icmp', expr: intJson(t, BigInt(code)) } }, i);
  }

  private natValue(min: number | undefined, max: number | undefined, t: ValueType): unknown {
    if (min === undefined) return undefined;
    if (max === undefined || max === min) return this.regValue(min, t);
    const lo = this.regs.get(min);
    const hi = this.regs.get(max);
    if (lo?.src === 'const' && hi?.src === 'const') {
      this.regs.delete(min);
      this.regs.delete(max);
      if (t.dtype.base === 'ipv4' || t.dtype.base === 'ipv6') {
        const len = prefixLength(lo.data!, hi.data!);
        if (len >= 0 && len < lo.data!.length * 8) return { prefix: { addr: this.value(t, lo.data!), len } };
      }
      return { range: [this.value(t, lo.data!), this.value(t, hi.data!)] };
    }
    return fail('NAT range from non-constant registers');
  }

  private natFlagsJson(flags: number): unknown {
    const names = Object.entries(NAT_FLAGS).filter(([, v]) => flags & v).map(([n]) => n);
    if (flags & ~(0x1 | 0x2 | 0x4 | 0x8 | 0x10)) fail('NAT flags');
    if (names.length === 0) return undefined;
    return names.length === 1 ? names[0] : names;
  }

  private nat(e: Expr, i: number): void {
    const family = e.family as number;
    const addrType: ValueType = { dtype: typeByName(family === 10 ? 'ipv6_addr' : 'ipv4_addr')!, order: 'big', shift: 0 };
    const portType: ValueType = { dtype: typeByName('inet_service')!, order: 'big', shift: 0 };
    const out: Record<string, unknown> = {};
    const addr = this.natValue(e.regAddrMin as number | undefined, e.regAddrMax as number | undefined, addrType);
    const port = this.natValue(e.regProtoMin as number | undefined, e.regProtoMax as number | undefined, portType);
    if (this.ctx.family === 'inet') out.family = family === 10 ? 'ip6' : 'ip';
    if (addr !== undefined) out.addr = addr;
    if (port !== undefined) out.port = port;
    const flags = this.natFlagsJson((e.flags as number) ?? 0);
    if (flags !== undefined) out.flags = flags;
    this.emit({ [e.type === 0 ? 'snat' : 'dnat']: out }, i);
  }

  private masqRedir(e: Expr, i: number): void {
    const portType: ValueType = { dtype: typeByName('inet_service')!, order: 'big', shift: 0 };
    const out: Record<string, unknown> = {};
    const port = this.natValue(e.regProtoMin as number | undefined, e.regProtoMax as number | undefined, portType);
    if (port !== undefined) out.port = port;
    const flags = this.natFlagsJson((e.flags as number) ?? 0);
    if (flags !== undefined) out.flags = flags;
    this.emit({ [e.name === 'masq' ? 'masquerade' : 'redirect']: Object.keys(out).length ? out : null }, i);
  }
}

/** The `{name, field}` of a tcp option load/write. */
function tcpOptionAt(e: Expr): { name: string; field: string } | undefined {
  for (const [name, o] of Object.entries(TCP_OPTIONS)) {
    if (o.kind !== e.type) continue;
    for (const [field, [off, len]] of Object.entries(o.fields)) {
      if (off / 8 === e.offset && len / 8 === e.len) return { name, field };
    }
  }
  return undefined;
}

function decodePlain(t: DataType, bytes: Buffer): unknown {
  switch (t.base) {
    case 'ipv4': case 'ipv6': {
      const b = bytes;
      if (t.base === 'ipv4') return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
      const words: string[] = [];
      for (let k = 0; k < 16; k += 2) words.push(b.readUInt16BE(k).toString(16));
      return compressV6(words);
    }
    case 'ether': return [...bytes].map((x) => x.toString(16).padStart(2, '0')).join(':');
    case 'string': {
      let end = 0;
      while (end < bytes.length && bytes[end] !== 0) end++;
      return bytes.toString('utf8', 0, end);
    }
    default: return intJson(t, readInt(bytes, t.byteorder));
  }
}

function compressV6(words: string[]): string {
  // RFC 5952: the longest run (≥ 2) of zero words becomes '::'.
  let best = -1;
  let bestLen = 0;
  for (let k = 0; k < 8;) {
    if (words[k] !== '0') { k++; continue; }
    let j = k;
    while (j < 8 && words[j] === '0') j++;
    if (j - k > bestLen && j - k >= 2) { best = k; bestLen = j - k; }
    k = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

/** Dependency ids a field of `protocol` implies in `family` (mirrors compile.ts' depsFor). */
function depIds(protocol: string, family: NftFamily): string[] {
  const l2 = family === 'bridge' || family === 'netdev';
  switch (protocol) {
    case 'th': return [];
    case 'ether': return family === 'bridge' ? [] : ['meta:iiftype=1'];
    case 'vlan': return [...(family === 'bridge' ? [] : ['meta:iiftype=1']), 'ether:type=33024'];
    case 'arp': return l2 ? ['ether:type=2054'] : [];
    case 'ip': return family === 'inet' ? ['meta:nfproto=2'] : l2 ? ['meta:protocol=2048'] : [];
    case 'ip6': return family === 'inet' ? ['meta:nfproto=10'] : l2 ? ['meta:protocol=34525'] : [];
    default: {
      const p = PROTOCOLS[protocol];
      if (!p || p.l4 === undefined) return [];
      const l3 = !p.l3 ? [] : l2 ? [`ether:type=${p.l3 === 'ip' ? 0x0800 : 0x86dd}`] : depIds(p.l3, family);
      return [...l3, `meta:l4proto=${p.l4}`];
    }
  }
}

// ---------------------------------------------------------------- stateful statements

function bestUnit(n: number): [number, string] {
  for (const [name, mult] of Object.entries(BYTE_UNITS).reverse()) {
    if (name === 'gbytes') continue;
    if (n >= mult && n % mult === 0) return [n / mult, name];
  }
  return [n, 'bytes'];
}

function limitJson(e: Expr): Record<string, unknown> {
  const unit = Number(e.unit ?? 1);
  const per = Object.entries(LIMIT_PERIODS).find(([, s]) => s === unit)?.[0] ?? fail('limit period');
  const out: Record<string, unknown> = {};
  const rate = Number(e.rate ?? 0);
  const burst = Number(e.burst ?? 0);
  if (e.type === 1) {
    const [r, ru] = bestUnit(rate);
    out.rate = r;
    const [b, bu] = bestUnit(burst);
    out.burst = b;
    out.per = per;
    out.rate_unit = ru;
    out.burst_unit = bu;
  } else {
    out.rate = rate;
    out.burst = burst;
    out.per = per;
  }
  if (Number(e.flags ?? 0) & 1) out.inv = true;
  return out;
}

function quotaJson(e: Expr): Record<string, unknown> {
  const [v, vu] = bestUnit(Number(e.bytes ?? 0));
  const out: Record<string, unknown> = { val: v, val_unit: vu };
  const consumed = Number(e.consumed ?? 0);
  if (consumed) {
    const [u, uu] = bestUnit(consumed);
    out.used = u;
    out.used_unit = uu;
  }
  if (Number(e.flags ?? 0) & 1) out.inv = true;
  return out;
}

function logJson(e: Expr): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  if (e.prefix !== undefined) out.prefix = e.prefix;
  if (e.group !== undefined) out.group = e.group;
  if (e.snaplen) out.snaplen = e.snaplen;
  if (e.qthreshold) out['queue-threshold'] = e.qthreshold;
  if (e.level !== undefined && e.level !== 4 && e.group === undefined) out.level = LOG_LEVELS[e.level as number] ?? fail('log level');
  const flags = Number(e.flags ?? 0);
  if (flags) {
    if ((flags & LOG_FLAGS.all!) === LOG_FLAGS.all) out.flags = 'all';
    else {
      const names = Object.entries(LOG_FLAGS).filter(([n, v]) => n !== 'all' && flags & v).map(([n]) => n);
      out.flags = names.length === 1 ? names[0] : names;
    }
  }
  return Object.keys(out).length ? out : null;
}
