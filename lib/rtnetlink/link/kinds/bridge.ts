/**
 * Kind 'bridge': IFLA_BR_* (bridge settings, `link.info`) and IFLA_BRPORT_* (settings of each
 * port, `link.bridgePort`). The port table serves three places: IFLA_INFO_SLAVE_DATA of a port
 * in an ordinary link dump, IFLA_PROTINFO in AF_BRIDGE dumps, and `rt.link.set(port,
 * { bridgePort })`. Timers are in milliseconds (the kernel counts hundredths of a second).
 */
import { ValidationError } from '../../../errors';
import { decodeAttrs, defineSchema, type AttrSpec } from '../../../wire/attributes';
import {
  b8, bridgeIdAttr, centisecondsAsMs, checkBool, defineKind, enumAttr, macAttr, names, u16, u32, u8, vlanProtocolAttr,
} from './kind-codec';

/** IFLA_BR_* attribute numbers. */
export const IFLA_BR = {
  FORWARD_DELAY: 1, HELLO_TIME: 2, MAX_AGE: 3, AGEING_TIME: 4, STP_STATE: 5, PRIORITY: 6,
  VLAN_FILTERING: 7, VLAN_PROTOCOL: 8, GROUP_FWD_MASK: 9, ROOT_ID: 10, BRIDGE_ID: 11, ROOT_PORT: 12,
  ROOT_PATH_COST: 13, TOPOLOGY_CHANGE: 14, TOPOLOGY_CHANGE_DETECTED: 15, HELLO_TIMER: 16,
  TCN_TIMER: 17, TOPOLOGY_CHANGE_TIMER: 18, GC_TIMER: 19, GROUP_ADDR: 20, FDB_FLUSH: 21,
  MCAST_ROUTER: 22, MCAST_SNOOPING: 23, MCAST_QUERY_USE_IFADDR: 24, MCAST_QUERIER: 25,
  MCAST_HASH_ELASTICITY: 26, MCAST_HASH_MAX: 27, MCAST_LAST_MEMBER_CNT: 28,
  MCAST_STARTUP_QUERY_CNT: 29, MCAST_LAST_MEMBER_INTVL: 30, MCAST_MEMBERSHIP_INTVL: 31,
  MCAST_QUERIER_INTVL: 32, MCAST_QUERY_INTVL: 33, MCAST_QUERY_RESPONSE_INTVL: 34,
  MCAST_STARTUP_QUERY_INTVL: 35, NF_CALL_IPTABLES: 36, NF_CALL_IP6TABLES: 37, NF_CALL_ARPTABLES: 38,
  VLAN_DEFAULT_PVID: 39, VLAN_STATS_ENABLED: 41, MCAST_STATS_ENABLED: 42, MCAST_IGMP_VERSION: 43,
  MCAST_MLD_VERSION: 44, VLAN_STATS_PER_PORT: 45, MULTI_BOOLOPT: 46, MCAST_QUERIER_STATE: 47,
  FDB_N_LEARNED: 48, FDB_MAX_LEARNED: 49,
} as const;

/** IFLA_BRPORT_* attribute numbers. */
export const IFLA_BRPORT = {
  STATE: 1, PRIORITY: 2, COST: 3, MODE: 4, GUARD: 5, PROTECT: 6, FAST_LEAVE: 7, LEARNING: 8,
  UNICAST_FLOOD: 9, PROXYARP: 10, LEARNING_SYNC: 11, PROXYARP_WIFI: 12, ROOT_ID: 13, BRIDGE_ID: 14,
  DESIGNATED_PORT: 15, DESIGNATED_COST: 16, ID: 17, NO: 18, TOPOLOGY_CHANGE_ACK: 19,
  CONFIG_PENDING: 20, MESSAGE_AGE_TIMER: 21, FORWARD_DELAY_TIMER: 22, HOLD_TIMER: 23, FLUSH: 24,
  MULTICAST_ROUTER: 25, MCAST_FLOOD: 27, MCAST_TO_UCAST: 28, VLAN_TUNNEL: 29, BCAST_FLOOD: 30,
  GROUP_FWD_MASK: 31, NEIGH_SUPPRESS: 32, ISOLATED: 33, BACKUP_PORT: 34, MRP_RING_OPEN: 35,
  MRP_IN_OPEN: 36, MCAST_EHT_HOSTS_LIMIT: 37, MCAST_EHT_HOSTS_CNT: 38, LOCKED: 39, MAB: 40,
  MCAST_N_GROUPS: 41, MCAST_MAX_GROUPS: 42, NEIGH_VLAN_SUPPRESS: 43, BACKUP_NHID: 44,
} as const;

