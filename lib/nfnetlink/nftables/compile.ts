/**
 * Linearize: libnftables JSON rule statements (`"expr": [...]` of a rule, as `nft -j` prints
 * and `nft -j -f` reads) → register-level expressions, the way nft's evaluate + linearize
 * stages do it: a `match` loads its left side into a register (with the protocol dependencies
 * nft implies: `tcp dport` first checks `meta l4proto tcp`), masks sub-byte fields, and
 * compares with `cmp` / `range` / `lookup`; prefixes load only the bytes they cover (or mask
 * when the length is not a multiple of 8); anonymous sets and maps become set specs created in
 * the same transaction and looked up by set id.
 *
 * ## Interface for the rule/set codec (stable)
 *
 * ```ts
 * const { exprs, anonSets } = compileRule(ruleJson.expr, ctx, 'nftables[3].add.rule.expr');
 * // For each anonSet: NEWSET (name '__set%d' / '__map%d', NFTA_SET_ID = id, flags, key type/len,
 * // data type/len, NFTA_SET_DESC size, concat field lengths when `concat` is set, and
 * // NFTA_SET_USERDATA = `userdata`), then NEWSETELEM with its elements (key, keyEnd, flags,
 * // data) — BEFORE the NEWRULE.
 * // The rule: NFTA_RULE_EXPRESSIONS nest with encodeExprs(w, exprs, path) inside.
 * // Listing: decodeExprs(buf, off, end) → Expr[]; decompileRule(exprs, dctx) (decompile.ts).
 * ```
 *
 * `ctx.allocSetId()` must return ids unique within the transaction (the objects codec also
 * numbers named sets with it); `ctx.ifindex` resolves `meta iif/oif` names in the target
 * namespace; `ctx.namedSet` describes `@name` sets (an interval set keyed by a host-order type
 * needs a byteorder conversion before the lookup). Errors are ValidationErrors whose field is
 * the path inside the caller's document (`<path>[1].match.right`); nothing is half-built.
 * The supported subset is documented in docs/nftables-expressions.md.
 */
import { ValidationError } from '../../errors';
import { ipv4Value, parseIp } from '../../wire/address';
import {
  NFT_SET_ELEM_INTERVAL_END, encodeVerdict, increment, integerValue, isVerdictKey, pad4, typeByName,
  type ByteOrder, type DataType, type Verdict,
} from './datatypes';
import type { Expr } from './expr/codec';
import { CMP_OPS, NFT_LOOKUP_F_INV, NFT_REG_1, NFT_REG_VERDICT, PAYLOAD_BASE, registerOfSlot, slotOfRegister } from './expr/schemas';
import {
  CT_KEYS, FIB_FLAGS, FIB_RESULTS, META_KEYS, NFTA_FIB_F_PRESENT, NFT_EXTHDR_F_PRESENT, NFT_EXTHDR_OP_TCPOPT, PROTOCOLS, PROTO_DESC_IDS,
  TCP_OPTIONS, metaOrder, payloadField, templateIndex, type ProtoDesc,
} from './fields';

export type { Expr } from './expr/codec';
export { encodeExprs, decodeExprs } from './expr/codec';

/** nftables table families as JSON names them. */
export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

/** What a named set referenced as `@name` holds (for typing map results and checking keys). */
export interface NamedSetInfo {
  /** Key data type (one type or the members of a concatenation). */
  key: readonly DataType[];
  /** Data type of a map's values (undefined for plain sets and verdict maps). */
  data?: readonly DataType[];
  /** The set has the interval flag: a host-order key (meta mark …) is converted before lookups. */
  interval?: boolean;
}

/** What the compiler needs to know about the rule's surroundings. */
export interface RuleContext {
  /** The table's family (decides protocol dependencies and NAT families). */
  family: NftFamily;
  /** A transaction-unique set id for each anonymous set the rule needs. */
  allocSetId: () => number;
  /** Interface name → index in the target namespace (for `meta iif` / `oif`); undefined = unknown. */
  ifindex?: (name: string) => number | undefined;
  /** Named sets of the table (for `@name` maps in value position). */
  namedSet?: (name: string) => NamedSetInfo | undefined;
  /** Notes the values another rule of the same shape may differ in (apply-templates.ts). */
  record?: CompileRecorder;
}

/**
 * Told, while one rule compiles, of each value that lands in one attribute's bytes and
 * nothing else (not the expressions chosen, not a later dependency): the JSON at `path`,
 * the expression holding it (`data`: a cmp's data Buffer; `counter`: the counter expression and
 * its attribute), and how any other JSON value encodes to that attribute's bytes.
 */
export interface CompileRecorder {
  /** `write`, when given, writes the common values in place (false: use `encode`). */
  cmp(path: string, data: Buffer, encode: (json: unknown) => Buffer, write?: LeafWriter): void;
  counter(path: string, e: Expr, attr: 'packets' | 'bytes'): void;
}

/** Writes a leaf's value at b[at] (its length fixed by the shape); false when it must be encoded. */
export type LeafWriter = (json: unknown, b: Buffer, at: number) => boolean;

/** The in-place writer for values of `lhs` in `order`, for the types most rules compare. */
function leafWriter(lhs: Lhs, order: ByteOrder): LeafWriter | undefined {
  if (lhs.fieldMask || lhs.concat) return undefined;
  const len = lhs.len;
  const t = lhs.dtype;
  if (t.base === 'ipv4' && len === 4) {
    return (json, b, at) => {
      const v = typeof json === 'string' ? ipv4Value(json) : -1;
      if (v < 0) return false;
      b[at] = v >>> 24;
      b[at + 1] = (v >>> 16) & 255;
      b[at + 2] = (v >>> 8) & 255;
      b[at + 3] = v & 255;
      return true;
    };
  }
  // Plain numbers of integer types (written as encodeValueAt's own fast path writes them).
  if ((t.base === 'integer' || t.base === 'bitmask') && len <= 4 && t.name !== 'ct_label' && t.name !== 'time') {
    const max = 2 ** (len * 8);
    return (json, b, at) => {
      if (typeof json !== 'number' || !Number.isInteger(json) || json < 0 || json >= max) return false;
      writeUint(b, at, json, len, order);
      return true;
    };
  }
  return undefined;
}

/** One element of an anonymous set, ready for NFTA_SET_ELEM_*. */
export interface AnonElement {
  key: Buffer;
  /** NFTA_SET_ELEM_KEY_END (concatenated ranges). */
  keyEnd?: Buffer;
  /** NFTA_SET_ELEM_FLAGS (NFT_SET_ELEM_INTERVAL_END on segment ends). */
  flags: number;
  /** NFTA_SET_ELEM_DATA: map value or verdict. */
  data?: Buffer | Verdict;
}

/** An anonymous set or map the rule looks up: create it in the same transaction, before the rule. */
export interface AnonSet {
  /** '__set%d' or '__map%d' (the kernel picks the number). */
  name: string;
  /** NFTA_SET_ID the rule's lookup refers to. */
  id: number;
  /** NFT_SET_ANONYMOUS | CONSTANT, plus INTERVAL, MAP, CONCAT as needed. */
  flags: number;
  keyType: number;
  keyLen: number;
  dataType?: number;
  dataLen?: number;
  /** Concatenation member lengths in bytes (NFTA_SET_DESC_CONCAT), for concatenated intervals. */
  concat?: number[];
  /**
   * nft's NFTNL_UDATA_SET_KEY_TYPEOF userdata TLV (type 3, complete with its header) for keys
   * read by meta/ct: append it to the set's NFTA_SET_USERDATA. nft prints the elements of a
   * host-order key (ct state, meta mark) by this expression; without it `nft list` shows
   * them byte-swapped (the kernel's lookups are right either way).
   */
  keyTypeof?: Buffer;
  /**
   * The complete NFTA_SET_USERDATA as nft writes it for this anonymous set: key (and data)
   * byte order, interval merge flag, and the typeof of meta/ct keys. nft reads it to print
   * the elements (a vlan id or ct state set without it lists byte-swapped); the kernel
   * ignores it.
   */
  userdata: Buffer;
  /** Number of elements as the user wrote them (NFTA_SET_DESC_SIZE). */
  size: number;
  elements: AnonElement[];
}

/** Result of compiling one rule. */
export interface CompiledRule {
  exprs: Expr[];
  anonSets: AnonSet[];
}

const NFT_SET_ANONYMOUS = 0x1;
const NFT_SET_CONSTANT = 0x2;
const NFT_SET_INTERVAL = 0x4;
const NFT_SET_MAP = 0x8;
const NFT_SET_CONCAT = 0x80;
const NFT_DATA_VERDICT = 0xffffff00;

const NFT_PAYLOAD_L4CSUM_PSEUDOHDR = 1;
const NFT_BYTEORDER_HTON = 1;
const NFT_CMP_NEQ = 1;
const NFT_RANGE_EQ = 0;
const NFT_RANGE_NEQ = 1;

/** NAT range flags (NF_NAT_RANGE_*). */
export const NAT_FLAGS: Readonly<Record<string, number>> = { random: 0x4, persistent: 0x8, 'fully-random': 0x10 };
const NF_NAT_RANGE_MAP_IPS = 0x1;
const NF_NAT_RANGE_PROTO_SPECIFIED = 0x2;

/** Log levels (syslog), in NFTA_LOG_LEVEL numbering. */
export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];
/** Log flags (NF_LOG_*) by JSON name. */
export const LOG_FLAGS: Readonly<Record<string, number>> = {
  'tcp sequence': 0x1, 'tcp options': 0x2, 'ip options': 0x4, skuid: 0x8, ether: 0x20, all: 0x2f,
};
/** Rate/quota byte units. */
export const BYTE_UNITS: Readonly<Record<string, number>> = { bytes: 1, kbytes: 1024, mbytes: 1024 * 1024, gbytes: 1024 ** 3 };
/** Limit periods in seconds. */
export const LIMIT_PERIODS: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };
/** Objref types (NFT_OBJECT_*) by statement name. */
export const OBJREF_TYPES: Readonly<Record<string, number>> = { counter: 1, quota: 2, 'ct helper': 3, limit: 4, 'ct timeout': 7, synproxy: 10 };

/** A protocol dependency: a meta key or the ether type must equal a value. */
interface Dep {
  /** Identity for de-duplication: 'meta:l4proto=6'. */
  id: string;
  exprs: (reg: number) => Expr[];
}

