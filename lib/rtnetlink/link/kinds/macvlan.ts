/**
 * Kinds 'macvlan' and 'macvtap' (same IFLA_MACVLAN_* table; options under `macvlan`).
 * Modes: bridge (ports talk directly), vepa (everything goes out to the adjacent switch, which
 * needs hairpin on its port), private (ports never talk), passthru (one port owns the parent),
 * source (frames are assigned by source MAC, from a list kept with `sourceMacs`).
 */
import { ValidationError } from '../../../errors';
import { defineSchema, forEachAttr, type AttrSpec } from '../../../wire/attributes';
import { formatMac, parseMac } from '../../../wire/address';
import { checkBool, defineKind, enumAttr, isPlainObject, macAttr, names, type KindDefinition } from './kind-codec';

/** IFLA_MACVLAN_* attribute numbers. */
export const IFLA_MACVLAN = {
  MODE: 1, FLAGS: 2, MACADDR_MODE: 3, MACADDR: 4, MACADDR_DATA: 5, MACADDR_COUNT: 6,
  BC_QUEUE_LEN: 7, BC_QUEUE_LEN_USED: 8, BC_CUTOFF: 9,
} as const;

/** MACVLAN_MODE_* by name. */
export const MACVLAN_MODES = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;
/** A macvlan/macvtap mode. */
export type MacvlanMode = keyof typeof MACVLAN_MODES;

const MACADDR_MODES = { add: 0, del: 1, flush: 2, set: 3 } as const;
const MACVLAN_FLAG_NOPROMISC = 1;
const MACVLAN_FLAG_NODST = 2;

/** Changes to a source-mode device's MAC list (set); an array replaces the list. */
export interface MacvlanSourceMacChanges {
  add?: string[];
  del?: string[];
  flush?: boolean;
}

/** Options of a macvlan / macvtap device. */
export interface MacvlanOptions {
  mode?: MacvlanMode;
  /** passthru only: don't put the parent into promiscuous mode. */
  nopromisc?: boolean;
  /** source mode: skip a destination macvlan whose address matches the source. */
  nodst?: boolean;
  /** Broadcast/multicast queue length. */
  bcQueueLen?: number;
  /** source mode: the allowed source MACs (add: the list; set: a list replacing it, or changes). */
  sourceMacs?: string[] | MacvlanSourceMacChanges;
}

/** `link.info` of a macvlan / macvtap device. */
export interface MacvlanInfo {
  mode: MacvlanMode | number;
  nopromisc: boolean;
  nodst: boolean;
  bcQueueLen?: number;
  bcQueueLenUsed?: number;
  bcCutoff?: number;
  sourceMacs?: string[];
  sourceMacCount?: number;
}

/** IFLA_MACVLAN_MACADDR_DATA: a nest of IFLA_MACVLAN_MACADDR. */
const sourceMacList: AttrSpec = {
  name: 'sourceMacs',
  type: 'nested',
  decode: (b, o, l) => {
    const out: string[] = [];
    forEachAttr(b, o, o + l, (type, at, len) => {
      if (type === IFLA_MACVLAN.MACADDR && len >= 6) out.push(formatMac(b, at, 6));
    }, 'macvlan.sourceMacs');
    return out;
  },
  encode: (w, t, v, field) => {
    const list = v as unknown[];
    const macs = list.map((m, i) => parseMac(m, `${field}[${i}]`));
    w.nestStart(t, field);
    for (const mac of macs) w.bytes(IFLA_MACVLAN.MACADDR, mac);
    w.nestEnd();
  },
};

/** IFLA_MACVLAN_FLAGS (u16) ⇄ nopromisc / nodst. */
const macvlanFlags: AttrSpec = {
  name: 'flags',
  type: 'u16',
  decode: (b, o, l) => {
    if (l < 2) return undefined;
    const f = b.readUInt16LE(o);
    return { nopromisc: (f & MACVLAN_FLAG_NOPROMISC) !== 0, nodst: (f & MACVLAN_FLAG_NODST) !== 0 };
  },
  encode: (w, t, v: { nopromisc?: boolean; nodst?: boolean }, field) => {
    w.u16(t, (v.nopromisc ? MACVLAN_FLAG_NOPROMISC : 0) | (v.nodst ? MACVLAN_FLAG_NODST : 0), field);
  },
};

