/**
 * Checks on the shape of options objects, shared by every family: a typo in an option name
 * must never pass silently, so every options object of the public API names its keys.
 */
import { ValidationError } from '../errors';

/**
 * Throws a ValidationError naming the first key of `value` that is not in `allowed`
 * (`field.key`, or just `key` when `field` is empty). `value` undefined passes; anything that is
 * not a plain object fails naming `field`.
 */
export function checkKeys(value: unknown, allowed: readonly string[] | ReadonlySet<string>, field = ''): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(field || 'options', 'expected an options object');
  }
  const has = Array.isArray(allowed) ? (k: string) => allowed.includes(k) : (k: string) => (allowed as ReadonlySet<string>).has(k);
  // for…in, not Object.keys: bulk changes check 100 000 specs, and this allocates nothing.
  for (const key in value) {
    if (!has(key)) {
      const name = field ? `${field}.${key}` : key;
      throw new ValidationError(name, `unknown option "${key}"${hint(key, allowed)}`);
    }
  }
}

/** ", did you mean "x"?" for a key one or two edits from an allowed one. */
function hint(key: string, allowed: readonly string[] | ReadonlySet<string>): string {
  let best: string | undefined;
  let bestDist = 3;
  for (const a of allowed) {
    const d = editDistance(key.toLowerCase(), a.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = a;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The control half of every call: data goes in the spec (or filter), control in a trailing
 * options object of this shape, so a spec that came back from `list()` carries no control.
 */
export interface CallOptions {
  /** Aborts the call: queued requests are never sent, the promise rejects with the reason. */
  signal?: AbortSignal;
}

const CALL_KEYS = ['signal'] as const;

/**
 * Checks a trailing CallOptions argument and returns its signal (undefined when none). Anything
 * but `signal` is a ValidationError naming it: a spec field put there by mistake must not be
 * ignored silently.
 */
export function callSignal(opts: CallOptions | undefined, field = 'options'): AbortSignal | undefined {
  if (opts === undefined) return undefined;
  checkKeys(opts, CALL_KEYS, field);
  const signal = opts.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new ValidationError(`${field}.signal`, 'expected an AbortSignal');
  return signal;
}

/** `{ signal }` for spreading into engine request options, or `{}` without one. */
export function signalOf(opts: CallOptions | undefined, field = 'options'): { signal?: AbortSignal } {
  const signal = callSignal(opts, field);
  return signal ? { signal } : {};
}
