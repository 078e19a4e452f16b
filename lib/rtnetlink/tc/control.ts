/**
 * Action verdicts (TC_ACT_*), written as tc writes them: 'ok' (tc's "pass"), 'drop' ("shot"),
 * 'pipe', 'reclassify', 'continue', 'stolen', 'trap', 'goto chain N', 'jump N'.
 */
import { ValidationError } from '../../errors';

/** A verdict: what happens to the packet after an action or policer. */
export type Control = 'ok' | 'pass' | 'drop' | 'shot' | 'pipe' | 'reclassify' | 'continue' | 'stolen' | 'trap' | 'repeat' | `goto chain ${number}` | `jump ${number}`;

const NAMES: Record<string, number> = { continue: -1, ok: 0, pass: 0, reclassify: 1, drop: 2, shot: 2, pipe: 3, stolen: 4, queued: 5, repeat: 6, redirect: 7, trap: 8 };
const CANONICAL = ['ok', 'reclassify', 'drop', 'pipe', 'stolen', 'queued', 'repeat', 'redirect', 'trap'];
const TC_ACT_JUMP = 0x1000_0000;
const TC_ACT_GOTO_CHAIN = 0x2000_0000;
const EXT_MASK = 0x0fff_ffff;

/** Parses a verdict to its TC_ACT_* number. */
export function parseControl(v: unknown, field: string): number {
  if (typeof v === 'string') {
    const n = NAMES[v];
    if (n !== undefined) return n;
    const m = /^(goto chain|jump) ([0-9]+)$/.exec(v);
    if (m && Number(m[2]) <= EXT_MASK) return (m[1] === 'jump' ? TC_ACT_JUMP : TC_ACT_GOTO_CHAIN) | Number(m[2]);
  }
  throw new ValidationError(field, `expected a verdict (ok, drop, pipe, reclassify, continue, stolen, trap, 'goto chain N', 'jump N'), got ${JSON.stringify(v)}`);
}

/** Formats a TC_ACT_* number as a verdict. */
export function formatControl(n: number): Control | number {
  n |= 0;
  if (n === -1) return 'continue';
  if (n >= 0 && n < CANONICAL.length) return CANONICAL[n] as Control;
  const op = n & ~EXT_MASK;
  if (op === TC_ACT_GOTO_CHAIN) return `goto chain ${n & EXT_MASK}`;
  if (op === TC_ACT_JUMP) return `jump ${n & EXT_MASK}`;
  return n;
}
