/**
 * The events a monitor emits. Each carries the same typed object the matching list call
 * returns (`rt.link.list()` → Link, …), decoded by the same decoder.
 */
import type { Address } from '../address/address-decode';
import type { Link } from '../link/link-decode';
import type { BridgeVlanPort } from '../bridge/vlan';
import type { FdbEntry } from '../neigh/fdb';
import type { Neighbour } from '../neigh/neigh-decode';
import type { Route } from '../route/route-decode';
import type { Rule } from '../rule/rule-decode';
import type { Nexthop } from '../nexthop/nexthop';
import type { MdbEntry } from '../bridge/mdb';
import type { VniEntry } from '../bridge/vni';
import type { LinkStatsEntry } from '../stats/stats';
import type { Chain, Filter, Qdisc, TcClass } from '../tc/objects';
import type { Action } from '../tc/actions';

/** 'new' covers both creation and change (RTM_NEW*); 'del' is removal (RTM_DEL*). */
export type MonitorAction = 'new' | 'del';

/** Fields every object event has. */
export interface ObjectEventBase {
  action: MonitorAction;
  /**
   * With `allNetns`: the id (as the monitor's namespace numbers it) of the namespace the
   * change happened in, or -1 for the monitor's own namespace. Absent otherwise.
   */
  nsid?: number;
  /**
   * Set on events the monitor derived from a re-list rather than read from a kernel
   * notification (`resync: 'auto'`): the difference between what it had reported and what
   * the kernel now lists.
   */
  synthesized?: true;
}

/** A link appeared, changed or went away.  `ip monitor link` */
export interface LinkEvent extends ObjectEventBase {
  type: 'link';
  link: Link;
}

/** An interface address was added, changed or removed.  `ip monitor address` */
export interface AddressEvent extends ObjectEventBase {
  type: 'address';
  address: Address;
}

/** A route was added, replaced or removed.  `ip monitor route` */
export interface RouteEvent extends ObjectEventBase {
  type: 'route';
  route: Route;
}

/** An ARP/NDP neighbour entry (or proxy entry) appeared, changed state or went away.  `ip monitor neigh` */
export interface NeighEvent extends ObjectEventBase {
  type: 'neigh';
  neigh: Neighbour;
}

/** A bridge/VXLAN forwarding entry was added, learned, changed or removed.  `bridge monitor fdb` */
export interface FdbEvent extends ObjectEventBase {
  type: 'fdb';
  fdb: FdbEntry;
}

/** A policy routing rule was added or removed.  `ip monitor rule` */
export interface RuleEvent extends ObjectEventBase {
  type: 'rule';
  rule: Rule;
}

/**
 * A bridge port's (or bridge's) VLANs changed: 'new' carries its whole VLAN list as
 * `rt.bridge.vlan.list({ compressed: true })` shows it; 'del' says it has none any more
 * (its last VLAN was removed, or it left the bridge).  `bridge monitor vlan`
 */
export interface VlanEvent extends ObjectEventBase {
  type: 'vlan';
  vlan: BridgeVlanPort;
}

/** A namespace id was assigned or released in the monitored namespace.  `ip monitor nsid` */
export interface NsidEvent extends ObjectEventBase {
  type: 'nsid';
  /** The id (what `rt.netns.list()` returns). */
  id: number;
}

/** A nexthop object was added, replaced or removed.  `ip monitor nexthop` */
export interface NexthopEvent extends ObjectEventBase {
  type: 'nexthop';
  nexthop: Nexthop;
}

/** A qdisc was added, changed or deleted.  `tc monitor` */
export interface QdiscEvent extends ObjectEventBase {
  type: 'qdisc';
  qdisc: Qdisc;
}

/** A tc class was added, changed or deleted.  `tc monitor` */
export interface TcClassEvent extends ObjectEventBase {
  type: 'class';
  class: TcClass;
}

/** A filter was added, changed or deleted (a priority's head entry too).  `tc monitor` */
export interface FilterEvent extends ObjectEventBase {
  type: 'filter';
  filter: Filter;
}

/** A filter chain was added or deleted.  `tc monitor` */
export interface ChainEvent extends ObjectEventBase {
  type: 'chain';
  chain: Chain;
}

/** Standalone actions were added, changed or deleted (`tc actions …`).  `tc monitor` */
export interface ActionEvent extends ObjectEventBase {
  type: 'action';
  /** The actions the notification carries (kind, index, options, counters). */
  actions: Action[];
}

/** A bridge multicast group membership (or router port) appeared or went away.  `bridge monitor mdb` */
export interface MdbEvent extends ObjectEventBase {
  type: 'mdb';
  mdb: MdbEntry;
}

/** A VNI was added to or removed from a VXLAN device's VNI filter.  `bridge monitor vni` */
export interface VniEvent extends ObjectEventBase {
  type: 'vni';
  vni: VniEntry;
}

/**
 * A link's offload-stats state changed: hardware L3 counters requested or released
 * (`ip stats set dev D l3_stats on|off`), or a driver started or stopped providing them.
 * `stats.offload.hwStatsInfo.l3Stats` says `{ request, used }`.  `ip monitor stats`
 */
export interface StatsEvent extends ObjectEventBase {
  type: 'stats';
  stats: LinkStatsEntry;
}

/**
 * The kernel dropped notifications (ENOBUFS: the socket's receive buffer overflowed), so the
 * events before this one are incomplete. With `resync: 'auto'` the monitor has already
 * re-listed and emitted the differences (`auto: true`); otherwise re-list what you track.
 */
export interface ResyncEvent {
  type: 'resync';
  /** True when the monitor reconciled its view itself (the differences came before this). */
  auto: boolean;
  /** Why an automatic re-list could not be done (then `auto` is false). */
  error?: Error;
}

/** An event about one object. */
export type ObjectEvent = LinkEvent | AddressEvent | RouteEvent | NeighEvent | FdbEvent | RuleEvent | NsidEvent | VlanEvent | NexthopEvent | MdbEvent | VniEvent
  | StatsEvent | QdiscEvent | TcClassEvent | FilterEvent | ChainEvent | ActionEvent;

/** Everything `for await (const ev of mon)` and `mon.on('event', …)` deliver. */
export type MonitorEvent = ObjectEvent | ResyncEvent;

/** The `type` of every object event. */
export type ObjectEventType = ObjectEvent['type'];