/** A compiled left-hand side: how to load it and how to encode values compared with it. */
interface Lhs {
  /** The loads into register `reg` (concatenations spread over the following 32-bit registers). */
  load: (reg: number) => Expr[];
  dtype: DataType;
  /** Register bytes (members padded to 4 in a concatenation). */
  len: number;
  order: ByteOrder;
  /** Sub-byte field: mask within the loaded bytes and the shift of values into it. */
  fieldMask?: Buffer;
  shift: number;
  deps: Dep[];
  /** Set for payload loads (prefix matches trim the load). */
  payload?: { base: number; offset: number; len: number };
  concat?: Lhs[];
  /** `&`, `|`, `^` applied after the load (JSON binary operation). */
  binop?: { mask: Buffer; xor: Buffer };
  /** Interface name → index, for iface_index keys (meta iif/oif). */
  ifindex?: (name: string) => number | undefined;
  /** How nft describes this expression in the userdata of a set keyed by it (built on demand). */
  typeof?: () => TypeofExpr;
  /** A meta/ct key with an equality that satisfies dependencies (`meta l4proto tcp`). */
  depKey?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The single key of a `{ key: value }` statement/expression object. */
function single(json: unknown, path: string, what: string): [string, unknown] {
  if (!isObj(json)) throw new ValidationError(path, `expected a ${what} object`);
  const keys = Object.keys(json);
  if (keys.length !== 1) throw new ValidationError(path, `expected exactly one key in a ${what}, got ${keys.length === 0 ? 'none' : keys.join(', ')}`);
  return [keys[0]!, json[keys[0]!]];
}

function checkKeys(o: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new ValidationError(`${path}.${k}`, `unknown key "${k}"`);
}

/** A JSON non-negative integer up to `max` (ValidationError naming `path` otherwise). */
export function uint(v: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new ValidationError(path, `expected an integer 0–${max}`);
  return v;
}

const meta = (dreg: number, key: number): Expr => ({ name: 'meta', dreg, key });
const cmp = (sreg: number, op: number, data: Buffer): Expr => ({ name: 'cmp', sreg, op, data });
const imm = (dreg: number, data: Buffer | Verdict): Expr => ({ name: 'immediate', dreg, data });

/** Compiles one rule's statements. */
export function compileRule(exprJson: unknown, ctx: RuleContext, path: string): CompiledRule {
  if (!Array.isArray(exprJson)) throw new ValidationError(path, 'expected a list of statements');
  const c = new Compiler(ctx);
  exprJson.forEach((stmt, i) => c.statement(stmt, `${path}[${i}]`));
  return { exprs: mergePayloadMatches(c.out), anonSets: c.anonSets };
}

/**
 * nft's payload merge: equality matches on adjacent header bytes (`icmp type 8 icmp code 0`)
 * become one load and one comparison, as long as the result fits a 16-byte register.
 */
function mergePayloadMatches(exprs: Expr[]): Expr[] {
  const out: Expr[] = [];
  const isLoad = (e: Expr | undefined) => e?.name === 'payload' && e.dreg === NFT_REG_1;
  const isEq = (e: Expr | undefined) => e?.name === 'cmp' && e.sreg === NFT_REG_1 && e.op === 0 && Buffer.isBuffer(e.data);
  for (let i = 0; i < exprs.length; i++) {
    const load = exprs[i]!;
    const c = exprs[i + 1];
    const prev = out[out.length - 2];
    const prevCmp = out[out.length - 1];
    if (isLoad(load) && isEq(c) && isLoad(prev) && isEq(prevCmp) && prev!.base === load.base &&
        (prev!.offset as number) + (prev!.len as number) === load.offset && (prev!.len as number) + (load.len as number) <= 16 &&
        (prevCmp!.data as Buffer).length === prev!.len && (c!.data as Buffer).length === load.len) {
      out[out.length - 2] = { ...prev!, len: (prev!.len as number) + (load.len as number) };
      out[out.length - 1] = { ...prevCmp!, data: Buffer.concat([prevCmp!.data as Buffer, c!.data as Buffer]) };
      i++;
      continue;
    }
    out.push(load);
  }
  return out;
}

class Compiler {
  readonly out: Expr[] = [];
  readonly anonSets: AnonSet[] = [];
  /** Dependencies already established in this rule (by the user or by us). */
  private readonly have = new Set<string>();

  constructor(private readonly ctx: RuleContext) {}

  private emitDeps(deps: readonly Dep[]): void {
    for (const d of deps) {
      if (this.have.has(d.id)) continue;
      this.out.push(...d.exprs(NFT_REG_1));
      this.have.add(d.id);
    }
  }

  // ------------------------------------------------------------ statements

  statement(json: unknown, path: string): void {
    const [key, arg] = single(json, path, 'statement');
    const p = `${path}.${key}`;
    if (isVerdictKey(key)) {
      const v = encodeVerdict(json, path);
      this.out.push(imm(NFT_REG_VERDICT, v));
      return;
    }
    switch (key) {
      case 'match': return this.match(arg, p);
      case 'counter': return this.counter(arg, p);
      case 'quota': return this.quota(arg, p);
      case 'limit': return this.limit(arg, p);
      case 'log': return this.log(arg, p);
      case 'reject': return this.reject(arg, p);
      case 'snat': case 'dnat': return this.nat(key, arg, p);
      case 'masquerade': case 'redirect': return this.masqRedir(key, arg, p);
      case 'mangle': return this.mangle(arg, p);
      case 'notrack':
        if (arg !== null) throw new ValidationError(p, 'expected null');
        this.out.push({ name: 'notrack' });
        return;
      case 'flow': return this.flow(arg, p);
      case 'vmap': return this.vmap(arg, p);
      case 'set': case 'map': return this.dynset(key, arg, p);
      case 'raw':
        throw new ValidationError(path, 'a raw statement (expressions a listing could not decode) cannot be applied');
      default:
        throw new ValidationError(path, `unsupported statement "${key}"`);
    }
  }

  private counter(arg: unknown, p: string): void {
    if (typeof arg === 'string') {
      this.out.push({ name: 'objref', immType: OBJREF_TYPES.counter, immName: arg });
      return;
    }
    if (arg === null) {
      this.out.push({ name: 'counter' });
      return;
    }
    if (!isObj(arg)) throw new ValidationError(p, 'expected null, a counter name, or {packets, bytes}');
    checkKeys(arg, ['packets', 'bytes'], p);
    const e: Expr = { name: 'counter' };
    if (arg.bytes !== undefined) {
      e.bytes = uint(arg.bytes, `${p}.bytes`);
      this.ctx.record?.counter(`${p}.bytes`, e, 'bytes');
    }
    if (arg.packets !== undefined) {
      e.packets = uint(arg.packets, `${p}.packets`);
      this.ctx.record?.counter(`${p}.packets`, e, 'packets');
    }
    this.out.push(e);
  }

  private quota(arg: unknown, p: string): void {
    if (typeof arg === 'string') {
      this.out.push({ name: 'objref', immType: OBJREF_TYPES.quota, immName: arg });
      return;
    }
    if (!isObj(arg)) throw new ValidationError(p, 'expected a quota name or {val, val_unit, inv, used, used_unit}');
    checkKeys(arg, ['val', 'val_unit', 'inv', 'used', 'used_unit'], p);
    const e: Expr = { name: 'quota', bytes: uint(arg.val, `${p}.val`) * byteUnit(arg.val_unit, `${p}.val_unit`), flags: arg.inv ? 1 : 0 };
    if (arg.used !== undefined) e.consumed = uint(arg.used, `${p}.used`) * byteUnit(arg.used_unit, `${p}.used_unit`);
    this.out.push(e);
  }

  private limit(arg: unknown, p: string): void {
    if (typeof arg === 'string') {
      this.out.push({ name: 'objref', immType: OBJREF_TYPES.limit, immName: arg });
      return;
    }
    if (!isObj(arg)) throw new ValidationError(p, 'expected a limit name or {rate, per, burst, rate_unit, burst_unit, inv}');
    checkKeys(arg, ['rate', 'per', 'burst', 'rate_unit', 'burst_unit', 'inv'], p);
    const bytes = arg.rate_unit !== undefined && arg.rate_unit !== 'packets';
    const per = arg.per ?? 'second';
    const unit = typeof per === 'string' ? LIMIT_PERIODS[per] : undefined;
    if (unit === undefined) throw new ValidationError(`${p}.per`, `expected one of ${Object.keys(LIMIT_PERIODS).join(', ')}`);
    const rate = uint(arg.rate, `${p}.rate`) * (bytes ? byteUnit(arg.rate_unit, `${p}.rate_unit`) : 1);
    let burst: number;
    if (arg.burst === undefined) burst = bytes ? 0 : 5;
    else burst = uint(arg.burst, `${p}.burst`) * (bytes ? byteUnit(arg.burst_unit ?? 'bytes', `${p}.burst_unit`) : 1);
    this.out.push({ name: 'limit', rate, unit, burst, type: bytes ? 1 : 0, flags: arg.inv ? 1 : 0 });
  }

  private log(arg: unknown, p: string): void {
    const e: Expr = { name: 'log' };
    if (arg !== null) {
      if (!isObj(arg)) throw new ValidationError(p, 'expected null or {prefix, group, snaplen, queue-threshold, level, flags}');
      checkKeys(arg, ['prefix', 'group', 'snaplen', 'queue-threshold', 'level', 'flags'], p);
      if (arg.prefix !== undefined) {
        if (typeof arg.prefix !== 'string' || arg.prefix.length > 127) throw new ValidationError(`${p}.prefix`, 'expected a string of at most 127 characters');
        e.prefix = arg.prefix;
      }
      if (arg.group !== undefined) e.group = uint(arg.group, `${p}.group`, 0xffff);
      if (arg.snaplen !== undefined) e.snaplen = uint(arg.snaplen, `${p}.snaplen`, 0xffffffff);
      if (arg['queue-threshold'] !== undefined) e.qthreshold = uint(arg['queue-threshold'], `${p}.queue-threshold`, 0xffff);
      if (arg.level !== undefined) {
        const lvl = typeof arg.level === 'string' ? LOG_LEVELS.indexOf(arg.level) : -1;
        if (lvl < 0) throw new ValidationError(`${p}.level`, `expected one of ${LOG_LEVELS.join(', ')}`);
        e.level = lvl;
      }
      if (arg.flags !== undefined) {
        const list = Array.isArray(arg.flags) ? arg.flags : [arg.flags];
        let flags = 0;
        list.forEach((f, i) => {
          const v = typeof f === 'string' ? LOG_FLAGS[f] : undefined;
          if (v === undefined) throw new ValidationError(`${p}.flags${Array.isArray(arg.flags) ? `[${i}]` : ''}`, `expected one of ${Object.keys(LOG_FLAGS).join(', ')}`);
          flags |= v;
        });
        e.flags = flags;
      }
      if (e.group !== undefined && e.level !== undefined) throw new ValidationError(`${p}.level`, 'level and group cannot be combined');
    }
    this.out.push(e);
  }

  /** Network-layer dependency for a family of ICMP (reject in inet/bridge/netdev). */
  private l3Deps(l3: 'ip' | 'ip6', p: string): Dep[] {
    return depsFor(PROTOCOLS[l3]!, this.ctx.family, p);
  }

