/**
 * Actions inside filters (`… action gact drop`, `action mirred egress redirect dev X` …):
 * the list codec (TCA_*_ACT: one nest per action, numbered in order) and each kind's options.
 * Every action reads back with its kernel index and statistics.
 */
import { checkKeys } from '../../core/options';
import { ValidationError } from '../../errors';
import { AF_INET, AF_INET6 } from '../../wire/constants';
import { forEachAttr, readString, readU64 } from '../../wire/attributes';
import { formatIp, parseCidr, parseIp } from '../../wire/address';
import type { MessageWriter } from '../../wire/message-writer';
import { linkIndex } from '../request/prepare';
import type { LinkRef } from '../request/link-ref';
import { formatControl, parseControl, type Control } from './control';
import { decodeFields, defineFields, encodeFields, type OptField } from './fields';
import { parseHandle, formatHandle } from './handle';
import type { EncodeContext } from './kind';
import { decodeStats2Into, type TcStats } from './stats';
import { attrLen, attrType, nextAttr, readName } from './tlv';
import { RATESPEC_SIZE, parseInt32, parseRate, parseSize, rateBits, rateTable, readRateSpec, writeRateSpec, xmitSize, xmitTime, type Rate, type Size } from './units';

const TCA_ACT_KIND = 1;
const TCA_ACT_OPTIONS = 2;
const TCA_ACT_INDEX = 3;
const TCA_ACT_STATS = 4;
const TCA_ACT_COOKIE = 6;
const TC_GEN_SIZE = 20;

/** One action of a filter: its kind and that kind's options (`{ kind: 'gact', gact: { action: 'drop' } }`). */
export interface ActionSpec {
  kind: string;
  /** Share an existing action by its index (`action gact index 5`). */
  index?: number;
  /** Opaque bytes the kernel keeps for the caller (`cookie`). */
  cookie?: Buffer;
  gact?: GactOptions;
  mirred?: MirredOptions;
  police?: PoliceOptions;
  vlan?: VlanOptions;
  skbedit?: SkbeditOptions;
  tunnel_key?: TunnelKeyOptions;
  csum?: CsumOptions;
  pedit?: PeditOptions;
  nat?: NatOptions;
  connmark?: ConnmarkOptions;
  ct?: CtOptions;
  sample?: SampleOptions;
  /** Options of a kind not typed here, as the raw TCA_ACT_OPTIONS payload. */
  options?: Buffer;
}

/** An action as listed: its options, kernel index and counters. */
export interface Action extends ActionSpec {
  index: number;
  stats?: TcStats;
}

/** gact: a fixed verdict, optionally a random or deterministic second one (`random netrand drop 10`). */
export interface GactOptions {
  action: Control;
  random?: { type: 'netrand' | 'determ'; value: number; action: Control };
}

/** mirred: mirror or redirect to a device, entering its egress or ingress. */
export interface MirredOptions {
  action: 'mirror' | 'redirect';
  /** Default 'egress'. */
  direction?: 'egress' | 'ingress';
  dev: LinkRef;
  /** Verdict after mirroring (tc's default: pipe for mirror, stolen for redirect). */
  control?: Control;
}

/** police: a token bucket policer (`police rate R burst B [mtu M] [peakrate P] [conform-exceed A/B]`). */
export interface PoliceOptions {
  rate?: Rate;
  burst?: Size;
  mtu?: Size;
  peakrate?: Rate;
  /** Average-rate policing (needs a rate estimator). */
  avrate?: Rate;
  overhead?: number;
  mpu?: number;
  /** Verdict for traffic within the rate (default: ok). */
  conform?: Control;
  /** Verdict above it (tc's default: reclassify). */
  exceed?: Control;
}

/** vlan: pop, push or modify the outer tag. */
export interface VlanOptions {
  action: 'pop' | 'push' | 'modify';
  id?: number;
  protocol?: '802.1q' | '802.1ad';
  priority?: number;
  control?: Control;
}

/** skbedit: set mark, priority, queue or packet type. */
export interface SkbeditOptions {
  mark?: number;
  mask?: number;
  /** A class id such as '1:10'. */
  priority?: string | number;
  queueMapping?: number;
  ptype?: 'host' | 'otherhost' | 'broadcast' | 'multicast';
  control?: Control;
}

/** tunnel_key: set or release tunnel metadata for an encapsulating device. */
export interface TunnelKeyOptions {
  action: 'set' | 'unset';
  srcIp?: string;
  dstIp?: string;
  keyId?: number;
  dstPort?: number;
  tos?: number;
  ttl?: number;
  noCsum?: boolean;
  control?: Control;
}

/** csum: recompute checksums of the named headers. */
export interface CsumOptions {
  update: ('ipv4h' | 'icmp' | 'igmp' | 'tcp' | 'udp' | 'udplite' | 'sctp')[];
  control?: Control;
}

/**
 * pedit: raw 32-bit edits (`pedit munge offset O u32 set V`): the word at `off` becomes
 * (word & mask) ^ value, both read as big-endian numbers (as tc writes them); `mask` 0 replaces it.
 */
export interface PeditOptions {
  keys: { off: number; value: number; mask?: number; at?: number; offmask?: number; shift?: number }[];
  control?: Control;
}

/** nat: stateless address rewriting (`nat ingress|egress OLD[/LEN] NEW`). */
export interface NatOptions {
  direction: 'ingress' | 'egress';
  old: string;
  new: string;
  control?: Control;
}

