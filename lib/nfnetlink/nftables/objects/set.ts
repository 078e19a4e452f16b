/**
 * Sets and maps: `{"set"|"map": {"family", "table", "name", "handle", "type", "map", "flags",
 * "timeout", "gc-interval", "size", "policy", "elem", "comment", "stmt"}}` ⇄ NFT_MSG_NEWSET, and
 * their elements ⇄ NFT_MSG_NEWSETELEM (`{"element": {"family", "table", "name", "elem"}}`).
 * Interval sets hold start / interval-end element pairs (datatypes.ts converts); concatenated
 * interval sets hold KEY + KEY_END per element. Elements are split over several messages since
 * the element list is one attribute with a 16-bit length.
 * Equivalent to: nft add set inet t s '{ type ipv4_addr; flags interval; elements = { 10.0.0.0/8 } }'
 */
import { ParseError, ValidationError } from '../../../errors';
import { decodeAttrs, defineSchema, forEachAttr, readString } from '../../../wire/attributes';
import type { BuiltMessage, MessageWriter } from '../../../wire/message-writer';
import { NLA_F_NESTED, NLA_TYPE_MASK, NLM_F_CREATE, NLM_F_EXCL } from '../../../wire/constants';
import { readNfgenmsg } from '../../nfnetlink';
import {
  NFT_DATA_VERDICT, decodeKey, encodeInterval, encodeKey, encodeVerdict, formatInterval, fromKernelIntervals,
  resolveType, resolveTypeId, toKernelIntervals, verdictJson, pad4, type Interval, type ResolvedType, type Verdict,
} from '../datatypes';
import { decodeData, encodeData } from '../expr/data';
import {
  FAMILY_NAMES, NFTA_COUNTER, NFTA_LIST_ELEM, NFTA_SET, NFTA_SET_DESC, NFTA_SET_ELEM, NFTA_SET_ELEM_LIST, NFTA_SET_FIELD_LEN,
  NFT_MSG, NFT_SET_ELEM_INTERVAL_END, NFT_SET_F, NFT_SET_POL_MEMORY,
} from '../constants';
import {
  be64, buildUdata, commentUdata, familyOf, nameOf, nftMessage, obj, optString, optUint, parseUdata, readBe64, u32Udata, udataString, writeBe64, type Udata, writeNameOrHandle,
} from './common';
import { checkJsonKeys } from './table';
import { ipv4Value } from '../../../wire/address';

/** libnftnl set udata types (NFTNL_UDATA_SET_*). */
const UDATA_SET = { KEYBYTEORDER: 0, DATABYTEORDER: 1, MERGE_ELEMENTS: 2, KEY_TYPEOF: 3, DATA_TYPEOF: 4, EXPR: 5, DATA_INTERVAL: 6, COMMENT: 7 } as const;
/** NFTNL_UDATA_SET_ELEM_COMMENT. */
const UDATA_ELEM_COMMENT = 0;
/** nft's enum byteorder, stored in the set's udata. */
const BYTEORDER_HOST = 1;
const BYTEORDER_BIG = 2;

const NFTA_EXPR_NAME = 1;
const NFTA_EXPR_DATA = 2;

/** What element codecs need to know about a set. */
export interface SetInfo {
  family: string;
  table: string;
  name: string;
  /** Kernel NFT_SET_* flags. */
  flags: number;
  key: ResolvedType;
  /** Map data type: a resolved type, or 'verdict'. */
  data?: ResolvedType | 'verdict';
  /** Default element timeout in ms. */
  timeoutMs?: number;
  /** NFTA_SET_ID when the set is created in the same transaction. */
  id?: number;
  /** An anonymous set (`__set%d`), printed inside the rule that uses it. */
  anonymous?: boolean;
}

const descSchema = defineSchema('set.desc', {
  [NFTA_SET_DESC.SIZE]: { name: 'size', type: 'u32be' },
  [NFTA_SET_DESC.CONCAT]: { name: 'concat', type: 'binary' },
});

/** NFTA_SET_* attributes. */
export const setSchema = defineSchema('set', {
  [NFTA_SET.TABLE]: { name: 'table', type: 'string' },
  [NFTA_SET.NAME]: { name: 'name', type: 'string' },
  [NFTA_SET.FLAGS]: { name: 'flags', type: 'u32be' },
  [NFTA_SET.KEY_TYPE]: { name: 'keyType', type: 'u32be' },
  [NFTA_SET.KEY_LEN]: { name: 'keyLen', type: 'u32be' },
  [NFTA_SET.DATA_TYPE]: { name: 'dataType', type: 'u32be' },
  [NFTA_SET.DATA_LEN]: { name: 'dataLen', type: 'u32be' },
  [NFTA_SET.POLICY]: { name: 'policy', type: 'u32be' },
  [NFTA_SET.DESC]: { name: 'desc', type: 'nested', nested: descSchema },
  [NFTA_SET.ID]: { name: 'id', type: 'u32be' },
  [NFTA_SET.TIMEOUT]: { name: 'timeout', ...be64 },
  [NFTA_SET.GC_INTERVAL]: { name: 'gcInterval', type: 'u32be' },
  [NFTA_SET.USERDATA]: { name: 'userdata', type: 'binary' },
  [NFTA_SET.OBJ_TYPE]: { name: 'objType', type: 'u32be' },
  [NFTA_SET.HANDLE]: { name: 'handle', ...be64 },
  [NFTA_SET.EXPR]: { name: 'expr', type: 'binary' },
  [NFTA_SET.EXPRESSIONS]: { name: 'exprs', type: 'binary' },
});

const SET_KEYS = new Set(['family', 'table', 'name', 'handle', 'type', 'map', 'flags', 'timeout', 'gc-interval', 'size', 'policy', 'elem', 'comment', 'stmt', 'auto-merge']);
const ELEMENT_KEYS = new Set(['family', 'table', 'name', 'elem']);
const SET_FLAG_NAMES: [string, number][] = [['constant', NFT_SET_F.CONSTANT], ['interval', NFT_SET_F.INTERVAL], ['timeout', NFT_SET_F.TIMEOUT], ['dynamic', NFT_SET_F.EVAL]];

function secondsOf(v: unknown, path: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ValidationError(path, 'expected seconds (a non-negative number)');
  return Math.round(v * 1000);
}

