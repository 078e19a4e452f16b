/**
 * The other qdisc kinds: fifos, prio, sfq, fq_codel, fq, cake, hfsc, mqprio, and the kinds
 * without options (ingress, clsact, noqueue, mq). Attribute-based kinds are one field table
 * each; struct-based ones (fifo, prio, sfq, hfsc, mqprio) a small layout.
 */
import { checkKeys } from '../../core/options';
import { ValidationError } from '../../errors';
import { forEachAttr, readU64 } from '../../wire/attributes';
import { TCA } from './constants';
import { bool32, decodeFields, defineFields, encodeFields, named, rate32, size32, u32, type OptField } from './fields';
import { parseHandle, formatHandle, type TcHandle } from './handle';
import type { KindCodec } from './kind';
import { parseInt32, parseRate, parseSize, rateBits, type Rate } from './units';

/** A kind whose options are one field table in a TCA_OPTIONS nest. */
function tableKind(name: string, table: Record<string, OptField>): KindCodec {
  const fields = defineFields(name, table);
  return {
    encode(w, opts = {}, field) {
      w.nestStart(TCA.OPTIONS, field, true);
      encodeFields(w, fields, opts, field);
      w.nestEnd();
    },
    decode: (buf, off, len) => decodeFields(fields, buf, off, off + len),
  };
}

/** pfifo / bfifo / pfifo_head_drop: `limit` (packets for pfifo, bytes for bfifo). */
export interface FifoOptions {
  limit?: number | string;
}

function fifoKind(bytes: boolean): KindCodec {
  return {
    encode(w, opts: FifoOptions | undefined, field) {
      if (opts === undefined) return; // the kernel's default: the device's txqueuelen (× mtu for bfifo)
      checkKeys(opts, ['limit'], field);
      if (opts.limit === undefined) return;
      const limit = bytes ? parseSize(opts.limit, `${field}.limit`) : parseInt32(opts.limit, `${field}.limit`);
      const b = Buffer.alloc(4);
      b.writeUInt32LE(limit, 0);
      w.bytes(TCA.OPTIONS, b, `${field}.limit`);
    },
    decode: (buf, off, len) => (len >= 4 ? { limit: buf.readUInt32LE(off) } : {}),
  };
}

/** prio: `bands` and the 16-entry `priomap` (`tc qdisc add … prio bands 3 priomap …`). */
export interface PrioOptions {
  bands?: number;
  priomap?: number[];
}

const DEFAULT_PRIOMAP = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

const prioQdisc: KindCodec = {
  encode(w, opts: PrioOptions = {}, field) {
    checkKeys(opts, ['bands', 'priomap'], field);
    const bands = opts.bands !== undefined ? parseInt32(opts.bands, `${field}.bands`, 16, 2) : 3;
    const map = opts.priomap ?? DEFAULT_PRIOMAP;
    if (!Array.isArray(map) || map.length > 16) throw new ValidationError(`${field}.priomap`, 'expected up to 16 band numbers');
    const b = Buffer.alloc(20);
    b.writeInt32LE(bands, 0);
    map.forEach((v, i) => { b[4 + i] = parseInt32(v, `${field}.priomap[${i}]`, bands - 1); });
    w.bytes(TCA.OPTIONS, b, field);
  },
  decode: (buf, off, len) => (len >= 20 ? { bands: buf.readInt32LE(off), priomap: [...buf.subarray(off + 4, off + 20)] } : {}),
};

/** sfq (`tc qdisc add … sfq [perturb S] [quantum B] [limit N] [divisor N] [flows N] [depth N] [headdrop]`). */
export interface SfqOptions {
  perturbSec?: number;
  quantum?: number;
  limit?: number;
  divisor?: number;
  flows?: number;
  depth?: number;
  headdrop?: boolean;
}

const SFQ_KEYS = ['perturbSec', 'quantum', 'limit', 'divisor', 'flows', 'depth', 'headdrop'];

