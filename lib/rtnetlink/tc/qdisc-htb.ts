/**
 * htb: the hierarchical token bucket qdisc and its classes. Rates above 2^32-1 bytes/s
 * (~34 Gbit/s) travel in TCA_HTB_RATE64/CEIL64 beside a capped 32-bit rate spec, so 40 and
 * 100 Gbit/s round-trip exactly; rate tables are sent as tc sends them.
 */
import { checkKeys } from '../../core/options';
import { ValidationError } from '../../errors';
import { forEachAttr, readU64 } from '../../wire/attributes';
import { TCA } from './constants';
import { parseHandle, formatHandle, type TcHandle } from './handle';
import type { KindCodec } from './kind';
import { RATESPEC_SIZE, getPsched, parseInt32, parseRate, parseSize, rateBits, rateTable, readRateSpec, writeRateSpec, xmitSize, xmitTime, type Rate, type Size } from './units';

const TCA_HTB_PARMS = 1;
const TCA_HTB_INIT = 2;
const TCA_HTB_CTAB = 3;
const TCA_HTB_RTAB = 4;
const TCA_HTB_DIRECT_QLEN = 5;
const TCA_HTB_RATE64 = 6;
const TCA_HTB_CEIL64 = 7;
const TCA_HTB_OFFLOAD = 9;

/** Options of an htb qdisc (`tc qdisc add … htb [default ID] [r2q N] [direct_qlen P] [offload]`). */
export interface HtbQdiscOptions {
  /** Class that unclassified traffic goes to: '1:10', or its minor number (tc's `default 10` is hex: 0x10). */
  defaultClass?: TcHandle;
  /** Divisor of a class's rate giving its default quantum (tc's r2q, default 10). */
  r2q?: number;
  /** Packets the direct (unclassified, no default) queue holds. */
  directQlen?: number;
  /** Offload to hardware. */
  offload?: boolean;
}

/** Options of an htb class (`tc class add … htb rate R [ceil C] [burst B] [cburst B] [prio P] [quantum Q]`). */
export interface HtbClassOptions {
  rate: Rate;
  /** Default: the rate. */
  ceil?: Rate;
  /** Bytes that may be sent at full speed; default rate/HZ + mtu as tc. */
  burst?: Size;
  cburst?: Size;
  prio?: number;
  quantum?: number;
  /** Largest packet the rate table covers (default 1600). */
  mtu?: number;
  mpu?: number;
  overhead?: number;
  /** Depth in the class tree (read only: reported by the kernel, ignored when written). */
  level?: number;
}

const QDISC_KEYS = ['defaultClass', 'r2q', 'directQlen', 'offload'];
const CLASS_KEYS = ['rate', 'ceil', 'burst', 'cburst', 'prio', 'quantum', 'mtu', 'mpu', 'overhead', 'level'];

function defaultMinor(v: TcHandle, field: string): number {
  if (typeof v === 'number') return parseInt32(v, field, 0xffff);
  return parseHandle(v, field, 'classid') & 0xffff;
}

/** htb qdisc codec. */
export const htbQdisc: KindCodec = {
  encode(w, opts: HtbQdiscOptions = {}, field) {
    checkKeys(opts, QDISC_KEYS, field);
    const defcls = opts.defaultClass !== undefined ? defaultMinor(opts.defaultClass, `${field}.defaultClass`) : 0;
    const r2q = opts.r2q !== undefined ? parseInt32(opts.r2q, `${field}.r2q`) : 10;
    const directQlen = opts.directQlen !== undefined ? parseInt32(opts.directQlen, `${field}.directQlen`) : undefined;
    if (opts.offload !== undefined && typeof opts.offload !== 'boolean') throw new ValidationError(`${field}.offload`, 'expected true or false');
    w.nestStart(TCA.OPTIONS, field, true);
    const init = Buffer.alloc(20);
    init.writeUInt32LE(3, 0); // version, as tc's
    init.writeUInt32LE(r2q, 4);
    init.writeUInt32LE(defcls, 8);
    w.bytes(TCA_HTB_INIT, init, field);
    if (directQlen !== undefined) w.u32(TCA_HTB_DIRECT_QLEN, directQlen, `${field}.directQlen`);
    if (opts.offload) w.flag(TCA_HTB_OFFLOAD, `${field}.offload`);
    w.nestEnd();
  },
  decode(buf, off, len, ctx) {
    const out: Record<string, unknown> = {};
    forEachAttr(buf, off, off + len, (type, o, l) => {
      if (type === TCA_HTB_INIT && l >= 20) {
        const defcls = buf.readUInt32LE(o + 8);
        out.defaultClass = formatHandle(((ctx.handle & 0xffff0000) | (defcls & 0xffff)) >>> 0);
        out.r2q = buf.readUInt32LE(o + 4);
      } else if (type === TCA_HTB_DIRECT_QLEN && l >= 4) out.directQlen = buf.readUInt32LE(o);
      else if (type === TCA_HTB_OFFLOAD) out.offload = true;
    }, 'htb options');
    return out;
  },
};

