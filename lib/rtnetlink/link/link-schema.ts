/**
 * IFLA_* attribute numbers and the link message schema (linux/if_link.h).
 * Per-kind IFLA_INFO_DATA schemas live in link-kinds/, one file per kind.
 */
import { defineSchema, forEachAttr, readU64, type AttrSpec } from '../../wire/attributes';
import { AF_INET6, NLA_TYPE_MASK } from '../../wire/constants';
import { ParseError } from '../../errors';
import { u32 } from './kinds/kind-codec';
import { linkTypes, operStates } from '../request/names';

/** IFLA_* attribute numbers. */
export const IFLA = {
  ADDRESS: 1, BROADCAST: 2, IFNAME: 3, MTU: 4, LINK: 5, QDISC: 6, STATS: 7, COST: 8, PRIORITY: 9,
  MASTER: 10, WIRELESS: 11, PROTINFO: 12, TXQLEN: 13, MAP: 14, WEIGHT: 15, OPERSTATE: 16,
  LINKMODE: 17, LINKINFO: 18, NET_NS_PID: 19, IFALIAS: 20, NUM_VF: 21, VFINFO_LIST: 22,
  STATS64: 23, VF_PORTS: 24, PORT_SELF: 25, AF_SPEC: 26, GROUP: 27, NET_NS_FD: 28, EXT_MASK: 29,
  PROMISCUITY: 30, NUM_TX_QUEUES: 31, NUM_RX_QUEUES: 32, CARRIER: 33, PHYS_PORT_ID: 34,
  CARRIER_CHANGES: 35, PHYS_SWITCH_ID: 36, LINK_NETNSID: 37, PHYS_PORT_NAME: 38, PROTO_DOWN: 39,
  GSO_MAX_SEGS: 40, GSO_MAX_SIZE: 41, PAD: 42, XDP: 43, EVENT: 44, NEW_NETNSID: 45,
  TARGET_NETNSID: 46, CARRIER_UP_COUNT: 47, CARRIER_DOWN_COUNT: 48, NEW_IFINDEX: 49, MIN_MTU: 50,
  MAX_MTU: 51, PROP_LIST: 52, ALT_IFNAME: 53, PERM_ADDRESS: 54, PROTO_DOWN_REASON: 55,
  PARENT_DEV_NAME: 56, PARENT_DEV_BUS_NAME: 57, GRO_MAX_SIZE: 58, TSO_MAX_SIZE: 59,
  TSO_MAX_SEGS: 60, ALLMULTI: 61, DEVLINK_PORT: 62, GSO_IPV4_MAX_SIZE: 63, GRO_IPV4_MAX_SIZE: 64,
  DPLL_PIN: 65, MAX_PACING_OFFLOAD_HORIZON: 66, NETNS_IMMUTABLE: 67, HEADROOM: 68, TAILROOM: 69,
} as const;