const sfqQdisc: KindCodec = {
  encode(w, opts: SfqOptions = {}, field) {
    checkKeys(opts, SFQ_KEYS, field);
    // struct tc_sfq_qopt_v1 (72 bytes): the kernel reads depth and headdrop only from the full v1 struct.
    const b = Buffer.alloc(72);
    const n = (k: keyof SfqOptions, at: number) => { if (opts[k] !== undefined) b.writeUInt32LE(parseInt32(opts[k], `${field}.${k}`), at); };
    n('quantum', 0);
    if (opts.perturbSec !== undefined) b.writeInt32LE(parseInt32(opts.perturbSec, `${field}.perturbSec`, 0x7fff_ffff), 4);
    n('limit', 8);
    n('divisor', 12);
    n('flows', 16);
    n('depth', 20);
    if (opts.headdrop !== undefined) b.writeUInt32LE(opts.headdrop ? 1 : 0, 24);
    w.bytes(TCA.OPTIONS, b, field);
  },
  decode(buf, off, len) {
    if (len < 20) return {};
    const out: Record<string, unknown> = {
      quantum: buf.readUInt32LE(off), perturbSec: buf.readInt32LE(off + 4), limit: buf.readUInt32LE(off + 8),
      divisor: buf.readUInt32LE(off + 12), flows: buf.readUInt32LE(off + 16),
    };
    if (len >= 28) {
      out.depth = buf.readUInt32LE(off + 20);
      out.headdrop = buf.readUInt32LE(off + 24) !== 0;
    }
    return out;
  },
};

/** fq_codel options (`limit`, `flows`, `target`, `interval`, `quantum`, `ecn`, `ce_threshold` …). */
export interface FqCodelOptions {
  limit?: number;
  flows?: number;
  targetUs?: number;
  intervalUs?: number;
  quantum?: number;
  ecn?: boolean;
  ceThresholdUs?: number;
  dropBatchSize?: number;
  memoryLimit?: number | string;
}

/**
 * A CoDel time in µs. The kernel keeps it in 1024 ns units (floor(µs·1000/1024)) and reports
 * floor(units·1024/1000) µs, so 4000 reads back as 3999; the units are recoverable exactly
 * (one integer per report), and the smallest whole µs that maps to them is what was written.
 */
const codelUs = (attr: number): OptField => ({
  attr, wire: 'u32', enc: (v, field) => u32(attr).enc!(v, field),
  dec: (d: number) => Math.ceil((Math.ceil((d * 1000) / 1024) * 1024) / 1000),
});

const fqCodelQdisc = tableKind('fq_codel', {
  targetUs: codelUs(1), limit: u32(2), intervalUs: codelUs(3), ecn: bool32(4), flows: u32(5), quantum: u32(6),
  ceThresholdUs: codelUs(7), dropBatchSize: u32(8), memoryLimit: size32(9),
});

/** fq options (`limit`, `flow_limit`, `quantum`, `maxrate`, `buckets` …). */
export interface FqOptions {
  limit?: number;
  flowLimit?: number;
  quantum?: number;
  initialQuantum?: number;
  rateEnable?: boolean;
  /** Per-flow rate cap, or 'unlimited'. */
  maxRate?: Rate | 'unlimited';
  bucketsLog?: number;
  flowRefillDelayUs?: number;
  orphanMask?: number;
  lowRateThreshold?: Rate;
  ceThresholdUs?: number;
  timerSlackNs?: number;
  horizonUs?: number;
  horizonDrop?: boolean;
}

const fqMaxRate: OptField = {
  attr: 7, wire: 'u32',
  enc: (v, field) => (v === 'unlimited' ? 0xffff_ffff : (rate32(7).enc!(v, field) as number)),
  dec: (v: number) => (v === 0xffff_ffff ? 'unlimited' : rateBits(v)),
};