/** connmark: restore the conntrack mark to the packet. */
export interface ConnmarkOptions {
  zone?: number;
  control?: Control;
}

/** ct: send through conntrack (commit, zone, mark, labels, NAT, clear). */
export interface CtOptions {
  commit?: boolean;
  force?: boolean;
  clear?: boolean;
  zone?: number;
  mark?: number;
  markMask?: number;
  nat?: { type: 'src' | 'dst' | 'restore'; minIp?: string; maxIp?: string; minPort?: number; maxPort?: number };
  control?: Control;
}

/** sample: send 1 of `rate` packets to psample group `group`. */
export interface SampleOptions {
  rate: number;
  group: number;
  truncSize?: number;
  control?: Control;
}

/** One action kind's codec: writes inside TCA_ACT_OPTIONS; reads it back. */
interface ActionCodec {
  encode(w: MessageWriter, opts: any, field: string, ctx: EncodeContext): void;
  decode(buf: Buffer, off: number, len: number): Record<string, unknown>;
}

function tcGen(action: number): Buffer {
  const b = Buffer.alloc(TC_GEN_SIZE);
  b.writeInt32LE(action, 8);
  return b;
}

function control(opts: { control?: unknown }, field: string, dflt: number): number {
  return opts.control !== undefined ? parseControl(opts.control, `${field}.control`) : dflt;
}

/** A kind whose PARMS is tc_gen (+ a tail) and the rest a field table. */
function withParms(parmsAttr: number, name: string, table: Record<string, OptField>, defaultControl: number, keysExtra: string[] = []): ActionCodec & { fields: ReturnType<typeof defineFields> } {
  const fields = defineFields(name, table);
  return {
    fields,
    encode(w, opts = {}, field) {
      checkKeys(opts, [...fields.keys, 'control', ...keysExtra], field);
      w.bytes(parmsAttr, tcGen(control(opts, field, defaultControl)), field);
      const { control: _c, ...rest } = opts;
      encodeFields(w, fields, rest, field);
    },
    decode(buf, off, len) {
      const out = decodeFields(fields, buf, off, off + len);
      delete out.unknown;
      forEachAttr(buf, off, off + len, (t, o, l) => { if (t === parmsAttr && l >= TC_GEN_SIZE) out.control = formatControl(buf.readInt32LE(o + 8)); }, name);
      return out;
    },
  };
}

const GACT_RAND = ['none', 'netrand', 'determ'];
const GACT_KEYS: ReadonlySet<string> = new Set(['action', 'random']);

const gact: ActionCodec = {
  encode(w, opts: GactOptions, field) {
    checkKeys(opts, GACT_KEYS, field);
    if (!opts || opts.action === undefined) throw new ValidationError(`${field}.action`, 'gact needs an action');
    w.bytes(2, tcGen(parseControl(opts.action, `${field}.action`)), `${field}.action`);
    if (opts.random !== undefined) {
      const r = opts.random;
      checkKeys(r, ['type', 'value', 'action'], `${field}.random`);
      const type = GACT_RAND.indexOf(r.type);
      if (type <= 0) throw new ValidationError(`${field}.random.type`, "expected 'netrand' or 'determ'");
      const b = Buffer.alloc(8);
      b.writeUInt16LE(type, 0);
      b.writeUInt16LE(parseInt32(r.value, `${field}.random.value`, 0xffff), 2);
      b.writeInt32LE(parseControl(r.action, `${field}.random.action`), 4);
      w.bytes(3, b, `${field}.random`);
    }
  },
  decode(buf, off, len) {
    const out: Record<string, unknown> = {};
    forEachAttr(buf, off, off + len, (t, o, l) => {
      if (t === 2 && l >= TC_GEN_SIZE) out.action = formatControl(buf.readInt32LE(o + 8));
      else if (t === 3 && l >= 8 && buf.readUInt16LE(o)) out.random = { type: GACT_RAND[buf.readUInt16LE(o)] ?? buf.readUInt16LE(o), value: buf.readUInt16LE(o + 2), action: formatControl(buf.readInt32LE(o + 4)) };
    }, 'gact');
    return out;
  },
};

const mirredParms = Buffer.alloc(TC_GEN_SIZE + 8);
const MIRRED_KEYS: ReadonlySet<string> = new Set(['action', 'direction', 'dev', 'control']);

