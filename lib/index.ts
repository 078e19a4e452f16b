/**
 * netlinkjs: Linux rtnetlink, network namespaces, TUN/TAP and macvtap for Node.js.
 *
 *   import * as nl from 'netlinkjs';
 *   const rt = await nl.open();
 *   console.log(await rt.link.list());
 *
 * Names are listed explicitly (no `export *`) so the ES module wrapper can re-export them.
 */
export { open, Rtnl, type OpenOptions } from './rtnetlink/handle';
export { NetlinkError, ValidationError, ParseError, HandleClosedError, errnoCode, type SystemError } from './errors';
export { DumpInterruptedError } from './core/engine';
export type { Link } from './rtnetlink/link/link-decode';
export type { LinkStats } from './rtnetlink/link/link-schema';
export type { LinkRef } from './rtnetlink/request/link-ref';
export type { Address } from './rtnetlink/address/address-decode';
export type { Route } from './rtnetlink/route/route-decode';
export type { NextHop, RouteMetrics } from './rtnetlink/route/route-schema';
export type { LinkListOptions, LinkGetOptions } from './rtnetlink/link/link';
export type { AddressListOptions } from './rtnetlink/address/address';
export type { RouteListOptions, TableRef } from './rtnetlink/route/route';
export type { NetnsRef } from './netns/netns-ref';
// ── exports added by each area below this line ──
export type { AddressOptions, AddressDelOptions, AddressFlushOptions, AddressApi, Lifetime } from './rtnetlink/address/address';
export type { AddressFlagName, AddressCacheInfo } from './rtnetlink/address/address-schema';
export type { RouteSpec, RouteType, NextHopSpec, RouteMetricsSpec, RouteGetOptions, RouteApi } from './rtnetlink/route/route';
export type { NeighSpec, NeighState, NeighListOptions, NeighApi } from './rtnetlink/neigh/neigh';
export type { Neighbour } from './rtnetlink/neigh/neigh-decode';
export type { NeighCacheInfo } from './rtnetlink/neigh/neigh-schema';
export type { FdbSpec, FdbState, FdbListOptions, FdbEntry, FdbApi } from './rtnetlink/neigh/fdb';
export type { RuleSpec, RuleAction, RuleListOptions, RuleApi } from './rtnetlink/rule/rule';
export type { Rule } from './rtnetlink/rule/rule-decode';
export type { RuleRange } from './rtnetlink/rule/rule-schema';
export type { BatchOp, BatchResult, BatchOptions } from './rtnetlink/batch';
export type { LinkApi, LinkRequestOptions } from './rtnetlink/link/link';
export { isLinkKind, type LinkInfoMap, type LinkSlaveInfoMap } from './rtnetlink/link/link-decode';
export type {
  LinkAddSpec, LinkChanges, LinkSettings, LinkAddBase, VethPeerOptions, VethAddSpec, BridgeAddSpec, VlanAddSpec,
  MacvlanAddSpec, VxlanAddSpec, GeneveAddSpec, GreAddSpec, IpvlanAddSpec, BondAddSpec, DummyAddSpec, VrfAddSpec,
  OtherAddSpec, BondPortOptions,
} from './rtnetlink/link/link-spec';
export type {
  BridgeOptions, BridgeInfo, BridgePortOptions, BridgePortInfo, VlanOptions, VlanInfo, VlanFlags, VlanQosMapping,
  MacvlanOptions, MacvlanInfo, MacvlanMode, MacvlanSourceMacChanges, VxlanOptions, VxlanInfo, GeneveOptions, GeneveInfo,
  GreOptions, GreInfo, IpvlanOptions, IpvlanInfo, BondOptions, BondInfo, BondPortInfo, BondAdInfo, VrfOptions, VrfInfo,
  VrfPortInfo, TunInfo,
} from './rtnetlink/link/kinds/index';
export type {
  BridgeVlanApi, BridgeVlanSpec, BridgeVlan, BridgeVlanPort, BridgeVlanListOptions, BridgeVlanRequestOptions,
} from './rtnetlink/bridge/vlan';
export * as netns from './netns/netns';
export { NetnsError } from './netns/netns-error';
export type { NetnsHandle, NetnsOpenRef, NetnsSpawnOptions } from './netns/netns';
export type { CallOptions } from './core/options';
export type { NetnsIdApi, NetnsIdOptions } from './rtnetlink/nsid/nsid';
export * as sriov from './rtnetlink/link/vf/sriov';
export { SriovError, type SriovLinkRef } from './rtnetlink/link/vf/sriov';
export type { VfApi, VfChanges, VfVlanChange, VfListOptions, VfSetOptions } from './rtnetlink/link/vf/vf';
export type { VfInfo, VfVlan, VfStats, VfLinkState } from './rtnetlink/link/vf/vf-schema';
export { monitor, Monitor, type MonitorOptions } from './rtnetlink/monitor/monitor';
export { MonitorView } from './rtnetlink/monitor/view';
export type { MonitorGroup } from './rtnetlink/monitor/groups';
export type {
  MonitorEvent, MonitorAction, ObjectEvent, LinkEvent, AddressEvent, RouteEvent, NeighEvent, FdbEvent, RuleEvent,
  NsidEvent, VlanEvent, ResyncEvent,
} from './rtnetlink/monitor/events';
export { tap, macvtap, Tap, FrameBatch, readVnetHeader, encodeVnetHeader } from './tap';
export type {
  TapStats, TapKind, PacketInfo, TapOptions, MacvtapOptions, TapStreamOptions, Offload, PumpOptions, CommonTapOptions,
  VnetHeader, GsoType,
} from './tap';
export { L2Switch, SwitchPort } from './switch';
export type {
  L2SwitchOptions, PortOptions, PortStats, L2SwitchStats, SwitchDrops, SwitchDevice, FdbEntry as SwitchFdbEntry,
} from './switch';
export { TransactionError, GenerationChangedError } from './nfnetlink/batch';
export type { Nft } from './nfnetlink/nftables/index';
export type {
  NftDocument, NftOpenOptions, NftApplyOptions, NftApplyResult, NftAddedObject, NftListFilter, NftEvent, TransactionFailure,
} from './nfnetlink/nftables/index';
export type { Conntrack, ConntrackEventStream } from './nfnetlink/conntrack/index';
export type {
  ConntrackEntry, ConntrackTuple, ConntrackCounters, ConntrackFamily, ConntrackEventType, ConntrackEvent,
  ConntrackFilter, ConntrackTupleFilter, ConntrackTupleSpec, ConntrackFamilyInput,
  ConntrackOpenOptions, ConntrackRequestOptions, ConntrackEventsOptions,
} from './nfnetlink/conntrack/index';
export type { Genl, GenlOpenOptions, GenlMessage, GenlRequestOptions, GenlEventsOptions } from './genetlink/genl';
export type { GenlFamily, GenlOp, GenlGroup } from './genetlink/ctrl';
export type { SchemaTable, UserAttrSpec } from './genetlink/attrs';
export type { GenlEventStream, EventStreamOptions } from './genetlink/event-stream';
export type {
  Devlink, DevlinkOpenOptions, DevlinkCallOptions, DevlinkEvent, EswitchChanges, PortChanges, RateChanges, ParamSetOptions,
  HealthChanges, ReloadOptions, EswitchApi, PortApi, RateApi, ParamApi, HealthApi, TrapApi,
} from './genetlink/devlink/devlink';
export type {
  DevlinkDevice, DevlinkInfo, Eswitch, DevlinkPort, PortFlavour, DevlinkRate, DevlinkParam, ParamValue, HealthReporter, DevlinkTrap,
} from './genetlink/devlink/decode';
export type { FmsgTree, FmsgValue } from './genetlink/devlink/fmsg';
export type { Rate as DevlinkRateValue } from './genetlink/devlink/units';
export type {
  Ethtool, EthtoolOpenOptions, EthtoolCallOptions, EthtoolDev, Rings, RingsChanges, Channels, ChannelsChanges, Coalesce, Pause,
  PauseChanges, LinkInfo, LinkModes, LinkState, FeaturesResult, EthtoolStatsGroup, EthtoolStatsOptions, DriverInfo,
} from './genetlink/ethtool/ethtool';
export type { FeatureState } from './genetlink/ethtool/features';
export type { TcApi, QdiscApi, ClassApi, FilterApi, ChainApi, TcListOptions, FilterListOptions } from './rtnetlink/tc/api';
export type { QdiscSpec, QdiscDelSpec, ClassSpec, ClassDelSpec, FilterSpec, FilterDelSpec, ChainSpec, TcChange, Estimator as TcEstimator } from './rtnetlink/tc/requests';
export type { Qdisc, TcClass, Filter as TcFilter, Chain as TcChain } from './rtnetlink/tc/objects';
export type { TcStats } from './rtnetlink/tc/stats';
export type { TcHandle } from './rtnetlink/tc/handle';
export type { Rate as TcRate, Size as TcSize } from './rtnetlink/tc/units';
export type { Control as TcControl } from './rtnetlink/tc/control';
export type { BandwidthSpec, BandwidthLimit } from './rtnetlink/tc/bandwidth';
export type {
  ActionSpec as TcActionSpec, Action as TcAction, GactOptions, MirredOptions, PoliceOptions, VlanOptions as TcVlanOptions, SkbeditOptions,
  TunnelKeyOptions, CsumOptions, PeditOptions, NatOptions as TcNatOptions, ConnmarkOptions, CtOptions as TcCtOptions, SampleOptions,
} from './rtnetlink/tc/actions';
export type { HtbQdiscOptions, HtbClassOptions } from './rtnetlink/tc/qdisc-htb';
export type { TbfOptions } from './rtnetlink/tc/qdisc-tbf';
export type { NetemOptions, NetemGeModel, NetemStateModel, NetemRate, NetemSlot } from './rtnetlink/tc/qdisc-netem';
export type { FifoOptions, PrioOptions, SfqOptions, FqCodelOptions, FqOptions, CakeOptions, HfscQdiscOptions, HfscClassOptions, ServiceCurve, MqprioOptions } from './rtnetlink/tc/qdisc-misc';
export type { U32Options, U32Match, U32IpMatch, U32Ip6Match, U32RawMatch, U32Port } from './rtnetlink/tc/filter-u32';
export type { FlowerOptions } from './rtnetlink/tc/filter-flower';
export type { MatchallOptions, FwOptions, BasicOptions, BpfOptions } from './rtnetlink/tc/filter-kinds';
export type { QdiscEvent, TcClassEvent, FilterEvent, ChainEvent, ActionEvent } from './rtnetlink/monitor/events';
export type { NexthopSpec, Nexthop, NexthopListOptions, NexthopChange, NexthopApi, NexthopGroupMember, NexthopGroupType, ResilientArgs } from './rtnetlink/nexthop/nexthop';
export type { MdbSpec, MdbEntry, MdbSource, MdbListOptions, MdbChange, MdbApi } from './rtnetlink/bridge/mdb';
export type { BridgePort, BridgePortListOptions, BridgePortApi } from './rtnetlink/bridge/port';
export type { VniSpec, VniEntry, VniStats, VniListOptions, BridgeVniApi } from './rtnetlink/bridge/vni';
export type { AltnameChanges } from './rtnetlink/link/link-props';
export type { StatsApi, StatsChanges, StatsGroup, StatsListOptions, LinkStatsEntry, BridgeMcastStats, BridgeStpStats, BridgeVlanStats, HwStats64, KindXstats, MplsLinkStats, OffloadStats, RxTx } from './rtnetlink/stats/stats';
export type { NeighTable, NeighTableChanges, NeighTableParms } from './rtnetlink/neigh/ntable';
export type { NeighTableListOptions } from './rtnetlink/neigh/neigh';
export type { NexthopEvent, MdbEvent, VniEvent, StatsEvent } from './rtnetlink/monitor/events';