  private reject(arg: unknown, p: string): void {
    const fam = this.ctx.family;
    let type: number;
    let code: number;
    if (arg === null || (isObj(arg) && arg.type === undefined && arg.expr === undefined)) {
      if (fam === 'ip') [type, code] = [0, 3];
      else if (fam === 'ip6') [type, code] = [0, 4];
      else [type, code] = [2, 1];
    } else {
      if (!isObj(arg)) throw new ValidationError(p, 'expected null or {type, expr}');
      checkKeys(arg, ['type', 'expr'], p);
      const t = arg.type;
      const codeOf = (typeName: string): number => {
        const dt = typeByName(typeName)!;
        return Number(integerValue(dt, arg.expr, `${p}.expr`));
      };
      if (t === 'tcp reset') {
        if (arg.expr !== undefined) throw new ValidationError(`${p}.expr`, 'tcp reset takes no code');
        this.emitDeps(depsFor(PROTOCOLS.tcp!, fam, p));
        [type, code] = [1, 0];
      } else if (t === 'icmpx') {
        [type, code] = [2, arg.expr === undefined ? 1 : codeOf('icmpx_code')];
      } else if (t === 'icmp') {
        if (fam === 'ip6') throw new ValidationError(`${p}.type`, 'icmp reject in an ip6 table');
        if (fam !== 'ip') this.emitDeps(this.l3Deps('ip', p));
        [type, code] = [0, arg.expr === undefined ? 3 : codeOf('icmp_code')];
      } else if (t === 'icmpv6') {
        if (fam === 'ip') throw new ValidationError(`${p}.type`, 'icmpv6 reject in an ip table');
        if (fam !== 'ip6') this.emitDeps(this.l3Deps('ip6', p));
        [type, code] = [0, arg.expr === undefined ? 4 : codeOf('icmpv6_code')];
      } else {
        throw new ValidationError(`${p}.type`, 'expected "tcp reset", "icmpx", "icmp" or "icmpv6"');
      }
    }
    // nft sends no code with a TCP reset.
    this.out.push(type === 1 ? { name: 'reject', type } : { name: 'reject', type, icmpCode: code });
  }

  private natFamily(addr: unknown, fam: unknown, p: string): number {
    if (fam !== undefined) {
      if (fam === 'ip') return 2;
      if (fam === 'ip6') return 10;
      throw new ValidationError(`${p}.family`, 'expected "ip" or "ip6"');
    }
    if (this.ctx.family === 'ip') return 2;
    if (this.ctx.family === 'ip6') return 10;
    // inet: from the address itself.
    const sample = isObj(addr) ? (addr.range as unknown[] | undefined)?.[0] ?? (isObj(addr.prefix) ? addr.prefix.addr : undefined) : addr;
    if (typeof sample === 'string') return sample.includes(':') ? 10 : 2;
    return 2;
  }

  private nat(kind: 'snat' | 'dnat', arg: unknown, p: string): void {
    if (!isObj(arg)) throw new ValidationError(p, 'expected {addr, port, family, flags}');
    checkKeys(arg, ['addr', 'port', 'family', 'flags', 'type_flags'], p);
    const family = this.natFamily(arg.addr, arg.family, p);
    const addrType = typeByName(family === 10 ? 'ipv6_addr' : 'ipv4_addr')!;
    const e: Expr = { name: 'nat', type: kind === 'snat' ? 0 : 1, family };
    let flags = natFlags(arg.flags, `${p}.flags`);
    let reg = NFT_REG_1;
    if (arg.addr !== undefined) {
      const [min, max, used] = this.rangeValue(arg.addr, addrType, addrType.size, 'big', reg, `${p}.addr`);
      e.regAddrMin = min;
      e.regAddrMax = max;
      reg += used;
      flags |= NF_NAT_RANGE_MAP_IPS;
    }
    if (arg.port !== undefined) {
      const [min, max] = this.rangeValue(arg.port, typeByName('inet_service')!, 2, 'big', reg, `${p}.port`);
      e.regProtoMin = min;
      e.regProtoMax = max;
      flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
    }
    if (flags) e.flags = flags;
    this.out.push(e);
  }

  private masqRedir(kind: 'masquerade' | 'redirect', arg: unknown, p: string): void {
    const e: Expr = { name: kind === 'masquerade' ? 'masq' : 'redir' };
    let flags = 0;
    if (arg !== null) {
      if (!isObj(arg)) throw new ValidationError(p, 'expected null or {port, flags}');
      checkKeys(arg, ['port', 'flags'], p);
      flags = natFlags(arg.flags, `${p}.flags`);
      if (arg.port !== undefined) {
        const [min, max] = this.rangeValue(arg.port, typeByName('inet_service')!, 2, 'big', NFT_REG_1, `${p}.port`);
        e.regProtoMin = min;
        e.regProtoMax = max;
        flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
      }
    }
    if (flags) e.flags = flags;
    this.out.push(e);
  }

  /**
   * A NAT address or port: a value, a range, a prefix (addresses) or a map lookup, put in
   * registers from `reg` on. Returns [minReg, maxReg, registers used].
   */
  private rangeValue(json: unknown, t: DataType, len: number, order: ByteOrder, reg: number, path: string): [number, number, number] {
    if (isObj(json) && 'range' in json) {
      const r = json.range;
      if (!Array.isArray(r) || r.length !== 2) throw new ValidationError(`${path}.range`, 'expected [low, high]');
      this.out.push(imm(reg, encodeValueAt(t, r[0], `${path}.range[0]`, order, len)));
      this.out.push(imm(reg + 1, encodeValueAt(t, r[1], `${path}.range[1]`, order, len)));
      return [reg, reg + 1, 2];
    }
    if (isObj(json) && 'prefix' in json) {
      const { from, to } = prefixBounds(t, json.prefix, `${path}.prefix`, order, len);
      this.out.push(imm(reg, from), imm(reg + 1, to));
      return [reg, reg + 1, 2];
    }
    if (isObj(json) && ('map' in json)) {
      this.valueInto(json, reg, { dtype: t, len, order }, path);
      return [reg, reg, 1];
    }
    if (isObj(json)) {
      this.valueInto(json, reg, { dtype: t, len, order }, path);
      return [reg, reg, 1];
    }
    this.out.push(imm(reg, encodeValueAt(t, json, path, order, len)));
    return [reg, reg, 1];
  }

  private flow(arg: unknown, p: string): void {
    if (!isObj(arg)) throw new ValidationError(p, 'expected {op: "add", flowtable: "@name"}');
    checkKeys(arg, ['op', 'flowtable'], p);
    if (arg.op !== 'add') throw new ValidationError(`${p}.op`, 'expected "add"');
    const ft = arg.flowtable;
    if (typeof ft !== 'string' || !ft.startsWith('@') || ft.length < 2) throw new ValidationError(`${p}.flowtable`, 'expected "@flowtable"');
    this.out.push({ name: 'flow_offload', table: ft.slice(1) });
  }

  private vmap(arg: unknown, p: string): void {
    if (!isObj(arg)) throw new ValidationError(p, 'expected {key, data}');
    checkKeys(arg, ['key', 'data'], p);
    const lhs = this.lhs(arg.key, `${p}.key`);
    this.emitDeps(lhs.deps);
    this.out.push(...lhs.load(NFT_REG_1));
    this.applyBinop(lhs, NFT_REG_1);
    const lookup: Expr = { name: 'lookup', sreg: NFT_REG_1, dreg: NFT_REG_VERDICT };
    if (typeof arg.data === 'string' && arg.data.startsWith('@')) {
      lookup.set = arg.data.slice(1);
    } else {
      const set = this.anonSet(lhs, arg.data, `${p}.data`, { verdict: true });
      lookup.set = set.name;
      lookup.setId = set.id;
      this.htonForInterval(lhs, set, NFT_REG_1);
    }
    this.out.push(lookup);
  }

  private mangle(arg: unknown, p: string): void {
    if (!isObj(arg)) throw new ValidationError(p, 'expected {key, value}');
    checkKeys(arg, ['key', 'value'], p);
    const [kind, k] = single(arg.key, `${p}.key`, 'expression');
    const kp = `${p}.key.${kind}`;
    if (kind === 'meta') {
      const m = metaKeyOf(k, kp);
      const t = typeByName(m.type)!;
      this.valueInto(arg.value, NFT_REG_1, { dtype: t, len: m.len, order: metaOrder(m) }, `${p}.value`);
      this.out.push({ name: 'meta', key: m.key, sreg: NFT_REG_1 });
      return;
    }
    if (kind === 'ct') {
      const c = ctKeyOf(k, kp, this.ctx.family);
      if (c.key.name !== 'mark' && c.key.name !== 'label' && c.key.name !== 'zone' && c.key.name !== 'event' && c.key.name !== 'secmark' && c.key.name !== 'helper') {
        throw new ValidationError(`${kp}.key`, `ct ${c.key.name} cannot be set`);
      }
      this.valueInto(arg.value, NFT_REG_1, { dtype: c.dtype, len: c.key.len, order: c.key.order }, `${p}.value`);
      const e: Expr = { name: 'ct', key: c.key.key, sreg: NFT_REG_1 };
      if (c.dir !== undefined) e.direction = c.dir;
      this.out.push(e);
      return;
    }
    if (kind === 'payload') return this.payloadWrite(k, arg.value, kp, `${p}.value`);
    if (kind === 'tcp option') {
      const o = tcpOptionOf(k, kp);
      if (!o.field) throw new ValidationError(`${kp}.field`, 'a tcp option write needs a field');
      this.valueInto(arg.value, NFT_REG_1, { dtype: typeByName('integer')!, len: o.len, order: 'big' }, `${p}.value`);
      this.out.push({ name: 'exthdr', sreg: NFT_REG_1, type: o.kind, offset: o.offset, len: o.len, op: NFT_EXTHDR_OP_TCPOPT });
      return;
    }
    throw new ValidationError(`${p}.key`, `cannot set a ${kind} expression (expected meta, ct or payload)`);
  }