/** Bridge settings for `rt.link.add({ kind: 'bridge', bridge })` and `rt.link.set(br, { bridge })`. */
export interface BridgeOptions {
  /** Kernel STP on (true) or off. */
  stp?: boolean;
  forwardDelayMs?: number;
  helloTimeMs?: number;
  maxAgeMs?: number;
  /** FDB entry lifetime (ip: ageing_time, in hundredths of a second there). */
  ageingTimeMs?: number;
  /** Bridge priority (0–65535). */
  priority?: number;
  vlanFiltering?: boolean;
  vlanProtocol?: '802.1Q' | '802.1ad';
  /** PVID given to new ports (0: none). */
  defaultPvid?: number;
  vlanStatsEnabled?: boolean;
  vlanStatsPerPort?: boolean;
  groupFwdMask?: number;
  groupAddress?: string;
  mcastSnooping?: boolean;
  /** 0 disabled, 1 learned from queries (default), 2 always. */
  mcastRouter?: number;
  mcastQuerier?: boolean;
  mcastQueryUseIfaddr?: boolean;
  mcastHashElasticity?: number;
  mcastHashMax?: number;
  mcastLastMemberCount?: number;
  mcastStartupQueryCount?: number;
  mcastLastMemberIntervalMs?: number;
  mcastMembershipIntervalMs?: number;
  mcastQuerierIntervalMs?: number;
  mcastQueryIntervalMs?: number;
  mcastQueryResponseIntervalMs?: number;
  mcastStartupQueryIntervalMs?: number;
  mcastStatsEnabled?: boolean;
  mcastIgmpVersion?: number;
  mcastMldVersion?: number;
  nfCallIptables?: boolean;
  nfCallIp6tables?: boolean;
  nfCallArptables?: boolean;
  /** Don't learn from link-local frames. */
  noLinklocalLearn?: boolean;
  mcastVlanSnooping?: boolean;
  mstEnable?: boolean;
  /** Flush the FDB (set only). */
  fdbFlush?: true;
  fdbMaxLearned?: number;
}

/** `link.info` of a bridge: its settings plus the STP state the kernel reports. */
export interface BridgeInfo extends Omit<BridgeOptions, 'fdbFlush'> {
  rootId?: string;
  bridgeId?: string;
  rootPort?: number;
  rootPathCost?: number;
  topologyChange?: boolean;
  topologyChangeDetected?: boolean;
  helloTimerMs?: number;
  tcnTimerMs?: number;
  topologyChangeTimerMs?: number;
  gcTimerMs?: number;
  fdbNLearned?: number;
}

/** STP port states (BR_STATE_*). */
export const BRIDGE_PORT_STATES = { disabled: 0, listening: 1, learning: 2, forwarding: 3, blocking: 4 } as const;