const mirred: ActionCodec = {
  encode(w, opts: MirredOptions, field, ctx) {
    checkKeys(opts, MIRRED_KEYS, field);
    if (!opts || (opts.action !== 'mirror' && opts.action !== 'redirect')) throw new ValidationError(`${field}.action`, "expected 'mirror' or 'redirect'");
    const direction = opts.direction ?? 'egress';
    if (direction !== 'egress' && direction !== 'ingress') throw new ValidationError(`${field}.direction`, "expected 'egress' or 'ingress'");
    if (opts.dev === undefined) throw new ValidationError(`${field}.dev`, 'mirred needs a target device');
    // A reused buffer, every byte written (w.bytes copies it): bulk adds build 10 000 of these.
    const parms = mirredParms;
    parms.writeUInt32LE(0, 0); // index: a new action
    parms.writeUInt32LE(0, 4);
    parms.writeInt32LE(control(opts, field, opts.action === 'mirror' ? 3 : 4), 8);
    parms.writeUInt32LE(0, 12);
    parms.writeUInt32LE(0, 16);
    // TCA_EGRESS_REDIR 1, _MIRROR 2, TCA_INGRESS_REDIR 3, _MIRROR 4.
    parms.writeInt32LE((direction === 'egress' ? 0 : 2) + (opts.action === 'redirect' ? 1 : 2), TC_GEN_SIZE);
    // The ifindex is the parms' last field: 4 (header) + 24 bytes from where the attribute starts.
    const at = w.offset + 4 + TC_GEN_SIZE + 4;
    const devName = devField(field);
    parms.writeUInt32LE(linkIndex(ctx.links, devName, opts.dev, at), TC_GEN_SIZE + 4);
    w.bytes(2, parms, devName);
  },
  decode(buf, off, len) {
    const out: Record<string, unknown> = {};
    const end = off + len;
    for (let p = off; end - p >= 4;) {
      const alen = attrLen(buf, p, end, 'mirred');
      const o = p + 4;
      if (attrType(buf, p) === 2 && alen - 4 >= TC_GEN_SIZE + 8) {
        const e = buf.readInt32LE(o + TC_GEN_SIZE);
        out.action = e === 1 || e === 3 ? 'redirect' : 'mirror';
        out.direction = e <= 2 ? 'egress' : 'ingress';
        out.dev = buf.readUInt32LE(o + TC_GEN_SIZE + 4);
        out.control = formatControl(buf.readInt32LE(o + 8));
      }
      p = nextAttr(p, alen);
    }
    return out;
  },
};

const TCA_POLICE_TBF = 1;
const TCA_POLICE_RATE = 2;
const TCA_POLICE_PEAKRATE = 3;
const TCA_POLICE_AVRATE = 4;
const TCA_POLICE_RESULT = 5;
const TCA_POLICE_RATE64 = 8;
const TCA_POLICE_PEAKRATE64 = 9;
const POLICE_SIZE = 56;
const POLICE_KEYS = ['rate', 'burst', 'mtu', 'peakrate', 'avrate', 'overhead', 'mpu', 'conform', 'exceed'];

/** Writes the police attributes (also used inside filters' TCA_*_POLICE). */
export function encodePolice(w: MessageWriter, opts: PoliceOptions, field: string): void {
  checkKeys(opts, POLICE_KEYS, field);
  if (!opts) throw new ValidationError(`${field}.rate`, 'police needs a rate');
  const rate = opts.rate !== undefined ? parseRate(opts.rate, `${field}.rate`) : 0;
  const avrate = opts.avrate !== undefined ? parseRate(opts.avrate, `${field}.avrate`) : 0;
  const mtu = opts.mtu !== undefined ? parseSize(opts.mtu, `${field}.mtu`) : 0;
  if (!rate && !avrate && !mtu) throw new ValidationError(`${field}.rate`, 'police needs a rate, an avrate or an mtu');
  if (rate && opts.burst === undefined && !avrate) throw new ValidationError(`${field}.burst`, 'a rate needs a burst');
  const burst = opts.burst !== undefined ? parseSize(opts.burst, `${field}.burst`) : 0;
  const prate = opts.peakrate !== undefined ? parseRate(opts.peakrate, `${field}.peakrate`) : 0;
  if (prate && !rate) throw new ValidationError(`${field}.peakrate`, 'a peakrate needs a rate');
  if (prate && !mtu) throw new ValidationError(`${field}.mtu`, 'a peakrate needs an mtu');
  const mpu = opts.mpu !== undefined ? parseInt32(opts.mpu, `${field}.mpu`, 0xffff) : 0;
  const overhead = opts.overhead !== undefined ? parseInt32(opts.overhead, `${field}.overhead`, 0xffff) : 0;
  const exceed = opts.exceed !== undefined ? parseControl(opts.exceed, `${field}.exceed`) : 1; // tc: reclassify
  const conform = opts.conform !== undefined ? parseControl(opts.conform, `${field}.conform`) : undefined;
  const p = Buffer.alloc(POLICE_SIZE);
  p.writeInt32LE(exceed, 4);
  p.writeUInt32LE(mtu, 16);
  let r: ReturnType<typeof rateTable> | undefined;
  let pr: ReturnType<typeof rateTable> | undefined;
  if (rate) {
    // The policer's table is computed at the full 64-bit rate (tc_calc_rtable_64).
    r = rateTable(rate, mtu, mpu, overhead);
    writeRateSpec(p, 20, r.spec);
    const ticks = xmitTime(rate, burst);
    if (ticks === 0xffff_ffff) throw new ValidationError(`${field}.burst`, 'burst is too large for this rate');
    p.writeUInt32LE(ticks, 12);
  }
  if (prate) {
    pr = rateTable(prate, mtu, mpu, overhead);
    writeRateSpec(p, 20 + RATESPEC_SIZE, pr.spec);
  }
  w.bytes(TCA_POLICE_TBF, p, field);
  if (r) {
    w.bytes(TCA_POLICE_RATE, r.table, `${field}.rate`);
    if (rate > 0xffff_ffff) w.u64(TCA_POLICE_RATE64, rate, `${field}.rate`);
  }
  if (pr) {
    w.bytes(TCA_POLICE_PEAKRATE, pr.table, `${field}.peakrate`);
    if (prate > 0xffff_ffff) w.u64(TCA_POLICE_PEAKRATE64, prate, `${field}.peakrate`);
  }
  if (avrate) w.u32(TCA_POLICE_AVRATE, Math.min(avrate, 0xffff_ffff), `${field}.avrate`);
  if (conform !== undefined) w.u32(TCA_POLICE_RESULT, conform >>> 0, `${field}.conform`);
}