/** htb class codec. */
export const htbClass: KindCodec = {
  required: true,
  encode(w, opts: HtbClassOptions, field) {
    if (opts === undefined) throw new ValidationError(`${field}.rate`, 'an htb class needs a rate');
    checkKeys(opts, CLASS_KEYS, field);
    if (opts.rate === undefined) throw new ValidationError(`${field}.rate`, 'an htb class needs a rate');
    const rate = parseRate(opts.rate, `${field}.rate`);
    if (rate === 0) throw new ValidationError(`${field}.rate`, 'rate must be above 0');
    const ceil = opts.ceil !== undefined ? parseRate(opts.ceil, `${field}.ceil`) : rate;
    if (ceil === 0) throw new ValidationError(`${field}.ceil`, 'ceil must be above 0');
    const mtu = opts.mtu !== undefined ? parseInt32(opts.mtu, `${field}.mtu`) : 1600;
    const mpu = opts.mpu !== undefined ? parseInt32(opts.mpu, `${field}.mpu`, 0xffff) : 0;
    const overhead = opts.overhead !== undefined ? parseInt32(opts.overhead, `${field}.overhead`, 0xffff) : 0;
    const hz = getPsched().hz;
    const burst = opts.burst !== undefined ? parseSize(opts.burst, `${field}.burst`) : Math.floor(rate / hz + mtu);
    const cburst = opts.cburst !== undefined ? parseSize(opts.cburst, `${field}.cburst`) : Math.floor(ceil / hz + mtu);
    const prio = opts.prio !== undefined ? parseInt32(opts.prio, `${field}.prio`, 7) : 0;
    const quantum = opts.quantum !== undefined ? parseInt32(opts.quantum, `${field}.quantum`) : 0;
    // As tc: the 32-bit specs carry the capped rate and so do their tables.
    const r = rateTable(Math.min(rate, 0xffff_ffff), mtu, mpu, overhead);
    const c = rateTable(Math.min(ceil, 0xffff_ffff), mtu, mpu, overhead);
    const buffer = xmitTime(rate, burst);
    if (buffer === 0xffff_ffff) throw new ValidationError(`${field}.burst`, 'burst is too large for this rate');
    const parms = Buffer.alloc(44);
    writeRateSpec(parms, 0, r.spec);
    writeRateSpec(parms, RATESPEC_SIZE, c.spec);
    parms.writeUInt32LE(buffer, 24);
    parms.writeUInt32LE(xmitTime(ceil, cburst), 28);
    parms.writeUInt32LE(quantum, 32);
    parms.writeUInt32LE(prio, 40);
    w.nestStart(TCA.OPTIONS, field, true);
    if (rate > 0xffff_ffff) w.u64(TCA_HTB_RATE64, rate, `${field}.rate`);
    if (ceil > 0xffff_ffff) w.u64(TCA_HTB_CEIL64, ceil, `${field}.ceil`);
    w.bytes(TCA_HTB_PARMS, parms, field);
    w.bytes(TCA_HTB_RTAB, r.table, `${field}.rate`);
    w.bytes(TCA_HTB_CTAB, c.table, `${field}.ceil`);
    w.nestEnd();
  },
  decode(buf, off, len) {
    let parms: Buffer | undefined;
    let rate64: number | undefined;
    let ceil64: number | undefined;
    forEachAttr(buf, off, off + len, (type, o, l) => {
      if (type === TCA_HTB_PARMS && l >= 44) parms = buf.subarray(o, o + 44);
      else if (type === TCA_HTB_RATE64 && l >= 8) rate64 = readU64(buf, o);
      else if (type === TCA_HTB_CEIL64 && l >= 8) ceil64 = readU64(buf, o);
    }, 'htb class options');
    if (!parms) return {};
    const r = readRateSpec(parms, 0);
    const c = readRateSpec(parms, RATESPEC_SIZE);
    const rate = rate64 ?? r.rate;
    const ceil = ceil64 ?? c.rate;
    const out: Record<string, unknown> = {
      rate: rateBits(rate), ceil: rateBits(ceil),
      burst: xmitSize(rate, parms.readUInt32LE(24)), cburst: xmitSize(ceil, parms.readUInt32LE(28)),
      prio: parms.readUInt32LE(40), quantum: parms.readUInt32LE(32), level: parms.readUInt32LE(36),
    };
    if (r.mpu) out.mpu = r.mpu;
    if (r.overhead) out.overhead = r.overhead;
    return out;
  },
};
