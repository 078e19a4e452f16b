/**
 * ethtool netlink message and attribute numbers (linux/ethtool_netlink.h, Linux 6.1) and the
 * attribute tables of the settings messages. Each table drives both the get reply's decoding
 * and the set request's encoding.
 */
import { defineSchema, type Schema } from '../../wire/attributes';

/** The family's name. */
export const ETHTOOL_GENL_NAME = 'ethtool';
/** Its multicast group (every *_NTF notification). */
export const ETHTOOL_MCGRP_MONITOR = 'monitor';

/** Request commands (ETHTOOL_MSG_*, user → kernel). */
export const MSG = {
  STRSET_GET: 1, LINKINFO_GET: 2, LINKINFO_SET: 3, LINKMODES_GET: 4, LINKMODES_SET: 5, LINKSTATE_GET: 6,
  FEATURES_GET: 11, FEATURES_SET: 12, RINGS_GET: 15, RINGS_SET: 16, CHANNELS_GET: 17, CHANNELS_SET: 18,
  COALESCE_GET: 19, COALESCE_SET: 20, PAUSE_GET: 21, PAUSE_SET: 22, STATS_GET: 32,
} as const;

/** Reply commands (kernel → user). */
export const REPLY = { FEATURES_SET_REPLY: 12 } as const;

/** ETHTOOL_A_HEADER_*: the request/reply header nest naming the device. */
export const HEADER = { DEV_INDEX: 1, DEV_NAME: 2, FLAGS: 3 } as const;
/** ETHTOOL_FLAG_* (header flags): compact bitsets in replies, no reply to a set, counters too. */
export const FLAG = { COMPACT_BITSETS: 1, OMIT_REPLY: 2, STATS: 4 } as const;
/** Every message's first attribute is its request/reply header (STATS_GET's is the second). */
export const A_HEADER = 1;

/** String set ids (enum ethtool_stringset) this library asks for. */
export const SS = { FEATURES: 4, LINK_MODES: 9, STATS_STD: 16 } as const;

/** ETHTOOL_A_STRSET_* and the nests below it (STRINGSETS → STRINGSET → STRINGS → STRING). */
export const STRSET = {
  HEADER: 1, STRINGSETS: 2, STRINGSETS_STRINGSET: 1,
  STRINGSET_ID: 1, STRINGSET_COUNT: 2, STRINGSET_STRINGS: 3,
  STRING_INDEX: 1, STRING_VALUE: 2,
} as const;

/** ETHTOOL_A_FEATURES_*: the four bitsets of a features reply (WANTED is also the set request's). */
export const FEATURES = { HW: 2, WANTED: 3, ACTIVE: 4, NOCHANGE: 5 } as const;

/** ETHTOOL_A_LINKMODES_*. */
export const LINKMODES = { AUTONEG: 2, OURS: 3, PEER: 4, SPEED: 5, DUPLEX: 6, MASTER_SLAVE_CFG: 7, MASTER_SLAVE_STATE: 8, LANES: 9 } as const;

/** ETHTOOL_A_STATS_* and ETHTOOL_A_STATS_GRP_* (one nest per group in the reply). */
export const STATS = {
  HEADER: 2, GROUPS: 3, GRP: 4,
  GRP_ID: 2, GRP_SS_ID: 3, GRP_STAT: 4, GRP_HIST_RX: 5, GRP_HIST_TX: 6, GRP_HIST_BKT_LOW: 7, GRP_HIST_BKT_HI: 8, GRP_HIST_VAL: 9,
} as const;

/** Ring sizes (ETHTOOL_A_RINGS_*). `max` fields are read-only. */
export const ringsSchema: Schema = defineSchema('ethtool.rings', {
  2: { name: 'rxMax', type: 'u32' },
  3: { name: 'rxMiniMax', type: 'u32' },
  4: { name: 'rxJumboMax', type: 'u32' },
  5: { name: 'txMax', type: 'u32' },
  6: { name: 'rx', type: 'u32' },
  7: { name: 'rxMini', type: 'u32' },
  8: { name: 'rxJumbo', type: 'u32' },
  9: { name: 'tx', type: 'u32' },
  10: { name: 'rxBufLen', type: 'u32' },
  11: { name: 'tcpDataSplit', type: 'u8' },
  12: { name: 'cqeSize', type: 'u32' },
  13: { name: 'txPush', type: 'bool8' },
});
/** What setRings accepts. */
export const RINGS_SETTABLE = ['rx', 'rxMini', 'rxJumbo', 'tx', 'rxBufLen', 'cqeSize', 'txPush'] as const;

/** Channel counts (ETHTOOL_A_CHANNELS_*). */
export const channelsSchema: Schema = defineSchema('ethtool.channels', {
  2: { name: 'rxMax', type: 'u32' },
  3: { name: 'txMax', type: 'u32' },
  4: { name: 'otherMax', type: 'u32' },
  5: { name: 'combinedMax', type: 'u32' },
  6: { name: 'rx', type: 'u32' },
  7: { name: 'tx', type: 'u32' },
  8: { name: 'other', type: 'u32' },
  9: { name: 'combined', type: 'u32' },
});
/** What setChannels accepts. */
export const CHANNELS_SETTABLE = ['rx', 'tx', 'other', 'combined'] as const;