/** Reads police attributes back. */
export function decodePolice(buf: Buffer, off: number, len: number): Record<string, unknown> {
  let p: Buffer | undefined;
  let rate64: number | undefined;
  let prate64: number | undefined;
  const out: Record<string, unknown> = {};
  forEachAttr(buf, off, off + len, (t, o, l) => {
    if (t === TCA_POLICE_TBF && l >= POLICE_SIZE) p = buf.subarray(o, o + POLICE_SIZE);
    else if (t === TCA_POLICE_RATE64 && l >= 8) rate64 = readU64(buf, o);
    else if (t === TCA_POLICE_PEAKRATE64 && l >= 8) prate64 = readU64(buf, o);
    else if (t === TCA_POLICE_AVRATE && l >= 4) { const a = buf.readUInt32LE(o); if (a) out.avrate = rateBits(a); }
    else if (t === TCA_POLICE_RESULT && l >= 4) out.conform = formatControl(buf.readInt32LE(o));
  }, 'police');
  if (!p) return out;
  const r = readRateSpec(p, 20);
  const pr = readRateSpec(p, 20 + RATESPEC_SIZE);
  const rate = rate64 ?? r.rate;
  if (rate) {
    out.rate = rateBits(rate);
    out.burst = xmitSize(rate, p.readUInt32LE(12));
  }
  const prate = prate64 ?? pr.rate;
  if (prate) out.peakrate = rateBits(prate);
  const mtu = p.readUInt32LE(16);
  if (mtu && mtu !== 0xffff_ffff) out.mtu = mtu;
  if (r.mpu) out.mpu = r.mpu;
  if (r.overhead) out.overhead = r.overhead;
  out.exceed = formatControl(p.readInt32LE(4));
  out.conform ??= 'ok';
  return out;
}

const police: ActionCodec = { encode: (w, opts, field) => encodePolice(w, opts, field), decode: decodePolice };

const VLAN_ACTIONS = ['', 'pop', 'push', 'modify', 'pop_eth', 'push_eth'];
const VLAN_PROTOS: Record<string, number> = { '802.1q': 0x8100, '802.1ad': 0x88a8 };

const vlan: ActionCodec = {
  encode(w, opts: VlanOptions, field) {
    checkKeys(opts, ['action', 'id', 'protocol', 'priority', 'control'], field);
    const a = opts ? VLAN_ACTIONS.indexOf(opts.action) : -1;
    if (a < 1 || a > 3) throw new ValidationError(`${field}.action`, "expected 'pop', 'push' or 'modify'");
    if (a !== 1 && opts.id === undefined) throw new ValidationError(`${field}.id`, `vlan ${opts.action} needs an id`);
    const parms = Buffer.alloc(TC_GEN_SIZE + 4);
    tcGen(control(opts, field, 3)).copy(parms);
    parms.writeInt32LE(a, TC_GEN_SIZE);
    w.bytes(2, parms, `${field}.action`);
    if (opts.id !== undefined) w.u16(3, parseInt32(opts.id, `${field}.id`, 4094), `${field}.id`);
    if (opts.protocol !== undefined) {
      const p = VLAN_PROTOS[opts.protocol];
      if (p === undefined) throw new ValidationError(`${field}.protocol`, "expected '802.1q' or '802.1ad'");
      w.u16be(4, p, `${field}.protocol`);
    }
    if (opts.priority !== undefined) w.u8(6, parseInt32(opts.priority, `${field}.priority`, 7), `${field}.priority`);
  },
  decode(buf, off, len) {
    const out: Record<string, unknown> = {};
    forEachAttr(buf, off, off + len, (t, o, l) => {
      if (t === 2 && l >= TC_GEN_SIZE + 4) {
        out.action = VLAN_ACTIONS[buf.readInt32LE(o + TC_GEN_SIZE)] ?? buf.readInt32LE(o + TC_GEN_SIZE);
        out.control = formatControl(buf.readInt32LE(o + 8));
      } else if (t === 3 && l >= 2) out.id = buf.readUInt16LE(o);
      else if (t === 4 && l >= 2) out.protocol = buf.readUInt16BE(o) === 0x88a8 ? '802.1ad' : buf.readUInt16BE(o) === 0x8100 ? '802.1q' : buf.readUInt16BE(o);
      else if (t === 6 && l >= 1) out.priority = buf[o];
    }, 'vlan');
    return out;
  },
};

const PTYPES = ['host', 'broadcast', 'multicast', 'otherhost'];
const skbedit = withParms(2, 'skbedit', {
  priority: { attr: 3, wire: 'u32', enc: (v, f) => (typeof v === 'number' ? parseInt32(v, f) : parseHandle(v as string, f, 'classid')), dec: (v: number) => formatHandle(v) },
  queueMapping: { attr: 4, wire: 'u16' },
  mark: { attr: 5, wire: 'u32' },
  ptype: {
    attr: 7, wire: 'u16',
    enc: (v, f) => { const i = PTYPES.indexOf(v as string); if (i < 0) throw new ValidationError(f, `expected one of ${PTYPES.join(', ')}`); return i; },
    dec: (v: number) => PTYPES[v] ?? v,
  },
  mask: { attr: 8, wire: 'u32' },
}, 3);