/** The macvlan IFLA_INFO_DATA table. */
export const macvlanSchema = defineSchema('macvlan', {
  [IFLA_MACVLAN.MODE]: enumAttr('mode', 'u32', MACVLAN_MODES),
  [IFLA_MACVLAN.FLAGS]: macvlanFlags,
  [IFLA_MACVLAN.MACADDR_MODE]: enumAttr('macaddrMode', 'u32', MACADDR_MODES),
  [IFLA_MACVLAN.MACADDR]: macAttr('macaddr'),
  [IFLA_MACVLAN.MACADDR_DATA]: sourceMacList,
  [IFLA_MACVLAN.MACADDR_COUNT]: { name: 'sourceMacCount', type: 'u32' },
  [IFLA_MACVLAN.BC_QUEUE_LEN]: { name: 'bcQueueLen', type: 'u32' },
  [IFLA_MACVLAN.BC_QUEUE_LEN_USED]: { name: 'bcQueueLenUsed', type: 'u32' },
  [IFLA_MACVLAN.BC_CUTOFF]: { name: 'bcCutoff', type: 's32' },
});

function checkMacList(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) throw new ValidationError(field, 'expected an array of MAC addresses');
  v.forEach((m, i) => parseMac(m, `${field}[${i}]`));
  return v as string[];
}

const definition = (kind: 'macvlan' | 'macvtap'): KindDefinition => ({
  kind,
  optionsKey: 'macvlan',
  needsParent: true,
  data: { schema: macvlanSchema, readOnly: names('sourceMacCount', 'bcQueueLenUsed') },
  toWire(opts, field, ctx) {
    const { nopromisc, nodst, sourceMacs, flags, macaddrMode, macaddr, ...rest } = opts;
    if (flags !== undefined || macaddrMode !== undefined || macaddr !== undefined) {
      const k = flags !== undefined ? 'flags' : macaddrMode !== undefined ? 'macaddrMode' : 'macaddr';
      throw new ValidationError(`${field}.${k}`, `unknown ${field} option (use nopromisc, nodst, sourceMacs)`);
    }
    const out: Record<string, unknown> = rest;
    if (nopromisc !== undefined || nodst !== undefined) {
      out.flags = {
        nopromisc: nopromisc === undefined ? false : checkBool(nopromisc, `${field}.nopromisc`),
        nodst: nodst === undefined ? false : checkBool(nodst, `${field}.nodst`),
      };
    }
    if (sourceMacs === undefined) return out;
    const f = `${field}.sourceMacs`;
    if (ctx.op === 'add' && opts.mode !== 'source') throw new ValidationError(f, "a source MAC list needs mode: 'source'");
    if (Array.isArray(sourceMacs)) {
      out.macaddrMode = 'set';
      out.sourceMacs = checkMacList(sourceMacs, f);
      return out;
    }
    if (ctx.op === 'add' || !isPlainObject(sourceMacs)) throw new ValidationError(f, 'expected an array of MAC addresses');
    // After splitSet, each part carries exactly one operation.
    const { add, del, flush, ...unknown } = sourceMacs as MacvlanSourceMacChanges;
    const extra = Object.keys(unknown)[0];
    if (extra) throw new ValidationError(`${f}.${extra}`, 'expected add, del or flush');
    if (flush) out.macaddrMode = 'flush';
    else if (add?.length === 1) Object.assign(out, { macaddrMode: 'add', macaddr: checkMacList(add, `${f}.add`)[0] });
    else if (del?.length === 1) Object.assign(out, { macaddrMode: 'del', macaddr: checkMacList(del, `${f}.del`)[0] });
    return out;
  },
  splitSet(opts, field) {
    const changes = opts.sourceMacs;
    if (!isPlainObject(changes)) return [opts];
    const f = `${field}.sourceMacs`;
    const { add, del, flush } = changes as MacvlanSourceMacChanges;
    if (flush !== undefined) checkBool(flush, `${f}.flush`);
    const adds = add === undefined ? [] : checkMacList(add, `${f}.add`);
    const dels = del === undefined ? [] : checkMacList(del, `${f}.del`);
    // The kernel takes one MAC per add/del request: flush first, then removals, then additions.
    const parts: Record<string, unknown>[] = [{ ...opts, sourceMacs: flush ? { flush: true } : {} }];
    for (const m of dels) parts.push({ sourceMacs: { del: [m] } });
    for (const m of adds) parts.push({ sourceMacs: { add: [m] } });
    return parts;
  },
  fromWire(info) {
    const { flags, ...rest } = info;
    return { ...rest, nopromisc: flags?.nopromisc ?? false, nodst: flags?.nodst ?? false };
  },
});

defineKind(definition('macvlan'));
defineKind(definition('macvtap'));
