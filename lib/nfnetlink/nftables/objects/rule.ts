/**
 * Rules: `{"rule": {"family", "table", "chain", "handle", "expr", "comment"}}` ⇄ NFT_MSG_NEWRULE.
 * The statements are compiled to register-level expressions by compile.ts (and back by
 * decompile.ts); this file handles the rule's own attributes: where it goes (append, insert,
 * after/before a handle, replace a handle) and the comment nft keeps in the rule's userdata.
 * Equivalent to: nft add rule inet t fw tcp dport 22 accept comment "ssh"
 */
import { ValidationError } from '../../../errors';
import { defineSchema, decodeAttrs } from '../../../wire/attributes';
import type { BuiltMessage, MessageWriter } from '../../../wire/message-writer';
import { NLA_TYPE_MASK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_REPLACE } from '../../../wire/constants';
import { readNfgenmsg } from '../../nfnetlink';
import { FAMILY_NAMES, NFTA_RULE, NFT_MSG } from '../constants';
import { decodeExprs, encodeExprs, type Expr } from '../expr/codec';
import { be64, buildUdata, commentUdata, familyOf, nameOf, nftMessage, obj, optString, optUint, parseUdata, udataString, writeBe64 } from './common';
import { checkJsonKeys } from './table';

/** NFTNL_UDATA_RULE_COMMENT. */
const UDATA_RULE_COMMENT = 0;

/** NFTA_RULE_* attributes (expressions decoded by expr/codec). */
export const ruleSchema = defineSchema('rule', {
  [NFTA_RULE.TABLE]: { name: 'table', type: 'string' },
  [NFTA_RULE.CHAIN]: { name: 'chain', type: 'string' },
  [NFTA_RULE.HANDLE]: { name: 'handle', ...be64 },
  [NFTA_RULE.EXPRESSIONS]: { name: 'exprs', type: 'binary', decode: (b, o, l) => decodeExprs(b, o, o + l) },
  [NFTA_RULE.POSITION]: { name: 'position', ...be64 },
  [NFTA_RULE.USERDATA]: { name: 'userdata', type: 'binary' },
  [NFTA_RULE.ID]: { name: 'id', type: 'u32be' },
});

const RULE_KEYS = new Set(['family', 'table', 'chain', 'handle', 'index', 'expr', 'comment']);

/** A rule command's checked identity: what compile needs before the message is built. */
export interface RuleTarget {
  family: string;
  familyNum: number;
  table: string;
  chain: string;
  handle?: number;
  comment?: string;
  expr?: unknown[];
}

/** Validates a rule command's object (not its statements: compile.ts checks those). */
export function ruleTarget(verb: string, json: unknown, path: string): RuleTarget {
  const o = obj(json, path);
  checkJsonKeys(o, RULE_KEYS, path);
  const fam = familyOf(o, path);
  const t: RuleTarget = { family: fam.name, familyNum: fam.num, table: nameOf(o.table, `${path}.table`), chain: nameOf(o.chain, `${path}.chain`) };
  const handle = optUint(o.handle, `${path}.handle`);
  if (handle !== undefined) t.handle = handle;
  if (o.index !== undefined) throw new ValidationError(`${path}.index`, 'positions by index are not supported; give "handle"');
  const comment = optString(o.comment, `${path}.comment`);
  if (comment !== undefined) t.comment = comment;
  if (verb === 'delete') {
    if (handle === undefined) throw new ValidationError(`${path}.handle`, 'deleting a rule needs its handle');
    return t;
  }
  if (verb === 'replace' && handle === undefined) throw new ValidationError(`${path}.handle`, 'replacing a rule needs its handle');
  if (!Array.isArray(o.expr)) throw new ValidationError(`${path}.expr`, 'expected a list of statements');
  t.expr = o.expr;
  return t;
}

/**
 * Builds NEWRULE for add (append; after `handle` when given), insert (prepend; before
 * `handle`) or replace (the rule `handle`), or DELRULE for delete.
 */
