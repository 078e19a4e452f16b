/**
 * One row per kind of object a monitor reports: which decoder turns a notification into the
 * object (the list call's own decoder), which field of the event holds it, how objects are
 * identified (for the view `resync: 'auto'` keeps), which fields change without any
 * notification (ignored when comparing), and how to list the current objects.
 */
import { decodeAttrs } from '../../wire/attributes';
import { NLMSG_HDRLEN } from '../../wire/constants';
import { RTGENMSG_SIZE } from '../structs';
import { decodeAddress, type Address } from '../address/address-decode';
import { decodeLink, type Link } from '../link/link-decode';
import { IFLA } from '../link/link-schema';
import { decodeRoute, type Route } from '../route/route-decode';
import { decodeNeighbour, type Neighbour } from '../neigh/neigh-decode';
import { decodeFdb, type FdbEntry } from '../neigh/fdb';
import { decodeRule, type Rule } from '../rule/rule-decode';
import { decodeBridgeVlanPort, type BridgeVlanPort } from '../bridge/vlan';
import { nsidSchema } from '../nsid/nsid';
import { decodeNexthop, type Nexthop } from '../nexthop/nexthop';
import { decodeMdb, type MdbEntry } from '../bridge/mdb';
import { decodeVni, type VniEntry } from '../bridge/vni';
import { decodeStats, type LinkStatsEntry } from '../stats/stats';
import { decodeChain, decodeClass, decodeFilter, decodeQdisc, type Chain, type Filter, type Qdisc, type TcClass } from '../tc/objects';
import { decodeActionMessage, listActions } from '../tc/action-list';
import type { Action } from '../tc/actions';
import type { Rtnl } from '../handle';
import type { ObjectEvent, ObjectEventType } from './events';
import type { MonitorChannel } from './groups';

/** What a re-list needs from an rtnetlink handle. */
export type ListSource = Pick<Rtnl, 'link' | 'address' | 'route' | 'neigh' | 'fdb' | 'rule' | 'netns' | 'bridge' | 'nexthop' | 'mdb' | 'tc' | 'stats' | 'engine'>;

/** How the monitor handles one kind of object. */
export interface KindSpec<T = any> {
  type: ObjectEventType;
  /** Property of the event that holds the object. */
  field: string;
  /** Channels whose messages are this kind. */
  channels: readonly MonitorChannel[];
  /** Decodes one notification (header at `off`, `len` bytes) — the list call's decoder. */
  decode(buf: Buffer, off: number, len: number): T;
  /** The action a decoded RTM_NEW* stands for, when that depends on its content. */
  actionOf?(obj: T): 'new' | 'del';
  /** Identity: two objects with the same key are the same kernel object. */
  key(obj: T): string;
  /**
   * For kinds where an RTM_NEW* with NLM_F_REPLACE replaces another object in place (a route
   * whose next hop changed): objects with equal replace keys are the ones a replace displaces.
   */
  replaceKey?(obj: T): string;
  /** Fields that change without a notification (counters, lifetimes): ignored when comparing. */
  volatile: readonly string[];
  /** Attribute types in `unknown` (kept raw by the decoder) that are volatile too. */
  volatileRaw?: readonly number[];
  /** Lists the current objects of the given channels (this kind's only). */
  list(src: ListSource, channels: ReadonlySet<MonitorChannel>): Promise<T[]>;
}

/** 'inet', 'inet6', or both (undefined) for a kind with a v4 and a v6 channel. */
function familyOf(channels: ReadonlySet<MonitorChannel>, v4: MonitorChannel, v6: MonitorChannel): 'inet' | 'inet6' | undefined {
  const a = channels.has(v4);
  const b = channels.has(v6);
  return a && !b ? 'inet' : b && !a ? 'inet6' : undefined;
}

