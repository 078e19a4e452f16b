/**
 * Kind 'tun' (TUN and TAP devices), read side: IFLA_TUN_* in `link.info`. The kernel creates
 * these only through /dev/net/tun (see nl.tap.open), so there are no add options; an add with
 * kind 'tun' gets the kernel's own refusal.
 */
import { defineSchema } from '../../../wire/attributes';
import { defineKind, enumAttr } from './kind-codec';

/** IFLA_TUN_* attribute numbers. */
export const IFLA_TUN = {
  OWNER: 1, GROUP: 2, TYPE: 3, PI: 4, VNET_HDR: 5, PERSIST: 6, MULTI_QUEUE: 7, NUM_QUEUES: 8,
  NUM_DISABLED_QUEUES: 9,
} as const;

/** `link.info` of a TUN/TAP device. */
export interface TunInfo {
  /** 'tun' (IP packets) or 'tap' (Ethernet frames). */
  type: 'tun' | 'tap' | number;
  /** Owning uid / gid, when one was set. */
  owner?: number;
  group?: number;
  /** Packet information header (IFF_NO_PI off). */
  pi: boolean;
  vnetHdr: boolean;
  persist: boolean;
  multiQueue: boolean;
  numQueues?: number;
  numDisabledQueues?: number;
}

/** The tun IFLA_INFO_DATA table. */
export const tunSchema = defineSchema('tun', {
  [IFLA_TUN.OWNER]: { name: 'owner', type: 'u32' },
  [IFLA_TUN.GROUP]: { name: 'group', type: 'u32' },
  [IFLA_TUN.TYPE]: enumAttr('type', 'u8', { tun: 1, tap: 2 }),
  [IFLA_TUN.PI]: { name: 'pi', type: 'bool8' },
  [IFLA_TUN.VNET_HDR]: { name: 'vnetHdr', type: 'bool8' },
  [IFLA_TUN.PERSIST]: { name: 'persist', type: 'bool8' },
  [IFLA_TUN.MULTI_QUEUE]: { name: 'multiQueue', type: 'bool8' },
  [IFLA_TUN.NUM_QUEUES]: { name: 'numQueues', type: 'u32' },
  [IFLA_TUN.NUM_DISABLED_QUEUES]: { name: 'numDisabledQueues', type: 'u32' },
});

defineKind({
  kind: 'tun',
  data: { schema: tunSchema },
});