/** Port settings for `rt.link.set(port, { bridgePort })`. */
export interface BridgePortOptions {
  state?: keyof typeof BRIDGE_PORT_STATES;
  priority?: number;
  cost?: number;
  /** Send frames back out of the port they came in on (needed next to VEPA macvlans). */
  hairpin?: boolean;
  /** BPDU guard (ip: guard). */
  guard?: boolean;
  /** Alias of `guard`. */
  bpduGuard?: boolean;
  /** Root port protection (ip: root_block). */
  rootBlock?: boolean;
  fastLeave?: boolean;
  learning?: boolean;
  /** Unicast flooding of unknown destinations. */
  flood?: boolean;
  mcastFlood?: boolean;
  bcastFlood?: boolean;
  mcastToUcast?: boolean;
  proxyArp?: boolean;
  proxyArpWifi?: boolean;
  learningSync?: boolean;
  multicastRouter?: number;
  vlanTunnel?: boolean;
  groupFwdMask?: number;
  neighSuppress?: boolean;
  neighVlanSuppress?: boolean;
  isolated?: boolean;
  /** Port that takes over when this one loses carrier; null removes it. */
  backupPort?: string | number | { index: number } | null;
  locked?: boolean;
  mab?: boolean;
  mcastEhtHostsLimit?: number;
  mcastMaxGroups?: number;
  /** Flush this port's FDB entries. */
  flush?: true;
}

/** `link.bridgePort`: port settings plus the STP state the kernel reports. */
export interface BridgePortInfo extends Omit<BridgePortOptions, 'bpduGuard' | 'flush' | 'backupPort'> {
  /** ifindex of the backup port. */
  backupPort?: number;
  rootId?: string;
  bridgeId?: string;
  designatedPort?: number;
  designatedCost?: number;
  id?: number;
  no?: number;
  topologyChangeAck?: boolean;
  configPending?: boolean;
  messageAgeTimerMs?: number;
  forwardDelayTimerMs?: number;
  holdTimerMs?: number;
  mcastEhtHostsCnt?: number;
  mcastNGroups?: number;
}


const BOOLOPTS = ['noLinklocalLearn', 'mcastVlanSnooping', 'mstEnable'] as const;

/** struct br_boolopt_multi { u32 optval; u32 optmask } ⇄ named booleans. */
const boolopts: AttrSpec = {
  name: 'boolopts',
  type: 'binary',
  decode: (b, o, l) => {
    if (l < 8) return undefined;
    const val = b.readUInt32LE(o);
    const mask = b.readUInt32LE(o + 4);
    const out: Record<string, boolean> = {};
    BOOLOPTS.forEach((n, bit) => {
      if (mask & (1 << bit)) out[n] = (val & (1 << bit)) !== 0;
    });
    return out;
  },
  encode: (w, t, v: Record<string, boolean>, field) => {
    const buf = Buffer.alloc(8);
    let val = 0;
    let mask = 0;
    BOOLOPTS.forEach((n, bit) => {
      if (v[n] === undefined) return;
      mask |= 1 << bit;
      if (checkBool(v[n], `${field.replace(/\.boolopts$/, '')}.${n}`)) val |= 1 << bit;
    });
    buf.writeUInt32LE(val, 0);
    buf.writeUInt32LE(mask, 4);
    w.bytes(t, buf, field);
  },
};

/** IFLA_BR_STP_STATE: 0 off, 1 kernel STP, 2 user-space STP; exposed as a boolean. */
const stpState: AttrSpec = {
  name: 'stp',
  type: 'u32',
  decode: (b, o, l) => (l >= 4 ? b.readUInt32LE(o) !== 0 : undefined),
  encode: (w, t, v, field) => {
    w.u32(t, checkBool(v, field) ? 1 : 0, field);
  },
};