/** IFLA_INFO_* (inside IFLA_LINKINFO). */
export const IFLA_INFO = { KIND: 1, DATA: 2, XSTATS: 3, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;

/** Link counters (struct rtnl_link_stats64), as many as the kernel sent. */
export interface LinkStats {
  rxPackets: number; txPackets: number; rxBytes: number; txBytes: number;
  rxErrors: number; txErrors: number; rxDropped: number; txDropped: number;
  multicast: number; collisions: number;
  rxLengthErrors: number; rxOverErrors: number; rxCrcErrors: number; rxFrameErrors: number;
  rxFifoErrors: number; rxMissedErrors: number; txAbortedErrors: number; txCarrierErrors: number;
  txFifoErrors: number; txHeartbeatErrors: number; txWindowErrors: number;
  rxCompressed: number; txCompressed: number; rxNohandler?: number; rxOtherhostDropped?: number;
}

/**
 * Decodes struct rtnl_link_stats64 (fields beyond the payload are left out). Built as one
 * object literal, so every Link's stats share a hidden class: this runs for every link of
 * every dump.
 */
export function decodeStats64(buf: Buffer, off: number, len: number): LinkStats | undefined {
  if (len < 23 * 8) return undefined;
  // Counters below 2^32 (nearly all) need no double arithmetic; one literal per kernel size
  // (23, 24 or 25 counters) keeps each link's stats in-object, with no property added later.
  const u = (i: number): number => {
    const at = off + i * 8;
    const lo = (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16)) + buf[at + 3]! * 0x100_0000;
    const hi = buf[at + 4]! | (buf[at + 5]! << 8) | (buf[at + 6]! << 16) | (buf[at + 7]! << 24);
    return hi === 0 ? lo : lo + (hi >>> 0) * 0x1_0000_0000;
  };
  if (len >= 25 * 8) {
    return {
      rxPackets: u(0), txPackets: u(1), rxBytes: u(2), txBytes: u(3), rxErrors: u(4), txErrors: u(5),
      rxDropped: u(6), txDropped: u(7), multicast: u(8), collisions: u(9), rxLengthErrors: u(10),
      rxOverErrors: u(11), rxCrcErrors: u(12), rxFrameErrors: u(13), rxFifoErrors: u(14),
      rxMissedErrors: u(15), txAbortedErrors: u(16), txCarrierErrors: u(17), txFifoErrors: u(18),
      txHeartbeatErrors: u(19), txWindowErrors: u(20), rxCompressed: u(21), txCompressed: u(22),
      rxNohandler: u(23), rxOtherhostDropped: u(24),
    };
  }
  const out: LinkStats = {
    rxPackets: u(0), txPackets: u(1), rxBytes: u(2), txBytes: u(3), rxErrors: u(4), txErrors: u(5),
    rxDropped: u(6), txDropped: u(7), multicast: u(8), collisions: u(9), rxLengthErrors: u(10),
    rxOverErrors: u(11), rxCrcErrors: u(12), rxFrameErrors: u(13), rxFifoErrors: u(14),
    rxMissedErrors: u(15), txAbortedErrors: u(16), txCarrierErrors: u(17), txFifoErrors: u(18),
    txHeartbeatErrors: u(19), txWindowErrors: u(20), rxCompressed: u(21), txCompressed: u(22),
  };
  if (len >= 24 * 8) out.rxNohandler = u(23);
  return out;
}


const ADDR_GEN_MODES = ['eui64', 'none', 'stable_secret', 'random'];
const IFLA_INET6_ADDR_GEN_MODE = 8;

/**
 * IFLA_AF_SPEC holds ~800 bytes of per-protocol configuration and counters per link. Only the
 * IPv6 address generation mode (what `ip -d link` prints as inet6_addr_gen_mode) is taken out;
 * copying the rest for every link would dominate a large dump.
 */
function decodeAfSpec(b: Buffer, o: number, l: number): { inet6AddrGenMode?: string } {
  const out: { inet6AddrGenMode?: string } = {};
  // Plain loops (no closure per link): this runs for every link of every dump.
  const end = o + l;
  while (end - o >= 4) {
    const len = b[o]! | (b[o + 1]! << 8);
    if (len < 4 || o + len > end) throw new ParseError(`link.afSpec: attribute at offset ${o} has length ${len}, ${end - o} bytes left`);
    if (((b[o + 2]! | (b[o + 3]! << 8)) & NLA_TYPE_MASK) === AF_INET6) {
      const stop = o + len;
      let a = o + 4;
      while (stop - a >= 4) {
        const n = b[a]! | (b[a + 1]! << 8);
        if (n < 4 || a + n > stop) throw new ParseError(`link.afSpec.inet6: attribute at offset ${a} has length ${n}, ${stop - a} bytes left`);
        if (((b[a + 2]! | (b[a + 3]! << 8)) & NLA_TYPE_MASK) === IFLA_INET6_ADDR_GEN_MODE && n >= 5) out.inet6AddrGenMode = ADDR_GEN_MODES[b[a + 4]!] ?? String(b[a + 4]);
        a += (n + 3) & ~3;
      }
    }
    o += (len + 3) & ~3;
  }
  return out;
}

