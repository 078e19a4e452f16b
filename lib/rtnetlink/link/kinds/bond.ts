/**
 * Kind 'bond': IFLA_BOND_* (the bond, `link.info`) and IFLA_BOND_SLAVE_* (each port,
 * `link.slaveInfo`). Enumerations use the names iproute2 and sysfs use ('active-backup',
 * 'layer3+4' …). Times are in milliseconds, as the kernel counts them.
 */
import { ValidationError } from '../../../errors';
import { defineSchema, forEachAttr, type AttrSpec } from '../../../wire/attributes';
import { AF_INET, AF_INET6 } from '../../../wire/constants';
import { formatIp, parseIp } from '../../../wire/address';
import type { LinkRef } from '../../request/link-ref';
import { b8, defineKind, enumAttr, macAttr, names, u32, u8 } from './kind-codec';

/** IFLA_BOND_* attribute numbers. */
export const IFLA_BOND = {
  MODE: 1, ACTIVE_SLAVE: 2, MIIMON: 3, UPDELAY: 4, DOWNDELAY: 5, USE_CARRIER: 6, ARP_INTERVAL: 7,
  ARP_IP_TARGET: 8, ARP_VALIDATE: 9, ARP_ALL_TARGETS: 10, PRIMARY: 11, PRIMARY_RESELECT: 12,
  FAIL_OVER_MAC: 13, XMIT_HASH_POLICY: 14, RESEND_IGMP: 15, NUM_PEER_NOTIF: 16,
  ALL_SLAVES_ACTIVE: 17, MIN_LINKS: 18, LP_INTERVAL: 19, PACKETS_PER_SLAVE: 20, AD_LACP_RATE: 21,
  AD_SELECT: 22, AD_INFO: 23, AD_ACTOR_SYS_PRIO: 24, AD_USER_PORT_KEY: 25, AD_ACTOR_SYSTEM: 26,
  TLB_DYNAMIC_LB: 27, PEER_NOTIF_DELAY: 28, AD_LACP_ACTIVE: 29, MISSED_MAX: 30,
  NS_IP6_TARGET: 31, COUPLED_CONTROL: 32,
} as const;

/** IFLA_BOND_SLAVE_* attribute numbers. */
export const IFLA_BOND_SLAVE = {
  STATE: 1, MII_STATUS: 2, LINK_FAILURE_COUNT: 3, PERM_HWADDR: 4, QUEUE_ID: 5, AD_AGGREGATOR_ID: 6,
  AD_ACTOR_OPER_PORT_STATE: 7, AD_PARTNER_OPER_PORT_STATE: 8, PRIO: 9,
} as const;

/** Bonding modes (BOND_MODE_*). */
export const BOND_MODES = {
  'balance-rr': 0, 'active-backup': 1, 'balance-xor': 2, broadcast: 3, '802.3ad': 4, 'balance-tlb': 5, 'balance-alb': 6,
} as const;
const ARP_VALIDATE = { none: 0, active: 1, backup: 2, all: 3, filter: 4, filter_active: 5, filter_backup: 6 } as const;
const ARP_ALL_TARGETS = { any: 0, all: 1 } as const;
const PRIMARY_RESELECT = { always: 0, better: 1, failure: 2 } as const;
const FAIL_OVER_MAC = { none: 0, active: 1, follow: 2 } as const;
const XMIT_HASH_POLICY = { layer2: 0, 'layer3+4': 1, 'layer2+3': 2, 'encap2+3': 3, 'encap3+4': 4, 'vlan+srcmac': 5 } as const;
const LACP_RATE = { slow: 0, fast: 1 } as const;
const AD_SELECT = { stable: 0, bandwidth: 1, count: 2 } as const;