function counterExpr(w: MessageWriter, type: number, packets = 0, bytes = 0, field?: string): void {
  w.nestStart(type, field);
  w.string(NFTA_EXPR_NAME, 'counter');
  w.nestStart(NFTA_EXPR_DATA);
  writeBe64(w, NFTA_COUNTER.BYTES, bytes);
  writeBe64(w, NFTA_COUNTER.PACKETS, packets);
  w.nestEnd();
  w.nestEnd();
}

/** Parses a set's "stmt" list: only `{"counter": null}` (a counter per element) is supported. */
function setStatements(v: unknown, path: string): boolean {
  if (v === undefined) return false;
  if (!Array.isArray(v)) throw new ValidationError(path, 'expected a list of statements');
  v.forEach((s, i) => {
    if (!s || typeof s !== 'object' || Object.keys(s).length !== 1 || !('counter' in s)) {
      throw new ValidationError(`${path}[${i}]`, 'only {"counter": null} is supported as a set statement');
    }
  });
  return v.length > 0;
}

/** The prepared form of one set command: its header message and what elements need. */
export interface PreparedSet {
  msg?: BuiltMessage;
  info: SetInfo;
  elems?: unknown[];
}

/** Validates a set/map JSON object and builds its NEWSET (add/create) message. */
export function buildSet(kind: 'set' | 'map', verb: string, json: unknown, path: string, echo: number, id: number): PreparedSet {
  const o = obj(json, path);
  checkJsonKeys(o, SET_KEYS, path);
  const fam = familyOf(o, path);
  const table = nameOf(o.table, `${path}.table`);
  const name = nameOf(o.name, `${path}.name`);
  const key = resolveType(o.type, `${path}.type`);
  let data: SetInfo['data'];
  if (kind === 'map') {
    if (o.map === undefined) throw new ValidationError(`${path}.map`, 'a map needs its data type ("map")');
    data = o.map === 'verdict' ? 'verdict' : resolveType(o.map, `${path}.map`);
  } else if (o.map !== undefined) {
    throw new ValidationError(`${path}.map`, 'a set has no data type (use "map")');
  }
  let flags = kind === 'map' ? NFT_SET_F.MAP : 0;
  if (o.flags !== undefined) {
    const list = typeof o.flags === 'string' ? [o.flags] : o.flags;
    if (!Array.isArray(list)) throw new ValidationError(`${path}.flags`, 'expected a list of flags');
    list.forEach((f: unknown, i: number) => {
      const hit = SET_FLAG_NAMES.find(([n]) => n === f);
      if (!hit) throw new ValidationError(`${path}.flags[${i}]`, `unknown set flag ${JSON.stringify(f)} (constant, interval, timeout, dynamic)`);
      flags |= hit[1];
    });
  }
  if (key.concat) flags |= NFT_SET_F.CONCAT;
  const timeoutMs = secondsOf(o.timeout, `${path}.timeout`);
  if (timeoutMs !== undefined) flags |= NFT_SET_F.TIMEOUT;
  const gcMs = secondsOf(o['gc-interval'], `${path}.gc-interval`);
  const size = optUint(o.size, `${path}.size`, 0xffff_ffff);
  let policy: number | undefined;
  if (o.policy !== undefined) {
    if (o.policy !== 'performance' && o.policy !== 'memory') throw new ValidationError(`${path}.policy`, 'expected "performance" or "memory"');
    policy = o.policy === 'memory' ? NFT_SET_POL_MEMORY : 0;
  }
  const comment = optString(o.comment, `${path}.comment`);
  const counter = setStatements(o.stmt, `${path}.stmt`);
  if (counter) flags |= NFT_SET_F.EXPR;
  if (o['auto-merge'] !== undefined && typeof o['auto-merge'] !== 'boolean') throw new ValidationError(`${path}.auto-merge`, 'expected a boolean');
  if (o.elem !== undefined && !Array.isArray(o.elem)) throw new ValidationError(`${path}.elem`, 'expected a list of elements');
  const info: SetInfo = { family: fam.name, table, name, flags, key, ...(data ? { data } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}), id };
  if (verb !== 'add' && verb !== 'create') return { info, ...(o.elem ? { elems: o.elem } : {}) };

  const w = nftMessage(NFT_MSG.NEWSET, NLM_F_CREATE | (verb === 'create' ? NLM_F_EXCL : 0) | echo, fam.num);
  w.string(NFTA_SET.TABLE, table, `${path}.table`);
  w.string(NFTA_SET.NAME, name, `${path}.name`);
  w.u32be(NFTA_SET.FLAGS, flags, `${path}.flags`);
  w.u32be(NFTA_SET.KEY_TYPE, key.kernelId, `${path}.type`);
  w.u32be(NFTA_SET.KEY_LEN, key.len, `${path}.type`);
  if (data === 'verdict') {
    w.u32be(NFTA_SET.DATA_TYPE, NFT_DATA_VERDICT, `${path}.map`);
  } else if (data) {
    w.u32be(NFTA_SET.DATA_TYPE, data.kernelId, `${path}.map`);
    w.u32be(NFTA_SET.DATA_LEN, data.len, `${path}.map`);
  }
  if (policy !== undefined) w.u32be(NFTA_SET.POLICY, policy, `${path}.policy`);
  if (size !== undefined || key.concat) {
    w.nestStart(NFTA_SET.DESC, `${path}.size`);
    if (size !== undefined) w.u32be(NFTA_SET_DESC.SIZE, size, `${path}.size`);
    if (key.concat) {
      w.nestStart(NFTA_SET_DESC.CONCAT, `${path}.type`);
      for (const f of key.fields) {
        w.nestStart(NFTA_LIST_ELEM);
        w.u32be(NFTA_SET_FIELD_LEN, f.size);
        w.nestEnd();
      }
      w.nestEnd();
    }
    w.nestEnd();
  }
  w.u32be(NFTA_SET.ID, id);
  if (timeoutMs !== undefined) writeBe64(w, NFTA_SET.TIMEOUT, timeoutMs, `${path}.timeout`);
  if (gcMs !== undefined) w.u32be(NFTA_SET.GC_INTERVAL, gcMs, `${path}.gc-interval`);
  const udata: Udata[] = [u32Udata(UDATA_SET.KEYBYTEORDER, key.fields[0]!.byteorder === 'big' ? BYTEORDER_BIG : BYTEORDER_HOST)];
  if (data && data !== 'verdict') udata.push(u32Udata(UDATA_SET.DATABYTEORDER, data.fields[0]!.byteorder === 'big' ? BYTEORDER_BIG : BYTEORDER_HOST));
  if (o['auto-merge']) udata.push(u32Udata(UDATA_SET.MERGE_ELEMENTS, 1));
  if (comment !== undefined) udata.push(commentUdata(UDATA_SET.COMMENT, comment, `${path}.comment`));
  w.bytes(NFTA_SET.USERDATA, buildUdata(udata), path);
  if (counter) counterExpr(w, NFTA_SET.EXPR, 0, 0, `${path}.stmt`);
  return { msg: w.finish(), info, ...(o.elem ? { elems: o.elem } : {}) };
}