/** Keeps only objects whose family one of the selected channels covers. */
function ofFamilies<T extends { family: string }>(items: T[], channels: ReadonlySet<MonitorChannel>, v4: MonitorChannel, v6: MonitorChannel): T[] {
  return items.filter((o) => (o.family === 'inet' && channels.has(v4)) || (o.family === 'inet6' && channels.has(v6)));
}

const link: KindSpec<Link> = {
  type: 'link',
  field: 'link',
  channels: ['link'],
  decode: decodeLink,
  key: (l) => String(l.index),
  // Counters move with every packet; IFLA_EVENT only says what triggered a notification;
  // IFLA_AF_SPEC carries per-protocol counters and IPv6 autoconf state that move silently.
  volatile: ['stats', 'event', 'afSpec'],
  volatileRaw: [IFLA.STATS, IFLA.STATS64, IFLA.EVENT, IFLA.AF_SPEC],
  list: (src) => src.link.list(),
};

const address: KindSpec<Address> = {
  type: 'address',
  field: 'address',
  channels: ['address4', 'address6'],
  decode: decodeAddress,
  // The kernel identifies an address by link, local address, prefix length and peer.
  key: (a) => `${a.index}|${a.family}|${a.address}/${a.prefixLen}|${a.peer ?? ''}`,
  // Lifetimes count down (and cacheInfo's update stamp with them) without notifications.
  volatile: ['cacheInfo', 'validLft', 'preferredLft'],
  list: async (src, channels) => {
    const family = familyOf(channels, 'address4', 'address6');
    const items = await src.address.list(family ? { family } : {});
    return ofFamilies(items, channels, 'address4', 'address6');
  },
};

/** What `ip route replace` matches on: table, prefix, source prefix, tos and metric. */
const routeReplaceKey = (r: Route) => `${r.family}|${r.table}|${r.dst}|${r.from ?? ''}|${r.tos}|${r.metric ?? 0}`;

const route: KindSpec<Route> = {
  type: 'route',
  field: 'route',
  channels: ['route4', 'route6'],
  decode: decodeRoute,
  // IPv6 keeps one route per prefix and metric *per device* (fe80::/64 on every link), so the
  // next hop is part of the identity; a multipath route is one object.
  key: (r) => `${routeReplaceKey(r)}|${r.type}|${r.multipath ? 'multipath' : `${r.oif ?? ''}|${r.gateway ?? ''}`}`,
  replaceKey: routeReplaceKey,
  // Expiry counts down; IPv6 cache info holds use counters.
  volatile: ['cacheInfo', 'expires'],
  list: async (src, channels) => {
    const family = familyOf(channels, 'route4', 'route6');
    // names: false — notifications carry ifindexes only, so the listed objects must too.
    const items = await src.route.list({ table: 'all', names: false, ...(family ? { family } : {}) });
    return ofFamilies(items, channels, 'route4', 'route6');
  },
};

const neigh: KindSpec<Neighbour> = {
  type: 'neigh',
  field: 'neigh',
  channels: ['neigh4', 'neigh6'],
  decode: decodeNeighbour,
  // Proxy entries live in their own table next to the cache, under the same address.
  key: (n) => `${n.index}|${n.family}|${n.address}|${n.flags.includes('proxy') ? 'proxy' : ''}`,
  // Ages count up without notifications.
  volatile: ['cacheInfo'],
  list: async (src, channels) => {
    const family = familyOf(channels, 'neigh4', 'neigh6');
    const opts = { names: false, ...(family ? { family } : {}) };
    const [cache, proxies] = await Promise.all([src.neigh.list(opts), src.neigh.list({ ...opts, proxy: true })]);
    return ofFamilies([...cache, ...proxies], channels, 'neigh4', 'neigh6');
  },
};

const fdb: KindSpec<FdbEntry> = {
  type: 'fdb',
  field: 'fdb',
  channels: ['fdb'],
  decode: decodeFdb,
  // A port's entry in its bridge ('master') and in its own address list ('self') are two
  // entries; a VXLAN MAC can have one per remote (`bridge fdb append`).
  key: (e) => `${e.index}|${e.lladdr}|${e.vlan ?? ''}|${e.flags.includes('self') ? 'self' : `master ${e.master ?? ''}`}|${e.dst ?? ''}|${e.vni ?? ''}|${e.port ?? ''}`,
  volatile: ['cacheInfo'],
  list: (src) => src.fdb.list({ names: false }),
};

