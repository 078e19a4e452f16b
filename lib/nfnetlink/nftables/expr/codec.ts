/**
 * Expression list codec: NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { NFTA_<X>_* } } ⇄
 * `Expr` objects, driven by the per-expression schemas. Expressions whose name this library
 * does not know decode to `{ name, raw }` (the NFTA_EXPR_DATA bytes) and encode back verbatim;
 * unknown attributes of known expressions land in `unknown` and are written back too, so a
 * decoded rule re-encodes to the same bytes.
 */
import { ParseError, ValidationError } from '../../../errors';
import { decodeAttrs, defineSchema, encodeValue, forEachAttr, readString, type RawAttribute, type Schema } from '../../../wire/attributes';
import type { MessageWriter } from '../../../wire/message-writer';
import { NLA_F_NESTED, NLA_TYPE_MASK } from '../../../wire/constants';
import { be32, be64, str } from './data';
import { EXPR_SCHEMAS } from './schemas';

/** One register-level expression: its kernel name and decoded attributes. */
export interface Expr {
  name: string;
  /** Attributes of the expression (names per its schema in expr/schemas.ts). */
  [attr: string]: unknown;
  /** Attributes the schema does not know, kept as bytes. */
  unknown?: RawAttribute[];
  /** For expressions this library does not know: the whole NFTA_EXPR_DATA payload. */
  raw?: Buffer;
}

const NFTA_LIST_ELEM = 1;
const NFTA_EXPR_NAME = 1;
const NFTA_EXPR_DATA = 2;

// dynset carries expressions of its own (the per-element counter/limit of `add @s { … counter }`).
const dynsetSchema: Schema = defineSchema('dynset', {
  1: str('set'), 2: be32('setId'), 3: be32('op'), 4: be32('sregKey'), 5: be32('sregData'), 6: be64('timeout'),
  7: {
    name: 'expr',
    type: 'nested',
    decode: (buf, off, len) => decodeExpr(buf, off, off + len),
    encode: (w, type, value, field) => {
      w.nestStart(type);
      writeExprBody(w, value as Expr, field);
      w.nestEnd();
    },
  },
  9: be32('flags'),
  10: {
    name: 'exprs',
    type: 'nested',
    decode: (buf, off, len) => decodeExprs(buf, off, off + len),
    encode: (w, type, value) => {
      w.nestStart(type);
      encodeExprs(w, value as Expr[]);
      w.nestEnd();
    },
  },
});

/** The schema of an expression by kernel name (undefined for ones kept raw). */
export function exprSchema(name: string): Schema | undefined {
  return name === 'dynset' ? dynsetSchema : EXPR_SCHEMAS.get(name);
}

// Expression names a listing reads by the hundred thousand, as shared strings: a name read
// fresh from the buffer is a new string each time (a C++ call to decode, a hash to compute for
// the schema lookup), where matching its bytes against the known names is a few comparisons.
const KNOWN_NAMES: Map<number, string[]> = new Map();
for (const name of [...EXPR_SCHEMAS.keys(), 'dynset']) {
  const k = (name.length << 8) | name.charCodeAt(0);
  const list = KNOWN_NAMES.get(k);
  if (list) list.push(name);
  else KNOWN_NAMES.set(k, [name]);
}

/** The NUL-terminated name at buf[off, off + len): a known expression name's shared string, else read. */
function exprName(buf: Buffer, off: number, len: number): string {
  let n = 0;
  while (n < len && buf[off + n] !== 0) n++;
  const candidates = n ? KNOWN_NAMES.get((n << 8) | buf[off]!) : undefined;
  if (candidates) {
    for (const name of candidates) {
      let i = 1;
      while (i < n && buf[off + i] === name.charCodeAt(i)) i++;
      if (i === n) return name;
    }
  }
  return readString(buf, off, len);
}

/** Decodes one expression from the payload of an NFTA_LIST_ELEM (buf[off, end)). */
export function decodeExpr(buf: Buffer, off: number, end: number): Expr {
  let name: string | undefined;
  let dataOff = -1;
  let dataLen = 0;
  // A plain loop rather than forEachAttr's callback: listing decodes every expression of every rule.
  while (end - off >= 4) {
    const len = buf[off]! | (buf[off + 1]! << 8);
    if (len < 4 || off + len > end) throw new ParseError(`nft expression: attribute at offset ${off} has length ${len}, ${end - off} bytes left`);
    const type = (buf[off + 2]! | (buf[off + 3]! << 8)) & NLA_TYPE_MASK;
    if (type === NFTA_EXPR_NAME) name = exprName(buf, off + 4, len - 4);
    else if (type === NFTA_EXPR_DATA) {
      dataOff = off + 4;
      dataLen = len - 4;
    }
    off += (len + 3) & ~3;
  }
  if (name === undefined) throw new ParseError('nft expression without NFTA_EXPR_NAME');
  const schema = exprSchema(name);
  if (!schema) return dataOff < 0 ? { name } : { name, raw: Buffer.from(buf.subarray(dataOff, dataOff + dataLen)) };
  const out: Expr = { name };
  if (dataOff >= 0) decodeAttrs(schema, buf, dataOff, dataOff + dataLen, out);
  return out;
}

/** Decodes an expression list (the payload of NFTA_RULE_EXPRESSIONS: NFTA_LIST_ELEM nests). */
export function decodeExprs(buf: Buffer, off: number, end: number): Expr[] {
  const out: Expr[] = [];
  forEachAttr(buf, off, end, (type, o, len) => {
    if (type === NFTA_LIST_ELEM) out.push(decodeExpr(buf, o, o + len));
  }, 'nft expression list');
  return out;
}

// The attributes inside an expression are written unnamed: the compiler validated them, and
// naming each (a Map entry per attribute) was most of the cost of encoding 10 000 rules. An
// extack offset still resolves to the expression's NFTA_LIST_ELEM.
const UNNAMED = undefined as unknown as string;

function writeExprBody(w: MessageWriter, e: Expr, field: string | undefined): void {
  w.string(NFTA_EXPR_NAME, e.name);
  if (e.raw) {
    w.bytes(NFTA_EXPR_DATA | NLA_F_NESTED, e.raw);
    return;
  }
  const schema = exprSchema(e.name);
  if (!schema) throw new ValidationError(field ?? 'expr', `unknown nft expression "${e.name}"`);
  w.nestStart(NFTA_EXPR_DATA);
  for (const key in e) {
    const value = e[key];
    if (value === undefined) continue;
    const entry = schema.byName.get(key);
    if (entry) encodeValue(w, entry.type, entry.spec, value, UNNAMED);
  }
  for (const u of e.unknown ?? []) w.bytes(u.type, u.data);
  w.nestEnd();
}

/**
 * Writes the expressions as NFTA_LIST_ELEM nests; the caller opens and closes the container
 * (NFTA_RULE_EXPRESSIONS, NFTA_SET_ELEM_EXPRESSIONS …). With `field` ('…rule.expr') each
 * element is named `field[i]` for extack offsets.
 */
export function encodeExprs(w: MessageWriter, exprs: readonly Expr[], field?: string): void {
  for (let i = 0; i < exprs.length; i++) {
    const name = field === undefined ? undefined : `${field}[${i}]`;
    w.nestStart(NFTA_LIST_ELEM, name);
    writeExprBody(w, exprs[i]!, name);
    w.nestEnd();
  }
}
