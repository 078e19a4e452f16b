/**
 * netlinkjs: Linux rtnetlink, network namespaces, TUN/TAP and macvtap for Node.js.
 *
 *   import * as nl from 'netlinkjs';
 *   const rt = await nl.open();
 *   console.log(await rt.link.list());
 *
 * Names are listed explicitly (no `export *`) so the ES module wrapper can re-export them.
 */
export { open, Rtnl, type OpenOptions } from './rtnl/handle';
export { NetlinkError, ValidationError, ParseError, errnoCode, type SystemError } from './errors';
export { DumpInterruptedError } from './rtnl/engine';
export type { Link } from './rtnl/link-decode';
export type { LinkStats } from './rtnl/link-schema';
export type { LinkRef } from './rtnl/link-ref';
export type { Address } from './rtnl/address-decode';
export type { Route } from './rtnl/route-decode';
export type { NextHop, RouteMetrics } from './rtnl/route-schema';
export type { LinkListOptions, LinkGetOptions } from './rtnl/link';
export type { AddressListOptions } from './rtnl/address';
export type { RouteListOptions, TableRef } from './rtnl/route';
export type { NetnsRef } from './netns-ref';
// ── exports added by each area below this line ──
export type { AddressOptions, AddressDelOptions, AddressFlushOptions, AddressApi, Lifetime } from './rtnl/address';
export type { AddressFlagName, AddressCacheInfo } from './rtnl/address-schema';
export type { RouteSpec, RouteType, NextHopSpec, RouteMetricsSpec, RouteGetOptions, RouteApi } from './rtnl/route';
export type { NeighSpec, NeighState, NeighListOptions, NeighApi } from './rtnl/neigh';
export type { Neighbour } from './rtnl/neigh-decode';
export type { NeighCacheInfo } from './rtnl/neigh-schema';
export type { FdbSpec, FdbState, FdbListOptions, FdbEntry, FdbApi } from './rtnl/fdb';
export type { RuleSpec, RuleAction, RuleListOptions, RuleApi } from './rtnl/rule';
export type { Rule } from './rtnl/rule-decode';
export type { RuleRange } from './rtnl/rule-schema';
export type { BatchOp, BatchResult, BatchOptions } from './rtnl/batch';
export type { LinkApi, LinkRequestOptions } from './rtnl/link';
export { isLinkKind, type LinkInfoMap, type LinkSlaveInfoMap } from './rtnl/link-decode';
export type {
  LinkAddSpec, LinkChanges, LinkSettings, LinkAddBase, VethPeerOptions, VethAddSpec, BridgeAddSpec, VlanAddSpec,
  MacvlanAddSpec, VxlanAddSpec, GeneveAddSpec, GreAddSpec, IpvlanAddSpec, BondAddSpec, DummyAddSpec, VrfAddSpec,
  OtherAddSpec, BondPortOptions,
} from './rtnl/link-spec';
export type {
  BridgeOptions, BridgeInfo, BridgePortOptions, BridgePortInfo, VlanOptions, VlanInfo, VlanFlags, VlanQosMapping,
  MacvlanOptions, MacvlanInfo, MacvlanMode, MacvlanSourceMacChanges, VxlanOptions, VxlanInfo, GeneveOptions, GeneveInfo,
  GreOptions, GreInfo, IpvlanOptions, IpvlanInfo, BondOptions, BondInfo, BondPortInfo, BondAdInfo, VrfOptions, VrfInfo,
  VrfPortInfo, TunInfo,
} from './rtnl/link-kinds/index';
export type {
  BridgeVlanApi, BridgeVlanSpec, BridgeVlan, BridgeVlanPort, BridgeVlanListOptions, BridgeVlanRequestOptions,
} from './rtnl/bridge-vlan';
export * as netns from './netns/netns';
export type { NetnsHandle, NetnsOpenRef, NetnsSpawnOptions, NetnsError } from './netns/netns';
export type { NetnsIdApi, NetnsIdOptions } from './rtnl/netns-id';
export * as sriov from './sriov';
export { SriovError, type SriovLinkRef } from './sriov';
export type { VfApi, VfChanges, VfVlanChange, VfListOptions, VfSetOptions } from './rtnl/vf';
export type { VfInfo, VfVlan, VfStats, VfLinkState } from './rtnl/vf-schema';
export { monitor, Monitor, type MonitorOptions } from './monitor/monitor';
export { MonitorView } from './monitor/view';
export type { MonitorGroup } from './monitor/groups';
export type {
  MonitorEvent, MonitorAction, ObjectEvent, LinkEvent, AddressEvent, RouteEvent, NeighEvent, FdbEvent, RuleEvent,
  NsidEvent, VlanEvent, ResyncEvent,
} from './monitor/events';
export { tap, macvtap, Tap, FrameBatch, readVnetHeader, encodeVnetHeader } from './tap';
export type {
  TapStats, TapKind, PacketInfo, TapOptions, MacvtapOptions, TapStreamOptions, Offload, PumpOptions, CommonTapOptions,
  VnetHeader, GsoType,
} from './tap';
export { L2Switch, SwitchPort } from './switch';
export type {
  L2SwitchOptions, PortOptions, PortStats, L2SwitchStats, SwitchDrops, SwitchDevice, FdbEntry as SwitchFdbEntry,
} from './switch';
