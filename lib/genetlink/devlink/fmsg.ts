/**
 * devlink "formatted messages" (DEVLINK_ATTR_FMSG): what health reporters answer to diagnose
 * and dump. The kernel sends a flat run of attributes — object/pair/array starts, ends, names
 * and typed values — that together describe a JSON-like tree, possibly split over several
 * messages. `decodeFmsgItems` reads one message's run; `buildFmsg` folds the runs into the
 * tree, as `devlink -j health diagnose` prints it.
 */
import { ParseError } from '../../errors';
import { forEachAttr, readString, readU64 } from '../../wire/attributes';

const OBJ_NEST_START = 107;
const PAIR_NEST_START = 108;
const ARR_NEST_START = 109;
const NEST_END = 110;
const OBJ_NAME = 111;
const OBJ_VALUE_TYPE = 112;
const OBJ_VALUE_DATA = 113;

// NLA_* types of fmsg values.
const NLA_U8 = 1;
const NLA_U16 = 2;
const NLA_U32 = 3;
const NLA_U64 = 4;
const NLA_STRING = 5;
const NLA_FLAG = 6;
const NLA_NUL_STRING = 10;
const NLA_BINARY = 11;

/** One step of a formatted message. */
export type FmsgItem =
  | { kind: 'obj' | 'pair' | 'arr' | 'end' }
  | { kind: 'name'; name: string }
  | { kind: 'value'; value: FmsgValue };

/** A leaf value: numbers, booleans, strings; binary as an array of byte values (as devlink -j). */
export type FmsgValue = number | boolean | string | number[];

/** A decoded tree. */
export type FmsgTree = { [name: string]: FmsgTree | FmsgTree[] | FmsgValue | FmsgValue[] };

/** Decodes the attributes of one DEVLINK_ATTR_FMSG nest into its run of items. */
export function decodeFmsgItems(buf: Buffer, off: number, len: number): FmsgItem[] {
  const items: FmsgItem[] = [];
  let valueType = -1;
  forEachAttr(buf, off, off + len, (type, at, n) => {
    switch (type) {
      case OBJ_NEST_START: items.push({ kind: 'obj' }); break;
      case PAIR_NEST_START: items.push({ kind: 'pair' }); break;
      case ARR_NEST_START: items.push({ kind: 'arr' }); break;
      case NEST_END: items.push({ kind: 'end' }); break;
      case OBJ_NAME: items.push({ kind: 'name', name: readString(buf, at, n) }); break;
      case OBJ_VALUE_TYPE: valueType = n >= 1 ? buf[at]! : -1; break;
      case OBJ_VALUE_DATA: items.push({ kind: 'value', value: fmsgValue(buf, at, n, valueType) }); break;
      default: break; // newer item kinds are skipped, never fatal
    }
  }, 'devlink.fmsg');
  return items;
}

function fmsgValue(buf: Buffer, at: number, n: number, type: number): FmsgValue {
  switch (type) {
    case NLA_U8: return buf[at]!;
    case NLA_U16: return buf.readUInt16LE(at);
    case NLA_U32: return buf.readUInt32LE(at);
    case NLA_U64: return readU64(buf, at);
    case NLA_FLAG: return n > 0 ? buf[at] !== 0 : true;
    case NLA_STRING:
    case NLA_NUL_STRING: return readString(buf, at, n);
    case NLA_BINARY:
    default: return [...buf.subarray(at, at + n)];
  }
}

type Frame =
  | { kind: 'obj'; obj: FmsgTree }
  | { kind: 'pair'; obj: FmsgTree; name: string | undefined; values: unknown[] }
  | { kind: 'arr'; arr: unknown[] };

/**
 * Folds a run of items into its tree. A pair holding one value maps its name to the value;
 * a pair holding several (or an array) maps it to a list.
 */
export function buildFmsg(items: readonly FmsgItem[]): FmsgTree {
  const root: FmsgTree = {};
  const stack: Frame[] = [];
  const place = (v: unknown): void => {
    const top = stack[stack.length - 1];
    if (!top) return;
    if (top.kind === 'pair') top.values.push(v);
    // A binary value comes in chunks inside an array: devlink -j shows one list of bytes.
    else if (top.kind === 'arr') Array.isArray(v) && typeof v[0] === 'number' ? top.arr.push(...v) : top.arr.push(v);
    else throw new ParseError('devlink fmsg: a value outside a pair');
  };
  for (const it of items) {
    switch (it.kind) {
      case 'obj': {
        // The outermost object is the tree itself (some kernels send its start, some don't).
        const obj: FmsgTree = stack.length === 0 ? root : {};
        if (stack.length) place(obj);
        stack.push({ kind: 'obj', obj });
        break;
      }
      case 'pair': {
        if (stack.length === 0) stack.push({ kind: 'obj', obj: root });
        const top = stack[stack.length - 1];
        if (!top || top.kind !== 'obj') throw new ParseError('devlink fmsg: a pair outside an object');
        stack.push({ kind: 'pair', obj: top.obj, name: undefined, values: [] });
        break;
      }
      case 'arr': {
        const arr: unknown[] = [];
        place(arr);
        stack.push({ kind: 'arr', arr });
        break;
      }
      case 'name': {
        const top = stack[stack.length - 1];
        if (top?.kind === 'pair') top.name = it.name;
        break;
      }
      case 'value':
        place(it.value);
        break;
      case 'end': {
        const top = stack.pop();
        if (top?.kind === 'pair' && top.name !== undefined) {
          top.obj[top.name] = (top.values.length === 1 ? top.values[0] : top.values) as FmsgTree[string];
        }
        break;
      }
    }
  }
  return root;
}