export function buildRule(verb: string, t: RuleTarget, exprs: readonly Expr[] | ((w: MessageWriter) => void), path: string, echo: number): BuiltMessage {
  if (verb === 'delete') {
    const w = nftMessage(NFT_MSG.DELRULE, 0, t.familyNum);
    w.string(NFTA_RULE.TABLE, t.table);
    w.string(NFTA_RULE.CHAIN, t.chain);
    writeBe64(w, NFTA_RULE.HANDLE, t.handle!);
    return w.finish();
  }
  let flags = NLM_F_CREATE | echo;
  if (verb === 'add') flags |= NLM_F_APPEND;
  else if (verb === 'replace') flags |= NLM_F_REPLACE;
  else if (verb !== 'insert' && verb !== 'create') throw new ValidationError(path, `a rule cannot be given to "${verb}"`);
  if (verb === 'create') flags |= NLM_F_APPEND;
  const w = nftMessage(NFT_MSG.NEWRULE, flags, t.familyNum, 512);
  // Unnamed: ten thousand rules would record a name per attribute; ruleAttrPath names the
  // attribute from the bytes when the kernel refuses one.
  w.string(NFTA_RULE.TABLE, t.table);
  w.string(NFTA_RULE.CHAIN, t.chain);
  if (t.handle !== undefined) writeBe64(w, verb === 'replace' ? NFTA_RULE.HANDLE : NFTA_RULE.POSITION, t.handle);
  w.nestStart(NFTA_RULE.EXPRESSIONS);
  // Or the expressions' bytes from a rule shape (apply-templates.ts).
  if (typeof exprs === 'function') exprs(w);
  else encodeExprs(w, exprs);
  w.nestEnd();
  if (t.comment !== undefined) w.bytes(NFTA_RULE.USERDATA, buildUdata([commentUdata(UDATA_RULE_COMMENT, t.comment, `${path}.comment`)]));
  return w.finish();
}

const RULE_FIELDS: Readonly<Record<number, string>> = {
  [NFTA_RULE.TABLE]: 'table', [NFTA_RULE.CHAIN]: 'chain', [NFTA_RULE.HANDLE]: 'handle', [NFTA_RULE.POSITION]: 'handle',
  [NFTA_RULE.EXPRESSIONS]: 'expr', [NFTA_RULE.USERDATA]: 'comment',
};

/**
 * The attribute of a NEWRULE/DELRULE message (as buildRule writes it) that byte `offset` falls
 * in, named as the command's field: `table`, `expr`, `expr[2]` (the register-level expression
 * inside NFTA_RULE_EXPRESSIONS) … For TransactionMessage.attrPath.
 */
export function ruleAttrPath(bytes: Buffer, offset: number): string | undefined {
  let at = 20; // nlmsghdr + nfgenmsg
  while (bytes.length - at >= 4) {
    const len = bytes.readUInt16LE(at);
    if (len < 4) return undefined;
    const type = bytes.readUInt16LE(at + 2) & NLA_TYPE_MASK;
    if (offset >= at && offset < at + len) {
      const name = RULE_FIELDS[type];
      if (type !== NFTA_RULE.EXPRESSIONS || offset === at) return name;
      let e = at + 4;
      for (let i = 0; at + len - e >= 4; i++) {
        const el = bytes.readUInt16LE(e);
        if (el < 4) break;
        if (offset >= e && offset < e + el) return `expr[${i}]`;
        e += (el + 3) & ~3;
      }
      return name;
    }
    at += (len + 3) & ~3;
  }
  return undefined;
}

/** A rule as the kernel holds it: identity, comment and register-level expressions. */
export interface KernelRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  comment?: string;
  exprs: Expr[];
}

/** A NEWRULE message → its identity and expressions (decompile.ts turns those into statements). */
export function decodeRule(buf: Buffer, off: number, len: number): KernelRule {
  const { family } = readNfgenmsg(buf, off);
  const a = decodeAttrs(ruleSchema, buf, off + 20, off + len);
  const out: KernelRule = { family: FAMILY_NAMES[family] ?? String(family), table: a.table, chain: a.chain, handle: a.handle, exprs: a.exprs ?? [] };
  if (a.userdata) for (const u of parseUdata(a.userdata)) if (u.type === UDATA_RULE_COMMENT) out.comment = udataString(u.value);
  return out;
}