const ipAttr = (attr: number, family: number): OptField => ({ attr, wire: 'binary', enc: (v, f) => parseIp(v, f, family).bytes, dec: (b: Buffer) => formatIp(b, 0, b.length) });

const tunnelKeyFields = defineFields('tunnel_key', {
  srcIp4: ipAttr(3, AF_INET), dstIp4: ipAttr(4, AF_INET), srcIp6: ipAttr(5, AF_INET6), dstIp6: ipAttr(6, AF_INET6),
  keyId: { attr: 7, wire: 'u32be' }, dstPort: { attr: 9, wire: 'u16be' }, noCsum: { attr: 10, wire: 'bool8' },
  tos: { attr: 12, wire: 'u8' }, ttl: { attr: 13, wire: 'u8' },
});

const tunnelKey: ActionCodec = {
  encode(w, opts: TunnelKeyOptions, field) {
    checkKeys(opts, ['action', 'srcIp', 'dstIp', 'keyId', 'dstPort', 'tos', 'ttl', 'noCsum', 'control'], field);
    if (!opts || (opts.action !== 'set' && opts.action !== 'unset')) throw new ValidationError(`${field}.action`, "expected 'set' or 'unset'");
    const parms = Buffer.alloc(TC_GEN_SIZE + 4);
    tcGen(control(opts, field, 3)).copy(parms);
    parms.writeInt32LE(opts.action === 'set' ? 1 : 2, TC_GEN_SIZE);
    w.bytes(2, parms, `${field}.action`);
    if (opts.action === 'unset') return;
    const { action: _a, control: _c, srcIp, dstIp, ...rest } = opts;
    const fam = (ip: string | undefined, f: string) => (ip === undefined ? undefined : parseIp(ip, f).family);
    const sf = fam(srcIp, `${field}.srcIp`);
    const df = fam(dstIp, `${field}.dstIp`);
    const mapped: Record<string, unknown> = { ...rest };
    if (srcIp !== undefined) mapped[sf === AF_INET ? 'srcIp4' : 'srcIp6'] = srcIp;
    if (dstIp !== undefined) mapped[df === AF_INET ? 'dstIp4' : 'dstIp6'] = dstIp;
    encodeFields(w, tunnelKeyFields, mapped, field);
  },
  decode(buf, off, len) {
    const raw = decodeFields(tunnelKeyFields, buf, off, off + len);
    const out: Record<string, unknown> = {};
    forEachAttr(buf, off, off + len, (t, o, l) => {
      if (t === 2 && l >= TC_GEN_SIZE + 4) {
        out.action = buf.readInt32LE(o + TC_GEN_SIZE) === 1 ? 'set' : 'unset';
        out.control = formatControl(buf.readInt32LE(o + 8));
      }
    }, 'tunnel_key');
    if (raw.srcIp4 ?? raw.srcIp6) out.srcIp = raw.srcIp4 ?? raw.srcIp6;
    if (raw.dstIp4 ?? raw.dstIp6) out.dstIp = raw.dstIp4 ?? raw.dstIp6;
    for (const k of ['keyId', 'dstPort', 'tos', 'ttl', 'noCsum']) if (raw[k] !== undefined) out[k] = raw[k];
    return out;
  },
};

const CSUM = ['ipv4h', 'icmp', 'igmp', 'tcp', 'udp', 'udplite', 'sctp'];
const csum: ActionCodec = {
  encode(w, opts: CsumOptions, field) {
    checkKeys(opts, ['update', 'control'], field);
    if (!opts || !Array.isArray(opts.update) || opts.update.length === 0) throw new ValidationError(`${field}.update`, `expected a list of ${CSUM.join(', ')}`);
    let flags = 0;
    opts.update.forEach((u, i) => {
      const b = CSUM.indexOf(u);
      if (b < 0) throw new ValidationError(`${field}.update[${i}]`, `expected one of ${CSUM.join(', ')}`);
      flags |= 1 << b;
    });
    const parms = Buffer.alloc(TC_GEN_SIZE + 4);
    tcGen(control(opts, field, 0)).copy(parms);
    parms.writeUInt32LE(flags, TC_GEN_SIZE);
    w.bytes(1, parms, field);
  },
  decode(buf, off, len) {
    const out: Record<string, unknown> = {};
    forEachAttr(buf, off, off + len, (t, o, l) => {
      if (t === 1 && l >= TC_GEN_SIZE + 4) {
        const f = buf.readUInt32LE(o + TC_GEN_SIZE);
        out.update = CSUM.filter((_, i) => f & (1 << i));
        out.control = formatControl(buf.readInt32LE(o + 8));
      }
    }, 'csum');
    return out;
  },
};