const vlan: KindSpec<BridgeVlanPort> = {
  type: 'vlan',
  field: 'vlan',
  channels: ['vlan'],
  // A notice without VLAN info is a port that has none (any more); the list leaves it out.
  decode: (buf, off, len) => {
    const port = decodeBridgeVlanPort(buf, off, len);
    if (port) return port;
    const link = decodeLink(buf, off, len);
    return { link: link.index, name: link.name, ...(link.master !== undefined ? { master: link.master } : {}), vlans: [] };
  },
  actionOf: (p) => (p.vlans.length ? 'new' : 'del'),
  key: (p) => String(p.link),
  volatile: [],
  list: (src) => src.bridge.vlan.list({ compressed: true }),
};

/** A rule is nothing but its fields: it is identified by all of them. */
function ruleKey(r: Rule): string {
  const { unknown: _unknown, ...fields } = r;
  return JSON.stringify(Object.keys(fields).sort().map((k) => [k, (fields as Record<string, unknown>)[k]]));
}

const rule: KindSpec<Rule> = {
  type: 'rule',
  field: 'rule',
  channels: ['rule4', 'rule6'],
  decode: decodeRule,
  key: ruleKey,
  volatile: [],
  list: async (src, channels) => {
    const family = familyOf(channels, 'rule4', 'rule6');
    const items = await src.rule.list(family ? { family } : {});
    return ofFamilies(items, channels, 'rule4', 'rule6');
  },
};

const nsid: KindSpec<number> = {
  type: 'nsid',
  field: 'id',
  channels: ['nsid'],
  // RTM_NEWNSID/RTM_DELNSID: rtgenmsg + NETNSA_* attributes, read with rt.netns's schema.
  decode: (buf, off, len) => {
    const attrs = decodeAttrs<{ nsid?: number }>(nsidSchema, buf, off + NLMSG_HDRLEN + RTGENMSG_SIZE, off + len);
    return attrs.nsid ?? -1;
  },
  key: (id) => String(id),
  volatile: [],
  list: (src) => src.netns.list(),
};

const nexthop: KindSpec<Nexthop> = {
  type: 'nexthop',
  field: 'nexthop',
  channels: ['nexthop'],
  decode: decodeNexthop,
  key: (n) => String(n.id),
  // A resilient group's `unbalancedTime` grows silently while it is unbalanced.
  volatile: ['resilient'],
  list: (src) => src.nexthop.list({ names: false }),
};

const qdisc: KindSpec<Qdisc> = {
  type: 'qdisc',
  field: 'qdisc',
  channels: ['qdisc'],
  decode: decodeQdisc,
  key: (q) => `${q.index}|${q.parent}|${q.handle}`,
  volatile: ['stats', 'xstats', 'xstatsRaw'],
  list: (src) => src.tc.qdisc.list({ names: false }),
};

const tclass: KindSpec<TcClass> = {
  type: 'class',
  field: 'class',
  channels: ['tclass'],
  decode: decodeClass,
  key: (c) => `${c.index}|${c.classid}`,
  volatile: ['stats', 'xstats', 'xstatsRaw'],
  list: (src) => src.tc.class.list({ names: false }),
};

/** The parents filters and chains can hang off: every qdisc and class, and clsact's two hooks. */
async function tcParents(src: ListSource): Promise<{ index: number; parent: string }[]> {
  const [qdiscs, classes] = await Promise.all([src.tc.qdisc.list({ names: false }), src.tc.class.list({ names: false })]);
  return [
    ...qdiscs.flatMap((q) => (q.kind === 'clsact' ? ['ingress', 'egress'] : q.kind === 'ingress' ? ['ingress'] : q.handle === 'none' ? [] : [q.handle]).map((parent) => ({ index: q.index, parent }))),
    ...classes.map((c) => ({ index: c.index, parent: c.classid })),
  ];
}