/** Builds delete (DELSET) or flush (DELSETELEM without elements) of a set or map. */
export function buildSetRemoval(verb: 'delete' | 'flush', json: unknown, path: string): BuiltMessage {
  const o = obj(json, path);
  checkJsonKeys(o, SET_KEYS, path);
  const fam = familyOf(o, path);
  const table = nameOf(o.table, `${path}.table`);
  optUint(o.handle, `${path}.handle`); // checked here; a delete may name it
  if (verb === 'flush') {
    const w = nftMessage(NFT_MSG.DELSETELEM, 0, fam.num);
    w.string(NFTA_SET_ELEM_LIST.TABLE, table, `${path}.table`);
    w.string(NFTA_SET_ELEM_LIST.SET, nameOf(o.name, `${path}.name`), `${path}.name`);
    return w.finish();
  }
  const w = nftMessage(NFT_MSG.DELSET, 0, fam.num);
  w.string(NFTA_SET.TABLE, table, `${path}.table`);
  writeNameOrHandle(w, o, path, 'set', NFTA_SET.NAME, NFTA_SET.HANDLE);
  return w.finish();
}

/** Validates an element command's object; the set it names is looked up by the caller. */
export function elementTarget(json: unknown, path: string): { family: string; table: string; name: string; elems: unknown[] } {
  const o = obj(json, path);
  checkJsonKeys(o, ELEMENT_KEYS, path);
  const fam = familyOf(o, path);
  const table = nameOf(o.table, `${path}.table`);
  const name = nameOf(o.name, `${path}.name`);
  const elems = typeof o.elem === 'string' || typeof o.elem === 'number' || (o.elem && !Array.isArray(o.elem)) ? [o.elem] : o.elem;
  if (!Array.isArray(elems)) throw new ValidationError(`${path}.elem`, 'expected a list of elements');
  return { family: fam.name, table, name, elems };
}

// ------------------------------------------------------------------ elements

/** One element as the kernel holds it. */
export interface KernelElement {
  key: Buffer;
  keyEnd?: Buffer;
  flags: number;
  data?: Buffer | Verdict;
  timeoutMs?: number;
  expirationMs?: number;
  comment?: string;
  counter?: { packets: number; bytes: number };
  /** Index of the input element it came from (for error paths). */
  index?: number;
}

interface ParsedElem {
  key: unknown;
  data?: unknown;
  timeoutMs?: number;
  comment?: string;
  counter?: { packets: number; bytes: number };
}

/** Unwraps `{"elem": {"val", "timeout", "expires", "comment", "counter"}}` and map pairs `[key, data]`. */
function parseElem(e: unknown, isMap: boolean, path: string): { p: ParsedElem; keyPath: string; dataPath?: string } {
  let key: unknown = e;
  let data: unknown;
  let keyPath = path;
  let dataPath: string | undefined;
  if (isMap) {
    if (!Array.isArray(e) || e.length !== 2) throw new ValidationError(path, 'expected a map element [key, value]');
    key = e[0];
    data = e[1];
    keyPath = `${path}[0]`;
    dataPath = `${path}[1]`;
  }
  const p: ParsedElem = { key };
  if (key && typeof key === 'object' && !Array.isArray(key) && 'elem' in key) {
    const inner = (key as { elem: unknown }).elem;
    const ip = `${keyPath}.elem`;
    const io = obj(inner, ip);
    checkJsonKeys(io, new Set(['val', 'timeout', 'expires', 'comment', 'counter']), ip);
    p.key = io.val;
    keyPath = `${ip}.val`;
    const t = secondsOf(io.timeout, `${ip}.timeout`);
    if (t !== undefined) p.timeoutMs = t;
    const c = optString(io.comment, `${ip}.comment`);
    if (c !== undefined) p.comment = c;
    if (io.counter !== undefined) {
      const co = obj(io.counter, `${ip}.counter`);
      p.counter = { packets: optUint(co.packets, `${ip}.counter.packets`) ?? 0, bytes: optUint(co.bytes, `${ip}.counter.bytes`) ?? 0 };
    }
  }
  if (isMap) p.data = data;
  return { p, keyPath, ...(dataPath ? { dataPath } : {}) };
}

/** Per-field ranges of a concatenated interval element: `{"concat": [v | prefix | range …]}`. */
function concatInterval(info: SetInfo, json: unknown, path: string): Interval {
  const list = json && typeof json === 'object' && !Array.isArray(json) && 'concat' in json ? (json as { concat: unknown }).concat : json;
  if (!Array.isArray(list) || list.length !== info.key.fields.length) throw new ValidationError(path, `expected {"concat": [...]} of ${info.key.fields.length} values`);
  const from = Buffer.alloc(info.key.len);
  const to = Buffer.alloc(info.key.len);
  let off = 0;
  info.key.fields.forEach((f, i) => {
    const single = resolveType(f.name, path);
    const r = encodeInterval(single, list[i], `${path}.concat[${i}]`);
    r.from.copy(from, off);
    r.to.copy(to, off);
    off += pad4(f.size);
  });
  return { from, to };
}

/**
 * JSON elements → kernel elements for `info`'s set: interval sets become start / end pairs
 * (or KEY + KEY_END for concatenations), map values and verdicts are encoded by the data type.
 */