  private payloadWrite(k: unknown, value: unknown, kp: string, vp: string): void {
    const f = payloadFieldOf(k, kp);
    const proto = PROTOCOLS[f.protocol]!;
    this.emitDeps(depsFor(proto, this.ctx.family, kp));
    const t = typeByName(f.type)!;
    const csum = proto.csum;
    // A checksummed header is rewritten in whole 16-bit words (the checksum update works on
    // them); other headers in whole bytes. A field narrower than that window is merged in with
    // a mask, as nft does for `ip ttl set` and `ip dscp set`.
    const unit = csum ? 16 : 8;
    const wStart = Math.floor(f.offset / unit) * unit;
    const wEnd = Math.ceil((f.offset + f.len) / unit) * unit;
    const wLen = (wEnd - wStart) / 8;
    const write: Expr = { name: 'payload', sreg: NFT_REG_1, base: f.base, offset: wStart / 8, len: wLen };
    if (csum) {
      write.csumType = csum[0];
      write.csumOffset = csum[1];
      write.csumFlags = (f.protocol === 'ip' || f.protocol === 'ip6') && (f.field === 'saddr' || f.field === 'daddr') ? NFT_PAYLOAD_L4CSUM_PSEUDOHDR : 0;
    } else if ((f.protocol === 'ip6') && (f.field === 'saddr' || f.field === 'daddr')) {
      write.csumFlags = NFT_PAYLOAD_L4CSUM_PSEUDOHDR;
    }
    if (wStart === f.offset && wEnd === f.offset + f.len) {
      this.valueInto(value, NFT_REG_1, { dtype: t, len: f.len / 8, order: 'big' }, vp);
    } else {
      const shift = wEnd - (f.offset + f.len);
      const fieldMask = bitMask(wLen, shift, f.len);
      const v = valueBits(t, value, vp, f.len);
      const xor = shiftInto(v, shift, wLen);
      this.out.push({ name: 'payload', dreg: NFT_REG_1, base: f.base, offset: wStart / 8, len: wLen });
      this.out.push({ name: 'bitwise', sreg: NFT_REG_1, dreg: NFT_REG_1, len: wLen, mask: invert(fieldMask), xor });
    }
    this.out.push(write);
  }

  /** Puts a value (constant, expression, binary operation or map lookup) into `reg`. */
  private valueInto(json: unknown, reg: number, target: { dtype: DataType; len: number; order: ByteOrder }, path: string): void {
    if (isObj(json) && Object.keys(json).length === 1) {
      const [k, v] = single(json, path, 'expression');
      if (k === 'map') {
        if (!isObj(v)) throw new ValidationError(`${path}.map`, 'expected {key, data}');
        checkKeys(v, ['key', 'data'], `${path}.map`);
        const lhs = this.lhs(v.key, `${path}.map.key`);
        this.emitDeps(lhs.deps);
        this.out.push(...lhs.load(reg));
        this.applyBinop(lhs, reg);
        const lookup: Expr = { name: 'lookup', sreg: reg, dreg: reg };
        if (typeof v.data === 'string' && v.data.startsWith('@')) lookup.set = v.data.slice(1);
        else {
          const set = this.anonSet(lhs, v.data, `${path}.map.data`, { data: target });
          lookup.set = set.name;
          lookup.setId = set.id;
          this.htonForInterval(lhs, set, reg);
        }
        this.out.push(lookup);
        return;
      }
      if (k === 'meta' || k === 'ct' || k === 'payload' || k === 'fib' || k === 'numgen' || k === 'jhash' || k === 'symhash' || k === '&' || k === '|' || k === '^') {
        const lhs = this.lhs(json, path);
        this.emitDeps(lhs.deps);
        this.out.push(...lhs.load(reg));
        this.applyBinop(lhs, reg);
        return;
      }
      if (k === 'prefix' || k === 'range' || k === 'set') throw new ValidationError(path, `a ${k} is not a single value`);
    }
    this.out.push(imm(reg, encodeValueAt(target.dtype, json, path, target.order, target.len)));
  }

  // ------------------------------------------------------------ left-hand sides

  /** Compiles the left side of a match (or a map key). */
  lhs(json: unknown, path: string): Lhs {
    const [kind, arg] = single(json, path, 'expression');
    const p = `${path}.${kind}`;
    switch (kind) {
      case 'payload': return this.payloadLhs(arg, p);
      case 'meta': {
        const m = metaKeyOf(arg, p);
        return {
          load: (reg) => [meta(reg, m.key)], dtype: typeByName(m.type)!, len: m.len, order: metaOrder(m), shift: 0, deps: [],
          typeof: () => typeofExpr(EXPR_META, [[0, m.key]]),
          ...(this.ctx.ifindex ? { ifindex: this.ctx.ifindex } : {}),
          depKey: m.name === 'l4proto' || m.name === 'nfproto' || m.name === 'protocol' || m.name === 'iiftype' ? `meta:${m.name}` : undefined,
        };
      }
      case 'ct': {
        const c = ctKeyOf(arg, p, this.ctx.family);
        return {
          load: (reg) => {
            const e: Expr = { name: 'ct', dreg: reg, key: c.key.key };
            if (c.dir !== undefined) e.direction = c.dir;
            return [e];
          },
          dtype: c.dtype, len: c.len, order: c.key.order, shift: 0, deps: [],
          typeof: () => typeofExpr(EXPR_CT, [[0, c.key.key], [1, c.dir ?? -1]]),
        };
      }
      case 'fib': return this.fibLhs(arg, p);
      case 'numgen': {
        if (!isObj(arg)) throw new ValidationError(p, 'expected {mode, mod, offset}');
        checkKeys(arg, ['mode', 'mod', 'offset'], p);
        const mode = arg.mode === 'inc' ? 0 : arg.mode === 'random' ? 1 : -1;
        if (mode < 0) throw new ValidationError(`${p}.mode`, 'expected "inc" or "random"');
        const mod = uint(arg.mod, `${p}.mod`, 0xffffffff);
        const offset = arg.offset === undefined ? 0 : uint(arg.offset, `${p}.offset`, 0xffffffff);
        return {
          load: (reg) => [{ name: 'numgen', dreg: reg, modulus: mod, type: mode, offset }],
          dtype: typeByName('integer')!, len: 4, order: 'host', shift: 0, deps: [],
        };
      }
      case 'jhash': case 'symhash': {
        if (!isObj(arg)) throw new ValidationError(p, 'expected {mod, seed, offset, expr}');
        checkKeys(arg, kind === 'jhash' ? ['mod', 'seed', 'offset', 'expr'] : ['mod', 'offset'], p);
        const mod = uint(arg.mod, `${p}.mod`, 0xffffffff);
        const offset = arg.offset === undefined ? 0 : uint(arg.offset, `${p}.offset`, 0xffffffff);
        const inner = kind === 'jhash' ? this.lhs(arg.expr, `${p}.expr`) : undefined;
        const seed = arg.seed === undefined ? undefined : uint(arg.seed, `${p}.seed`, 0xffffffff);
        return {
          load: (reg) => {
            if (!inner) return [{ name: 'hash', dreg: reg, modulus: mod, type: 1, ...(offset ? { offset } : {}) }];
            // nft loads the hashed key into the next free register.
            const src = registerOfSlot(slotOfRegister(reg) + 4);
            const e: Expr = { name: 'hash', sreg: src, dreg: reg, len: inner.len, modulus: mod, type: 0 };
            if (seed !== undefined) e.seed = seed;
            if (offset) e.offset = offset;
            return [...inner.load(src), e];
          },
          dtype: typeByName('integer')!, len: 4, order: 'host', shift: 0, deps: inner?.deps ?? [],
        };
      }
      case 'concat': return this.concatLhs(arg, p);
      case 'tcp option': return this.tcpOptionLhs(arg, p, false);
      case '&': case '|': case '^': {
        if (!Array.isArray(arg) || arg.length !== 2) throw new ValidationError(p, 'expected [expression, value]');
        const inner = this.lhs(arg[0], `${p}[0]`);
        if (inner.binop || inner.concat) throw new ValidationError(`${p}[0]`, 'nested binary operations are not supported');
        const v = encodeValueAt(inner.dtype, arg[1], `${p}[1]`, inner.order, inner.len);
        const ones = Buffer.alloc(inner.len, 0xff);
        const zero = Buffer.alloc(inner.len);
        const binop = kind === '&' ? { mask: v, xor: zero } : kind === '|' ? { mask: invert(v), xor: v } : { mask: ones, xor: v };
        return { ...inner, binop };
      }
      default:
        throw new ValidationError(path, `unsupported expression "${kind}"`);
    }
  }

  private payloadLhs(arg: unknown, p: string): Lhs {
    if (isObj(arg) && 'base' in arg) {
      checkKeys(arg, ['base', 'offset', 'len'], p);
      const base = arg.base === 'll' ? 0 : arg.base === 'nh' ? 1 : arg.base === 'th' ? 2 : arg.base === 'ih' ? 3 : -1;
      if (base < 0) throw new ValidationError(`${p}.base`, 'expected "ll", "nh", "th" or "ih"');
      const off = uint(arg.offset, `${p}.offset`);
      const len = uint(arg.len, `${p}.len`, 128);
      if (off % 8 || len % 8 || len === 0) throw new ValidationError(`${p}.len`, 'raw payload offset and length must be whole bytes');
      return {
        load: (reg) => [{ name: 'payload', dreg: reg, base, offset: off / 8, len: len / 8 }],
        dtype: typeByName('integer')!, len: len / 8, order: 'big', shift: 0, deps: [],
        payload: { base, offset: off / 8, len: len / 8 },
      };
    }
    const f = payloadFieldOf(arg, p);
    const proto = PROTOCOLS[f.protocol]!;
    const deps = depsFor(proto, this.ctx.family, p);
    const t = typeByName(f.type)!;
    const start = Math.floor(f.offset / 8);
    const end = Math.ceil((f.offset + f.len) / 8);
    const bytes = end - start;
    const sub = f.offset % 8 !== 0 || f.len % 8 !== 0;
    const shift = end * 8 - (f.offset + f.len);
    const fieldMask = sub ? bitMask(bytes, shift, f.len) : undefined;
    return {
      load: (reg) => {
        const e: Expr[] = [{ name: 'payload', dreg: reg, base: f.base, offset: start, len: bytes }];
        if (fieldMask) e.push({ name: 'bitwise', sreg: reg, dreg: reg, len: bytes, mask: fieldMask, xor: Buffer.alloc(bytes) });
        return e;
      },
      dtype: t, len: bytes, order: 'big', shift, deps, payload: { base: f.base, offset: start, len: bytes },
      ...(fieldMask ? { fieldMask } : {}),
      depKey: f.protocol === 'ether' && f.field === 'type' ? 'ether:type'
        : (f.protocol === 'ip' && f.field === 'protocol') || (f.protocol === 'ip6' && f.field === 'nexthdr') ? 'meta:l4proto' : undefined,
      // nft records sub-byte fields with their bit length (attribute 4).
      typeof: () => typeofExpr(EXPR_PAYLOAD, [[0, PROTO_DESC_IDS[f.protocol] ?? 0], [1, templateIndex(f.protocol, f.field)], ...(sub ? [[4, f.len] as [number, number]] : [])]),
    };
  }

