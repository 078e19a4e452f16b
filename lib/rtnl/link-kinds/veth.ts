/**
 * Kind 'veth': a pair of Ethernet devices joined back to back. The far end is described by
 * `peer` (its own ifinfomsg and IFLA_* attributes inside VETH_INFO_PEER), so it can be named,
 * addressed, brought up and created straight in another namespace in the same request.
 * The kernel reports no IFLA_INFO_DATA for veth: the peer shows as `link` (its ifindex) and
 * `linkNetnsId` (when it lives in another namespace).
 */
import { encodeVethPeer } from '../link-spec';
import { registerLinkKind } from './registry';

registerLinkKind({ kind: 'veth', optionsKey: 'peer', encodeData: encodeVethPeer });