/** Options of a bond. */
export interface BondOptions {
  mode?: keyof typeof BOND_MODES;
  activeSlave?: LinkRef;
  /** MII link monitoring interval, ms (0: off). */
  miimon?: number;
  updelay?: number;
  downdelay?: number;
  peerNotifyDelay?: number;
  useCarrier?: boolean;
  /** ARP monitoring interval, ms. */
  arpInterval?: number;
  /** IPv4 ARP monitoring targets (up to 16). */
  arpIpTargets?: string[];
  /** IPv6 NS monitoring targets. */
  nsIp6Targets?: string[];
  arpValidate?: keyof typeof ARP_VALIDATE;
  arpAllTargets?: keyof typeof ARP_ALL_TARGETS;
  primary?: LinkRef;
  primaryReselect?: keyof typeof PRIMARY_RESELECT;
  failOverMac?: keyof typeof FAIL_OVER_MAC;
  xmitHashPolicy?: keyof typeof XMIT_HASH_POLICY;
  resendIgmp?: number;
  numPeerNotif?: number;
  allSlavesActive?: boolean;
  minLinks?: number;
  lpInterval?: number;
  packetsPerSlave?: number;
  adLacpRate?: keyof typeof LACP_RATE;
  adSelect?: keyof typeof AD_SELECT;
  adActorSysPrio?: number;
  adUserPortKey?: number;
  adActorSystem?: string;
  tlbDynamicLb?: boolean;
  adLacpActive?: boolean;
  missedMax?: number;
  coupledControl?: boolean;
}

/** 802.3ad aggregator state (IFLA_BOND_AD_INFO). */
export interface BondAdInfo {
  aggregator?: number;
  numPorts?: number;
  actorKey?: number;
  partnerKey?: number;
  partnerMac?: string;
}

/** `link.info` of a bond (link references as ifindexes). */
export interface BondInfo extends Omit<BondOptions, 'activeSlave' | 'primary'> {
  activeSlave?: number;
  primary?: number;
  adInfo?: BondAdInfo;
}

/** `link.slaveInfo` of a bond port. */
export interface BondPortInfo {
  state?: 'active' | 'backup' | number;
  miiStatus?: 'up' | 'fail' | 'down' | 'back' | number;
  linkFailureCount?: number;
  permHwaddr?: string;
  queueId?: number;
  adAggregatorId?: number;
  adActorOperPortState?: number;
  adPartnerOperPortState?: number;
  prio?: number;
}

/** A nest of addresses whose attribute types are just their positions (0, 1, …). */
function addressList(name: string, family: typeof AF_INET | typeof AF_INET6, max: number): AttrSpec {
  return {
    name,
    type: 'nested',
    decode: (b, o, l) => {
      const out: string[] = [];
      forEachAttr(b, o, o + l, (_t, at, len) => {
        if (len === 4 || len === 16) out.push(formatIp(b, at, len));
      }, `bond.${name}`);
      return out;
    },
    encode: (w, t, v, field) => {
      if (!Array.isArray(v)) throw new ValidationError(field, 'expected an array of addresses');
      if (v.length > max) throw new ValidationError(field, `at most ${max} targets`);
      const ips = v.map((a, i) => parseIp(a, `${field}[${i}]`, family).bytes);
      w.nestStart(t, field);
      ips.forEach((ip, i) => w.bytes(i, ip));
      w.nestEnd();
    },
  };
}

const adInfoSchema = defineSchema('bond.adInfo', {
  1: { name: 'aggregator', type: 'u16' },
  2: { name: 'numPorts', type: 'u16' },
  3: { name: 'actorKey', type: 'u16' },
  4: { name: 'partnerKey', type: 'u16' },
  5: { name: 'partnerMac', type: 'mac' },
});