const fqQdisc = tableKind('fq', {
  limit: u32(1), flowLimit: u32(2), quantum: u32(3), initialQuantum: u32(4), rateEnable: bool32(5), maxRate: fqMaxRate,
  bucketsLog: u32(8), flowRefillDelayUs: u32(9), orphanMask: u32(10), lowRateThreshold: rate32(11), ceThresholdUs: u32(12),
  timerSlackNs: u32(13), horizonUs: u32(14), horizonDrop: { attr: 15, wire: 'bool8' },
});

/** cake options (`bandwidth`, `diffserv4`, `flows`/`triple-isolate`, `nat`, `wash`, `ack-filter`, `rtt` …). */
export interface CakeOptions {
  /** Shaper rate, or 'unlimited'. */
  bandwidth?: Rate | 'unlimited';
  diffserv?: 'diffserv3' | 'diffserv4' | 'diffserv8' | 'besteffort' | 'precedence';
  atm?: 'noatm' | 'atm' | 'ptm';
  flowMode?: 'flowblind' | 'srchost' | 'dsthost' | 'hosts' | 'flows' | 'dual-srchost' | 'dual-dsthost' | 'triple-isolate';
  overhead?: number;
  rttUs?: number;
  targetUs?: number;
  autorate?: boolean;
  memory?: number | string;
  nat?: boolean;
  raw?: boolean;
  wash?: boolean;
  mpu?: number;
  ingress?: boolean;
  ackFilter?: 'no-ack-filter' | 'ack-filter' | 'ack-filter-aggressive';
  splitGso?: boolean;
  fwmark?: number;
}

const cakeBandwidth: OptField = {
  attr: 2, wire: 'u64',
  enc: (v, field) => (v === 'unlimited' ? 0 : parseRate(v, field)),
  dec: (v: number) => (v === 0 ? 'unlimited' : rateBits(v)),
};

const cakeQdisc = tableKind('cake', {
  bandwidth: cakeBandwidth,
  diffserv: named(3, ['diffserv3', 'diffserv4', 'diffserv8', 'besteffort', 'precedence']),
  atm: named(4, ['noatm', 'atm', 'ptm']),
  flowMode: named(5, ['flowblind', 'srchost', 'dsthost', 'hosts', 'flows', 'dual-srchost', 'dual-dsthost', 'triple-isolate']),
  overhead: { attr: 6, wire: 's32' },
  rttUs: u32(7), targetUs: u32(8), autorate: bool32(9), memory: size32(10), nat: bool32(11), raw: bool32(12), wash: bool32(13),
  mpu: u32(14), ingress: bool32(15), ackFilter: named(16, ['no-ack-filter', 'ack-filter', 'ack-filter-aggressive']),
  splitGso: bool32(17), fwmark: u32(18),
});

/** hfsc qdisc: the default class (`tc qdisc add … hfsc default 10`). */
export interface HfscQdiscOptions {
  defaultClass?: TcHandle;
}

const hfscQdisc: KindCodec = {
  encode(w, opts: HfscQdiscOptions = {}, field) {
    checkKeys(opts, ['defaultClass'], field);
    const d = opts.defaultClass;
    const b = Buffer.alloc(2);
    if (d !== undefined) b.writeUInt16LE(typeof d === 'number' ? parseInt32(d, `${field}.defaultClass`, 0xffff) : parseHandle(d, `${field}.defaultClass`, 'classid') & 0xffff, 0);
    w.bytes(TCA.OPTIONS, b, field);
  },
  decode: (buf, off, len, ctx) => (len >= 2 ? { defaultClass: formatHandle(((ctx.handle & 0xffff0000) | buf.readUInt16LE(off)) >>> 0) } : {}),
};

/** A service curve: `m1` for `dUs`, then `m2` (tc's `sc|rt|ls|ul m1 R d T m2 R`); rates in bit/s. */
export interface ServiceCurve {
  m1?: Rate;
  dUs?: number;
  m2: Rate;
}