export function encodeElements(info: SetInfo, elems: readonly unknown[], path: string): KernelElement[] {
  const isMap = (info.flags & NFT_SET_F.MAP) !== 0;
  const parsed = elems.map((e, i) => parseElem(e, isMap, `${path}[${i}]`));
  const dataOf = (i: number): Buffer | Verdict | undefined => {
    const { p, dataPath } = parsed[i]!;
    if (!isMap) return undefined;
    if (info.data === 'verdict') return encodeVerdict(p.data, dataPath!);
    return encodeKey(info.data!, p.data, dataPath!);
  };
  const extras = (k: KernelElement, i: number): KernelElement => {
    const { p } = parsed[i]!;
    const d = dataOf(i);
    if (d !== undefined) k.data = d;
    if (p.timeoutMs !== undefined) {
      if (!(info.flags & NFT_SET_F.TIMEOUT)) throw new ValidationError(`${path}[${i}]`, 'element timeout needs a set with flag "timeout"');
      k.timeoutMs = p.timeoutMs;
    }
    if (p.comment !== undefined) k.comment = p.comment;
    if (p.counter) k.counter = p.counter;
    k.index = i;
    return k;
  };
  if (!(info.flags & NFT_SET_F.INTERVAL)) {
    return parsed.map(({ p, keyPath }, i) => extras({ key: encodeKey(info.key, p.key, keyPath), flags: 0 }, i));
  }
  if (info.key.concat) {
    return parsed.map(({ p, keyPath }, i) => {
      const r = concatInterval(info, p.key, keyPath);
      return extras({ key: r.from, keyEnd: r.to, flags: 0 }, i);
    });
  }
  const order = intervalKeyOrder(info.key);
  const ranges = parsed.map(({ p, keyPath }) => encodeInterval(info.key, p.key, keyPath, order));
  return toKernelIntervals(ranges, path).map((k) => (k.flags & NFT_SET_ELEM_INTERVAL_END ? { key: k.key, flags: k.flags, index: k.index } : extras({ key: k.key, flags: k.flags }, k.index)));
}

/**
 * IPv4 interval sets without per-element extras (the large blocklists) take a path with no
 * Buffer per element: keys as u32 numbers, written straight into the messages. Undefined when
 * an element is not a plain address, prefix or range (the general path then handles it, and
 * reports errors by path).
 */
export interface Ipv4Intervals {
  /** Element keys (host numbers of big-endian addresses), sorted. */
  keys: Uint32Array;
  /** 1 for interval-end elements. */
  ends: Uint8Array;
  count: number;
}

/** `a.b.c.d` (no leading zeros: anything else takes the general path) as a number; -1 otherwise. */
function ipv4Number(v: unknown): number {
  return typeof v === 'string' ? ipv4Value(v) : -1;
}

/** The fast path's encoding of `elems`, or undefined to use the general one. */
export function encodeIpv4Intervals(info: SetInfo, elems: readonly unknown[]): Ipv4Intervals | undefined {
  if (!(info.flags & NFT_SET_F.INTERVAL) || info.flags & NFT_SET_F.MAP || info.key.concat || info.key.fields[0]!.base !== 'ipv4' || info.key.len !== 4) return undefined;
  const n = elems.length;
  // Elements given in order without touching (the common case) go straight to keys; any
  // other list is sorted (and checked for overlaps) by the general loop below.
  const keys = new Uint32Array(2 * n);
  const ends = new Uint8Array(2 * n);
  let count = 0;
  let last = -1;
  let i = 0;
  for (; i < n; i++) {
    const a = ipv4From(elems[i]);
    const b = ipv4To;
    if (a < 0) return undefined;
    if (a <= last) break;
    if (count > 0 && ends[count - 1] === 1 && keys[count - 1] === a) count--; // adjacent segments share a key
    keys[count] = a;
    ends[count++] = 0;
    if (b < 0xffff_ffff) {
      keys[count] = b + 1;
      ends[count++] = 1;
    }
    last = b;
  }
  if (i === n) return { keys, ends, count };
  return sortedIpv4Intervals(elems);
}

/** Upper end of the element ipv4From read last. */
let ipv4To = -1;

/** First address of an IPv4 interval element (string, prefix or range), ipv4To its last; -1 if not one. */
function ipv4From(e: unknown): number {
  let a: number;
  let b: number;
  if (typeof e === 'string') {
    a = b = ipv4Number(e);
  } else if (e && typeof e === 'object' && (e as any).prefix && typeof (e as any).prefix === 'object') {
    const p = (e as any).prefix;
    const len = p.len;
    if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > 32) return -1;
    const addr = ipv4Number(p.addr);
    if (addr < 0) return -1;
    const size = 2 ** (32 - len);
    a = addr - (addr % size);
    b = a + size - 1;
  } else if (e && typeof e === 'object' && Array.isArray((e as any).range) && (e as any).range.length === 2) {
    a = ipv4Number((e as any).range[0]);
    b = ipv4Number((e as any).range[1]);
    if (b < a) return -1;
  } else return -1;
  if (a < 0 || b < 0) return -1;
  ipv4To = b;
  return a;
}

/** encodeIpv4Intervals for elements in any order (undefined on overlaps). */
function sortedIpv4Intervals(elems: readonly unknown[]): Ipv4Intervals | undefined {
  const n = elems.length;
  const from = new Float64Array(n);
  const to = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    from[i] = ipv4From(elems[i]);
    to[i] = ipv4To;
    if (from[i]! < 0) return undefined;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Already sorted input (the common case) skips the sort.
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (from[i]! < from[i - 1]!) sorted = false;
  if (!sorted) order.sort((x, y) => from[x]! - from[y]!);
  const keys = new Uint32Array(2 * n);
  const ends = new Uint8Array(2 * n);
  let count = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    if (j > 0 && to[order[j - 1]!]! >= from[i]!) return undefined; // overlap: the general path names it
    if (count > 0 && ends[count - 1] === 1 && keys[count - 1] === from[i]!) count--; // adjacent segments share a key
    keys[count] = from[i]!;
    ends[count++] = 0;
    if (to[i]! < 0xffff_ffff) {
      keys[count] = to[i]! + 1;
      ends[count++] = 1;
    }
  }
  return { keys, ends, count };
}

/** Largest element list per message: NFTA_SET_ELEM_LIST_ELEMENTS has a 16-bit length. */
const MAX_ELEMS_BYTES = 60_000;

// Elements are written without attribute names: a set of 100 000 elements would otherwise
// record 500 000 of them. A kernel error still names the command (and the element list).
function writeElement(w: MessageWriter, k: KernelElement, field: string): void {
  w.nestStart(NFTA_LIST_ELEM);
  encodeData(w, NFTA_SET_ELEM.KEY, k.key, field);
  if (k.keyEnd) encodeData(w, NFTA_SET_ELEM.KEY_END, k.keyEnd, field);
  if (k.flags) w.u32be(NFTA_SET_ELEM.FLAGS, k.flags);
  if (k.data !== undefined) encodeData(w, NFTA_SET_ELEM.DATA, k.data, field);
  if (k.timeoutMs !== undefined) writeBe64(w, NFTA_SET_ELEM.TIMEOUT, k.timeoutMs);
  if (k.counter) counterExpr(w, NFTA_SET_ELEM.EXPR, k.counter.packets, k.counter.bytes);
  if (k.comment !== undefined) w.bytes(NFTA_SET_ELEM.USERDATA, buildUdata([commentUdata(UDATA_ELEM_COMMENT, k.comment, field)]));
  w.nestEnd();
}