const pedit: ActionCodec = {
  encode(w, opts: PeditOptions, field) {
    checkKeys(opts, ['keys', 'control'], field);
    if (!opts || !Array.isArray(opts.keys) || opts.keys.length === 0 || opts.keys.length > 128) throw new ValidationError(`${field}.keys`, 'expected 1–128 keys');
    const b = Buffer.alloc(TC_GEN_SIZE + 4 + opts.keys.length * 24);
    tcGen(control(opts, field, 3)).copy(b);
    b[TC_GEN_SIZE] = opts.keys.length;
    opts.keys.forEach((k, i) => {
      const f = `${field}.keys[${i}]`;
      checkKeys(k, ['off', 'value', 'mask', 'at', 'offmask', 'shift'], f);
      const at = TC_GEN_SIZE + 4 + i * 24;
      // The kernel applies mask and value to the packet's bytes as they lie: network order, as tc writes them.
      b.writeUInt32BE(k.mask !== undefined ? parseInt32(k.mask, `${f}.mask`) : 0, at);
      b.writeUInt32BE(parseInt32(k.value, `${f}.value`), at + 4);
      b.writeInt32LE(parseInt32(k.off, `${f}.off`, 0x7fff_ffff, -0x8000_0000), at + 8);
      b.writeUInt32LE(k.at !== undefined ? parseInt32(k.at, `${f}.at`) : 0, at + 12);
      b.writeUInt32LE(k.offmask !== undefined ? parseInt32(k.offmask, `${f}.offmask`) : 0, at + 16);
      b.writeUInt32LE(k.shift !== undefined ? parseInt32(k.shift, `${f}.shift`) : 0, at + 20);
    });
    w.bytes(2, b, field);
  },
  decode(buf, off, len) {
    const out: Record<string, unknown> = {};
    forEachAttr(buf, off, off + len, (t, o, l) => {
      if ((t === 2 || t === 4) && l >= TC_GEN_SIZE + 4) {
        const n = buf[o + TC_GEN_SIZE]!;
        out.control = formatControl(buf.readInt32LE(o + 8));
        const keys = [];
        for (let i = 0; i < n && TC_GEN_SIZE + 4 + (i + 1) * 24 <= l; i++) {
          const at = o + TC_GEN_SIZE + 4 + i * 24;
          const k: Record<string, number> = { off: buf.readInt32LE(at + 8), value: buf.readUInt32BE(at + 4), mask: buf.readUInt32BE(at) };
          if (buf.readUInt32LE(at + 12)) k.at = buf.readUInt32LE(at + 12);
          if (buf.readUInt32LE(at + 16)) k.offmask = buf.readUInt32LE(at + 16);
          if (buf.readUInt32LE(at + 20)) k.shift = buf.readUInt32LE(at + 20);
          keys.push(k);
        }
        out.keys = keys;
      }
    }, 'pedit');
    return out;
  },
};

const nat: ActionCodec = {
  encode(w, opts: NatOptions, field) {
    checkKeys(opts, ['direction', 'old', 'new', 'control'], field);
    if (!opts || (opts.direction !== 'ingress' && opts.direction !== 'egress')) throw new ValidationError(`${field}.direction`, "expected 'ingress' or 'egress'");
    const old = parseCidr(opts.old, `${field}.old`, AF_INET);
    const nw = parseIp(opts.new, `${field}.new`, AF_INET);
    const b = Buffer.alloc(TC_GEN_SIZE + 16);
    tcGen(control(opts, field, 0)).copy(b);
    old.bytes.copy(b, TC_GEN_SIZE);
    nw.bytes.copy(b, TC_GEN_SIZE + 4);
    b.writeUInt32BE(old.prefixLen === 0 ? 0 : (0xffff_ffff << (32 - old.prefixLen)) >>> 0, TC_GEN_SIZE + 8);
    b.writeUInt32LE(opts.direction === 'egress' ? 1 : 0, TC_GEN_SIZE + 12);
    w.bytes(1, b, field);
  },
  decode(buf, off, len) {
    const out: Record<string, unknown> = {};
    forEachAttr(buf, off, off + len, (t, o, l) => {
      if (t === 1 && l >= TC_GEN_SIZE + 16) {
        const mask = buf.readUInt32BE(o + TC_GEN_SIZE + 8);
        let plen = 0;
        while (plen < 32 && mask & (0x8000_0000 >>> plen)) plen++;
        out.direction = buf.readUInt32LE(o + TC_GEN_SIZE + 12) & 1 ? 'egress' : 'ingress';
        const oldIp = formatIp(buf, o + TC_GEN_SIZE, 4);
        out.old = plen === 32 ? oldIp : `${oldIp}/${plen}`;
        out.new = formatIp(buf, o + TC_GEN_SIZE + 4, 4);
        out.control = formatControl(buf.readInt32LE(o + 8));
      }
    }, 'nat');
    return out;
  },
};

const connmark: ActionCodec = {
  encode(w, opts: ConnmarkOptions = {}, field) {
    checkKeys(opts, ['zone', 'control'], field);
    const b = Buffer.alloc(TC_GEN_SIZE + 4);
    tcGen(control(opts, field, 3)).copy(b);
    b.writeUInt16LE(opts.zone !== undefined ? parseInt32(opts.zone, `${field}.zone`, 0xffff) : 0, TC_GEN_SIZE);
    w.bytes(1, b, field);
  },
  decode(buf, off, len) {
    const out: Record<string, unknown> = {};
    forEachAttr(buf, off, off + len, (t, o, l) => {
      if (t === 1 && l >= TC_GEN_SIZE + 2) {
        out.zone = buf.readUInt16LE(o + TC_GEN_SIZE);
        out.control = formatControl(buf.readInt32LE(o + 8));
      }
    }, 'connmark');
    return out;
  },
};

const CT_COMMIT = 1;
const CT_FORCE = 2;
const CT_CLEAR = 4;
const CT_NAT = 8;
const CT_NAT_SRC = 16;
const CT_NAT_DST = 32;

