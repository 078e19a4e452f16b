/**
 * Units of traffic control. Rates are bit/s for callers (numbers, or tc strings such as
 * '10mbit', '2mbps' = 2 000 000 bytes/s) and bytes/s on the wire; sizes are bytes or '32kb';
 * times are plain numbers in the unit their field names. Times the kernel wants in psched
 * ticks are converted with the factors of /proc/net/psched, read once, exactly as tc does,
 * so what tc shows for our objects is what it shows for its own.
 */
import { readFileSync } from 'node:fs';
import { ValidationError } from '../../errors';
import { TIME_UNITS_PER_SEC, TC_LINKLAYER_ETHERNET } from './constants';

/** A rate: bit/s, or a tc rate string ('10mbit', '1gbit', '2mbps' in bytes/s, '512kibit'). */
export type Rate = number | string;
/** A size: bytes, or a tc size string ('32kb', '1mb', '1500b'). */
export type Size = number | string;

// tc's rate suffixes (tc_util.c), matched case-insensitively; scale is to bit/s.
const RATE_SUFFIXES: Record<string, number> = {
  bit: 1, kibit: 1024, kbit: 1000, mibit: 1024 ** 2, mbit: 1e6, gibit: 1024 ** 3, gbit: 1e9,
  tibit: 1024 ** 4, tbit: 1e12,
  bps: 8, kibps: 8 * 1024, kbps: 8000, mibps: 8 * 1024 ** 2, mbps: 8e6, gibps: 8 * 1024 ** 3, gbps: 8e9,
  tibps: 8 * 1024 ** 4, tbps: 8e12,
};

const SIZE_SUFFIXES: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1024, kbit: 1024 / 8, m: 1024 ** 2, mb: 1024 ** 2, mbit: 1024 ** 2 / 8,
  g: 1024 ** 3, gb: 1024 ** 3, gbit: 1024 ** 3 / 8,
};

