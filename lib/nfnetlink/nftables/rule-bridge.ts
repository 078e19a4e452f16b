/**
 * Where the objects codec meets the expression compiler: a rule's statements go through
 * compile.ts (statements → register-level expressions, plus the anonymous sets to create
 * first), and a listed rule's expressions through decompile.ts (and back to statements), with
 * the sets the table holds as context.
 */
import type { BuiltMessage } from '../../wire/message-writer';
import { NLM_F_CREATE } from '../../wire/constants';
import { compileRule, type AnonSet, type CompileRecorder, type NamedSetInfo, type NftFamily } from './compile';
import { decompileRule } from './decompile';
import { resolveTypeId } from './datatypes';
import { NFTA_LIST_ELEM, NFTA_SET, NFTA_SET_DESC, NFTA_SET_FIELD_LEN, NFT_MSG, NFT_SET_F } from './constants';
import { buildUdata, nftMessage, u32Udata } from './objects/common';
import type { RuleTarget, KernelRule } from './objects/rule';
import type { KernelElement, SetInfo } from './objects/set';
import type { Expr } from './expr/codec';

/** An anonymous set a rule needs: its NEWSET message, and its elements for NEWSETELEM. */
export interface PreparedAnonSet {
  msg: BuiltMessage;
  info: SetInfo;
  elems: KernelElement[];
}

/** A compiled rule: its expressions and the anonymous sets to create before it. */
export interface CompiledForApply {
  exprs: Expr[];
  anonymousSets: PreparedAnonSet[];
}

/** The sets of the listed ruleset, for decompiling lookups (`@s`, inline anonymous sets). */
export interface RuleSetView {
  set(family: string, table: string, name: string): { info: SetInfo; elems: KernelElement[] } | undefined;
  /** Link names by ifindex in the listed namespace (for `meta iif` / `oif`). */
  ifname?: (index: number) => string | undefined;
}

const UDATA_SET_KEYBYTEORDER = 0;
const UDATA_SET_DATABYTEORDER = 1;

function anonSetMessage(familyNum: number, table: string, s: AnonSet): BuiltMessage {
  const w = nftMessage(NFT_MSG.NEWSET, NLM_F_CREATE, familyNum);
  w.string(NFTA_SET.TABLE, table);
  w.string(NFTA_SET.NAME, s.name);
  w.u32be(NFTA_SET.FLAGS, s.flags);
  w.u32be(NFTA_SET.KEY_TYPE, s.keyType);
  w.u32be(NFTA_SET.KEY_LEN, s.keyLen);
  if (s.dataType !== undefined) w.u32be(NFTA_SET.DATA_TYPE, s.dataType);
  if (s.dataLen !== undefined) w.u32be(NFTA_SET.DATA_LEN, s.dataLen);
  w.nestStart(NFTA_SET.DESC);
  w.u32be(NFTA_SET_DESC.SIZE, s.size);
  if (s.concat?.length) {
    w.nestStart(NFTA_SET_DESC.CONCAT);
    for (const len of s.concat) {
      w.nestStart(NFTA_LIST_ELEM);
      w.u32be(NFTA_SET_FIELD_LEN, len);
      w.nestEnd();
    }
    w.nestEnd();
  }
  w.nestEnd();
  w.u32be(NFTA_SET.ID, s.id);
  // nft records the byte order of keys and values so it can print host-order types back.
  const key = resolveTypeId(s.keyType, s.keyLen);
  const udata = [u32Udata(UDATA_SET_KEYBYTEORDER, key?.fields[0]?.byteorder === 'host' ? 1 : 2)];
  if (s.dataType !== undefined && s.dataType !== 0xffffff00) {
    const data = resolveTypeId(s.dataType, s.dataLen);
    udata.push(u32Udata(UDATA_SET_DATABYTEORDER, data?.fields[0]?.byteorder === 'host' ? 1 : 2));
  }
  // compile.ts builds the userdata nft writes for the set (byte orders, typeof): nft lists the
  // elements by it. (`udata` above is the fallback for callers that build AnonSets by hand.)
  w.bytes(NFTA_SET.USERDATA, s.userdata?.length ? s.userdata : buildUdata(udata));
  return w.finish();
}

/**
 * Compiles a rule's statements (ValidationError naming `path[i]…` on bad input). `allocSetId`
 * numbers anonymous sets within the transaction; `namedSet` describes `@name` sets defined in
 * the document or the kernel.
 */
export function compileRuleForApply(
  t: RuleTarget, path: string, allocSetId: () => number, namedSet: (family: string, table: string, name: string) => SetInfo | undefined,
  ifindexes?: ReadonlyMap<string, number>, record?: CompileRecorder,
): CompiledForApply {
  const compiled = compileRule(t.expr, {
    family: t.family as NftFamily,
    allocSetId,
    ...(record ? { record } : {}),
    ...(ifindexes ? { ifindex: (name: string) => ifindexes.get(name) } : {}),
    namedSet: (name: string): NamedSetInfo | undefined => {
      const s = namedSet(t.family, t.table, name);
      if (!s) return undefined;
      return { key: s.key.fields, interval: (s.flags & NFT_SET_F.INTERVAL) !== 0, ...(s.data && s.data !== 'verdict' ? { data: s.data.fields } : {}) };
    },
  }, path);
  const anonymousSets = compiled.anonSets.map((s): PreparedAnonSet => {
    const key = resolveTypeId(s.keyType, s.keyLen)!;
    const info: SetInfo = { family: t.family, table: t.table, name: s.name, flags: s.flags | NFT_SET_F.ANONYMOUS, key, id: s.id };
    const elems: KernelElement[] = s.elements.map((e) => ({ key: e.key, flags: e.flags, ...(e.keyEnd ? { keyEnd: e.keyEnd } : {}), ...(e.data !== undefined ? { data: e.data } : {}) }));
    return { msg: anonSetMessage(t.familyNum, t.table, s), info, elems };
  });
  return { exprs: compiled.exprs, anonymousSets };
}

/** A listed rule's expressions → its statements as `nft -j` prints them. */
export function decompileRuleForList(r: KernelRule, view: RuleSetView): unknown[] {
  return decompileRule(r.exprs, {
    family: r.family as NftFamily,
    ...(view.ifname ? { ifname: view.ifname } : {}),
    set: (name: string) => {
      const s = view.set(r.family, r.table, name);
      return s ? { flags: s.info.flags, elements: s.elems } : undefined;
    },
  });
}