/** Host byte order is little-endian (attribute headers are host order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const IPV4_START_BYTES = 16;
const IPV4_END_BYTES = 24;

/**
 * The IPv4 fast path's elements [from, to) laid out at `at` as writeElement writes them
 * (LIST_ELEM { KEY { DATA_VALUE be32 } [FLAGS be32 INTERVAL_END] }), byte by byte: 200 000
 * elements of a large blocklist are otherwise 600 000 attribute calls.
 */
function writeIpv4Elements(b: Buffer, at: number, fast: Ipv4Intervals, from: number, to: number): void {
  const NESTED_ELEM = NFTA_LIST_ELEM | NLA_F_NESTED;
  const NESTED_KEY = NFTA_SET_ELEM.KEY | NLA_F_NESTED;
  if (LITTLE_ENDIAN && ((b.byteOffset + at) & 3) === 0) {
    // Six words per element rather than 24 bytes.
    const w = new Int32Array(b.buffer, b.byteOffset + at, (b.length - at) >> 2);
    const keys = fast.keys;
    const ends = fast.ends;
    let k = 0;
    for (let i = from; i < to; i++) {
      const end = ends[i]!;
      const key = keys[i]!;
      w[k] = (end ? IPV4_END_BYTES : IPV4_START_BYTES) | (NESTED_ELEM << 16);
      w[k + 1] = 12 | (NESTED_KEY << 16);
      w[k + 2] = 8 | (1 /* NFTA_DATA_VALUE */ << 16);
      w[k + 3] = (key & 0xff) << 24 | (key & 0xff00) << 8 | (key >>> 8) & 0xff00 | key >>> 24;
      if (end) {
        w[k + 4] = 8 | (NFTA_SET_ELEM.FLAGS << 16);
        w[k + 5] = NFT_SET_ELEM_INTERVAL_END << 24;
        k += 6;
      } else k += 4;
    }
    return;
  }
  for (let i = from; i < to; i++) {
    const end = fast.ends[i]!;
    const key = fast.keys[i]!;
    const len = end ? IPV4_END_BYTES : IPV4_START_BYTES;
    b[at] = len; b[at + 1] = 0; b[at + 2] = NESTED_ELEM & 0xff; b[at + 3] = NESTED_ELEM >>> 8;
    b[at + 4] = 12; b[at + 5] = 0; b[at + 6] = NESTED_KEY & 0xff; b[at + 7] = NESTED_KEY >>> 8;
    b[at + 8] = 8; b[at + 9] = 0; b[at + 10] = 1 /* NFTA_DATA_VALUE */; b[at + 11] = 0;
    b[at + 12] = key >>> 24; b[at + 13] = (key >>> 16) & 0xff; b[at + 14] = (key >>> 8) & 0xff; b[at + 15] = key & 0xff;
    if (end) {
      b[at + 16] = 8; b[at + 17] = 0; b[at + 18] = NFTA_SET_ELEM.FLAGS; b[at + 19] = 0;
      b[at + 20] = 0; b[at + 21] = 0; b[at + 22] = 0; b[at + 23] = NFT_SET_ELEM_INTERVAL_END;
    }
    at += len;
  }
}

/**
 * NEWSETELEM (add/create) or DELSETELEM (delete) messages for `elems`, as many as needed.
 * The set is named, or (created in the same transaction, anonymous) given by its id.
 */
export function buildElementMessages(
  verb: 'add' | 'create' | 'delete', familyNum: number, info: SetInfo, elems: readonly KernelElement[] | Ipv4Intervals, path: string, bySetId = false,
): BuiltMessage[] {
  const out: BuiltMessage[] = [];
  const msgType = verb === 'delete' ? NFT_MSG.DELSETELEM : NFT_MSG.NEWSETELEM;
  const flags = verb === 'delete' ? 0 : NLM_F_CREATE | (verb === 'create' ? NLM_F_EXCL : 0);
  const fast = Array.isArray(elems) ? undefined : (elems as Ipv4Intervals);
  const total = fast ? fast.count : (elems as readonly KernelElement[]).length;
  let i = 0;
  while (i < total) {
    const w = nftMessage(msgType, flags, familyNum, MAX_ELEMS_BYTES + 1024);
    w.string(NFTA_SET_ELEM_LIST.TABLE, info.table, `${path}.table`);
    w.string(NFTA_SET_ELEM_LIST.SET, info.name, `${path}.name`);
    if (bySetId && info.id !== undefined) w.u32be(NFTA_SET_ELEM_LIST.SET_ID, info.id);
    w.nestStart(NFTA_SET_ELEM_LIST.ELEMENTS, `${path}.elem`);
    const start = w.offset;
    if (fast) {
      const from = i;
      let bytes = 0;
      while (i < total && bytes < MAX_ELEMS_BYTES) bytes += fast.ends[i++] ? IPV4_END_BYTES : IPV4_START_BYTES;
      w.raw(bytes, (b, at) => writeIpv4Elements(b, at, fast, from, i));
    } else {
      const list = elems as readonly KernelElement[];
      while (i < total && w.offset - start < MAX_ELEMS_BYTES) {
        const k = list[i]!;
        writeElement(w, k, `${path}.elem`);
        i++;
      }
    }
    w.nestEnd();
    out.push(w.finish());
  }
  return out;
}

// ------------------------------------------------------------------ decoding

/** A decoded NEWSET: its JSON (without elements) and what decoding its elements needs. */
export interface DecodedSet {
  kind: 'set' | 'map';
  json: Record<string, unknown>;
  info: SetInfo;
  anonymous: boolean;
  handle: number;
}