// ── the families a process may never use, loaded on first use ─────────────────────────────
// `require('netlinkjs')` is paid by every short-lived user (a CLI call, a CNI-style plugin, a
// test worker): nftables, conntrack and generic netlink are loaded when first called, so
// startup pays only for what the process uses (scripts/bench/load.mjs measures it).
import type * as NftModule from './nfnetlink/nftables/index';
import type * as ConntrackModule from './nfnetlink/conntrack/index';
import type * as GenlModule from './genetlink/genl';
import type * as DevlinkModule from './genetlink/devlink/devlink';
import type * as EthtoolModule from './genetlink/ethtool/ethtool';

const loadNft = (): typeof NftModule => require('./nfnetlink/nftables/index');
const loadConntrack = (): typeof ConntrackModule => require('./nfnetlink/conntrack/index');

/** An object whose members load their module on first access. */
function lazy<T extends object, K extends keyof T>(load: () => T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) Object.defineProperty(out, k, { enumerable: true, get: () => load()[k] });
  return out;
}

/** nftables: `nl.nft.open({ netns })` → Nft (apply / list / monitor). Equivalent to: nft */
export const nft: typeof NftModule.nft = lazy(() => loadNft().nft, ['open']);
/** `nl.nft.open` under a name of its own (for named imports). Equivalent to: nft */
export const openNft: typeof NftModule.openNft = (opts) => loadNft().openNft(opts);
/** Connection tracking: `nl.conntrack.open({ netns })` → Conntrack. Equivalent to: conntrack */
export const conntrack: typeof ConntrackModule.conntrack = lazy(() => loadConntrack().conntrack, ['open']);
/** `nl.conntrack.open` under a name of its own (for named imports). Equivalent to: conntrack */
export const openConntrack: typeof ConntrackModule.openConntrack = (opts) => loadConntrack().openConntrack(opts);
/** Generic netlink, raw: `nl.genl.open({ netns })` → Genl (family resolution, requests, events). */
export const genl: Pick<typeof GenlModule, 'open' | 'Genl'> = lazy((): typeof GenlModule => require('./genetlink/genl'), ['open', 'Genl']);
/** devlink: `nl.devlink.open({ netns })` → Devlink (eswitch, ports, rates, params, health). Equivalent to: devlink */
export const devlink: Pick<typeof DevlinkModule, 'open' | 'Devlink' | 'decodeDevlinkEvent'> =
  lazy((): typeof DevlinkModule => require('./genetlink/devlink/devlink'), ['open', 'Devlink', 'decodeDevlinkEvent']);
/** ethtool over netlink: `nl.ethtool.open({ netns })` → Ethtool. Equivalent to: ethtool */
export const ethtool: Pick<typeof EthtoolModule, 'open' | 'Ethtool' | 'decodeStringSet'> =
  lazy((): typeof EthtoolModule => require('./genetlink/ethtool/ethtool'), ['open', 'Ethtool', 'decodeStringSet']);
