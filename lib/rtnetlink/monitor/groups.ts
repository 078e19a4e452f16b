/**
 * What a monitor can listen to. A user-facing group ('route') expands to channels
 * ('route4', 'route6'); a channel is one kind of object of one family, fed by one rtnetlink
 * multicast group. The kernel mixes some kinds on one group (IP neighbours and bridge FDB
 * entries both arrive on RTNLGRP_NEIGH), so every message is sorted into its channel by
 * message type and family before anything is decoded.
 */
import { ValidationError } from '../../errors';
import { AF_BRIDGE, AF_INET, AF_INET6, AF_UNSPEC } from '../../wire/constants';
import {
  RTNLGRP_NEXTHOP, RTM_NEWNEXTHOP, RTM_DELNEXTHOP, RTNLGRP_MDB, RTM_NEWMDB, RTM_DELMDB, RTNLGRP_TUNNEL, RTM_NEWTUNNEL, RTM_DELTUNNEL,
  RTNLGRP_STATS, RTM_NEWSTATS,
} from '../constants';
import { RTM_DELACTION, RTM_DELCHAIN, RTM_DELQDISC, RTM_DELTCLASS, RTM_DELTFILTER, RTM_NEWACTION, RTM_NEWCHAIN, RTM_NEWQDISC, RTM_NEWTCLASS, RTM_NEWTFILTER } from '../tc/constants';
import { RTNLGRP, RTM_DELADDR, RTM_DELLINK, RTM_DELNEIGH, RTM_DELNSID, RTM_DELROUTE, RTM_DELRULE, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWNEIGH, RTM_NEWNSID, RTM_NEWROUTE, RTM_NEWRULE } from '../constants';

/** One kind of object of one family, as the monitor sorts messages. */
export type MonitorChannel =
  | 'link' | 'address4' | 'address6' | 'route4' | 'route6' | 'neigh4' | 'neigh6' | 'fdb'
  | 'rule4' | 'rule6' | 'nsid' | 'vlan' | 'nexthop' | 'mdb' | 'vni' | 'stats'
  | 'qdisc' | 'tclass' | 'tfilter' | 'tchain' | 'taction';

/**
 * Groups `nl.monitor({ groups })` accepts. The plain names cover IPv4 and IPv6; the suffixed
 * ones one family (as `ip -4 monitor …` / `ip -6 monitor …`).
 */
export type MonitorGroup =
  | 'link' | 'address' | 'address4' | 'address6' | 'route' | 'route4' | 'route6'
  | 'neigh' | 'neigh4' | 'neigh6' | 'fdb' | 'rule' | 'rule4' | 'rule6' | 'nsid' | 'vlan' | 'nexthop'
  | 'mdb' | 'vni' | 'tc' | 'stats';

/** Where each channel's messages come from: the multicast group, and how to recognise them. */
interface ChannelSpec {
  /** RTNLGRP_* joined with NETLINK_ADD_MEMBERSHIP (works for groups above 32 too). */
  group: number;
  /** RTM_NEW* type; the matching RTM_DEL* is `del` (none: the kernel only sends news). */
  newType: number;
  delType?: number;
  /** Family byte at the start of the message's fixed header (undefined: any). */
  family?: number;
}