/** A NEWSET message → the set's JSON (as `nft -j` prints it, elements to be added) and info. */
export function decodeSet(buf: Buffer, off: number, len: number): DecodedSet {
  const { family } = readNfgenmsg(buf, off);
  const a = decodeAttrs(setSchema, buf, off + 20, off + len);
  const fam = FAMILY_NAMES[family] ?? String(family);
  const flags: number = a.flags ?? 0;
  const isMap = (flags & NFT_SET_F.MAP) !== 0;
  const key = resolveTypeId(a.keyType ?? 0, a.keyLen) ?? { json: `0x${(a.keyType ?? 0).toString(16)}`, fields: [{ name: 'integer', id: 4, size: a.keyLen ?? 4, byteorder: 'host', base: 'integer' }], id: a.keyType ?? 0, kernelId: a.keyType ?? 0, len: a.keyLen ?? 4, concat: false } as ResolvedType;
  let data: SetInfo['data'];
  if (isMap) data = a.dataType === NFT_DATA_VERDICT ? 'verdict' : resolveTypeId(a.dataType ?? 0, a.dataLen);
  const json: Record<string, unknown> = { family: fam, name: a.name, table: a.table, type: key.json, handle: a.handle };
  if (isMap) json.map = data === 'verdict' ? 'verdict' : data?.json ?? `0x${(a.dataType ?? 0).toString(16)}`;
  let comment: string | undefined;
  if (a.userdata) for (const u of parseUdata(a.userdata)) if (u.type === UDATA_SET.COMMENT) comment = udataString(u.value);
  if (comment !== undefined) json.comment = comment;
  if (a.policy === NFT_SET_POL_MEMORY) json.policy = 'memory';
  if (a.desc?.size) json.size = a.desc.size;
  const fl = SET_FLAG_NAMES.filter(([, bit]) => flags & bit).map(([n]) => n);
  if (fl.length) json.flags = fl;
  if (a.timeout) json.timeout = Math.floor(a.timeout / 1000);
  if (a.gcInterval) json['gc-interval'] = Math.floor(a.gcInterval / 1000);
  if (a.expr || a.exprs) {
    const names: string[] = [];
    const collect = (b: Buffer) => forEachAttr(b, 0, b.length, (t, o, l) => {
      if (t === NFTA_EXPR_NAME) names.push(readString(b, o, l));
    });
    if (a.expr) collect(a.expr);
    if (a.exprs) forEachAttr(a.exprs, 0, a.exprs.length, (t, o, l) => { if (t === NFTA_LIST_ELEM) collect(a.exprs.subarray(o, o + l)); });
    json.stmt = names.map((n) => ({ [n]: null }));
  }
  const info: SetInfo = {
    family: fam, table: a.table, name: a.name, flags, key, ...(data ? { data } : {}), ...(a.timeout ? { timeoutMs: a.timeout } : {}),
    ...(flags & NFT_SET_F.ANONYMOUS ? { anonymous: true } : {}),
  };
  return { kind: isMap ? 'map' : 'set', json, info, anonymous: (flags & NFT_SET_F.ANONYMOUS) !== 0, handle: a.handle };
}

function decodeCounterExpr(b: Buffer): { packets: number; bytes: number } | undefined {
  let name = '';
  let c: { packets: number; bytes: number } | undefined;
  forEachAttr(b, 0, b.length, (t, o, l) => {
    if (t === NFTA_EXPR_NAME) name = readString(b, o, l);
    else if (t === NFTA_EXPR_DATA) {
      c = { packets: 0, bytes: 0 };
      forEachAttr(b, o, o + l, (ct, co, cl) => {
        if (cl < 8) return;
        if (ct === NFTA_COUNTER.BYTES) c!.bytes = readBe64(b, co);
        else if (ct === NFTA_COUNTER.PACKETS) c!.packets = readBe64(b, co);
      });
    }
  });
  return name === 'counter' ? c : undefined;
}

/** Decodes the elements of one NEWSETELEM message (dump part or event) into `out`. */
export function decodeElementMessage(buf: Buffer, off: number, len: number, out: KernelElement[] = []): { table?: string; set?: string; elems: KernelElement[] } {
  let table: string | undefined;
  let set: string | undefined;
  forEachAttr(buf, off + 20, off + len, (type, o, l) => {
    if (type === NFTA_SET_ELEM_LIST.TABLE) table = readString(buf, o, l);
    else if (type === NFTA_SET_ELEM_LIST.SET) set = readString(buf, o, l);
    else if (type === NFTA_SET_ELEM_LIST.ELEMENTS) {
      forEachAttr(buf, o, o + l, (t, eo, el) => {
        if (t !== NFTA_LIST_ELEM) return;
        const k: KernelElement = { key: Buffer.alloc(0), flags: 0 };
        forEachAttr(buf, eo, eo + el, (at, ao, al) => {
          switch (at) {
            case NFTA_SET_ELEM.KEY: {
              const d = decodeData(buf, ao, al);
              if (Buffer.isBuffer(d)) k.key = d;
              break;
            }
            case NFTA_SET_ELEM.KEY_END: {
              const d = decodeData(buf, ao, al);
              if (Buffer.isBuffer(d)) k.keyEnd = d;
              break;
            }
            case NFTA_SET_ELEM.DATA: {
              const d = decodeData(buf, ao, al);
              if (d !== undefined) k.data = d;
              break;
            }
            case NFTA_SET_ELEM.FLAGS: if (al >= 4) k.flags = buf.readUInt32BE(ao); break;
            case NFTA_SET_ELEM.TIMEOUT: if (al >= 8) k.timeoutMs = readBe64(buf, ao); break;
            case NFTA_SET_ELEM.EXPIRATION: if (al >= 8) k.expirationMs = readBe64(buf, ao); break;
            case NFTA_SET_ELEM.USERDATA:
              for (const u of parseUdata(buf.subarray(ao, ao + al))) if (u.type === UDATA_ELEM_COMMENT) k.comment = udataString(u.value);
              break;
            case NFTA_SET_ELEM.EXPR: {
              const c = decodeCounterExpr(buf.subarray(ao, ao + al));
              if (c) k.counter = c;
              break;
            }
            case NFTA_SET_ELEM.EXPRESSIONS:
              forEachAttr(buf, ao, ao + al, (lt, lo, ll) => {
                if (lt !== NFTA_LIST_ELEM) return;
                const c = decodeCounterExpr(buf.subarray(lo, lo + ll));
                if (c) k.counter = c;
              });
              break;
          }
        });
        out.push(k);
      });
    }
  });
  return { ...(table !== undefined ? { table } : {}), ...(set !== undefined ? { set } : {}), elems: out };
}

function dataJson(info: SetInfo, d: Buffer | Verdict | undefined): unknown {
  if (d === undefined) return undefined;
  if (!Buffer.isBuffer(d)) return verdictJson(d);
  if (info.data && info.data !== 'verdict') return decodeKey(info.data, d);
  return `0x${d.toString('hex')}`;
}