/** The bridge's IFLA_INFO_DATA table. */
export const bridgeSchema = defineSchema('bridge', {
  [IFLA_BR.FORWARD_DELAY]: centisecondsAsMs('forwardDelayMs', 'u32'),
  [IFLA_BR.HELLO_TIME]: centisecondsAsMs('helloTimeMs', 'u32'),
  [IFLA_BR.MAX_AGE]: centisecondsAsMs('maxAgeMs', 'u32'),
  [IFLA_BR.AGEING_TIME]: centisecondsAsMs('ageingTimeMs', 'u32'),
  [IFLA_BR.STP_STATE]: stpState,
  [IFLA_BR.PRIORITY]: u16('priority'),
  [IFLA_BR.VLAN_FILTERING]: b8('vlanFiltering'),
  [IFLA_BR.VLAN_PROTOCOL]: vlanProtocolAttr('vlanProtocol'),
  [IFLA_BR.GROUP_FWD_MASK]: u16('groupFwdMask'),
  [IFLA_BR.ROOT_ID]: bridgeIdAttr('rootId'),
  [IFLA_BR.BRIDGE_ID]: bridgeIdAttr('bridgeId'),
  [IFLA_BR.ROOT_PORT]: u16('rootPort'),
  [IFLA_BR.ROOT_PATH_COST]: u32('rootPathCost'),
  [IFLA_BR.TOPOLOGY_CHANGE]: b8('topologyChange'),
  [IFLA_BR.TOPOLOGY_CHANGE_DETECTED]: b8('topologyChangeDetected'),
  [IFLA_BR.HELLO_TIMER]: centisecondsAsMs('helloTimerMs', 'u64'),
  [IFLA_BR.TCN_TIMER]: centisecondsAsMs('tcnTimerMs', 'u64'),
  [IFLA_BR.TOPOLOGY_CHANGE_TIMER]: centisecondsAsMs('topologyChangeTimerMs', 'u64'),
  [IFLA_BR.GC_TIMER]: centisecondsAsMs('gcTimerMs', 'u64'),
  [IFLA_BR.GROUP_ADDR]: macAttr('groupAddress'),
  [IFLA_BR.FDB_FLUSH]: { name: 'fdbFlush', type: 'flag' },
  [IFLA_BR.MCAST_ROUTER]: u8('mcastRouter'),
  [IFLA_BR.MCAST_SNOOPING]: b8('mcastSnooping'),
  [IFLA_BR.MCAST_QUERY_USE_IFADDR]: b8('mcastQueryUseIfaddr'),
  [IFLA_BR.MCAST_QUERIER]: b8('mcastQuerier'),
  [IFLA_BR.MCAST_HASH_ELASTICITY]: u32('mcastHashElasticity'),
  [IFLA_BR.MCAST_HASH_MAX]: u32('mcastHashMax'),
  [IFLA_BR.MCAST_LAST_MEMBER_CNT]: u32('mcastLastMemberCount'),
  [IFLA_BR.MCAST_STARTUP_QUERY_CNT]: u32('mcastStartupQueryCount'),
  [IFLA_BR.MCAST_LAST_MEMBER_INTVL]: centisecondsAsMs('mcastLastMemberIntervalMs', 'u64'),
  [IFLA_BR.MCAST_MEMBERSHIP_INTVL]: centisecondsAsMs('mcastMembershipIntervalMs', 'u64'),
  [IFLA_BR.MCAST_QUERIER_INTVL]: centisecondsAsMs('mcastQuerierIntervalMs', 'u64'),
  [IFLA_BR.MCAST_QUERY_INTVL]: centisecondsAsMs('mcastQueryIntervalMs', 'u64'),
  [IFLA_BR.MCAST_QUERY_RESPONSE_INTVL]: centisecondsAsMs('mcastQueryResponseIntervalMs', 'u64'),
  [IFLA_BR.MCAST_STARTUP_QUERY_INTVL]: centisecondsAsMs('mcastStartupQueryIntervalMs', 'u64'),
  [IFLA_BR.NF_CALL_IPTABLES]: b8('nfCallIptables'),
  [IFLA_BR.NF_CALL_IP6TABLES]: b8('nfCallIp6tables'),
  [IFLA_BR.NF_CALL_ARPTABLES]: b8('nfCallArptables'),
  [IFLA_BR.VLAN_DEFAULT_PVID]: u16('defaultPvid'),
  [IFLA_BR.VLAN_STATS_ENABLED]: b8('vlanStatsEnabled'),
  [IFLA_BR.MCAST_STATS_ENABLED]: b8('mcastStatsEnabled'),
  [IFLA_BR.MCAST_IGMP_VERSION]: u8('mcastIgmpVersion'),
  [IFLA_BR.MCAST_MLD_VERSION]: u8('mcastMldVersion'),
  [IFLA_BR.VLAN_STATS_PER_PORT]: b8('vlanStatsPerPort'),
  [IFLA_BR.MULTI_BOOLOPT]: boolopts,
  [IFLA_BR.MCAST_QUERIER_STATE]: { name: 'mcastQuerierState', type: 'binary' },
  [IFLA_BR.FDB_N_LEARNED]: u32('fdbNLearned'),
  [IFLA_BR.FDB_MAX_LEARNED]: u32('fdbMaxLearned'),
});

