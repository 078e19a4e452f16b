/**
 * Rates of devlink rate objects. Callers give bit/s (a number) or a string with the units
 * `devlink` and `tc` accept ('100mbit', '1gbit', '10mbps' = bytes/s ×8, '512kibit'); the
 * kernel keeps bytes/s (DEVLINK_ATTR_RATE_TX_SHARE/TX_MAX, u64), as `devlink` converts too.
 * (Kept here rather than imported from rtnetlink/tc: families do not depend on each other.)
 */
import { ValidationError } from '../../errors';

/** A rate: bit/s, or a string such as '100mbit'. */
export type Rate = number | string;

const DECIMAL: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
const BINARY: Record<string, number> = { ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3, ti: 1024 ** 4 };
const RATE = /^([0-9]+(?:\.[0-9]+)?)\s*(k|m|g|t|ki|mi|gi|ti)?(bit|bps)?$/i;

/** Parses a rate to bytes/s, rounded down (ValidationError naming `field` otherwise). */
export function rateToBytes(value: unknown, field: string): number {
  let bits: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) bits = value;
  else if (typeof value === 'string') {
    const m = RATE.exec(value.trim());
    if (m && (m[3] !== undefined || m[2] === undefined)) {
      const prefix = (m[2] ?? '').toLowerCase();
      const scale = DECIMAL[prefix] ?? BINARY[prefix]!;
      bits = Number(m[1]) * scale * (m[3]?.toLowerCase() === 'bps' ? 8 : 1);
    }
  }
  if (bits === undefined) throw new ValidationError(field, `expected a rate in bit/s or a string such as '100mbit', got ${JSON.stringify(value)}`);
  const bytes = Math.floor(bits / 8);
  if (bytes > Number.MAX_SAFE_INTEGER) throw new ValidationError(field, 'rate is too large');
  return bytes;
}