/** hfsc class: real-time (`rt`), link-sharing (`ls`) and upper-limit (`ul`) curves; `sc` sets rt and ls. */
export interface HfscClassOptions {
  rt?: ServiceCurve;
  ls?: ServiceCurve;
  ul?: ServiceCurve;
  sc?: ServiceCurve;
}

function curve(v: ServiceCurve, field: string): Buffer {
  checkKeys(v, ['m1', 'dUs', 'm2'], field);
  if (v.m2 === undefined) throw new ValidationError(`${field}.m2`, 'a service curve needs m2');
  const b = Buffer.alloc(12);
  const m1 = v.m1 !== undefined ? parseRate(v.m1, `${field}.m1`) : 0;
  const m2 = parseRate(v.m2, `${field}.m2`);
  if (m1 > 0xffff_ffff || m2 > 0xffff_ffff) throw new ValidationError(field, 'hfsc rates stop at 34.3 Gbit/s');
  b.writeUInt32LE(m1, 0);
  b.writeUInt32LE(v.dUs !== undefined ? parseInt32(v.dUs, `${field}.dUs`) : 0, 4);
  b.writeUInt32LE(m2, 8);
  return b;
}

const hfscClass: KindCodec = {
  required: true,
  encode(w, opts: HfscClassOptions, field) {
    checkKeys(opts, ['rt', 'ls', 'ul', 'sc'], field);
    if (!opts || (!opts.rt && !opts.ls && !opts.sc && !opts.ul)) throw new ValidationError(field, 'an hfsc class needs at least one of rt, ls, sc, ul');
    w.nestStart(TCA.OPTIONS, field, true);
    const rt = opts.rt ?? opts.sc;
    const ls = opts.ls ?? opts.sc;
    if (rt) w.bytes(1, curve(rt, `${field}.${opts.rt ? 'rt' : 'sc'}`), field);
    if (ls) w.bytes(2, curve(ls, `${field}.${opts.ls ? 'ls' : 'sc'}`), field);
    if (opts.ul) w.bytes(3, curve(opts.ul, `${field}.ul`), field);
    w.nestEnd();
  },
  decode(buf, off, len) {
    const out: Record<string, unknown> = {};
    const names = ['', 'rt', 'ls', 'ul'];
    forEachAttr(buf, off, off + len, (type, o, l) => {
      if (type >= 1 && type <= 3 && l >= 12) {
        const c: Record<string, unknown> = { m2: rateBits(buf.readUInt32LE(o + 8)) };
        if (buf.readUInt32LE(o)) { c.m1 = rateBits(buf.readUInt32LE(o)); c.dUs = buf.readUInt32LE(o + 4); }
        out[names[type]!] = c;
      }
    }, 'hfsc class options');
    return out;
  },
};

/** mqprio (`num_tc N map P… queues count@offset … [hw 0|1] [mode dcb|channel] [shaper dcb|bw_rlimit]`). */
export interface MqprioOptions {
  numTc: number;
  /** Priority → traffic class, 16 entries. */
  map: number[];
  /** Per traffic class: `{ count, offset }` of its TX queues. */
  queues: { count: number; offset: number }[];
  hw?: boolean;
  mode?: 'dcb' | 'channel';
  shaper?: 'dcb' | 'bw_rlimit';
  minRate?: Rate[];
  maxRate?: Rate[];
}