const tfilter: KindSpec<Filter> = {
  type: 'filter',
  field: 'filter',
  channels: ['tfilter'],
  decode: decodeFilter,
  key: (f) => `${f.index}|${f.parent}|${f.chain ?? 0}|${f.priority}|${f.protocol}|${f.handle}`,
  volatile: ['stats', 'actions'],
  list: async (src) => (await Promise.all((await tcParents(src)).map((p) => src.tc.filter.list({ dev: p.index, parent: p.parent, names: false })))).flat(),
};

const tchain: KindSpec<Chain> = {
  type: 'chain',
  field: 'chain',
  channels: ['tchain'],
  decode: decodeChain,
  key: (c) => `${c.index}|${c.parent}|${c.chain}`,
  volatile: [],
  list: async (src) => (await Promise.all((await tcParents(src)).map((p) => src.tc.chain.list({ dev: p.index, parent: p.parent, names: false })))).flat(),
};

const taction: KindSpec<Action[]> = {
  type: 'action',
  field: 'actions',
  channels: ['taction'],
  decode: (buf, off, len) => decodeActionMessage(buf, off, len).actions,
  key: (a) => a.map((x) => `${x.kind}|${x.index}`).join(','),
  volatile: ['stats'],
  list: async (src) => (await listActions(src.engine)).map((n) => n.actions),
};

const mdb: KindSpec<MdbEntry> = {
  type: 'mdb',
  field: 'mdb',
  channels: ['mdb'],
  decode: decodeMdb,
  key: (e) => `${e.index}|${e.portIndex}|${e.group}|${e.source ?? ''}|${e.vlan ?? ''}${e.router ? '|router' : ''}`,
  // Timers count down without notifications (the source list carries one per source).
  volatile: ['timer', 'sources'],
  list: (src) => src.mdb.list({ names: false }),
};

const vni: KindSpec<VniEntry> = {
  type: 'vni',
  field: 'vni',
  channels: ['vni'],
  decode: decodeVni,
  key: (e) => `${e.index}|${e.vni}`,
  volatile: ['stats'],
  list: (src) => src.bridge.vni.list({ names: false }),
};

const stats: KindSpec<LinkStatsEntry> = {
  type: 'stats',
  field: 'stats',
  channels: ['stats'],
  decode: decodeStats,
  key: (e) => String(e.index),
  volatile: [],
  // A notification carries only the offload state (IFLA_OFFLOAD_XSTATS_HW_S_INFO); a re-list
  // is cut to the same, so counters never count as changes.
  list: async (src) => (await src.stats.list({ groups: ['offload'], names: false }))
    .filter((e) => e.offload?.hwStatsInfo !== undefined)
    .map((e) => ({ index: e.index, offload: { hwStatsInfo: e.offload!.hwStatsInfo } })),
};

/** Every kind, in the order a re-list emits additions (deletions go in reverse). */
export const KINDS: readonly KindSpec[] = [nsid, link, vlan, vni, address, nexthop, neigh, fdb, mdb, rule, route, qdisc, tclass, tchain, tfilter, taction, stats];

/** Channel → its kind. */
export const KIND_OF_CHANNEL: ReadonlyMap<MonitorChannel, KindSpec> = new Map(
  KINDS.flatMap((k) => k.channels.map((c) => [c, k] as [MonitorChannel, KindSpec])),
);

/** Builds the event for one object. */
export function makeEvent(kind: KindSpec, action: 'new' | 'del', obj: unknown): ObjectEvent {
  return { type: kind.type, action, [kind.field]: obj } as unknown as ObjectEvent;
}

/** The object an event carries. */
export function objectOf(kind: KindSpec, ev: ObjectEvent): unknown {
  return (ev as unknown as Record<string, unknown>)[kind.field];
}