/** Wraps a key with its extras as nft prints them: plain, or `{"elem": {...}}`. */
function elemJson(info: SetInfo, keyJson: unknown, k: KernelElement): unknown {
  let key = keyJson;
  const timeoutShown = k.timeoutMs !== undefined && k.timeoutMs !== info.timeoutMs;
  if (timeoutShown || k.expirationMs !== undefined || k.comment !== undefined || k.counter) {
    const e: Record<string, unknown> = { val: keyJson };
    if (timeoutShown) e.timeout = Math.floor(k.timeoutMs! / 1000);
    if (k.expirationMs !== undefined) e.expires = Math.floor(k.expirationMs / 1000);
    if (k.comment !== undefined) e.comment = k.comment;
    if (k.counter) e.counter = k.counter;
    key = { elem: e };
  }
  return info.flags & NFT_SET_F.MAP ? [key, dataJson(info, k.data)] : key;
}

/**
 * Interval sets keep a host-order key (mark, ct mark, integers) big-endian, as nft writes them
 * (so the kernel's tree orders the intervals as numbers; lookups convert the register first).
 */
function intervalKeyOrder(rt: ResolvedType): 'big' | undefined {
  return !rt.concat && rt.fields[0]!.byteorder === 'host' ? 'big' : undefined;
}

/**
 * The order nft prints elements in: it sorts them by their value as a big integer (mergesort.c):
 * a plain key read in its type's byte order; a concatenation as its members' bytes (unpadded)
 * read as one little-endian number. Returned as bytes that compare in that order.
 */
function sortKey(rt: ResolvedType, key: Buffer): Buffer {
  if (!rt.concat) return rt.fields[0]!.byteorder === 'big' ? key : Buffer.from(key).reverse();
  const parts: Buffer[] = [];
  let off = 0;
  for (const f of rt.fields) {
    parts.push(key.subarray(off, off + f.size));
    off += pad4(f.size);
  }
  return Buffer.concat(parts).reverse();
}

/** Kernel elements of a set → its `"elem"` list as `nft -j` prints it (intervals merged back, sorted). */
export function formatElements(info: SetInfo, elems: readonly KernelElement[]): unknown[] {
  if (!(info.flags & NFT_SET_F.INTERVAL)) {
    const keyed = elems.map((k) => ({ k, sort: sortKey(info.key, k.key) }));
    keyed.sort((a, b) => Buffer.compare(a.sort, b.sort));
    return keyed.map(({ k }) => elemJson(info, decodeKey(info.key, k.key), k));
  }
  if (info.key.concat) {
    return elems.map((k) => {
      const parts: unknown[] = [];
      let off = 0;
      for (const f of info.key.fields) {
        const single = resolveType(f.name, 'type');
        const n = pad4(f.size);
        parts.push(formatInterval(single, k.key.subarray(off, off + f.size), (k.keyEnd ?? k.key).subarray(off, off + f.size)));
        off += n;
      }
      return elemJson(info, { concat: parts }, k);
    });
  }
  const order = intervalKeyOrder(info.key);
  return fromKernelIntervals(elems).map(({ interval, index }) => elemJson(info, formatInterval(info.key, interval.from, interval.to, order), elems[index]!));
}

// ------------------------------------------------------------------ IPv4 interval listing

/**
 * One NEWSETELEM dump part of an IPv4 interval set: `n` elements as key (host number) and
 * end flag, no object per element. Each part is a dump item of its own, so a dump the engine
 * restarts (NLM_F_DUMP_INTR) starts from nothing rather than adding to what it had.
 */
export interface Ipv4Chunk {
  n: number;
  keys: Uint32Array;
  ends: Uint8Array;
  /** An element had data, a timeout, a comment or a counter: use the general decoder. */
  complex: boolean;
}

/** True for sets whose listing can take the IPv4 fast path. */
export function isIpv4IntervalSet(info: SetInfo): boolean {
  return (info.flags & NFT_SET_F.INTERVAL) !== 0 && !(info.flags & (NFT_SET_F.MAP | NFT_SET_F.TIMEOUT | NFT_SET_F.EXPR)) && !info.key.concat && info.key.fields[0]!.base === 'ipv4' && info.key.len === 4;
}

// The two element layouts the kernel dumps for an IPv4 interval set, as little-endian words:
// LIST_ELEM(16) { KEY(12) { VALUE(8) addr } } and LIST_ELEM(24) { KEY { VALUE addr } FLAGS(8) END }.
const W_START = 0x0001_0010;
const W_END = 0x0001_0018;
const W_KEY = 0x0001_000c;
const W_VALUE = 0x0001_0008;
const W_FLAGS = 0x0003_0008;
const W_END_FLAG = 0x0100_0000; // be32 1

/** Reads one NEWSETELEM dump part of an IPv4 interval set (no Buffer or object per element). */
export function decodeIpv4ElementMessage(buf: Buffer, off: number, len: number): Ipv4Chunk {
  // A dump of 100 000 prefixes is 200 000 elements: no callback per attribute, and on the
  // aligned buffers the kernel's replies arrive in, the common layouts matched word by word.
  // The smallest element (LIST_ELEM { KEY { VALUE be32 } }) is 16 bytes.
  const cap = len >> 4;
  const out: Ipv4Chunk = { n: 0, keys: new Uint32Array(cap), ends: new Uint8Array(cap), complex: false };
  const end = off + len;
  let at = off + 20;
  while (end - at >= 4) {
    const alen = buf[at]! | (buf[at + 1]! << 8);
    if (alen < 4 || at + alen > end) throw new ParseError(`nft set elements: attribute at offset ${at - off} has length ${alen}`);
    if (((buf[at + 2]! | (buf[at + 3]! << 8)) & NLA_TYPE_MASK) === NFTA_SET_ELEM_LIST.ELEMENTS) {
      if ((buf.byteOffset + at) % 4 === 0) ipv4ElementsAligned(buf, at + 4, at + alen, out, off);
      else ipv4Elements(buf, at + 4, at + alen, out, off);
    }
    at += (alen + 3) & ~3;
  }
  return out;
}

