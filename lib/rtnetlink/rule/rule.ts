/**
 * rt.rule: policy routing rules (IPv4 and IPv6).
 */
import { ValidationError } from '../../errors';
import { familyNumber, parseCidr, type FamilyName } from '../../wire/address';
import { AF_INET, AF_INET6, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL } from '../../wire/constants';
import { RTM_DELRULE, RTM_GETRULE, RTM_NEWRULE } from '../constants';
import { MessageWriter } from '../../wire/message-writer';
import { FIB_RULE_HDR_SIZE, writeFibRuleHdr } from '../structs';
import { applyChange, specObject, uint, type PreparedRequest } from '../request/prepare';
import type { Engine } from '../../core/engine';
import { checkKeys, signalOf, type CallOptions } from '../../core/options';
import { validateLinkName, type LinkIndexResolver } from '../request/link-ref';
import { RT_TABLE_MAIN, routeProtocols, tableId, type TableRef } from '../request/names';
import { decodeRule, type Rule } from './rule-decode';
import { FIB_RULE_INVERT, FR_ACT, FRA, type RuleRange } from './rule-schema';

/** Rule actions a caller may ask for. */
export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/** A rule to add or delete (names as `ip rule add`). */
export interface RuleSpec {
  /** Needed only when neither from nor to says it; default IPv4. */
  family?: FamilyName;
  /** Priority (`priority`); the kernel picks one below the last rule when absent. */
  priority?: number;
  /** Source prefix (`from`). */
  from?: string;
  /** Destination prefix (`to`). */
  to?: string;
  /** Input interface name (`iif`); need not exist yet. */
  iif?: string;
  /** Output interface name (`oif`). */
  oif?: string;
  /** Firewall mark (`fwmark M[/MASK]`). */
  fwmark?: number;
  fwmask?: number;
  /** Type of service byte (`tos`). */
  tos?: number;
  /** Table to look up (`table`); default main for an add with no other action. */
  table?: TableRef;
  /** Action; default 'table' (or 'goto' when `goto` is set). */
  action?: RuleAction;
  /** Priority of the rule to jump to (`goto`). */
  goto?: number;
  /** Invert the selector (`not`). */
  not?: boolean;
  /** Ignore routing decisions with a prefix length ≤ N (`suppress_prefixlength`). */
  suppressPrefixLength?: number;
  /** Ignore routes via interfaces of this group (`suppress_ifgroup`). */
  suppressIfgroup?: number;
  /** UIDs the rule applies to (`uidrange`). */
  uidRange?: RuleRange;
  /** IP protocol number (`ipproto`) and port ranges (`sport`, `dport`); a number is a one-port range. */
  ipProto?: number;
  sport?: number | RuleRange;
  dport?: number | RuleRange;
  /** Who installs it (`protocol`). */
  protocol?: string | number;
  /** Realms (`realms`, FRA_FLOW). */
  realms?: number;
}

/** Options of `rt.rule.list()`. */
export interface RuleListOptions {
  /** Family; default both IPv4 and IPv6. */
  family?: FamilyName;
}

/** Keys a rule change accepts: RuleSpec's, and those of a listed Rule (ignored). */
const RULE_KEYS = new Set([
  'family', 'priority', 'from', 'to', 'iif', 'oif', 'fwmark', 'fwmask', 'tos', 'table', 'action', 'goto', 'not',
  'suppressPrefixLength', 'suppressIfgroup', 'uidRange', 'ipProto', 'sport', 'dport', 'protocol', 'realms',
  'dscp', 'tableName', 'flags', 'tunId', 'unknown',
]);

/** What a rule change does (`ip rule add|del`). */
export type RuleChange = 'add' | 'del';

const ACTIONS = new Map(FR_ACT.map(([n, s]) => [s, n]));
const FR_ACT_TO_TBL = 1;
const FR_ACT_GOTO = 2;

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWRULE ? decodeRule(buf, off, len) : undefined);