  /** `tcp option NAME [field]`: an exthdr load of the option's bytes (or of its presence). */
  private tcpOptionLhs(arg: unknown, p: string, present: boolean): Lhs {
    const o = tcpOptionOf(arg, p);
    if (present) {
      if (o.field) throw new ValidationError(`${p}.field`, 'a presence test names no field');
      return {
        load: (reg) => [{ name: 'exthdr', dreg: reg, type: o.kind, offset: 0, len: 1, flags: NFT_EXTHDR_F_PRESENT, op: NFT_EXTHDR_OP_TCPOPT }],
        dtype: typeByName('boolean')!, len: 1, order: 'host', shift: 0, deps: [],
      };
    }
    if (!o.field) throw new ValidationError(`${p}.field`, 'expected a field (or compare with true/false for presence)');
    return {
      load: (reg) => [{ name: 'exthdr', dreg: reg, type: o.kind, offset: o.offset, len: o.len, op: NFT_EXTHDR_OP_TCPOPT }],
      dtype: typeByName('integer')!, len: o.len, order: 'big', shift: 0, deps: [],
    };
  }

  private dynset(kind: 'set' | 'map', arg: unknown, p: string): void {
    if (!isObj(arg)) throw new ValidationError(p, `expected {op, elem, ${kind}${kind === 'map' ? ', data' : ''}, stmt}`);
    checkKeys(arg, kind === 'map' ? ['op', 'elem', 'data', 'map', 'stmt'] : ['op', 'elem', 'set', 'stmt'], p);
    const op = arg.op === 'add' ? 0 : arg.op === 'update' ? 1 : arg.op === 'delete' ? 2 : -1;
    if (op < 0) throw new ValidationError(`${p}.op`, 'expected "add", "update" or "delete"');
    const target = arg[kind];
    if (typeof target !== 'string' || !target.startsWith('@') || target.length < 2) throw new ValidationError(`${p}.${kind}`, `expected "@${kind}name"`);
    let elem = arg.elem;
    let ep = `${p}.elem`;
    let timeout: number | undefined;
    if (isObj(elem) && 'elem' in elem) {
      const inner = elem.elem;
      ep = `${ep}.elem`;
      if (!isObj(inner)) throw new ValidationError(ep, 'expected {val, timeout}');
      checkKeys(inner, ['val', 'timeout'], ep);
      if (inner.timeout !== undefined) timeout = uint(inner.timeout, `${ep}.timeout`) * 1000;
      elem = inner.val;
      ep = `${ep}.val`;
    }
    const key = this.lhs(elem, ep);
    this.emitDeps(key.deps);
    this.out.push(...key.load(NFT_REG_1));
    this.applyBinop(key, NFT_REG_1);
    const e: Expr = { name: 'dynset', set: target.slice(1), op, sregKey: NFT_REG_1 };
    if (kind === 'map') {
      const dataReg = registerOfSlot(slotOfRegister(NFT_REG_1) + Math.ceil(key.len / 16) * 4);
      const data = this.lhs(arg.data, `${p}.data`);
      this.emitDeps(data.deps);
      this.out.push(...data.load(dataReg));
      this.applyBinop(data, dataReg);
      e.sregData = dataReg;
    }
    if (timeout !== undefined) e.timeout = timeout;
    if (arg.stmt !== undefined) {
      if (!Array.isArray(arg.stmt) || arg.stmt.length === 0) throw new ValidationError(`${p}.stmt`, 'expected a list of statements');
      const stmts = arg.stmt.map((st, i) => {
        const sub = new Compiler(this.ctx);
        const sp = `${p}.stmt[${i}]`;
        const [k] = single(st, sp, 'statement');
        if (!['counter', 'limit', 'quota'].includes(k)) throw new ValidationError(sp, `only counter, limit and quota can be attached to elements, not "${k}"`);
        sub.statement(st, sp);
        if (sub.out.length !== 1 || sub.out[0]!.name === 'objref') throw new ValidationError(sp, 'expected an anonymous counter, limit or quota');
        return sub.out[0]!;
      });
      if (stmts.length === 1) e.expr = stmts[0];
      else e.exprs = stmts;
    }
    this.out.push(e);
  }

  private fibLhs(arg: unknown, p: string, present = false): Lhs {
    if (!isObj(arg)) throw new ValidationError(p, 'expected {result, flags}');
    checkKeys(arg, ['result', 'flags'], p);
    const r = typeof arg.result === 'string' ? FIB_RESULTS[arg.result] : undefined;
    if (!r) throw new ValidationError(`${p}.result`, `expected one of ${Object.keys(FIB_RESULTS).join(', ')}`);
    const list = Array.isArray(arg.flags) ? arg.flags : arg.flags === undefined ? [] : [arg.flags];
    let flags = 0;
    list.forEach((f, i) => {
      const v = typeof f === 'string' ? FIB_FLAGS[f] : undefined;
      if (v === undefined) throw new ValidationError(`${p}.flags${Array.isArray(arg.flags) ? `[${i}]` : ''}`, `expected one of ${Object.keys(FIB_FLAGS).join(', ')}`);
      flags |= v;
    });
    if (!(flags & (FIB_FLAGS.saddr! | FIB_FLAGS.daddr!))) throw new ValidationError(`${p}.flags`, 'fib needs saddr or daddr');
    const [result, type, len] = r;
    if (present) {
      if (arg.result === 'type') throw new ValidationError(`${p}.result`, 'only oif and oifname can be tested for presence');
      return {
        load: (reg) => [{ name: 'fib', dreg: reg, result, flags: flags | NFTA_FIB_F_PRESENT }],
        // The kernel stores the answer as a zero-extended 32-bit word; nft compares all of it.
        dtype: typeByName('boolean')!, len: 4, order: 'host', shift: 0, deps: [],
      };
    }
    return {
      load: (reg) => [{ name: 'fib', dreg: reg, result, flags }],
      dtype: typeByName(type)!, len, order: 'host', shift: 0, deps: [],
    };
  }

  private concatLhs(arg: unknown, p: string): Lhs {
    if (!Array.isArray(arg) || arg.length < 2) throw new ValidationError(p, 'expected a list of at least two expressions');
    const parts = arg.map((a, i) => this.lhs(a, `${p}[${i}]`));
    parts.forEach((m, i) => {
      if (m.concat || m.binop) throw new ValidationError(`${p}[${i}]`, 'expected a plain expression inside a concatenation');
    });
    const len = parts.reduce((n, m) => n + pad4(m.len), 0);
    if (len > 64) throw new ValidationError(p, 'concatenation longer than 64 bytes');
    return {
      load: (reg) => {
        const out: Expr[] = [];
        // Members go to consecutive 32-bit registers; reg N (16-byte) starts at reg32 8+4(N-1).
        let slot = slotOfRegister(reg);
        for (const m of parts) {
          out.push(...m.load(registerOfSlot(slot)));
          slot += pad4(m.len) / 4;
        }
        return out;
      },
      dtype: parts[0]!.dtype, len, order: 'big', shift: 0, deps: parts.flatMap((m) => m.deps), concat: parts,
    };
  }

  /** Interval sets compare network-order bytes: a host-order key is converted first. */
  private htonForInterval(lhs: Lhs, set: AnonSet, reg: number): void {
    if (set.flags & NFT_SET_INTERVAL && lhs.order === 'host' && lhs.len > 1 && !lhs.concat) {
      this.out.push({ name: 'byteorder', sreg: reg, dreg: reg, op: NFT_BYTEORDER_HTON, len: lhs.len, size: lhs.len });
    }
  }

  private applyBinop(lhs: Lhs, reg: number): void {
    if (lhs.binop) this.out.push({ name: 'bitwise', sreg: reg, dreg: reg, len: lhs.len, mask: lhs.binop.mask, xor: lhs.binop.xor });
  }

  // ------------------------------------------------------------ match