/** The bond IFLA_INFO_DATA table. */
export const bondSchema = defineSchema('bond', {
  [IFLA_BOND.MODE]: enumAttr('mode', 'u8', BOND_MODES),
  [IFLA_BOND.ACTIVE_SLAVE]: u32('activeSlave'),
  [IFLA_BOND.MIIMON]: u32('miimon'),
  [IFLA_BOND.UPDELAY]: u32('updelay'),
  [IFLA_BOND.DOWNDELAY]: u32('downdelay'),
  [IFLA_BOND.USE_CARRIER]: b8('useCarrier'),
  [IFLA_BOND.ARP_INTERVAL]: u32('arpInterval'),
  [IFLA_BOND.ARP_IP_TARGET]: addressList('arpIpTargets', AF_INET, 16),
  [IFLA_BOND.ARP_VALIDATE]: enumAttr('arpValidate', 'u32', ARP_VALIDATE),
  [IFLA_BOND.ARP_ALL_TARGETS]: enumAttr('arpAllTargets', 'u32', ARP_ALL_TARGETS),
  [IFLA_BOND.PRIMARY]: u32('primary'),
  [IFLA_BOND.PRIMARY_RESELECT]: enumAttr('primaryReselect', 'u8', PRIMARY_RESELECT),
  [IFLA_BOND.FAIL_OVER_MAC]: enumAttr('failOverMac', 'u8', FAIL_OVER_MAC),
  [IFLA_BOND.XMIT_HASH_POLICY]: enumAttr('xmitHashPolicy', 'u8', XMIT_HASH_POLICY),
  [IFLA_BOND.RESEND_IGMP]: u32('resendIgmp'),
  [IFLA_BOND.NUM_PEER_NOTIF]: u8('numPeerNotif'),
  [IFLA_BOND.ALL_SLAVES_ACTIVE]: b8('allSlavesActive'),
  [IFLA_BOND.MIN_LINKS]: u32('minLinks'),
  [IFLA_BOND.LP_INTERVAL]: u32('lpInterval'),
  [IFLA_BOND.PACKETS_PER_SLAVE]: u32('packetsPerSlave'),
  [IFLA_BOND.AD_LACP_RATE]: enumAttr('adLacpRate', 'u8', LACP_RATE),
  [IFLA_BOND.AD_SELECT]: enumAttr('adSelect', 'u8', AD_SELECT),
  [IFLA_BOND.AD_INFO]: { name: 'adInfo', type: 'nested', nested: adInfoSchema },
  [IFLA_BOND.AD_ACTOR_SYS_PRIO]: { name: 'adActorSysPrio', type: 'u16' },
  [IFLA_BOND.AD_USER_PORT_KEY]: { name: 'adUserPortKey', type: 'u16' },
  [IFLA_BOND.AD_ACTOR_SYSTEM]: macAttr('adActorSystem'),
  [IFLA_BOND.TLB_DYNAMIC_LB]: b8('tlbDynamicLb'),
  [IFLA_BOND.PEER_NOTIF_DELAY]: u32('peerNotifyDelay'),
  [IFLA_BOND.AD_LACP_ACTIVE]: b8('adLacpActive'),
  [IFLA_BOND.MISSED_MAX]: u8('missedMax'),
  [IFLA_BOND.NS_IP6_TARGET]: addressList('nsIp6Targets', AF_INET6, 16),
  [IFLA_BOND.COUPLED_CONTROL]: b8('coupledControl'),
});

/** The bond port IFLA_INFO_SLAVE_DATA table. */
export const bondPortSchema = defineSchema('bondPort', {
  [IFLA_BOND_SLAVE.STATE]: enumAttr('state', 'u8', { active: 0, backup: 1 }),
  [IFLA_BOND_SLAVE.MII_STATUS]: enumAttr('miiStatus', 'u8', { up: 0, fail: 1, down: 2, back: 3 }),
  [IFLA_BOND_SLAVE.LINK_FAILURE_COUNT]: u32('linkFailureCount'),
  [IFLA_BOND_SLAVE.PERM_HWADDR]: { name: 'permHwaddr', type: 'mac' },
  [IFLA_BOND_SLAVE.QUEUE_ID]: { name: 'queueId', type: 'u16' },
  [IFLA_BOND_SLAVE.AD_AGGREGATOR_ID]: { name: 'adAggregatorId', type: 'u16' },
  [IFLA_BOND_SLAVE.AD_ACTOR_OPER_PORT_STATE]: u8('adActorOperPortState'),
  [IFLA_BOND_SLAVE.AD_PARTNER_OPER_PORT_STATE]: { name: 'adPartnerOperPortState', type: 'u16' },
  [IFLA_BOND_SLAVE.PRIO]: { name: 'prio', type: 's32' },
});

defineKind({
  kind: 'bond',
  optionsKey: 'bond',
  data: { schema: bondSchema, readOnly: names('adInfo'), linkFields: names('activeSlave', 'primary') },
  fromWire(info) {
    // The kernel reports "no active slave / no primary" by leaving the attribute out or as 0.
    if (info.activeSlave === 0) delete info.activeSlave;
    if (info.primary === 0) delete info.primary;
    return info;
  },
  slave: {
    schema: bondPortSchema,
    readOnly: names('state', 'miiStatus', 'linkFailureCount', 'permHwaddr', 'adAggregatorId', 'adActorOperPortState', 'adPartnerOperPortState'),
  },
});
