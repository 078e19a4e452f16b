/**
 * Registers every link kind codec. Importing this module once (the link API does) makes
 * `link.info` typed for each kind and the kind options of add/set available.
 */
import './bridge';
import './vlan';
import './macvlan';
import './vxlan';
import './geneve';
import './gretap';
import './ipvlan';
import './bond';
import './dummy';
import './vrf';
import './tun';

export type { BridgeOptions, BridgeInfo, BridgePortOptions, BridgePortInfo } from './bridge';
export type { VlanOptions, VlanInfo, VlanFlags, VlanQosMapping } from './vlan';
export type { MacvlanOptions, MacvlanInfo, MacvlanMode, MacvlanSourceMacChanges } from './macvlan';
export type { VxlanOptions, VxlanInfo } from './vxlan';
export type { GeneveOptions, GeneveInfo } from './geneve';
export type { GreOptions, GreInfo } from './gretap';
export type { IpvlanOptions, IpvlanInfo } from './ipvlan';
export type { BondOptions, BondInfo, BondPortInfo, BondAdInfo } from './bond';
export type { VrfOptions, VrfInfo, VrfPortInfo } from './vrf';
export type { TunInfo } from './tun';
export { decodeBridgePort } from './bridge';