/** Interrupt coalescing (ETHTOOL_A_COALESCE_*), names as `ethtool -c` without the separators. */
export const coalesceSchema: Schema = defineSchema('ethtool.coalesce', {
  2: { name: 'rxUsecs', type: 'u32' },
  3: { name: 'rxMaxFrames', type: 'u32' },
  4: { name: 'rxUsecsIrq', type: 'u32' },
  5: { name: 'rxMaxFramesIrq', type: 'u32' },
  6: { name: 'txUsecs', type: 'u32' },
  7: { name: 'txMaxFrames', type: 'u32' },
  8: { name: 'txUsecsIrq', type: 'u32' },
  9: { name: 'txMaxFramesIrq', type: 'u32' },
  10: { name: 'statsBlockUsecs', type: 'u32' },
  11: { name: 'useAdaptiveRx', type: 'bool8' },
  12: { name: 'useAdaptiveTx', type: 'bool8' },
  13: { name: 'pktRateLow', type: 'u32' },
  14: { name: 'rxUsecsLow', type: 'u32' },
  15: { name: 'rxMaxFramesLow', type: 'u32' },
  16: { name: 'txUsecsLow', type: 'u32' },
  17: { name: 'txMaxFramesLow', type: 'u32' },
  18: { name: 'pktRateHigh', type: 'u32' },
  19: { name: 'rxUsecsHigh', type: 'u32' },
  20: { name: 'rxMaxFramesHigh', type: 'u32' },
  21: { name: 'txUsecsHigh', type: 'u32' },
  22: { name: 'txMaxFramesHigh', type: 'u32' },
  23: { name: 'rateSampleInterval', type: 'u32' },
  24: { name: 'useCqeModeTx', type: 'bool8' },
  25: { name: 'useCqeModeRx', type: 'bool8' },
});
/** The coalescing fields that are booleans (u8 0/1 on the wire). */
export const COALESCE_BOOLS = new Set(['useAdaptiveRx', 'useAdaptiveTx', 'useCqeModeTx', 'useCqeModeRx']);

const pauseStatsSchema = defineSchema('ethtool.pause.stats', {
  2: { name: 'txFrames', type: 'u64' },
  3: { name: 'rxFrames', type: 'u64' },
});

/** Pause frames (ETHTOOL_A_PAUSE_*). */
export const pauseSchema: Schema = defineSchema('ethtool.pause', {
  2: { name: 'autoneg', type: 'bool8' },
  3: { name: 'rx', type: 'bool8' },
  4: { name: 'tx', type: 'bool8' },
  5: { name: 'stats', type: 'nested', nested: pauseStatsSchema },
});
/** What setPause accepts. */
export const PAUSE_SETTABLE = ['autoneg', 'rx', 'tx'] as const;

/** ETHTOOL_A_LINKINFO_*. */
export const linkInfoSchema: Schema = defineSchema('ethtool.linkinfo', {
  2: { name: 'port', type: 'u8' },
  3: { name: 'phyaddr', type: 'u8' },
  4: { name: 'tpMdix', type: 'u8' },
  5: { name: 'tpMdixCtrl', type: 'u8' },
  6: { name: 'transceiver', type: 'u8' },
});

/** ETHTOOL_A_LINKSTATE_*. */
export const linkStateSchema: Schema = defineSchema('ethtool.linkstate', {
  2: { name: 'link', type: 'bool8' },
  3: { name: 'sqi', type: 'u32' },
  4: { name: 'sqiMax', type: 'u32' },
  5: { name: 'extState', type: 'u8' },
  6: { name: 'extSubstate', type: 'u8' },
});

/** Connector types (PORT_* in linux/ethtool.h), as `ethtool` prints them. */
export const PORT_NAMES: Record<number, string> = {
  0x00: 'tp', 0x01: 'aui', 0x02: 'bnc', 0x03: 'mii', 0x04: 'fibre', 0x05: 'da', 0xef: 'none', 0xff: 'other',
};
/** Transceivers (XCVR_*). */
export const TRANSCEIVER_NAMES: Record<number, string> = { 0: 'internal', 1: 'external' };
/** MDI-X states (ETH_TP_MDI*). */
export const MDIX_NAMES: Record<number, string> = { 0: 'unknown', 1: 'mdi', 2: 'mdi-x', 3: 'auto' };
/** Link extended states (enum ethtool_link_ext_state). */
export const LINK_EXT_STATE_NAMES: Record<number, string> = {
  0: 'autoneg', 1: 'link-training-failure', 2: 'link-logical-mismatch', 3: 'bad-signal-integrity', 4: 'no-cable',
  5: 'cable-issue', 6: 'eeprom-issue', 7: 'calibration-failure', 8: 'power-budget-exceeded', 9: 'overheat', 10: 'module',
};
/** TCP data split (ETHTOOL_TCP_DATA_SPLIT_*). */
export const TCP_DATA_SPLIT_NAMES: Record<number, string> = { 0: 'unknown', 1: 'disabled', 2: 'enabled' };
/** Duplex (DUPLEX_*). */
export const DUPLEX_NAMES: Record<number, string> = { 0: 'half', 1: 'full', 0xff: 'unknown' };