  private match(arg: unknown, p: string, rightPath = `${p}.right`): void {
    if (!isObj(arg)) throw new ValidationError(p, 'expected {op, left, right}');
    checkKeys(arg, ['op', 'left', 'right'], p);
    const op = arg.op;
    if (typeof op !== 'string' || !(op in CMP_OPS || op === 'in')) throw new ValidationError(`${p}.op`, 'expected one of ==, !=, <, >, <=, >=, in');
    const right = arg.right;
    // `fib … oif missing` / `exists`: a boolean right side asks only whether a route exists.
    const lhs = isObj(arg.left) && 'fib' in arg.left && typeof right === 'boolean'
      ? this.fibLhs(arg.left.fib, `${p}.left.fib`, true)
      : isObj(arg.left) && 'tcp option' in arg.left && typeof right === 'boolean'
        ? this.tcpOptionLhs(arg.left['tcp option'], `${p}.left.tcp option`, true)
        : this.lhs(arg.left, `${p}.left`);
    const rp = rightPath;
    const reg = NFT_REG_1;
    this.emitDeps(lhs.deps);

    // Named set / map lookup.
    if (typeof right === 'string' && right.startsWith('@')) {
      if (op !== '==' && op !== '!=' && op !== 'in') throw new ValidationError(`${p}.op`, 'a set lookup takes == or !=');
      this.out.push(...lhs.load(reg));
      this.applyBinop(lhs, reg);
      if (this.ctx.namedSet?.(right.slice(1))?.interval && lhs.order === 'host' && lhs.len > 1 && !lhs.concat) {
        this.out.push({ name: 'byteorder', sreg: reg, dreg: reg, op: NFT_BYTEORDER_HTON, len: lhs.len, size: lhs.len });
      }
      const e: Expr = { name: 'lookup', set: right.slice(1), sreg: reg };
      if (op === '!=') e.flags = NFT_LOOKUP_F_INV;
      this.out.push(e);
      return;
    }
    if (isObj(right) && 'set' in right) {
      if (op !== '==' && op !== '!=' && op !== 'in') throw new ValidationError(`${p}.op`, 'a set lookup takes == or !=');
      const list = (right as { set: unknown }).set;
      // nft turns a one-element set into a plain comparison (a flag test for bitmask types);
      // a concatenation keeps its set.
      if (Array.isArray(list) && list.length === 1 && !lhs.concat) {
        const only = list[0];
        const flagTest = lhs.dtype.base === 'bitmask' && op === '==' && !lhs.binop && !isObj(only);
        this.match({ op: flagTest ? 'in' : op === 'in' ? '==' : op, left: arg.left, right: only }, p, `${rp}.set[0]`);
        return;
      }
      const set = this.anonSet(lhs, right, rp, {});
      this.out.push(...lhs.load(reg));
      this.applyBinop(lhs, reg);
      this.htonForInterval(lhs, set, reg);
      const e: Expr = { name: 'lookup', set: set.name, setId: set.id, sreg: reg };
      if (op === '!=') e.flags = NFT_LOOKUP_F_INV;
      this.out.push(e);
      return;
    }
    if (lhs.concat) {
      if (op !== '==' && op !== '!=') throw new ValidationError(`${p}.op`, 'a concatenation compares with == or !=');
      this.out.push(...lhs.load(reg));
      if (isObj(right) && ('range' in right || 'prefix' in right)) throw new ValidationError(rp, 'ranges of concatenations need a set');
      const value = encodeConcat(lhs, right, rp);
      this.out.push(cmp(reg, CMP_OPS[op]!, value));
      return;
    }
    // Prefix.
    if (isObj(right) && 'prefix' in right) {
      if (op !== '==' && op !== '!=') throw new ValidationError(`${p}.op`, 'a prefix compares with == or !=');
      const pr = right.prefix;
      if (!isObj(pr)) throw new ValidationError(`${rp}.prefix`, 'expected {addr, len}');
      checkKeys(pr, ['addr', 'len'], `${rp}.prefix`);
      const addr = encodeLhs(lhs, pr.addr, `${rp}.prefix.addr`);
      const plen = uint(pr.len, `${rp}.prefix.len`, lhs.len * 8);
      const cop = CMP_OPS[op]!;
      if (lhs.payload && !lhs.binop && !lhs.fieldMask && plen % 8 === 0 && lhs.order === 'big') {
        if (plen === 0) {
          if (op === '!=') throw new ValidationError(`${rp}.prefix.len`, 'a /0 prefix never differs');
          return; // matches everything (nft drops it too)
        }
        const n = plen / 8;
        this.out.push({ name: 'payload', dreg: reg, base: lhs.payload.base, offset: lhs.payload.offset, len: n });
        this.out.push(cmp(reg, cop, addr.subarray(0, n)));
        return;
      }
      const mask = bitMask(lhs.len, lhs.len * 8 - plen, plen);
      this.out.push(...lhs.load(reg));
      this.out.push({ name: 'bitwise', sreg: reg, dreg: reg, len: lhs.len, mask, xor: Buffer.alloc(lhs.len) });
      this.out.push(cmp(reg, cop, and(addr, mask)));
      return;
    }
    // Range.
    if (isObj(right) && 'range' in right) {
      const r = right.range;
      if (!Array.isArray(r) || r.length !== 2) throw new ValidationError(`${rp}.range`, 'expected [low, high]');
      if (op !== '==' && op !== '!=') throw new ValidationError(`${p}.op`, 'a range compares with == or !=');
      const big = lhs.order === 'host' && lhs.len > 1;
      const lo = encodeLhs(lhs, r[0], `${rp}.range[0]`, big ? 'big' : undefined);
      const hi = encodeLhs(lhs, r[1], `${rp}.range[1]`, big ? 'big' : undefined);
      if (Buffer.compare(lo, hi) > 0) throw new ValidationError(`${rp}.range`, 'range low end is above its high end');
      this.out.push(...lhs.load(reg));
      this.applyBinop(lhs, reg);
      if (big) this.out.push({ name: 'byteorder', sreg: reg, dreg: reg, op: NFT_BYTEORDER_HTON, len: lhs.len, size: lhs.len });
      if (op === '==') this.out.push(cmp(reg, CMP_OPS['>=']!, lo), cmp(reg, CMP_OPS['<=']!, hi));
      else this.out.push({ name: 'range', sreg: reg, op: NFT_RANGE_NEQ, from: lo, to: hi });
      return;
    }
    // Flag test: `ct state established` (op "in") → (x & v) != 0.
    if (op === 'in') {
      if (lhs.binop) throw new ValidationError(`${p}.op`, '"in" cannot follow a binary operation');
      const v = encodeLhs(lhs, right, rp);
      this.out.push(...lhs.load(reg));
      this.out.push({ name: 'bitwise', sreg: reg, dreg: reg, len: lhs.len, mask: v, xor: Buffer.alloc(lhs.len) });
      this.out.push(cmp(reg, NFT_CMP_NEQ, Buffer.alloc(lhs.len)));
      return;
    }
    // Interface name wildcard: compare only the bytes before '*'.
    if (lhs.dtype.base === 'string' && typeof right === 'string' && right.endsWith('*') && !right.endsWith('\\*')) {
      if (op !== '==' && op !== '!=') throw new ValidationError(`${p}.op`, 'a wildcard compares with == or !=');
      const stem = Buffer.from(right.slice(0, -1), 'utf8');
      if (stem.length >= lhs.len) throw new ValidationError(rp, 'interface name too long');
      this.out.push(...lhs.load(reg));
      if (stem.length === 0) {
        // `"*"` matches every name: nft compares nothing.
        return;
      }
      this.out.push(cmp(reg, CMP_OPS[op]!, stem));
      return;
    }
    // Plain comparison.
    const ordered = op !== '==' && op !== '!=';
    const big = ordered && lhs.order === 'host' && lhs.len > 1;
    const v = encodeLhs(lhs, right, rp, big ? 'big' : undefined);
    this.out.push(...lhs.load(reg));
    this.applyBinop(lhs, reg);
    if (big) this.out.push({ name: 'byteorder', sreg: reg, dreg: reg, op: NFT_BYTEORDER_HTON, len: lhs.len, size: lhs.len });
    this.out.push(cmp(reg, CMP_OPS[op]!, v));
    // An equality on meta l4proto / nfproto / protocol satisfies later dependencies.
    if (op === '==' && lhs.depKey && !lhs.binop) this.have.add(`${lhs.depKey}=${readIntBE(v, lhs.order)}`);
    else if (this.ctx.record) {
      // Another value takes this same path when it is of the same JSON type and no set name
      // or interface wildcard (those compile to other expressions).
      const type = typeof right;
      const wildcards = lhs.dtype.base === 'string';
      this.ctx.record.cmp(rp, v, (json) => {
        if (typeof json !== type || (typeof json === 'string' && (json.startsWith('@') || (wildcards && json.endsWith('*'))))) throw new Error('not a leaf value');
        return encodeLhs(lhs, json, rp, big ? 'big' : undefined);
      }, leafWriter(lhs, big ? 'big' : lhs.order));
    }
  }

  // ------------------------------------------------------------ anonymous sets

  private anonSet(lhs: Lhs, json: unknown, path: string, opts: { verdict?: boolean; data?: { dtype: DataType; len: number; order: ByteOrder } }): AnonSet {
    if (!isObj(json) || !('set' in json)) throw new ValidationError(path, 'expected {"set": [...]} or "@name"');
    checkKeys(json, ['set'], path);
    const list = json.set;
    const sp = `${path}.set`;
    if (!Array.isArray(list) || list.length === 0) throw new ValidationError(sp, 'expected a non-empty list');
    const isMap = !!(opts.verdict || opts.data);
    type Item = { from: Buffer; to: Buffer; data?: Buffer | Verdict; ranged: boolean };
    // Intervals compare bytes in network order: a host-order key is converted (byteorder) before
    // an interval lookup, and its elements are stored big-endian; plain lookups keep host order.
    const ranged = (el: unknown) => isObj(el) && ('prefix' in el || 'range' in el);
    const anyRange = list.some((el) => ranged(isMap && Array.isArray(el) ? el[0] : el));
    const hostRange = anyRange && !lhs.concat && lhs.order === 'host' && lhs.len > 1;
    const items: Item[] = list.map((el, i) => {
      const ep = `${sp}[${i}]`;
      let key: unknown = el;
      let data: Buffer | Verdict | undefined;
      if (isMap) {
        if (!Array.isArray(el) || el.length !== 2) throw new ValidationError(ep, 'expected [key, value]');
        key = el[0];
        if (opts.verdict) data = encodeVerdict(el[1], `${ep}[1]`);
        else data = encodeValueAt(opts.data!.dtype, el[1], `${ep}[1]`, opts.data!.order, opts.data!.len);
      }
      const kp = isMap ? `${ep}[0]` : ep;
      const r = this.elementBounds(lhs, key, kp, hostRange);
      return { ...r, ...(data !== undefined ? { data } : {}) };
    });
    const interval = items.some((it) => it.ranged);
    let flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;
    if (interval) flags |= NFT_SET_INTERVAL;
    if (isMap) flags |= NFT_SET_MAP;
    if (interval && lhs.concat) flags |= NFT_SET_CONCAT;
    const set: AnonSet = {
      name: isMap ? '__map%d' : '__set%d',
      id: this.ctx.allocSetId(),
      flags,
      keyType: keyTypeId(lhs),
      keyLen: lhs.len,
      size: list.length,
      elements: [],
      userdata: Buffer.alloc(0),
    };
    if (opts.verdict) {
      set.dataType = NFT_DATA_VERDICT;
      set.dataLen = 0;
    } else if (opts.data) {
      set.dataType = opts.data.dtype.id;
      set.dataLen = opts.data.len;
    }
    if (lhs.concat && interval) set.concat = lhs.concat.map((m) => m.len);
    // nft describes the key expression of anonymous sets, not of anonymous maps.
    const keyTypeof = isMap ? undefined : keyTypeofTlv(lhs);
    if (keyTypeof) set.keyTypeof = keyTypeof;
    set.userdata = setUserdata(lhs, interval, opts);
    if (!interval) {
      const seen = new Set<string>();
      items.forEach((it, i) => {
        const hex = it.from.toString('hex');
        if (seen.has(hex)) throw new ValidationError(`${sp}[${i}]`, 'duplicate element');
        seen.add(hex);
        set.elements.push({ key: it.from, flags: 0, ...(it.data !== undefined ? { data: it.data } : {}) });
      });
    } else if (lhs.concat) {
      items.forEach((it) => set.elements.push({ key: it.from, keyEnd: it.to, flags: 0, ...(it.data !== undefined ? { data: it.data } : {}) }));
    } else {
      const order = items.map((it, index) => ({ it, index })).sort((a, b) => Buffer.compare(a.it.from, b.it.from));
      // nft starts an interval set with an end marker at zero when the first segment starts
      // above it (the rbtree then knows everything below is outside).
      if (order.length && order[0]!.it.from.some((b) => b !== 0)) {
        set.elements.push({ key: Buffer.alloc(lhs.len), flags: NFT_SET_ELEM_INTERVAL_END });
      }
      for (let i = 0; i < order.length; i++) {
        const { it, index } = order[i]!;
        if (i > 0 && Buffer.compare(order[i - 1]!.it.to, it.from) >= 0) throw new ValidationError(`${sp}[${index}]`, 'element overlaps another one');
        set.elements.push({ key: it.from, flags: 0, ...(it.data !== undefined ? { data: it.data } : {}) });
        const end = increment(it.to);
        if (end) set.elements.push({ key: end, flags: NFT_SET_ELEM_INTERVAL_END });
      }
    }
    if (interval && !lhs.concat) {
      // nft sizes an interval set by its elements with every segment end counted, then sends
      // no end marker where the next segment starts (the kernel keeps the start alone).
      set.size = set.elements.length;
      const starts = new Set(set.elements.filter((e) => !(e.flags & NFT_SET_ELEM_INTERVAL_END)).map((e) => e.key.toString('hex')));
      set.elements = set.elements.filter((e) => !(e.flags & NFT_SET_ELEM_INTERVAL_END) || !starts.has(e.key.toString('hex')));
    }
    this.anonSets.push(set);
    return set;
  }