function portRange(v: number | RuleRange, field: string): RuleRange {
  const r = typeof v === 'number' ? { start: v, end: v } : specObject(v, field);
  uint(r.start, `${field}.start`, 0xffff);
  uint(r.end, `${field}.end`, 0xffff);
  if (r.end < r.start) throw new ValidationError(field, 'range end is below its start');
  return r;
}

/** Validates a rule change; nothing is sent. Used by add/del and rt.batch(). */
export function prepareRule(change: RuleChange, spec: RuleSpec): PreparedRequest {
  specObject(spec, 'rule');
  checkKeys(spec, RULE_KEYS, '');
  const isDel = change === 'del';
  let family = familyNumber(spec.family);
  const from = spec.from !== undefined ? parseCidr(spec.from, 'from', family) : undefined;
  family ??= from?.family;
  const to = spec.to !== undefined ? parseCidr(spec.to, 'to', family) : undefined;
  const fam = family ?? to?.family ?? AF_INET;
  if (spec.iif !== undefined) validateLinkName(spec.iif, 'iif');
  if (spec.oif !== undefined) validateLinkName(spec.oif, 'oif');
  const priority = spec.priority !== undefined ? uint(spec.priority, 'priority') : undefined;
  const fwmark = spec.fwmark !== undefined ? uint(spec.fwmark, 'fwmark') : undefined;
  const fwmask = spec.fwmask !== undefined ? uint(spec.fwmask, 'fwmask') : undefined;
  if (fwmask !== undefined && fwmark === undefined) throw new ValidationError('fwmask', 'a mask needs an fwmark');
  const tos = spec.tos !== undefined ? uint(spec.tos, 'tos', 255) : 0;
  const gotoTarget = spec.goto !== undefined ? uint(spec.goto, 'goto') : undefined;
  let action: number;
  if (spec.action !== undefined) {
    const a = ACTIONS.get(spec.action);
    if (a === undefined || a === 0) throw new ValidationError('action', `unknown rule action ${JSON.stringify(spec.action)}`);
    action = a;
  } else if (gotoTarget !== undefined) action = FR_ACT_GOTO;
  else action = isDel ? 0 : FR_ACT_TO_TBL;
  if (action === FR_ACT_GOTO && gotoTarget === undefined && !isDel) throw new ValidationError('goto', "action 'goto' needs a target priority");
  let table = 0;
  if (spec.table !== undefined) {
    table = tableId(spec.table);
    if (table === 0) throw new ValidationError('table', "a rule needs one table, not 'all'");
  } else if (!isDel && action === FR_ACT_TO_TBL) table = RT_TABLE_MAIN;
  const suppressPrefixLength = spec.suppressPrefixLength !== undefined ? uint(spec.suppressPrefixLength, 'suppressPrefixLength', 128) : undefined;
  const suppressIfgroup = spec.suppressIfgroup !== undefined ? uint(spec.suppressIfgroup, 'suppressIfgroup') : undefined;
  let uidRange: RuleRange | undefined;
  if (spec.uidRange !== undefined) {
    uidRange = specObject(spec.uidRange, 'uidRange');
    uint(uidRange.start, 'uidRange.start');
    uint(uidRange.end, 'uidRange.end');
    if (uidRange.end < uidRange.start) throw new ValidationError('uidRange', 'range end is below its start');
  }
  const ipProto = spec.ipProto !== undefined ? uint(spec.ipProto, 'ipProto', 255) : undefined;
  const sport = spec.sport !== undefined ? portRange(spec.sport, 'sport') : undefined;
  const dport = spec.dport !== undefined ? portRange(spec.dport, 'dport') : undefined;
  const protocol = spec.protocol !== undefined ? routeProtocols.number(spec.protocol, 'protocol') : undefined;
  const realms = spec.realms !== undefined ? uint(spec.realms, 'realms') : undefined;
  const w = new MessageWriter(isDel ? RTM_DELRULE : RTM_NEWRULE, isDel ? 0 : NLM_F_CREATE | NLM_F_EXCL, 128);
  w.struct(FIB_RULE_HDR_SIZE, (b, at) => writeFibRuleHdr(b, at, {
    family: fam, dstLen: to?.prefixLen ?? 0, srcLen: from?.prefixLen ?? 0, tos,
    table: table > 255 ? 0 : table, action, flags: spec.not ? FIB_RULE_INVERT : 0,
  }));
  if (table > 255) w.u32(FRA.TABLE, table, 'table');
  if (priority !== undefined) w.u32(FRA.PRIORITY, priority, 'priority');
  if (from) w.bytes(FRA.SRC, from.bytes, 'from');
  if (to) w.bytes(FRA.DST, to.bytes, 'to');
  if (spec.iif !== undefined) w.string(FRA.IIFNAME, spec.iif, 'iif');
  if (spec.oif !== undefined) w.string(FRA.OIFNAME, spec.oif, 'oif');
  if (fwmark !== undefined) w.u32(FRA.FWMARK, fwmark, 'fwmark');
  if (fwmask !== undefined) w.u32(FRA.FWMASK, fwmask, 'fwmask');
  if (gotoTarget !== undefined) w.u32(FRA.GOTO, gotoTarget, 'goto');
  if (suppressPrefixLength !== undefined) w.u32(FRA.SUPPRESS_PREFIXLEN, suppressPrefixLength, 'suppressPrefixLength');
  if (suppressIfgroup !== undefined) w.u32(FRA.SUPPRESS_IFGROUP, suppressIfgroup, 'suppressIfgroup');
  if (uidRange) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(uidRange.start, 0);
    b.writeUInt32LE(uidRange.end, 4);
    w.bytes(FRA.UID_RANGE, b, 'uidRange');
  }
  if (ipProto !== undefined) w.u8(FRA.IP_PROTO, ipProto, 'ipProto');
  for (const [type, r, field] of [[FRA.SPORT_RANGE, sport, 'sport'], [FRA.DPORT_RANGE, dport, 'dport']] as const) {
    if (!r) continue;
    const b = Buffer.alloc(4);
    b.writeUInt16LE(r.start, 0);
    b.writeUInt16LE(r.end, 2);
    w.bytes(type, b, field);
  }
  if (protocol !== undefined) w.u8(FRA.PROTOCOL, protocol, 'protocol');
  if (realms !== undefined) w.u32(FRA.FLOW, realms, 'realms');
  return { operation: `rule.${change}`, msg: w.finish(), links: [] };
}