/** IFLA_XDP children: whether and how a program is attached. */
const xdpSchema = defineSchema('link.xdp', {
  2: { name: 'attached', type: 'u8' },
  3: { name: 'flags', type: 'u32' },
  4: { name: 'progId', type: 'u32' },
});

/** IFLA_PROP_LIST children: alternative names. */
export const linkPropSchema = defineSchema('link.prop', {
  [IFLA.ALT_IFNAME]: { name: 'altNames', type: 'string', multi: true },
});

/**
 * A view of the payload, not a copy: IFLA_INFO_DATA / SLAVE_DATA are decoded by the kind codec
 * straight away (the link decoder copies only what it keeps raw).
 */
const view: AttrSpec['decode'] = (b, o, l) => b.subarray(o, o + l);

/** A payload as bytes when there is one. */
const nonEmpty: AttrSpec['decode'] = (b, o, l) => (l > 0 ? Buffer.from(b.subarray(o, o + l)) : undefined);

/** IFLA_LINKINFO children; DATA and SLAVE_DATA stay raw here and are decoded per kind. */
export const linkInfoSchema = defineSchema('link.linkinfo', {
  [IFLA_INFO.KIND]: { name: 'kind', type: 'string' },
  [IFLA_INFO.DATA]: { name: 'data', type: 'binary', decode: view },
  [IFLA_INFO.XSTATS]: { name: 'xstats', type: 'binary' },
  [IFLA_INFO.SLAVE_KIND]: { name: 'slaveKind', type: 'string' },
  [IFLA_INFO.SLAVE_DATA]: { name: 'slaveData', type: 'binary', decode: view },
});

/**
 * The RTM_NEWLINK attribute table. Names are the public Link field names where one
 * attribute maps to one field; `linkinfo`, `protinfo`, `afSpec` and `vfinfoList` are
 * post-processed by the link decoder.
 */
