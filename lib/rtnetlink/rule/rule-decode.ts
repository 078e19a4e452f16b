/** RTM_NEWRULE/RTM_DELRULE → Rule (list, monitor). */
import { decodeAttrs, type RawAttribute } from '../../wire/attributes';
import { familyName, formatPrefix } from '../../wire/address';
import { NLMSG_HDRLEN } from '../../wire/constants';
import { FIB_RULE_HDR_SIZE, readFibRuleHdr } from '../structs';
import { bitNames, routeProtocols, routeTables } from '../request/names';
import { FIB_RULE_F, FR_ACT, ruleSchema, type RuleRange } from './rule-schema';

/** A policy routing rule. Field names follow `ip rule add`, so a listed rule can be deleted. */
export interface Rule {
  family: 'inet' | 'inet6' | string;
  /** Its priority (`priority`/`pref`); rules are tried in ascending order. */
  priority: number;
  /** Source prefix (`from`); absent means all. */
  from?: string;
  /** Destination prefix (`to`). */
  to?: string;
  /** Input / output interface names (`iif`, `oif`). */
  iif?: string;
  oif?: string;
  fwmark?: number;
  fwmask?: number;
  tos: number;
  dscp?: number;
  /** 'table', 'goto', 'nop', 'blackhole', 'unreachable', 'prohibit'. */
  action: string;
  /** Table id (FRA_TABLE when present). */
  table: number;
  tableName: string;
  /** Target priority of a goto rule. */
  goto?: number;
  /** 'not' (inverted match), 'unresolved' (goto target missing), 'iif_detached' … */
  flags: string[];
  suppressPrefixLength?: number;
  suppressIfgroup?: number;
  uidRange?: RuleRange;
  ipProto?: number;
  sport?: RuleRange;
  dport?: RuleRange;
  /** Who installed it: 'kernel', 'boot', 'static' … */
  protocol?: string;
  l3mdev?: boolean;
  realms?: number;
  tunId?: number;
  unknown?: RawAttribute[];
}

const ACT_NAMES = new Map(FR_ACT);

/** Decodes one rule message. */
export function decodeRule(buf: Buffer, off: number, len: number): Rule {
  const hdr = readFibRuleHdr(buf, off + NLMSG_HDRLEN, len - NLMSG_HDRLEN);
  const raw: any = decodeAttrs(ruleSchema, buf, off + NLMSG_HDRLEN + FIB_RULE_HDR_SIZE, off + len);
  const table = raw.table ?? hdr.table;
  const rule: Rule = {
    family: familyName(hdr.family),
    priority: raw.priority ?? 0,
    tos: hdr.tos,
    action: ACT_NAMES.get(hdr.action) ?? String(hdr.action),
    table,
    tableName: routeTables.name(table),
    flags: bitNames(FIB_RULE_F, hdr.flags),
  };
  const from = formatPrefix(raw.from, hdr.srcLen, hdr.family);
  if (from !== undefined) rule.from = from;
  const to = formatPrefix(raw.to, hdr.dstLen, hdr.family);
  if (to !== undefined) rule.to = to;
  if (raw.protocol !== undefined) rule.protocol = routeProtocols.name(raw.protocol);
  // The kernel always reports both suppressors; all ones (-1) means unset.
  if (raw.suppressPrefixLength === 0xffff_ffff) delete raw.suppressPrefixLength;
  if (raw.suppressIfgroup === 0xffff_ffff) delete raw.suppressIfgroup;
  for (const k of ['iif', 'oif', 'fwmark', 'fwmask', 'dscp', 'goto', 'suppressPrefixLength', 'suppressIfgroup', 'uidRange', 'ipProto', 'sport', 'dport', 'l3mdev', 'realms', 'tunId', 'unknown'] as const) {
    if (raw[k] !== undefined) (rule as any)[k] = raw[k];
  }
  return rule;
}
