/**
 * RTM_GETSTATS attributes (IFLA_STATS_*, linux/if_link.h) and the structs they carry: the
 * per-link 64-bit counters, extended per-kind counters (bridge multicast/STP/VLAN, bond 802.3ad),
 * offload counters and per-address-family counters (MPLS), as `ip stats` shows them.
 */
import { defineSchema, forEachAttr, readU64, type AttrSpec } from '../../wire/attributes';
import { decodeStats64, type LinkStats } from '../link/link-schema';

/** struct if_stats_msg: u8 family, u8 pad, u16 pad, u32 ifindex, u32 filter_mask. */
export const IF_STATS_MSG_SIZE = 12;

/** IFLA_STATS_* (top-level attributes; filter_mask bit = 1 << (attr - 1)). */
export const IFLA_STATS = { LINK_64: 1, LINK_XSTATS: 2, LINK_XSTATS_SLAVE: 3, LINK_OFFLOAD_XSTATS: 4, AF_SPEC: 5 } as const;

/** Counters of one direction pair, as struct br_mcast_stats keeps them ([rx, tx]). */
export interface RxTx {
  rx: number;
  tx: number;
}

/** Bridge multicast counters (BRIDGE_XSTATS_MCAST: struct br_mcast_stats). */
export interface BridgeMcastStats {
  igmpV1Queries: RxTx; igmpV2Queries: RxTx; igmpV3Queries: RxTx; igmpLeaves: RxTx;
  igmpV1Reports: RxTx; igmpV2Reports: RxTx; igmpV3Reports: RxTx; igmpParseErrors: number;
  mldV1Queries: RxTx; mldV2Queries: RxTx; mldLeaves: RxTx; mldV1Reports: RxTx; mldV2Reports: RxTx;
  mldParseErrors: number; mcastBytes: RxTx; mcastPackets: RxTx;
}

/** Bridge STP counters (BRIDGE_XSTATS_STP: struct bridge_stp_xstats). */
export interface BridgeStpStats {
  transitionBlk: number; transitionFwd: number; rxBpdu: number; txBpdu: number; rxTcn: number; txTcn: number;
}

/** Per-VLAN counters of a bridge or port (BRIDGE_XSTATS_VLAN: struct bridge_vlan_xstats). */
export interface BridgeVlanStats {
  vid: number; flags: number; rxBytes: number; rxPackets: number; txBytes: number; txPackets: number;
}

/** Extended counters of one kind (bridge or bond). */
export interface KindXstats {
  bridge?: { mcast?: BridgeMcastStats; stp?: BridgeStpStats; vlans?: BridgeVlanStats[] };
  /** Bond 802.3ad counters (BOND_XSTATS_3AD). */
  bond?: { lacpdu?: Record<string, number> };
}

/** struct rtnl_hw_stats64 (offload L3 counters). */
export interface HwStats64 {
  rxPackets: number; txPackets: number; rxBytes: number; txBytes: number; rxErrors: number;
  txErrors: number; rxDropped: number; txDropped: number; multicast: number;
}

/** Offload counters (IFLA_STATS_LINK_OFFLOAD_XSTATS). */
export interface OffloadStats {
  /** Traffic that hit the CPU (IFLA_OFFLOAD_XSTATS_CPU_HIT). */
  cpuHit?: LinkStats;
  /** Whether hardware L3 counters were requested and are in use (`ip stats set … l3_stats on`). */
  hwStatsInfo?: { l3Stats?: { request: boolean; used: boolean } };
  /** Hardware L3 counters (IFLA_OFFLOAD_XSTATS_L3_STATS). */
  l3Stats?: HwStats64;
}

/** struct mpls_link_stats (IFLA_STATS_AF_SPEC → AF_MPLS → MPLS_STATS_LINK). */
export interface MplsLinkStats {
  rxPackets: number; txPackets: number; rxBytes: number; txBytes: number; rxErrors: number;
  txErrors: number; rxDropped: number; txDropped: number; rxNoroute: number;
}

const u64s = <T>(names: readonly string[]) => (b: Buffer, o: number, l: number): T | undefined => {
  if (l < names.length * 8) return undefined;
  const out: Record<string, number> = {};
  names.forEach((n, i) => (out[n] = readU64(b, o + i * 8)));
  return out as T;
};

const MCAST_FIELDS: [keyof BridgeMcastStats, 1 | 2][] = [
  ['igmpV1Queries', 2], ['igmpV2Queries', 2], ['igmpV3Queries', 2], ['igmpLeaves', 2], ['igmpV1Reports', 2],
  ['igmpV2Reports', 2], ['igmpV3Reports', 2], ['igmpParseErrors', 1], ['mldV1Queries', 2], ['mldV2Queries', 2],
  ['mldLeaves', 2], ['mldV1Reports', 2], ['mldV2Reports', 2], ['mldParseErrors', 1], ['mcastBytes', 2], ['mcastPackets', 2],
];