/** Channel → where its messages come from. */
export const CHANNELS: Record<MonitorChannel, ChannelSpec> = {
  // AF_BRIDGE RTM_NEWLINK/DELLINK on the same group are bridge-port notices (a DELLINK there
  // means "left the bridge", not "deleted"), so only AF_UNSPEC messages are links.
  link: { group: RTNLGRP.link, newType: RTM_NEWLINK, delType: RTM_DELLINK, family: AF_UNSPEC },
  // Those bridge-port notices carry the port's whole VLAN list (RTEXT_FILTER_BRVLAN_COMPRESSED),
  // the very message `rt.bridge.vlan.list()` decodes.
  vlan: { group: RTNLGRP.link, newType: RTM_NEWLINK, delType: RTM_DELLINK, family: AF_BRIDGE },
  address4: { group: RTNLGRP.ipv4Ifaddr, newType: RTM_NEWADDR, delType: RTM_DELADDR, family: AF_INET },
  address6: { group: RTNLGRP.ipv6Ifaddr, newType: RTM_NEWADDR, delType: RTM_DELADDR, family: AF_INET6 },
  route4: { group: RTNLGRP.ipv4Route, newType: RTM_NEWROUTE, delType: RTM_DELROUTE, family: AF_INET },
  route6: { group: RTNLGRP.ipv6Route, newType: RTM_NEWROUTE, delType: RTM_DELROUTE, family: AF_INET6 },
  neigh4: { group: RTNLGRP.neigh, newType: RTM_NEWNEIGH, delType: RTM_DELNEIGH, family: AF_INET },
  neigh6: { group: RTNLGRP.neigh, newType: RTM_NEWNEIGH, delType: RTM_DELNEIGH, family: AF_INET6 },
  fdb: { group: RTNLGRP.neigh, newType: RTM_NEWNEIGH, delType: RTM_DELNEIGH, family: AF_BRIDGE },
  rule4: { group: RTNLGRP.ipv4Rule, newType: RTM_NEWRULE, delType: RTM_DELRULE, family: AF_INET },
  rule6: { group: RTNLGRP.ipv6Rule, newType: RTM_NEWRULE, delType: RTM_DELRULE, family: AF_INET6 },
  nsid: { group: RTNLGRP.nsid, newType: RTM_NEWNSID, delType: RTM_DELNSID },
  nexthop: { group: RTNLGRP_NEXTHOP, newType: RTM_NEWNEXTHOP, delType: RTM_DELNEXTHOP },
  mdb: { group: RTNLGRP_MDB, newType: RTM_NEWMDB, delType: RTM_DELMDB, family: AF_BRIDGE },
  vni: { group: RTNLGRP_TUNNEL, newType: RTM_NEWTUNNEL, delType: RTM_DELTUNNEL, family: AF_BRIDGE },
  // Traffic control: qdiscs, classes, filters, chains and standalone actions share RTNLGRP_TC.
  qdisc: { group: RTNLGRP.tc, newType: RTM_NEWQDISC, delType: RTM_DELQDISC },
  tclass: { group: RTNLGRP.tc, newType: RTM_NEWTCLASS, delType: RTM_DELTCLASS },
  tfilter: { group: RTNLGRP.tc, newType: RTM_NEWTFILTER, delType: RTM_DELTFILTER },
  tchain: { group: RTNLGRP.tc, newType: RTM_NEWCHAIN, delType: RTM_DELCHAIN },
  taction: { group: RTNLGRP.tc, newType: RTM_NEWACTION, delType: RTM_DELACTION },
  // The kernel announces a link's offload-stats state (`ip stats set … l3_stats on|off`, or a
  // driver starting or stopping to use them), never deletions.
  stats: { group: RTNLGRP_STATS, newType: RTM_NEWSTATS },
};

/** Group name → the channels it stands for. */
export const GROUPS: Record<MonitorGroup, MonitorChannel[]> = {
  link: ['link'],
  address: ['address4', 'address6'],
  address4: ['address4'],
  address6: ['address6'],
  route: ['route4', 'route6'],
  route4: ['route4'],
  route6: ['route6'],
  neigh: ['neigh4', 'neigh6'],
  neigh4: ['neigh4'],
  neigh6: ['neigh6'],
  fdb: ['fdb'],
  rule: ['rule4', 'rule6'],
  rule4: ['rule4'],
  rule6: ['rule6'],
  nsid: ['nsid'],
  vlan: ['vlan'],
  nexthop: ['nexthop'],
  mdb: ['mdb'],
  vni: ['vni'],
  tc: ['qdisc', 'tclass', 'tfilter', 'tchain', 'taction'],
  stats: ['stats'],
};

/**
 * The default of `nl.monitor()`: what `ip monitor all` shows. Not 'vlan': without VLAN
 * filtering every bridge-port notice would read as "no VLANs".
 */
export const DEFAULT_GROUPS = ['link', 'address', 'route', 'neigh', 'fdb', 'rule', 'nsid'] as const satisfies readonly MonitorGroup[];

/** Validates group names and expands them to a set of channels. */
export function channelsOf(groups: readonly MonitorGroup[] | undefined, field = 'groups'): Set<MonitorChannel> {
  const list = groups ?? DEFAULT_GROUPS;
  if (!Array.isArray(list) || list.length === 0) throw new ValidationError(field, 'expected a non-empty array of group names');
  const out = new Set<MonitorChannel>();
  list.forEach((g, i) => {
    const channels = typeof g === 'string' && Object.prototype.hasOwnProperty.call(GROUPS, g) ? GROUPS[g as MonitorGroup] : undefined;
    if (!channels) throw new ValidationError(`${field}[${i}]`, `unknown group ${JSON.stringify(g)}; expected one of ${Object.keys(GROUPS).join(', ')}`);
    for (const c of channels) out.add(c);
  });
  return out;
}

/** The distinct multicast groups a set of channels needs. */
export function multicastGroups(channels: Iterable<MonitorChannel>): number[] {
  return [...new Set([...channels].map((c) => CHANNELS[c].group))].sort((a, b) => a - b);
}

const byType = new Map<number, MonitorChannel[]>();
for (const [name, spec] of Object.entries(CHANNELS) as [MonitorChannel, ChannelSpec][]) {
  for (const t of [spec.newType, spec.delType]) if (t !== undefined) byType.set(t, [...(byType.get(t) ?? []), name]);
}

/**
 * Sorts a message into its channel by type and family (the first byte of every rtnetlink
 * fixed header), or undefined for messages no channel takes.
 */
export function channelOf(type: number, family: number): MonitorChannel | undefined {
  const candidates = byType.get(type);
  if (!candidates) return undefined;
  for (const c of candidates) {
    const want = CHANNELS[c].family;
    if (want === undefined || want === family) return c;
  }
  return undefined;
}