const ct: ActionCodec = {
  encode(w, opts: CtOptions = {}, field) {
    checkKeys(opts, ['commit', 'force', 'clear', 'zone', 'mark', 'markMask', 'nat', 'control'], field);
    w.bytes(1, tcGen(control(opts, field, 3)), field);
    let flags = (opts.commit ? CT_COMMIT : 0) | (opts.force ? CT_FORCE : 0) | (opts.clear ? CT_CLEAR : 0);
    const nat = opts.nat;
    if (nat !== undefined) {
      checkKeys(nat, ['type', 'minIp', 'maxIp', 'minPort', 'maxPort'], `${field}.nat`);
      flags |= CT_NAT | (nat.type === 'src' ? CT_NAT_SRC : nat.type === 'dst' ? CT_NAT_DST : 0);
      if (nat.type !== 'src' && nat.type !== 'dst' && nat.type !== 'restore') throw new ValidationError(`${field}.nat.type`, "expected 'src', 'dst' or 'restore'");
    }
    w.u16(3, flags, field);
    if (opts.zone !== undefined) w.u16(4, parseInt32(opts.zone, `${field}.zone`, 0xffff), `${field}.zone`);
    if (opts.mark !== undefined) {
      w.u32(5, parseInt32(opts.mark, `${field}.mark`), `${field}.mark`);
      w.u32(6, opts.markMask !== undefined ? parseInt32(opts.markMask, `${field}.markMask`) : 0xffff_ffff, `${field}.markMask`);
    }
    if (nat && nat.type !== 'restore') {
      if (nat.minIp !== undefined) {
        const min = parseIp(nat.minIp, `${field}.nat.minIp`);
        const max = parseIp(nat.maxIp ?? nat.minIp, `${field}.nat.maxIp`, min.family);
        const v4 = min.family === AF_INET;
        w.bytes(v4 ? 9 : 11, min.bytes, `${field}.nat.minIp`);
        w.bytes(v4 ? 10 : 12, max.bytes, `${field}.nat.maxIp`);
      }
      if (nat.minPort !== undefined) {
        w.u16be(13, parseInt32(nat.minPort, `${field}.nat.minPort`, 0xffff), `${field}.nat.minPort`);
        w.u16be(14, parseInt32(nat.maxPort ?? nat.minPort, `${field}.nat.maxPort`, 0xffff), `${field}.nat.maxPort`);
      }
    }
  },
  decode(buf, off, len) {
    const out: Record<string, unknown> = {};
    let flags = 0;
    const nat: Record<string, unknown> = {};
    forEachAttr(buf, off, off + len, (t, o, l) => {
      if (t === 1 && l >= TC_GEN_SIZE) out.control = formatControl(buf.readInt32LE(o + 8));
      else if (t === 3 && l >= 2) flags = buf.readUInt16LE(o);
      else if (t === 4 && l >= 2) out.zone = buf.readUInt16LE(o);
      else if (t === 5 && l >= 4) out.mark = buf.readUInt32LE(o);
      else if (t === 6 && l >= 4) out.markMask = buf.readUInt32LE(o);
      else if ((t === 9 || t === 11) && (l === 4 || l === 16)) nat.minIp = formatIp(buf, o, l);
      else if ((t === 10 || t === 12) && (l === 4 || l === 16)) nat.maxIp = formatIp(buf, o, l);
      else if (t === 13 && l >= 2) nat.minPort = buf.readUInt16BE(o);
      else if (t === 14 && l >= 2) nat.maxPort = buf.readUInt16BE(o);
    }, 'ct');
    if (flags & CT_COMMIT) out.commit = true;
    if (flags & CT_FORCE) out.force = true;
    if (flags & CT_CLEAR) out.clear = true;
    if (flags & CT_NAT) out.nat = { type: flags & CT_NAT_SRC ? 'src' : flags & CT_NAT_DST ? 'dst' : 'restore', ...nat };
    return out;
  },
};

const sample = withParms(2, 'sample', {
  rate: { attr: 3, wire: 'u32' }, truncSize: { attr: 4, wire: 'u32' }, group: { attr: 5, wire: 'u32' },
}, 3);

/** Action kinds with typed options. */
export const ACTION_CODECS: Record<string, ActionCodec> = {
  gact, mirred, police, vlan, skbedit, tunnel_key: tunnelKey, csum, pedit, nat, connmark, ct, sample,
};

const actionKeyCache = new Map<string, ReadonlySet<string>>();
function actionKeys(optionsKey: string): ReadonlySet<string> {
  let set = actionKeyCache.get(optionsKey);
  if (!set) actionKeyCache.set(optionsKey, (set = new Set(['kind', 'index', 'cookie', 'stats', optionsKey])));
  return set;
}

// Field names of the actions, made once: a bulk add would otherwise make them per filter, and
// the one a named mirred target is resolved under stays alive until the kernel acks.
const ACTION_FIELDS = Array.from({ length: 32 }, (_, i) => `actions[${i}]`);
const optionsFields = new Map<string, Map<string, string>>();
function optionsField(f: string, kind: string): string {
  let byKind = optionsFields.get(f);
  if (!byKind) optionsFields.set(f, (byKind = new Map()));
  let s = byKind.get(kind);
  if (s === undefined) byKind.set(kind, (s = `${f}.${kind}`));
  return s;
}
const devFields = new Map<string, string>();
/** `${field}.dev`, the same string each time for a field seen before. */
function devField(field: string): string {
  let s = devFields.get(field);
  if (s === undefined) {
    s = `${field}.dev`;
    if (devFields.size < 1024) devFields.set(field, s);
  }
  return s;
}

