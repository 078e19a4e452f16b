/**
 * `netlinkjs conntrack`: conntrack entries the way `conntrack -L` prints them (libnetfilter_
 * conntrack's default format: protocol, timeout, state, both tuples with counters, flags,
 * mark, zone, use). `-j` prints the library's ConntrackEntry objects: conntrack-tools has no
 * JSON output to mimic.
 */
import type { ConntrackEntry, ConntrackTuple, ConntrackCounters } from '../nfnetlink/conntrack/conntrack-decode';

/** The layer-4 protocols conntrack-tools prints by name; the rest it calls 'unknown'. */
const NAMED = new Set(['tcp', 'udp', 'udplite', 'icmp', 'icmpv6', 'sctp', 'gre', 'dccp']);

function tupleText(t: ConntrackTuple, protocol: string, c?: ConntrackCounters): string[] {
  const out = [`src=${t.src}`, `dst=${t.dst}`];
  if (t.sport !== undefined) out.push(`sport=${t.sport}`, `dport=${t.dport}`);
  if (protocol === 'icmp' || protocol === 'icmpv6') out.push(`type=${t.type}`, `code=${t.code}`, `id=${t.id}`);
  if (t.zone !== undefined) out.push(`zone=${t.zone}`);
  if (c) out.push(`packets=${c.packets}`, `bytes=${c.bytes}`);
  return out;
}

/** One entry as a `conntrack -L` line (`extended` prefixes the layer-3 family, as `-o extended`). */
export function conntrackLine(e: ConntrackEntry, extended = false): string {
  const parts: string[] = [];
  if (extended) parts.push(e.family.padEnd(8), String(e.family === 'ipv6' ? 10 : 2));
  parts.push((NAMED.has(e.protocol) ? e.protocol : 'unknown').padEnd(8), String(e.protocolNumber));
  if (e.timeout !== undefined) parts.push(String(e.timeout));
  if (e.state) parts.push(e.state);
  parts.push(...tupleText(e.orig, e.protocol, e.counters?.orig));
  if (!e.status.includes('SEEN_REPLY')) parts.push('[UNREPLIED]');
  parts.push(...tupleText(e.reply, e.protocol, e.counters?.reply));
  if (e.status.includes('ASSURED')) parts.push('[ASSURED]');
  if (e.status.includes('OFFLOAD')) parts.push('[OFFLOAD]');
  parts.push(`mark=${e.mark}`);
  if (e.secctx) parts.push(`secctx=${e.secctx}`);
  if (e.zone) parts.push(`zone=${e.zone}`);
  if (e.use !== undefined) parts.push(`use=${e.use}`);
  return parts.join(' ');
}

/** Entries as `conntrack -L` prints them, one a line. */
export function conntrackText(list: ConntrackEntry[], extended = false): string {
  return list.map((e) => conntrackLine(e, extended)).join('\n');
}