function decodeMcast(b: Buffer, o: number, l: number): BridgeMcastStats | undefined {
  if (l < 30 * 8) return undefined;
  const out: Record<string, unknown> = {};
  let at = o;
  for (const [name, n] of MCAST_FIELDS) {
    out[name] = n === 2 ? { rx: readU64(b, at), tx: readU64(b, at + 8) } : readU64(b, at);
    at += n * 8;
  }
  return out as unknown as BridgeMcastStats;
}

const decodeStp = u64s<BridgeStpStats>(['transitionBlk', 'transitionFwd', 'rxBpdu', 'txBpdu', 'rxTcn', 'txTcn']);

function decodeVlanXstats(b: Buffer, o: number, l: number): BridgeVlanStats | undefined {
  if (l < 36) return undefined;
  return { vid: b.readUInt16LE(o + 32), flags: b.readUInt16LE(o + 34), rxBytes: readU64(b, o), rxPackets: readU64(b, o + 8), txBytes: readU64(b, o + 16), txPackets: readU64(b, o + 24) };
}

const bridgeXstatsSchema = defineSchema('stats.xstats.bridge', {
  1: { name: 'vlans', type: 'binary', multi: true, decode: decodeVlanXstats },
  2: { name: 'mcast', type: 'binary', decode: decodeMcast },
  4: { name: 'stp', type: 'binary', decode: decodeStp },
});

const LACP_NAMES = ['lacpduRx', 'lacpduTx', 'lacpduUnknownRx', 'lacpduIllegalRx', 'markerRx', 'markerTx', 'markerRespRx', 'markerRespTx', 'markerUnknownRx'];
const bond3adSchema = defineSchema('stats.xstats.bond.3ad', Object.fromEntries(LACP_NAMES.map((name, i): [number, AttrSpec] => [i, { name, type: 'u64' }])));
const bondXstatsSchema = defineSchema('stats.xstats.bond', {
  1: { name: 'lacpdu', type: 'nested', nested: bond3adSchema },
});

/** LINK_XSTATS_TYPE_* → per-kind counters. */
export const xstatsSchema = defineSchema('stats.xstats', {
  1: { name: 'bridge', type: 'nested', nested: bridgeXstatsSchema },
  2: { name: 'bond', type: 'nested', nested: bondXstatsSchema },
});

const decodeHw64 = u64s<HwStats64>(['rxPackets', 'txPackets', 'rxBytes', 'txBytes', 'rxErrors', 'txErrors', 'rxDropped', 'txDropped', 'multicast']);

/** IFLA_OFFLOAD_XSTATS_HW_S_INFO: per offload type (L3_STATS = 3) whether requested / used. */
function decodeHwStatsInfo(b: Buffer, o: number, l: number): OffloadStats['hwStatsInfo'] {
  const out: NonNullable<OffloadStats['hwStatsInfo']> = {};
  forEachAttr(b, o, o + l, (type, at, len) => {
    if (type !== 3) return;
    const info = { request: false, used: false };
    forEachAttr(b, at, at + len, (t, a, n) => {
      if (t === 1 && n >= 1) info.request = b[a] !== 0;
      else if (t === 2 && n >= 1) info.used = b[a] !== 0;
    }, 'stats.offload.hwStatsInfo.l3');
    out.l3Stats = info;
  }, 'stats.offload.hwStatsInfo');
  return out;
}

export const offloadSchema = defineSchema('stats.offload', {
  1: { name: 'cpuHit', type: 'binary', decode: decodeStats64 },
  2: { name: 'hwStatsInfo', type: 'nested', decode: decodeHwStatsInfo },
  3: { name: 'l3Stats', type: 'binary', decode: decodeHw64 },
});

const decodeMpls = u64s<MplsLinkStats>(['rxPackets', 'txPackets', 'rxBytes', 'txBytes', 'rxErrors', 'txErrors', 'rxDropped', 'txDropped', 'rxNoroute']);
const mplsAfSchema = defineSchema('stats.afSpec.mpls', { 1: { name: 'link', type: 'binary', decode: decodeMpls } });

/** IFLA_STATS_AF_SPEC: nested by address family (AF_MPLS = 28 is the one that reports here). */
export const afStatsSchema = defineSchema('stats.afSpec', {
  28: { name: 'mpls', type: 'nested', nested: mplsAfSchema },
});

/** The RTM_NEWSTATS attribute table. */
export const statsSchema = defineSchema('stats', {
  [IFLA_STATS.LINK_64]: { name: 'link64', type: 'binary', decode: decodeStats64 },
  [IFLA_STATS.LINK_XSTATS]: { name: 'xstats', type: 'nested', nested: xstatsSchema },
  [IFLA_STATS.LINK_XSTATS_SLAVE]: { name: 'xstatsSlave', type: 'nested', nested: xstatsSchema },
  [IFLA_STATS.LINK_OFFLOAD_XSTATS]: { name: 'offload', type: 'nested', nested: offloadSchema },
  [IFLA_STATS.AF_SPEC]: { name: 'afSpec', type: 'nested', nested: afStatsSchema },
});