const NUM = /^([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/;

/** Parses a rate to bit/s (ValidationError naming `field` when it is not one). */
export function parseRateBits(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new ValidationError(field, `expected a rate in bit/s ≥ 0, got ${value}`);
    return value;
  }
  if (typeof value === 'string') {
    const m = NUM.exec(value.trim());
    const scale = m ? (m[2] === '' ? 1 : RATE_SUFFIXES[m[2]!.toLowerCase()]) : undefined;
    if (m && scale !== undefined) return Number(m[1]) * scale;
  }
  throw new ValidationError(field, `expected a rate in bit/s or a tc rate such as '10mbit', got ${JSON.stringify(value)}`);
}

/** A rate in bytes/s as the kernel keeps it (bit/s ÷ 8, rounded down as tc does). */
export function parseRate(value: unknown, field: string): number {
  const bytes = Math.floor(parseRateBits(value, field) / 8);
  if (bytes > Number.MAX_SAFE_INTEGER) throw new ValidationError(field, 'rate is too large');
  return bytes;
}

/** A kernel rate (bytes/s) as callers see it: bit/s. */
export function rateBits(bytesPerSec: number): number {
  return bytesPerSec * 8;
}

/** Parses a size to bytes (tc's get_size units: k/kb = 1024, kbit = 128 …). */
export function parseSize(value: unknown, field: string, max = 0xffff_ffff): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const m = NUM.exec(value.trim());
    const scale = m ? SIZE_SUFFIXES[m[2]!.toLowerCase()] : undefined;
    if (m && scale !== undefined) n = Math.floor(Number(m[1]) * scale);
  }
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > max) {
    throw new ValidationError(field, `expected a size in bytes (0–${max}) or such as '32kb', got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Checks a time, count or other plain number field (integer in [min, max]). */
export function parseInt32(value: unknown, field: string, max = 0xffff_ffff, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `expected an integer ${min}–${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks a percentage (0–100, fractions allowed) and scales it to a u32 as tc's get_percent. */
export function percentToU32(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new ValidationError(field, `expected a percentage 0–100, got ${JSON.stringify(value)}`);
  }
  return Math.min(0xffff_ffff, Math.round((value / 100) * 0xffff_ffff));
}

/** A u32 probability as a percentage, to 6 decimals (a u32 step is 2.3e-8 %). */
export function u32ToPercent(v: number): number {
  return Math.round((v / 0xffff_ffff) * 100 * 1e6) / 1e6;
}

/** The clock factors tc reads from /proc/net/psched (tc_core_init, get_hz). */
export interface Psched {
  /** psched ticks per microsecond. */
  tickInUsec: number;
  /** Kernel clock units per microsecond (for times the kernel keeps in its own ktime). */
  clockFactor: number;
  /** Timer frequency, for htb's minimal burst. */
  hz: number;
}

let psched: Psched | undefined;

/** Parses the contents of /proc/net/psched as tc does. */
export function parsePsched(text: string): Psched {
  const words = text.trim().split(/\s+/).map((w) => parseInt(w, 16));
  if (words.length < 3 || words.slice(0, 3).some((n) => !Number.isFinite(n))) throw new Error(`unexpected /proc/net/psched: ${JSON.stringify(text)}`);
  let [t2us, us2t, clockRes] = words as [number, number, number, number?];
  // Kernels with nanosecond resolution advertise a multiplier of 1000 that "really is 1".
  if (clockRes === 1_000_000_000) t2us = us2t;
  const clockFactor = clockRes / TIME_UNITS_PER_SEC;
  const hz = words[2] === 1_000_000 && words[3] ? words[3] : 100;
  return { tickInUsec: (t2us / us2t) * clockFactor, clockFactor, hz };
}

/** The host's psched factors (read once, without a shell). */
export function getPsched(): Psched {
  return (psched ??= parsePsched(readFileSync('/proc/net/psched', 'utf8')));
}

/** Time to send `size` bytes at `rate` bytes/s, in psched ticks (tc_calc_xmittime). */
export function xmitTime(rate: number, size: number): number {
  const val = Math.ceil(TIME_UNITS_PER_SEC * (size / rate) * getPsched().tickInUsec);
  return val > 0xffff_ffff ? 0xffff_ffff : val;
}

/** Bytes sent in `ticks` at `rate` bytes/s (tc_calc_xmitsize), rounded to whole bytes. */
export function xmitSize(rate: number, ticks: number): number {
  return Math.round((rate * (ticks / getPsched().tickInUsec)) / TIME_UNITS_PER_SEC);
}

/** Microseconds → psched ticks. */
export function usToTicks(us: number): number {
  return Math.round(us * getPsched().tickInUsec);
}
/** psched ticks → microseconds. */
export function ticksToUs(ticks: number): number {
  return ticks / getPsched().tickInUsec;
}

/** The fields of a struct tc_ratespec. */
export interface RateSpec {
  cellLog: number;
  linklayer: number;
  overhead: number;
  cellAlign: number;
  mpu: number;
  /** bytes/s, capped at 2^32-1 (larger rates travel in a 64-bit attribute beside it). */
  rate: number;
}

/** sizeof(struct tc_ratespec). */
export const RATESPEC_SIZE = 12;

/** Writes a tc_ratespec (the 32-bit rate capped; larger rates go in a 64-bit attribute). */
export function writeRateSpec(b: Buffer, at: number, r: RateSpec): void {
  b[at] = r.cellLog;
  b[at + 1] = r.linklayer;
  b.writeUInt16LE(r.overhead, at + 2);
  b.writeInt16LE(r.cellAlign, at + 4);
  b.writeUInt16LE(r.mpu, at + 6);
  b.writeUInt32LE(Math.min(r.rate, 0xffff_ffff), at + 8);
}

/** Reads a tc_ratespec. */
export function readRateSpec(b: Buffer, at: number): RateSpec {
  return {
    cellLog: b[at]!, linklayer: b[at + 1]! & 0x0f, overhead: b.readUInt16LE(at + 2), cellAlign: b.readInt16LE(at + 4),
    mpu: b.readUInt16LE(at + 6), rate: b.readUInt32LE(at + 8),
  };
}

/**
 * Builds a rate spec and its 256-entry rate table (tc_calc_rtable): the time to send each
 * size class at `rate`. Kernels since 3.8 compute from the rate, but htb, tbf and police
 * still insist on receiving the table.
 */
export function rateTable(rate: number, mtu: number, mpu = 0, overhead = 0): { spec: RateSpec; table: Buffer } {
  if (mtu === 0) mtu = 2047;
  let cellLog = 0;
  while (mtu >> cellLog > 255) cellLog++;
  const table = Buffer.alloc(1024);
  for (let i = 0; i < 256; i++) {
    const sz = Math.max((i + 1) << cellLog, mpu);
    table.writeUInt32LE(xmitTime(rate, sz), i * 4);
  }
  return { spec: { cellLog, linklayer: TC_LINKLAYER_ETHERNET, overhead, cellAlign: -1, mpu, rate: Math.min(rate, 0xffff_ffff) }, table };
}