/** The port table (IFLA_BRPORT_*), shared by slave data and IFLA_PROTINFO. */
export const bridgePortSchema = defineSchema('bridgePort', {
  [IFLA_BRPORT.STATE]: enumAttr('state', 'u8', BRIDGE_PORT_STATES),
  [IFLA_BRPORT.PRIORITY]: u16('priority'),
  [IFLA_BRPORT.COST]: u32('cost'),
  [IFLA_BRPORT.MODE]: b8('hairpin'),
  [IFLA_BRPORT.GUARD]: b8('guard'),
  [IFLA_BRPORT.PROTECT]: b8('rootBlock'),
  [IFLA_BRPORT.FAST_LEAVE]: b8('fastLeave'),
  [IFLA_BRPORT.LEARNING]: b8('learning'),
  [IFLA_BRPORT.UNICAST_FLOOD]: b8('flood'),
  [IFLA_BRPORT.PROXYARP]: b8('proxyArp'),
  [IFLA_BRPORT.LEARNING_SYNC]: b8('learningSync'),
  [IFLA_BRPORT.PROXYARP_WIFI]: b8('proxyArpWifi'),
  [IFLA_BRPORT.ROOT_ID]: bridgeIdAttr('rootId'),
  [IFLA_BRPORT.BRIDGE_ID]: bridgeIdAttr('bridgeId'),
  [IFLA_BRPORT.DESIGNATED_PORT]: u16('designatedPort'),
  [IFLA_BRPORT.DESIGNATED_COST]: u16('designatedCost'),
  [IFLA_BRPORT.ID]: u16('id'),
  [IFLA_BRPORT.NO]: u16('no'),
  [IFLA_BRPORT.TOPOLOGY_CHANGE_ACK]: b8('topologyChangeAck'),
  [IFLA_BRPORT.CONFIG_PENDING]: b8('configPending'),
  [IFLA_BRPORT.MESSAGE_AGE_TIMER]: centisecondsAsMs('messageAgeTimerMs', 'u64'),
  [IFLA_BRPORT.FORWARD_DELAY_TIMER]: centisecondsAsMs('forwardDelayTimerMs', 'u64'),
  [IFLA_BRPORT.HOLD_TIMER]: centisecondsAsMs('holdTimerMs', 'u64'),
  [IFLA_BRPORT.FLUSH]: { name: 'flush', type: 'flag' },
  [IFLA_BRPORT.MULTICAST_ROUTER]: u8('multicastRouter'),
  [IFLA_BRPORT.MCAST_FLOOD]: b8('mcastFlood'),
  [IFLA_BRPORT.MCAST_TO_UCAST]: b8('mcastToUcast'),
  [IFLA_BRPORT.VLAN_TUNNEL]: b8('vlanTunnel'),
  [IFLA_BRPORT.BCAST_FLOOD]: b8('bcastFlood'),
  [IFLA_BRPORT.GROUP_FWD_MASK]: u16('groupFwdMask'),
  [IFLA_BRPORT.NEIGH_SUPPRESS]: b8('neighSuppress'),
  [IFLA_BRPORT.ISOLATED]: b8('isolated'),
  [IFLA_BRPORT.BACKUP_PORT]: u32('backupPort'),
  [IFLA_BRPORT.MRP_RING_OPEN]: b8('mrpRingOpen'),
  [IFLA_BRPORT.MRP_IN_OPEN]: b8('mrpInOpen'),
  [IFLA_BRPORT.MCAST_EHT_HOSTS_LIMIT]: u32('mcastEhtHostsLimit'),
  [IFLA_BRPORT.MCAST_EHT_HOSTS_CNT]: u32('mcastEhtHostsCnt'),
  [IFLA_BRPORT.LOCKED]: b8('locked'),
  [IFLA_BRPORT.MAB]: b8('mab'),
  [IFLA_BRPORT.MCAST_N_GROUPS]: u32('mcastNGroups'),
  [IFLA_BRPORT.MCAST_MAX_GROUPS]: u32('mcastMaxGroups'),
  [IFLA_BRPORT.NEIGH_VLAN_SUPPRESS]: b8('neighVlanSuppress'),
  [IFLA_BRPORT.BACKUP_NHID]: u32('backupNhid'),
});