  /** A set element's inclusive byte range (value, prefix, range, or concatenation of those). */
  private elementBounds(lhs: Lhs, json: unknown, path: string, hostRange: boolean): { from: Buffer; to: Buffer; ranged: boolean } {
    if (lhs.concat) {
      const list = isObj(json) && 'concat' in json ? json.concat : json;
      if (!Array.isArray(list) || list.length !== lhs.concat.length) throw new ValidationError(path, `expected {"concat": [...]} of ${lhs.concat.length} values`);
      const from = Buffer.alloc(lhs.len);
      const to = Buffer.alloc(lhs.len);
      let off = 0;
      let ranged = false;
      lhs.concat.forEach((m, i) => {
        const b = this.elementBounds(m, list[i], `${path}.concat[${i}]`, false);
        b.from.copy(from, off);
        b.to.copy(to, off);
        ranged ||= b.ranged;
        off += pad4(m.len);
      });
      return { from, to, ranged };
    }
    const order = hostRange ? 'big' : undefined;
    if (isObj(json) && 'prefix' in json) {
      const b = prefixBounds(lhs.dtype, json.prefix, `${path}.prefix`, order ?? lhs.order, lhs.len);
      return { ...b, ranged: true };
    }
    if (isObj(json) && 'range' in json) {
      const r = json.range;
      if (!Array.isArray(r) || r.length !== 2) throw new ValidationError(`${path}.range`, 'expected [low, high]');
      const from = encodeLhs(lhs, r[0], `${path}.range[0]`, order);
      const to = encodeLhs(lhs, r[1], `${path}.range[1]`, order);
      if (Buffer.compare(from, to) > 0) throw new ValidationError(`${path}.range`, 'range low end is above its high end');
      return { from, to, ranged: true };
    }
    const v = encodeLhs(lhs, json, path, order);
    return { from: v, to: v, ranged: false };
  }
}

// ---------------------------------------------------------------- helpers

// nft's expression type numbers (enum expr_types) used in typeof userdata.
const EXPR_PAYLOAD = 7;
const EXPR_META = 9;
const EXPR_CT = 12;
const EXPR_CONCAT = 13;
const NFTNL_UDATA_SET_KEY_TYPEOF = 3;

const udataTlv = (type: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([type, value.length]), value]);
const udataU32 = (type: number, n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return udataTlv(type, b);
};
// nft's byte order numbering (enum byteorder): invalid 0, host 1, big 2.
const byteorderNumber = (o: ByteOrder): number => (o === 'host' ? 1 : 2);

/** NFTA_SET_USERDATA of an anonymous set, in the order nft writes its TLVs. */
function setUserdata(lhs: Lhs, interval: boolean, opts: { verdict?: boolean; data?: { order: ByteOrder } }): Buffer {
  const parts = [udataU32(0 /* KEYBYTEORDER */, lhs.concat ? 0 : byteorderNumber(lhs.order))];
  if (opts.verdict) parts.push(udataU32(1 /* DATABYTEORDER */, 0));
  else if (opts.data) parts.push(udataU32(1, byteorderNumber(opts.data.order)));
  if (interval && !opts.verdict && !opts.data) parts.push(udataU32(2 /* MERGE_ELEMENTS */, 1));
  const keyTypeof = opts.verdict || opts.data ? undefined : keyTypeofTlv(lhs);
  if (keyTypeof) parts.push(keyTypeof);
  if (opts.verdict) {
    // DATA_TYPEOF { TYPEOF_EXPR: EXPR_VERDICT (1), TYPEOF_DATA: empty }
    parts.push(udataTlv(4, Buffer.concat([udataU32(0, 1), udataTlv(1, Buffer.alloc(0))])));
  }
  if (opts.verdict || opts.data) parts.push(udataU32(6 /* DATA_INTERVAL */, 0));
  return Buffer.concat(parts);
}

/** An expression as nft describes it in set userdata: its type (enum expr_types) and attributes. */
interface TypeofExpr {
  type: number;
  data: Buffer;
}

/** TYPEOF_DATA of meta/ct: u32 attributes. */
function typeofExpr(exprType: number, attrs: [number, number][]): TypeofExpr {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n | 0);
    return b;
  };
  return { type: exprType, data: Buffer.concat(attrs.map(([t, v]) => udataTlv(t, u32(v)))) };
}

/**
 * NFTNL_UDATA_SET_KEY_TYPEOF { TYPEOF_EXPR (0): u32 expression type, TYPEOF_DATA (1): its
 * attributes } in libnftnl's udata TLVs (u8 type, u8 length); a concatenation lists its
 * members as attributes 0, 1, … each holding a TYPEOF_EXPR/TYPEOF_DATA pair.
 */
function keyTypeofTlv(lhs: Lhs): Buffer | undefined {
  const pair = (t: TypeofExpr) => Buffer.concat([udataU32(0, t.type), udataTlv(1, t.data)]);
  if (lhs.binop) return undefined;
  if (lhs.concat) {
    if (lhs.concat.some((m) => !m.typeof)) return undefined;
    const members = Buffer.concat(lhs.concat.map((m, i) => udataTlv(i, pair(m.typeof!()))));
    return udataTlv(NFTNL_UDATA_SET_KEY_TYPEOF, Buffer.concat([udataU32(0, EXPR_CONCAT), udataTlv(1, members)]));
  }
  // A lone sub-byte field (vlan id) is described by its type alone, as nft does.
  return lhs.typeof && !lhs.fieldMask ? udataTlv(NFTNL_UDATA_SET_KEY_TYPEOF, pair(lhs.typeof())) : undefined;
}

function byteUnit(u: unknown, path: string): number {
  if (u === undefined) return 1;
  const v = typeof u === 'string' ? BYTE_UNITS[u] : undefined;
  if (v === undefined) throw new ValidationError(path, `expected one of ${Object.keys(BYTE_UNITS).join(', ')}`);
  return v;
}

function natFlags(json: unknown, path: string): number {
  if (json === undefined) return 0;
  const list = Array.isArray(json) ? json : [json];
  let flags = 0;
  list.forEach((f, i) => {
    const v = typeof f === 'string' ? NAT_FLAGS[f] : undefined;
    if (v === undefined) throw new ValidationError(Array.isArray(json) ? `${path}[${i}]` : path, `expected one of ${Object.keys(NAT_FLAGS).join(', ')}`);
    flags |= v;
  });
  return flags;
}

function payloadFieldOf(arg: unknown, p: string): NonNullable<ReturnType<typeof payloadField>> {
  if (!isObj(arg)) throw new ValidationError(p, 'expected {protocol, field}');
  checkKeys(arg, ['protocol', 'field'], p);
  if (typeof arg.protocol !== 'string' || !PROTOCOLS[arg.protocol]) {
    throw new ValidationError(`${p}.protocol`, `unsupported protocol ${JSON.stringify(arg.protocol)} (supported: ${Object.keys(PROTOCOLS).join(', ')})`);
  }
  const f = typeof arg.field === 'string' ? payloadField(arg.protocol, arg.field) : undefined;
  if (!f) throw new ValidationError(`${p}.field`, `unknown ${arg.protocol} field ${JSON.stringify(arg.field)}`);
  return f;
}

function tcpOptionOf(arg: unknown, p: string): { kind: number; offset: number; len: number; field?: string } {
  if (!isObj(arg)) throw new ValidationError(p, 'expected {name, field}');
  checkKeys(arg, ['name', 'field'], p);
  const name = arg.name === 'sack-permitted' ? 'sack-perm' : arg.name === 'mss' ? 'maxseg' : arg.name;
  const o = typeof name === 'string' ? TCP_OPTIONS[name] : undefined;
  if (!o) throw new ValidationError(`${p}.name`, `unknown tcp option ${JSON.stringify(arg.name)} (${Object.keys(TCP_OPTIONS).join(', ')})`);
  if (arg.field === undefined) return { kind: o.kind, offset: 0, len: 1 };
  const f = typeof arg.field === 'string' ? o.fields[arg.field] : undefined;
  if (!f) throw new ValidationError(`${p}.field`, `unknown field ${JSON.stringify(arg.field)} of tcp option ${name}`);
  return { kind: o.kind, offset: f[0] / 8, len: f[1] / 8, field: arg.field as string };
}

function metaKeyOf(arg: unknown, p: string) {
  if (!isObj(arg)) throw new ValidationError(p, 'expected {key}');
  checkKeys(arg, ['key'], p);
  const m = typeof arg.key === 'string' ? META_KEYS.get(arg.key) : undefined;
  if (!m) throw new ValidationError(`${p}.key`, `unknown meta key ${JSON.stringify(arg.key)}`);
  return m;
}

function ctKeyOf(arg: unknown, p: string, family: NftFamily) {
  if (!isObj(arg)) throw new ValidationError(p, 'expected {key, dir, family}');
  checkKeys(arg, ['key', 'dir', 'family'], p);
  const key = typeof arg.key === 'string' ? CT_KEYS.get(arg.key) : undefined;
  if (!key) throw new ValidationError(`${p}.key`, `unknown ct key ${JSON.stringify(arg.key)}`);
  let dir: number | undefined;
  if (arg.dir !== undefined) {
    if (arg.dir !== 'original' && arg.dir !== 'reply') throw new ValidationError(`${p}.dir`, 'expected "original" or "reply"');
    if (!key.dir) throw new ValidationError(`${p}.dir`, `ct ${key.name} takes no direction`);
    dir = arg.dir === 'original' ? 0 : 1;
  } else if (key.dir === 'required') {
    throw new ValidationError(`${p}.dir`, `ct ${key.name} needs a direction ("original" or "reply")`);
  }
  let dtype = typeByName(key.type)!;
  let len = key.len;
  if (key.name === 'saddr' || key.name === 'daddr') {
    const fam = arg.family ?? (family === 'ip6' ? 'ip6' : 'ip');
    if (fam !== 'ip' && fam !== 'ip6') throw new ValidationError(`${p}.family`, 'expected "ip" or "ip6"');
    if (fam === 'ip6') {
      dtype = typeByName('ipv6_addr')!;
      len = 16;
    }
  } else if (arg.family !== undefined) {
    throw new ValidationError(`${p}.family`, `ct ${key.name} takes no family`);
  }
  return { key, dir, dtype, len };
}

// The dependencies of a header depend only on the protocol and the family: built once each
// (frozen, so no caller can change what the next rule gets), not per match of every rule.
const DEPS_CACHE = new Map<string, readonly Dep[]>();