/** Writes a filter's action list (`attr` is the kind's TCA_*_ACT). */
export function encodeActions(w: MessageWriter, attr: number, actions: readonly ActionSpec[], field: string, ctx: EncodeContext): void {
  if (!Array.isArray(actions)) throw new ValidationError(field, 'expected an array of actions');
  if (actions.length > 32) throw new ValidationError(field, 'at most 32 actions (TCA_ACT_MAX_PRIO)');
  w.nestStart(attr, field);
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    const f = field === 'actions' ? ACTION_FIELDS[i]! : `${field}[${i}]`;
    if (a === null || typeof a !== 'object' || typeof a.kind !== 'string') throw new ValidationError(`${f}.kind`, 'expected an action { kind, <kind>: options }');
    const codec = ACTION_CODECS[a.kind];
    checkKeys(a, actionKeys(codec ? a.kind : 'options'), f);
    w.nestStart(i + 1, f);
    w.string(TCA_ACT_KIND, a.kind, `${f}.kind`);
    if (a.index !== undefined) w.u32(TCA_ACT_INDEX, parseInt32(a.index, `${f}.index`), `${f}.index`);
    if (a.cookie !== undefined) {
      if (!Buffer.isBuffer(a.cookie) || a.cookie.length > 16) throw new ValidationError(`${f}.cookie`, 'expected a Buffer of at most 16 bytes');
      w.bytes(TCA_ACT_COOKIE, a.cookie, `${f}.cookie`);
    }
    const opts = codec ? (a as any)[a.kind] : a.options;
    // An action named by index alone shares the existing one and needs no options.
    if (opts !== undefined || a.index === undefined) {
      const of = codec ? optionsField(f, a.kind) : `${f}.${a.kind}`;
      w.nestStart(TCA_ACT_OPTIONS, of);
      if (codec) codec.encode(w, opts, of, ctx);
      else if (opts !== undefined) {
        if (!Buffer.isBuffer(opts)) throw new ValidationError(`${f}.options`, `no typed options for action kind ${JSON.stringify(a.kind)}: give the raw TCA_ACT_OPTIONS payload as a Buffer`);
        w.struct(opts.length, (b, at) => opts.copy(b, at));
      }
      w.nestEnd();
    }
    w.nestEnd();
  }
  w.nestEnd();
}

/** Reads a TCA_*_ACT list back into actions, in order (an inline walk: dumps read 10 000 of these). */
export function decodeActions(buf: Buffer, off: number, len: number): Action[] {
  const end = off + len;
  // Counted first and sized: an array grown by push keeps room for 17, and a dump keeps 10 000.
  let count = 0;
  for (let p = off; end - p >= 4; count++) p = nextAttr(p, attrLen(buf, p, end, 'actions'));
  const out: Action[] = new Array(count);
  let sorted = true;
  let lastPrio = -1;
  let i = 0;
  for (let p = off; end - p >= 4;) {
    const alen = attrLen(buf, p, end, 'actions');
    const prio = attrType(buf, p);
    if (prio < lastPrio) sorted = false;
    lastPrio = prio;
    out[i++] = decodeAction(buf, p + 4, alen - 4);
    p = nextAttr(p, alen);
  }
  // The kernel numbers them in order; sort (by their numbers, stably) only when it did not.
  if (sorted) return out;
  const order: { a: Action; prio: number }[] = [];
  i = 0;
  for (let p = off; end - p >= 4;) {
    const alen = attrLen(buf, p, end, 'actions');
    order.push({ a: out[i++]!, prio: attrType(buf, p) });
    p = nextAttr(p, alen);
  }
  order.sort((x, y) => x.prio - y.prio);
  return order.map((x) => x.a);
}

function decodeAction(buf: Buffer, o: number, l: number): Action {
  const a: any = { kind: '', index: 0 };
  let optsAt = -1;
  let optsLen = 0;
  const end = o + l;
  for (let p = o; end - p >= 4;) {
    const alen = attrLen(buf, p, end, 'action');
    const ao = p + 4;
    const al = alen - 4;
    const t = attrType(buf, p);
    if (t === TCA_ACT_KIND) a.kind = readName(buf, ao, al);
    else if (t === TCA_ACT_OPTIONS) { optsAt = ao; optsLen = al; }
    else if (t === TCA_ACT_INDEX && al >= 4) a.index = buf.readUInt32LE(ao);
    else if (t === TCA_ACT_STATS) a.stats = decodeStats2Into(buf, ao, al);
    else if (t === TCA_ACT_COOKIE) a.cookie = Buffer.from(buf.subarray(ao, ao + al));
    p = nextAttr(p, alen);
  }
  if (optsAt >= 0) {
    const codec = ACTION_CODECS[a.kind];
    if (codec) {
      a[a.kind] = codec.decode(buf, optsAt, optsLen);
      // The index also sits in the kind's tc_gen; fill it when TCA_ACT_INDEX was absent.
      if (!a.index) forEachAttr(buf, optsAt, optsAt + optsLen, (t, po, pl) => { if ((t === 1 || t === 2) && pl >= TC_GEN_SIZE && a.kind !== 'police') a.index ||= buf.readUInt32LE(po); if (a.kind === 'police' && t === 1 && pl >= 4) a.index ||= buf.readUInt32LE(po); }, 'action');
    } else a.options = Buffer.from(buf.subarray(optsAt, optsAt + optsLen));
  }
  return a;
}