/** Decodes IFLA_BRPORT_* attributes (IFLA_PROTINFO's or IFLA_INFO_SLAVE_DATA's payload). */
export function decodeBridgePort(buf: Buffer, off: number, len: number): BridgePortInfo {
  return decodeAttrs<BridgePortInfo>(bridgePortSchema, buf, off, off + len);
}

defineKind({
  kind: 'bridge',
  optionsKey: 'bridge',
  data: {
    schema: bridgeSchema,
    readOnly: names(
      'rootId', 'bridgeId', 'rootPort', 'rootPathCost', 'topologyChange', 'topologyChangeDetected',
      'helloTimerMs', 'tcnTimerMs', 'topologyChangeTimerMs', 'gcTimerMs', 'mcastQuerierState', 'fdbNLearned',
    ),
  },
  toWire(opts, field) {
    const out: Record<string, unknown> = {};
    let bo: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(opts)) {
      if ((BOOLOPTS as readonly string[]).includes(k)) (bo ??= {})[k] = v;
      else if (k === 'boolopts') throw new ValidationError(`${field}.boolopts`, `set ${BOOLOPTS.join(', ')} directly`);
      else if (k === 'defaultPvid' && v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 4094)) {
        throw new ValidationError(`${field}.defaultPvid`, `expected a VLAN id 1–4094 (0 for none), got ${JSON.stringify(v)}`);
      } else out[k] = v;
    }
    if (bo) out.boolopts = bo;
    return out;
  },
  fromWire(info) {
    const { boolopts: bo, ...rest } = info;
    return bo ? { ...rest, ...bo } : rest;
  },
  slave: {
    schema: bridgePortSchema,
    readOnly: names(
      'rootId', 'bridgeId', 'designatedPort', 'designatedCost', 'id', 'no', 'topologyChangeAck',
      'configPending', 'messageAgeTimerMs', 'forwardDelayTimerMs', 'holdTimerMs', 'mrpRingOpen',
      'mrpInOpen', 'mcastEhtHostsCnt', 'mcastNGroups',
    ),
    linkFields: names('backupPort'),
  },
  slaveToWire(opts, field) {
    if (opts.bpduGuard === undefined) return opts;
    const { bpduGuard, ...rest } = opts;
    if (rest.guard !== undefined && rest.guard !== bpduGuard) {
      throw new ValidationError(`${field}.bpduGuard`, 'contradicts guard (bpduGuard is another name for it)');
    }
    return { ...rest, guard: bpduGuard };
  },
});