/** Rule operations of one rtnetlink handle. */
export class RuleApi {
  constructor(protected readonly engine: Engine, protected readonly resolver: LinkIndexResolver) {}

  /**
   * Adds a rule; EEXIST if an identical one is there.
   * Equivalent to: ip rule add [not] [from P] [to P] [iif I] [oif O] [fwmark M/MASK] [tos T]
   *                [priority N] [table T | goto N | blackhole | unreachable | prohibit | nop] …
   */
  add(spec: RuleSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.resolver, prepareRule, 'add', spec, opts);
  }

  /**
   * Deletes the first rule matching every field given; ENOENT when none does.
   * Equivalent to: ip rule del [priority N] [from P] [table T] …
   */
  del(spec: RuleSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.resolver, prepareRule, 'del', spec, opts);
  }

  /**
   * Lists rules (the kernel does not filter rule dumps).
   * Equivalent to: ip [-4|-6] rule show
   */
  async list(opts: RuleListOptions = {}, callOpts?: CallOptions): Promise<Rule[]> {
    checkKeys(opts, ['family'], 'filter');
    const signal = signalOf(callOpts);
    const families = opts.family !== undefined ? [familyNumber(opts.family)!] : [AF_INET, AF_INET6];
    const dumps = await Promise.all(families.map((family) => {
      const w = new MessageWriter(RTM_GETRULE, NLM_F_DUMP);
      w.struct(FIB_RULE_HDR_SIZE, (b, at) => writeFibRuleHdr(b, at, { family }));
      return this.engine.request(w.finish(), { operation: 'rule.list', dump: true, decode, ...signal });
    }));
    return dumps.flat();
  }
}
