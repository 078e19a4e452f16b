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
export * as netns from './netns/netns';
export type { NetnsHandle, NetnsOpenRef, NetnsSpawnOptions, NetnsError } from './netns/netns';
export type { NetnsIdApi, NetnsIdOptions } from './rtnl/netns-id';