export const linkSchema = defineSchema('link', {
  [IFLA.ADDRESS]: { name: 'address', type: 'mac' },
  [IFLA.BROADCAST]: { name: 'broadcast', type: 'mac' },
  [IFLA.IFNAME]: { name: 'name', type: 'string' },
  [IFLA.MTU]: u32('mtu'),
  // The 32-bit counters repeat IFLA_STATS64's (always sent since 2.6.35) and struct ifmap holds
  // ISA-era resources `ip` never prints: decoded by nobody, so not copied for every link.
  [IFLA.STATS]: { name: 'stats32', type: 'skip' },
  [IFLA.MAP]: { name: 'map', type: 'skip' },
  // Empty nests on every device without devlink / DPLL: kept as bytes only when non-empty.
  [IFLA.DEVLINK_PORT]: { name: 'devlinkPort', type: 'skip', decode: nonEmpty },
  [IFLA.DPLL_PIN]: { name: 'dpllPin', type: 'skip', decode: nonEmpty },
  [IFLA.LINK]: u32('link'),
  [IFLA.QDISC]: { name: 'qdisc', type: 'string' },
  [IFLA.MASTER]: u32('master'),
  [IFLA.PROTINFO]: { name: 'protinfo', type: 'binary', decode: (b, o, l) => b.subarray(o, o + l) },
  [IFLA.TXQLEN]: u32('txqlen'),
  [IFLA.OPERSTATE]: { name: 'operstate', type: 'u8', decode: (b, o, l) => (l >= 1 ? operStates[b[o]!] ?? String(b[o]) : undefined) },
  [IFLA.LINKMODE]: { name: 'linkMode', type: 'u8', decode: (b, o, l) => (l >= 1 ? (b[o] === 1 ? 'DORMANT' : 'DEFAULT') : undefined) },
  [IFLA.LINKINFO]: { name: 'linkinfo', type: 'nested', nested: linkInfoSchema },
  [IFLA.IFALIAS]: { name: 'alias', type: 'string' },
  [IFLA.NUM_VF]: u32('numVfs'),
  [IFLA.VFINFO_LIST]: { name: 'vfinfoList', type: 'binary' },
  [IFLA.STATS64]: { name: 'stats', type: 'binary', decode: decodeStats64 },
  [IFLA.AF_SPEC]: { name: 'afSpec', type: 'binary', decode: decodeAfSpec },
  [IFLA.GROUP]: u32('group'),
  [IFLA.PROMISCUITY]: u32('promiscuity'),
  [IFLA.NUM_TX_QUEUES]: u32('numTxQueues'),
  [IFLA.NUM_RX_QUEUES]: u32('numRxQueues'),
  [IFLA.CARRIER]: { name: 'carrier', type: 'bool8' },
  [IFLA.PHYS_PORT_ID]: { name: 'physPortId', type: 'binary', decode: (b, o, l) => b.toString('hex', o, o + l) },
  [IFLA.CARRIER_CHANGES]: u32('carrierChanges'),
  [IFLA.PHYS_SWITCH_ID]: { name: 'physSwitchId', type: 'binary', decode: (b, o, l) => b.toString('hex', o, o + l) },
  [IFLA.LINK_NETNSID]: { name: 'linkNetnsId', type: 's32' },
  [IFLA.PHYS_PORT_NAME]: { name: 'physPortName', type: 'string' },
  [IFLA.PROTO_DOWN]: { name: 'protoDown', type: 'bool8' },
  [IFLA.GSO_MAX_SEGS]: u32('gsoMaxSegs'),
  [IFLA.GSO_MAX_SIZE]: u32('gsoMaxSize'),
  [IFLA.CARRIER_UP_COUNT]: u32('carrierUpCount'),
  [IFLA.CARRIER_DOWN_COUNT]: u32('carrierDownCount'),
  [IFLA.MIN_MTU]: u32('minMtu'),
  [IFLA.MAX_MTU]: u32('maxMtu'),
  [IFLA.PROP_LIST]: { name: 'propList', type: 'nested', nested: linkPropSchema },
  [IFLA.PERM_ADDRESS]: { name: 'permAddress', type: 'mac' },
  [IFLA.PARENT_DEV_NAME]: { name: 'parentDevName', type: 'string' },
  [IFLA.PARENT_DEV_BUS_NAME]: { name: 'parentDevBusName', type: 'string' },
  [IFLA.GRO_MAX_SIZE]: u32('groMaxSize'),
  [IFLA.TSO_MAX_SIZE]: u32('tsoMaxSize'),
  [IFLA.TSO_MAX_SEGS]: u32('tsoMaxSegs'),
  [IFLA.ALLMULTI]: u32('allmultiCount'),
  [IFLA.GSO_IPV4_MAX_SIZE]: u32('gsoIpv4MaxSize'),
  [IFLA.GRO_IPV4_MAX_SIZE]: u32('groIpv4MaxSize'),
  [IFLA.XDP]: { name: 'xdp', type: 'nested', nested: xdpSchema },
  [IFLA.MAX_PACING_OFFLOAD_HORIZON]: { name: 'maxPacingOffloadHorizon', type: 'binary', decode: (b, o, l) => (l >= 8 ? readU64(b, o) : l >= 4 ? b.readUInt32LE(o) : undefined) },
  [IFLA.NETNS_IMMUTABLE]: { name: 'netnsImmutable', type: 'bool8' },
  [IFLA.HEADROOM]: { name: 'headroom', type: 'u16' },
  [IFLA.TAILROOM]: { name: 'tailroom', type: 'u16' },
});

export { linkTypes };