const mqprioQdisc: KindCodec = {
  required: true,
  encode(w, opts: MqprioOptions, field) {
    checkKeys(opts, ['numTc', 'map', 'queues', 'hw', 'mode', 'shaper', 'minRate', 'maxRate'], field);
    if (!opts) throw new ValidationError(`${field}.numTc`, 'mqprio needs numTc, map and queues');
    const numTc = parseInt32(opts.numTc, `${field}.numTc`, 16, 1);
    if (!Array.isArray(opts.map) || opts.map.length > 16) throw new ValidationError(`${field}.map`, 'expected up to 16 traffic classes');
    if (!Array.isArray(opts.queues) || opts.queues.length !== numTc) throw new ValidationError(`${field}.queues`, 'expected one { count, offset } per traffic class');
    const b = Buffer.alloc(82);
    b[0] = numTc;
    opts.map.forEach((v, i) => { b[1 + i] = parseInt32(v, `${field}.map[${i}]`, numTc - 1); });
    b[17] = opts.hw === false ? 0 : 1;
    opts.queues.forEach((q, i) => {
      checkKeys(q, ['count', 'offset'], `${field}.queues[${i}]`);
      b.writeUInt16LE(parseInt32(q.count, `${field}.queues[${i}].count`, 0xffff), 18 + i * 2);
      b.writeUInt16LE(parseInt32(q.offset, `${field}.queues[${i}].offset`, 0xffff), 50 + i * 2);
    });
    w.nestStart(TCA.OPTIONS, field, true);
    w.struct(82, (buf, at) => b.copy(buf, at));
    if (opts.mode !== undefined) {
      if (opts.mode !== 'dcb' && opts.mode !== 'channel') throw new ValidationError(`${field}.mode`, "expected 'dcb' or 'channel'");
      w.u16(1, opts.mode === 'dcb' ? 0 : 1, `${field}.mode`);
    }
    if (opts.shaper !== undefined) {
      if (opts.shaper !== 'dcb' && opts.shaper !== 'bw_rlimit') throw new ValidationError(`${field}.shaper`, "expected 'dcb' or 'bw_rlimit'");
      w.u16(2, opts.shaper === 'dcb' ? 0 : 1, `${field}.shaper`);
    }
    for (const [key, attr] of [['minRate', 3], ['maxRate', 4]] as const) {
      const rates = opts[key];
      if (rates === undefined) continue;
      if (!Array.isArray(rates)) throw new ValidationError(`${field}.${key}`, 'expected one rate per traffic class');
      w.nestStart(attr, `${field}.${key}`);
      rates.forEach((r, i) => w.u64(attr, parseRate(r, `${field}.${key}[${i}]`), `${field}.${key}[${i}]`));
      w.nestEnd();
    }
    w.nestEnd();
  },
  decode(buf, off, len) {
    if (len < 82) return {};
    const numTc = buf[off]!;
    const out: Record<string, unknown> = {
      numTc, map: [...buf.subarray(off + 1, off + 17)], hw: buf[off + 17] !== 0,
      queues: Array.from({ length: numTc }, (_, i) => ({ count: buf.readUInt16LE(off + 18 + i * 2), offset: buf.readUInt16LE(off + 50 + i * 2) })),
    };
    forEachAttr(buf, off + 84, off + len, (type, o, l) => {
      if (type === 1 && l >= 2) out.mode = buf.readUInt16LE(o) === 0 ? 'dcb' : 'channel';
      else if (type === 2 && l >= 2) out.shaper = buf.readUInt16LE(o) === 0 ? 'dcb' : 'bw_rlimit';
      else if (type === 3 || type === 4) {
        const rates: number[] = [];
        forEachAttr(buf, o, o + l, (_t, ro, rl) => { if (rl >= 8) rates.push(rateBits(readU64(buf, ro))); }, 'mqprio rates');
        out[type === 3 ? 'minRate' : 'maxRate'] = rates;
      }
    }, 'mqprio options');
    return out;
  },
};

/** drr class: `quantum` bytes per round. */
const drrClass = tableKind('drr', { quantum: size32(1) });

/** The codecs of this file's kinds, registered in objects.ts. */
export { fifoKind, prioQdisc, sfqQdisc, fqCodelQdisc, fqQdisc, cakeQdisc, hfscQdisc, hfscClass, mqprioQdisc, drrClass };
