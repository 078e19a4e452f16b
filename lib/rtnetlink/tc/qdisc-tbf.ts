/**
 * tbf: the token bucket filter qdisc (`tc qdisc add … tbf rate R burst B latency L | limit N
 * [peakrate P mtu M]`), with 64-bit rates and the rate tables the kernel expects.
 */
import { checkKeys } from '../../core/options';
import { ValidationError } from '../../errors';
import { forEachAttr, readU64 } from '../../wire/attributes';
import { TCA, TIME_UNITS_PER_SEC } from './constants';
import type { KindCodec } from './kind';
import { RATESPEC_SIZE, parseInt32, parseRate, parseSize, rateBits, rateTable, readRateSpec, ticksToUs, writeRateSpec, xmitSize, xmitTime, type Rate, type Size } from './units';

const TCA_TBF_PARMS = 1;
const TCA_TBF_RTAB = 2;
const TCA_TBF_PTAB = 3;
const TCA_TBF_RATE64 = 4;
const TCA_TBF_PRATE64 = 5;
const TCA_TBF_BURST = 6;
const TCA_TBF_PBURST = 7;

/** Options of a tbf qdisc. Give `latencyMs` or `limit` (limit wins when both are there). */
export interface TbfOptions {
  rate: Rate;
  /** Bucket size in bytes. */
  burst: Size;
  /** Longest a packet may wait; sets the queue limit from rate and burst as tc does. */
  latencyMs?: number;
  /** Queue limit in bytes. */
  limit?: Size;
  /** Peak rate and the size of its bucket (`mtu`/`minburst`). */
  peakrate?: Rate;
  mtu?: Size;
  mpu?: number;
  overhead?: number;
}

const KEYS = ['rate', 'burst', 'latencyMs', 'limit', 'peakrate', 'mtu', 'mpu', 'overhead'];

/** tbf codec. */
export const tbfQdisc: KindCodec = {
  required: true,
  encode(w, opts: TbfOptions, field) {
    if (opts === undefined) throw new ValidationError(`${field}.rate`, 'tbf needs rate, burst and latencyMs or limit');
    checkKeys(opts, KEYS, field);
    if (opts.rate === undefined) throw new ValidationError(`${field}.rate`, 'tbf needs a rate');
    if (opts.burst === undefined) throw new ValidationError(`${field}.burst`, 'tbf needs a burst');
    const rate = parseRate(opts.rate, `${field}.rate`);
    if (rate === 0) throw new ValidationError(`${field}.rate`, 'rate must be above 0');
    const burst = parseSize(opts.burst, `${field}.burst`, Number.MAX_SAFE_INTEGER);
    if (burst === 0) throw new ValidationError(`${field}.burst`, 'burst must be above 0');
    const prate = opts.peakrate !== undefined ? parseRate(opts.peakrate, `${field}.peakrate`) : 0;
    const mtu = opts.mtu !== undefined ? parseSize(opts.mtu, `${field}.mtu`) : 0;
    if (prate && !mtu) throw new ValidationError(`${field}.mtu`, 'a peakrate needs mtu');
    const mpu = opts.mpu !== undefined ? parseInt32(opts.mpu, `${field}.mpu`, 0xffff) : 0;
    const overhead = opts.overhead !== undefined ? parseInt32(opts.overhead, `${field}.overhead`, 0xffff) : 0;
    let limit: number;
    if (opts.limit !== undefined) limit = parseSize(opts.limit, `${field}.limit`);
    else if (opts.latencyMs !== undefined) {
      if (typeof opts.latencyMs !== 'number' || !(opts.latencyMs >= 0)) throw new ValidationError(`${field}.latencyMs`, 'expected milliseconds ≥ 0');
      const latencyUs = opts.latencyMs * 1000;
      let lim = (rate * latencyUs) / TIME_UNITS_PER_SEC + burst;
      if (prate) lim = Math.min(lim, (prate * latencyUs) / TIME_UNITS_PER_SEC + mtu);
      limit = Math.floor(Math.min(lim, 0xffff_ffff));
    } else throw new ValidationError(`${field}.latencyMs`, 'tbf needs latencyMs or limit');
    const capped = Math.min(rate, 0xffff_ffff);
    const r = rateTable(capped, mtu, mpu, overhead);
    const buffer = xmitTime(capped, burst);
    if (buffer === 0xffff_ffff) throw new ValidationError(`${field}.burst`, 'burst is too large for this rate');
    const parms = Buffer.alloc(36);
    writeRateSpec(parms, 0, r.spec);
    let p: ReturnType<typeof rateTable> | undefined;
    if (prate) {
      p = rateTable(Math.min(prate, 0xffff_ffff), mtu, mpu, overhead);
      writeRateSpec(parms, RATESPEC_SIZE, p.spec);
      parms.writeUInt32LE(xmitTime(Math.min(prate, 0xffff_ffff), mtu), 32);
    }
    parms.writeUInt32LE(limit, 24);
    parms.writeUInt32LE(buffer, 28);
    w.nestStart(TCA.OPTIONS, field, true);
    w.bytes(TCA_TBF_PARMS, parms, field);
    if (burst <= 0xffff_ffff) w.u32(TCA_TBF_BURST, burst, `${field}.burst`);
    if (rate > 0xffff_ffff) w.u64(TCA_TBF_RATE64, rate, `${field}.rate`);
    w.bytes(TCA_TBF_RTAB, r.table, `${field}.rate`);
    if (p) {
      if (prate > 0xffff_ffff) w.u64(TCA_TBF_PRATE64, prate, `${field}.peakrate`);
      w.u32(TCA_TBF_PBURST, mtu, `${field}.mtu`);
      w.bytes(TCA_TBF_PTAB, p.table, `${field}.peakrate`);
    }
    w.nestEnd();
  },
  decode(buf, off, len) {
    let parms: Buffer | undefined;
    let rate64: number | undefined;
    let prate64: number | undefined;
    forEachAttr(buf, off, off + len, (type, o, l) => {
      if (type === TCA_TBF_PARMS && l >= 36) parms = buf.subarray(o, o + 36);
      else if (type === TCA_TBF_RATE64 && l >= 8) rate64 = readU64(buf, o);
      else if (type === TCA_TBF_PRATE64 && l >= 8) prate64 = readU64(buf, o);
    }, 'tbf options');
    if (!parms) return {};
    const r = readRateSpec(parms, 0);
    const p = readRateSpec(parms, RATESPEC_SIZE);
    const rate = rate64 ?? r.rate;
    const limit = parms.readUInt32LE(24);
    const bufferTicks = parms.readUInt32LE(28);
    const out: Record<string, unknown> = { rate: rateBits(rate), burst: xmitSize(rate, bufferTicks), limit };
    // tc's "lat": the time the limit holds beyond the bucket, at the rate (and peak rate).
    let latencyUs = (TIME_UNITS_PER_SEC * limit) / rate - ticksToUs(bufferTicks);
    const prate = prate64 ?? p.rate;
    if (prate) {
      const mtuTicks = parms.readUInt32LE(32);
      out.peakrate = rateBits(prate);
      out.mtu = xmitSize(prate, mtuTicks);
      latencyUs = Math.max(latencyUs, (TIME_UNITS_PER_SEC * limit) / prate - ticksToUs(mtuTicks));
    }
    if (latencyUs >= 0) out.latencyMs = Math.round(latencyUs) / 1000;
    if (r.mpu) out.mpu = r.mpu;
    if (r.overhead) out.overhead = r.overhead;
    return out;
  },
};