/** Dependencies nft inserts before a header of `proto` in a table of `family`. */
function depsFor(proto: ProtoDesc, family: NftFamily, p: string): Dep[] {
  const key = `${proto.name}\0${family}`;
  let deps = DEPS_CACHE.get(key);
  if (!deps) {
    deps = Object.freeze(computeDeps(proto, family, p)); // throws (with `p`) for impossible pairs, never cached
    DEPS_CACHE.set(key, deps);
  }
  return deps as Dep[];
}

function computeDeps(proto: ProtoDesc, family: NftFamily, p: string): Dep[] {
  const metaEq = (name: string, value: Buffer): Dep => {
    const m = META_KEYS.get(name)!;
    return { id: `meta:${name}=${readIntBE(value, metaOrder(m))}`, exprs: (reg) => [meta(reg, m.key), cmp(reg, 0, value)] };
  };
  const etherType = (t: number): Dep => {
    const v = Buffer.alloc(2);
    v.writeUInt16BE(t);
    return {
      id: `ether:type=${t}`,
      exprs: (reg) => [{ name: 'payload', dreg: reg, base: PAYLOAD_BASE.ll, offset: 12, len: 2 }, cmp(reg, 0, v)],
    };
  };
  const u8 = (n: number) => Buffer.from([n]);
  const be16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const l2 = family === 'bridge' || family === 'netdev';
  switch (proto.name) {
    case 'th': return [];
    // Only a bridge guarantees an Ethernet header; elsewhere nft checks the interface type.
    case 'ether':
      if (family === 'arp') throw new ValidationError(p, 'ether header in an arp table');
      return family === 'bridge' ? [] : [metaEq('iiftype', Buffer.from([1, 0]))];
    case 'vlan':
      if (family === 'arp') throw new ValidationError(p, 'vlan header in an arp table');
      return [...(family === 'bridge' ? [] : [metaEq('iiftype', Buffer.from([1, 0]))]), etherType(0x8100)];
    case 'arp':
      if (family === 'arp') return [];
      if (l2) return [etherType(0x0806)];
      throw new ValidationError(p, `arp header in an ${family} table`);
    case 'ip':
      if (family === 'ip') return [];
      if (family === 'inet') return [metaEq('nfproto', u8(2))];
      if (l2) return [metaEq('protocol', be16(0x0800))];
      throw new ValidationError(p, `conflicting protocols: ip header in an ${family} table`);
    case 'ip6':
      if (family === 'ip6') return [];
      if (family === 'inet') return [metaEq('nfproto', u8(10))];
      if (l2) return [metaEq('protocol', be16(0x86dd))];
      throw new ValidationError(p, `conflicting protocols: ip6 header in an ${family} table`);
    default: {
      if (family === 'arp') throw new ValidationError(p, `${proto.name} header in an arp table`);
      // Below an ICMP header in a bridge/netdev table nft checks the ether type itself.
      const l3 = !proto.l3 ? [] : l2 ? [etherType(proto.l3 === 'ip' ? 0x0800 : 0x86dd)] : depsFor(PROTOCOLS[proto.l3]!, family, p);
      return [...l3, metaEq('l4proto', u8(proto.l4!))];
    }
  }
}

function readIntBE(b: Buffer, order: ByteOrder): number {
  let v = 0;
  for (let i = 0; i < b.length; i++) v = v * 256 + b[order === 'big' ? i : b.length - 1 - i]!;
  return v;
}

function keyTypeId(lhs: Lhs): number {
  if (!lhs.concat) return lhs.dtype.id;
  let id = 0;
  for (const m of lhs.concat) id = id * 64 + m.dtype.id;
  return id;
}

/** A value as `len` bytes of type `t` in `order` (payload fields narrower/wider than the type are fine). */
/** Writes a non-negative integer below 2^(8·len) (len ≤ 6: exact in a double) as `len` bytes. */
function writeUint(b: Buffer, at: number, value: number, len: number, order: ByteOrder): void {
  let v = value;
  for (let i = 0; i < len; i++) {
    b[order === 'big' ? at + len - 1 - i : at + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

function encodeValueAt(t: DataType, json: unknown, path: string, order: ByteOrder, len: number): Buffer {
  if (typeof json === 'number' && Number.isInteger(json) && json >= 0 && len <= 6 && (t.base === 'integer' || t.base === 'bitmask')) {
    // Fast path for plain numbers (ports, marks …): no BigInt.
    if (json >= 2 ** (len * 8)) throw new ValidationError(path, `value ${json} does not fit in ${len * 8} bits`);
    const out = Buffer.allocUnsafe(len); // pooled; writeUint writes every byte
    writeUint(out, 0, json, len, order);
    return out;
  }
  if (t.base === 'integer' || t.base === 'bitmask' || t.base === 'boolean') {
    const v = integerValue(t, json, path);
    if (v >= 1n << BigInt(len * 8)) throw new ValidationError(path, `value ${v} does not fit in ${len * 8} bits`);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[order === 'big' ? len - 1 - i : i] = Number((v >> BigInt(8 * i)) & 0xffn);
    return out;
  }
  if (t.base === 'ipv4' || t.base === 'ipv6') {
    // parseIp returns a fresh Buffer of its own: no copy needed.
    const bytes = parseIp(json, path, t.base === 'ipv4' ? 2 : 10).bytes;
    const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    if (b.length !== len) throw new ValidationError(path, `expected a ${t.name}`);
    return b;
  }
  if (t.base === 'string') {
    if (typeof json !== 'string') throw new ValidationError(path, `expected a ${t.name} string`);
    const s = Buffer.from(json.replace(/\\\*$/, '*'), 'utf8');
    if (s.length >= len) throw new ValidationError(path, `${JSON.stringify(json)} is longer than ${len - 1} bytes`);
    const out = Buffer.alloc(len);
    s.copy(out);
    return out;
  }
  if (t.base === 'ether') return encodeEther(json, path, len);
  throw new ValidationError(path, `a ${t.name} cannot be used here`);
}

function encodeEther(json: unknown, path: string, len: number): Buffer {
  if (typeof json !== 'string') throw new ValidationError(path, 'expected a MAC address');
  const parts = json.split(':');
  if (parts.length !== len || parts.some((x) => !/^[0-9a-fA-F]{1,2}$/.test(x))) throw new ValidationError(path, `invalid MAC address ${JSON.stringify(json)}`);
  return Buffer.from(parts.map((x) => parseInt(x, 16)));
}

/** Value bits of a sub-byte field as a bigint (checked against the field width). */
function valueBits(t: DataType, json: unknown, path: string, bits: number): bigint {
  const v = integerValue(t, json, path);
  if (v >= 1n << BigInt(bits)) throw new ValidationError(path, `value ${v} does not fit in ${bits} bits`);
  return v;
}

/** `v << shift` as `len` big-endian bytes. */
function shiftInto(v: bigint, shift: number, len: number): Buffer {
  const out = Buffer.alloc(len);
  const s = v << BigInt(shift);
  for (let i = 0; i < len; i++) out[len - 1 - i] = Number((s >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** A value for a left side: its type, register length and byte order; sub-byte fields shifted in place. */
function encodeLhs(lhs: Lhs, json: unknown, path: string, order?: ByteOrder): Buffer {
  if (lhs.fieldMask) {
    const bits = popcount(lhs.fieldMask);
    return shiftInto(valueBits(lhs.dtype, json, path, bits), lhs.shift, lhs.len);
  }
  if (lhs.dtype.name === 'iface_index' && typeof json === 'string' && !/^[0-9]+$/.test(json)) {
    const index = lhs.ifindex?.(json);
    if (index === undefined) {
      throw new ValidationError(path, lhs.ifindex ? `no interface ${JSON.stringify(json)} in the target namespace` : `interface ${JSON.stringify(json)}: names need the target namespace's index (use a number or pass ctx.ifindex)`);
    }
    return encodeValueAt(lhs.dtype, index, path, order ?? lhs.order, lhs.len);
  }
  if (lhs.dtype.name === 'ct_label' && (typeof json === 'number' || (typeof json === 'string' && /^[0-9]+$/.test(json)))) {
    // A label is named by its bit number (connlabel.conf maps names to bits).
    const bit = Number(json);
    if (!Number.isInteger(bit) || bit < 0 || bit >= lhs.len * 8) throw new ValidationError(path, `label bit ${bit} out of range 0–${lhs.len * 8 - 1}`);
    return encodeValueAt(lhs.dtype, `0x${(1n << BigInt(bit)).toString(16)}`, path, order ?? lhs.order, lhs.len);
  }
  if (lhs.dtype.name === 'time' && lhs.len === 4) {
    // ct expiration: JSON seconds, kernel milliseconds.
    const s = integerValue(lhs.dtype, json, path);
    return encodeValueAt(lhs.dtype, Number(s * 1000n), path, order ?? lhs.order, lhs.len);
  }
  return encodeValueAt(lhs.dtype, json, path, order ?? lhs.order, lhs.len);
}

function encodeConcat(lhs: Lhs, json: unknown, path: string): Buffer {
  const list = isObj(json) && 'concat' in json ? json.concat : json;
  if (!Array.isArray(list) || list.length !== lhs.concat!.length) throw new ValidationError(path, `expected {"concat": [...]} of ${lhs.concat!.length} values`);
  const out = Buffer.alloc(lhs.len);
  let off = 0;
  lhs.concat!.forEach((m, i) => {
    encodeLhs(m, list[i], `${path}.concat[${i}]`).copy(out, off);
    off += pad4(m.len);
  });
  return out;
}

function popcount(b: Buffer): number {
  let n = 0;
  for (const x of b) for (let v = x; v; v &= v - 1) n++;
  return n;
}

/** `bits` one-bits ending `shift` bits above the least significant bit of a `len`-byte big-endian word. */
function bitMask(len: number, shift: number, bits: number): Buffer {
  const m = ((1n << BigInt(bits)) - 1n) << BigInt(shift);
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) out[len - 1 - i] = Number((m >> BigInt(8 * i)) & 0xffn);
  return out;
}

function invert(b: Buffer): Buffer {
  return Buffer.from(b.map((x) => ~x & 0xff));
}

function and(a: Buffer, m: Buffer): Buffer {
  return Buffer.from(a.map((x, i) => x & m[i]!));
}

function prefixBounds(t: DataType, json: unknown, path: string, order: ByteOrder, len: number): { from: Buffer; to: Buffer } {
  if (!isObj(json)) throw new ValidationError(path, 'expected {addr, len}');
  checkKeys(json, ['addr', 'len'], path);
  const addr = encodeValueAt(t, json.addr, `${path}.addr`, order, len);
  const plen = uint(json.len, `${path}.len`, len * 8);
  const mask = bitMask(len, len * 8 - plen, plen);
  const from = and(addr, mask);
  const to = Buffer.from(from.map((x, i) => x | (~mask[i]! & 0xff)));
  return { from, to };
}
