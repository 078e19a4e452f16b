/**
 * tc handles as tc writes them: 'maj:min' in hex ('1:', '1:10', ':5'), the names 'root',
 * 'ingress', 'clsact', 'egress', 'none', or a plain 32-bit number. Which names mean what
 * depends on the role: a qdisc's parent 'ingress' is ffff:fff1, a filter's parent 'ingress'
 * is clsact's ingress hook ffff:fff2 (where an ingress qdisc's filters live too).
 */
import { ValidationError } from '../../errors';
import { TC_H_CLSACT, TC_H_INGRESS, TC_H_MIN_EGRESS, TC_H_MIN_INGRESS, TC_H_ROOT, TC_H_UNSPEC } from './constants';

/** A handle or class id: a tc string or the 32-bit value. */
export type TcHandle = string | number;

/** How a handle field is read: which names it accepts. */
export type HandleRole = 'qdisc-parent' | 'qdisc-handle' | 'classid' | 'filter-parent';

const HEX = /^[0-9a-fA-F]{1,4}$/;

/** Parses 'maj:min' / 'maj:' / ':min' (hex, each at most ffff), as tc's get_tc_classid. */
function parseMajMin(s: string, field: string): number {
  const parts = s.split(':');
  if (parts.length > 2) throw new ValidationError(field, `${JSON.stringify(s)} is not a tc handle (expected 'maj:min' in hex, e.g. '1:10')`);
  if (parts.length === 1) {
    if (!/^[0-9a-fA-F]{1,8}$/.test(s)) throw new ValidationError(field, `${JSON.stringify(s)} is not a tc handle (expected 'maj:min' in hex, e.g. '1:10')`);
    return parseInt(s, 16) >>> 0;
  }
  const [maj, min] = parts as [string, string];
  if ((maj !== '' && !HEX.test(maj)) || (min !== '' && !HEX.test(min)) || (maj === '' && min === '')) {
    throw new ValidationError(field, `${JSON.stringify(s)} is not a tc handle (major and minor are hex numbers up to ffff)`);
  }
  return (((maj === '' ? 0 : parseInt(maj, 16)) << 16) | (min === '' ? 0 : parseInt(min, 16))) >>> 0;
}

/**
 * Parses a handle for `role`; ValidationError naming `field` when it is none.
 * A qdisc handle must have a zero minor ('1:'), as the kernel requires.
 */
export function parseHandle(value: TcHandle, field: string, role: HandleRole): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new ValidationError(field, `expected a 32-bit handle, got ${value}`);
    return value;
  }
  if (typeof value !== 'string') throw new ValidationError(field, "expected a handle such as '1:' or '1:10', or a number");
  switch (value) {
    case 'root':
      if (role === 'qdisc-handle' || role === 'classid') break;
      return TC_H_ROOT;
    case 'none':
      return TC_H_UNSPEC;
    case 'ingress':
      if (role === 'qdisc-parent') return TC_H_INGRESS;
      if (role === 'filter-parent') return ((TC_H_CLSACT & 0xffff0000) | TC_H_MIN_INGRESS) >>> 0;
      break;
    case 'clsact':
      if (role === 'qdisc-parent') return TC_H_CLSACT;
      break;
    case 'egress':
      if (role === 'filter-parent') return ((TC_H_CLSACT & 0xffff0000) | TC_H_MIN_EGRESS) >>> 0;
      break;
    default: {
      const h = parseMajMin(value, field);
      if (role === 'qdisc-handle' && (h & 0xffff) !== 0) throw new ValidationError(field, `a qdisc handle has no minor number (${JSON.stringify(value)}; write '${(h >>> 16).toString(16)}:')`);
      return h;
    }
  }
  throw new ValidationError(field, `${JSON.stringify(value)} is not valid here`);
}

/** Formats a handle as tc prints it ('1:', '1:10', ':5', 'root', 'none'). */
export function formatHandle(h: number): string {
  h >>>= 0;
  if (h === TC_H_ROOT) return 'root';
  if (h === TC_H_UNSPEC) return 'none';
  const maj = h >>> 16;
  const min = h & 0xffff;
  if (maj === 0) return `:${min.toString(16)}`;
  if (min === 0) return `${maj.toString(16)}:`;
  return `${maj.toString(16)}:${min.toString(16)}`;
}

/** A qdisc's parent in words: ffff:fff1 is 'ingress' (for ingress and clsact alike). */
export function formatQdiscParent(h: number): string {
  return h >>> 0 === TC_H_INGRESS ? 'ingress' : formatHandle(h);
}

/** A filter's parent: clsact's hooks by name, the rest as tc prints them. */
export function formatFilterParent(h: number): string {
  h >>>= 0;
  if (h >>> 16 === 0xffff && (h & 0xffff) === TC_H_MIN_INGRESS) return 'ingress';
  if (h >>> 16 === 0xffff && (h & 0xffff) === TC_H_MIN_EGRESS) return 'egress';
  return formatHandle(h);
}