/** NFTA_SET_ELEM_LIST_ELEMENTS at [at, end), 4-byte aligned: the common layouts by words. */
function ipv4ElementsAligned(buf: Buffer, at: number, end: number, out: Ipv4Chunk, msg: number): void {
  const w = new Int32Array(buf.buffer, buf.byteOffset + at, (end - at) >> 2);
  const keys = out.keys;
  const ends = out.ends;
  const nw = w.length;
  let n = out.n;
  let i = 0;
  while (i + 4 <= nw && n < keys.length) {
    const h = w[i]!;
    if (h === W_START && w[i + 1] === W_KEY && w[i + 2] === W_VALUE) {
      keys[n] = bswap(w[i + 3]!);
      ends[n++] = 0;
      i += 4;
    } else if (h === W_END && i + 6 <= nw && w[i + 1] === W_KEY && w[i + 2] === W_VALUE && w[i + 4] === W_FLAGS && w[i + 5] === W_END_FLAG) {
      keys[n] = bswap(w[i + 3]!);
      ends[n++] = 1;
      i += 6;
    } else break;
  }
  out.n = n;
  // Anything else (a timeout, a comment …), from where the words stopped matching.
  if (4 * i < end - at) ipv4Elements(buf, at + 4 * i, end, out, msg);
}

function bswap(v: number): number {
  return ((v & 0xff) << 24 | (v & 0xff00) << 8 | (v >>> 8) & 0xff00 | v >>> 24) >>> 0;
}

/** NFTA_SET_ELEM_LIST_ELEMENTS at [e, lend), attribute by attribute. */
function ipv4Elements(buf: Buffer, e: number, lend: number, out: Ipv4Chunk, msg: number): void {
  let n = out.n;
  while (lend - e >= 4) {
    const elen = buf[e]! | (buf[e + 1]! << 8);
    if (elen < 4 || e + elen > lend) throw new ParseError(`nft set element at offset ${e - msg} has length ${elen}`);
    if (((buf[e + 2]! | (buf[e + 3]! << 8)) & NLA_TYPE_MASK) === NFTA_LIST_ELEM) {
      let key = -1;
      let flags = 0;
      const eend = e + elen;
      let a = e + 4;
      while (eend - a >= 4) {
        const l = buf[a]! | (buf[a + 1]! << 8);
        if (l < 4 || a + l > eend) throw new ParseError(`nft set element attribute at offset ${a - msg} has length ${l}`);
        const t = (buf[a + 2]! | (buf[a + 3]! << 8)) & NLA_TYPE_MASK;
        if (t === NFTA_SET_ELEM.KEY) {
          // KEY { NFTA_DATA_VALUE (len 8) be32 }
          if (l === 12 && (buf[a + 4]! | (buf[a + 5]! << 8)) === 8 && ((buf[a + 6]! | (buf[a + 7]! << 8)) & NLA_TYPE_MASK) === 1) key = buf.readUInt32BE(a + 8);
          else out.complex = true;
        } else if (t === NFTA_SET_ELEM.FLAGS) {
          if (l >= 8) flags = buf.readUInt32BE(a + 4);
        } else out.complex = true;
        a += (l + 3) & ~3;
      }
      if (key < 0 || flags & ~NFT_SET_ELEM_INTERVAL_END || n === out.keys.length) out.complex = true;
      else {
        out.keys[n] = key;
        out.ends[n] = flags;
        n++;
      }
    }
    e += (elen + 3) & ~3;
  }
  out.n = n;
}

const BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
const BYTE_DOT: readonly string[] = BYTE_TEXT.map((t) => `${t}.`);

function ipv4Text(n: number): string {
  return BYTE_DOT[n >>> 24]! + BYTE_DOT[(n >>> 16) & 255]! + BYTE_DOT[(n >>> 8) & 255]! + BYTE_TEXT[n & 255]!;
}

/** The elements in ascending order (an end marker before a start at the same key). */
function ascending(chunks: readonly Ipv4Chunk[]): { keys: Uint32Array; ends: Uint8Array } {
  let n = 0;
  for (const c of chunks) n += c.n;
  const keys = new Uint32Array(n);
  const ends = new Uint8Array(n);
  n = 0;
  for (const c of chunks) {
    keys.set(c.keys.subarray(0, c.n), n);
    ends.set(c.ends.subarray(0, c.n), n);
    n += c.n;
  }
  // The kernel dumps its tree in one direction: turned around or kept, no sort of 200 000 keys.
  let j = 1;
  for (; j < n; j++) if (keys[j - 1]! < keys[j]! || (keys[j - 1] === keys[j] && ends[j - 1]! > ends[j]!)) break;
  if (j >= n) return { keys: keys.reverse(), ends: ends.reverse() };
  for (j = 1; j < n; j++) if (keys[j - 1]! > keys[j]! || (keys[j - 1] === keys[j] && ends[j - 1]! < ends[j]!)) break;
  if (j >= n) return { keys, ends };
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => keys[a]! - keys[b]! || ends[b]! - ends[a]!);
  return { keys: Uint32Array.from(order, (i) => keys[i]!), ends: Uint8Array.from(order, (i) => ends[i]!) };
}

/**
 * The `"elem"` list of an IPv4 interval set from its dump parts, as `formatElements` prints
 * it: each start element with the key before the next element as its last address.
 */
export function formatIpv4Intervals(chunks: readonly Ipv4Chunk[]): unknown[] {
  const { keys, ends } = ascending(chunks);
  const n = keys.length;
  let starts = 0;
  for (let i = 0; i < n; i++) starts += ends[i]! ^ 1;
  const out: unknown[] = new Array(starts);
  // Consecutive prefixes mostly share their first three bytes: their text is joined once.
  let head = -1;
  let headText = '';
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (ends[i]) continue;
    const from = keys[i]!;
    const to = i + 1 < n ? keys[i + 1]! - 1 : 0xffff_ffff;
    if (from >>> 8 !== head) {
      head = from >>> 8;
      headText = BYTE_DOT[from >>> 24]! + BYTE_DOT[(from >>> 16) & 255]! + BYTE_DOT[(from >>> 8) & 255]!;
    }
    const addr = headText + BYTE_TEXT[from & 255]!;
    const size = to - from + 1;
    // A power of two aligned on itself is a prefix (size 2^32 is 0.0.0.0/0).
    if (from === to) out[k++] = addr;
    else if ((size & (size - 1)) === 0 && from % size === 0) out[k++] = { prefix: { addr, len: size === 0x1_0000_0000 ? 0 : Math.clz32(size) + 1 } };
    else out[k++] = { range: [addr, ipv4Text(to)] };
  }
  return out;
}
