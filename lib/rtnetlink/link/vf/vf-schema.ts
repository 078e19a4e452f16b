/**
 * SR-IOV VF attributes (linux/if_link.h): the IFLA_VF_* numbers, the fixed structs they carry,
 * the decoder of IFLA_VFINFO_LIST and the encoder of one VF's changes.
 *
 * Layout, as the kernel sends it (rtnl_fill_vfinfo) and takes it (do_setvfinfo):
 *   IFLA_VFINFO_LIST
 *     IFLA_VF_INFO                      one per VF
 *       IFLA_VF_MAC        struct ifla_vf_mac        { u32 vf; u8 mac[32]; }
 *       IFLA_VF_VLAN       struct ifla_vf_vlan       { u32 vf; u32 vlan; u32 qos; }
 *       IFLA_VF_VLAN_LIST
 *         IFLA_VF_VLAN_INFO struct ifla_vf_vlan_info { u32 vf; u32 vlan; u32 qos; be16 proto; }
 *       IFLA_VF_RATE       struct ifla_vf_rate       { u32 vf; u32 min; u32 max; }   (Mbps)
 *       IFLA_VF_STATS      nested u64 counters …
 * Every struct starts with the VF number. Drivers that don't report a boolean setting send
 * 0xffffffff (-1), which decodes as "absent", as iproute2 treats it.
 */
import { decodeAttrs, defineSchema, forEachAttr, type RawAttribute } from '../../../wire/attributes';
import { formatMac } from '../../../wire/address';
import { ETH_P_8021Q, NLA_TYPE_MASK } from '../../../wire/constants';
import type { MessageWriter } from '../../../wire/message-writer';
import { IFLA } from '../link-schema';
import { NameTable } from '../../request/names';
import { vlanProtocolName } from '../kinds/kind-codec';

/** IFLA_VF_* (inside IFLA_VF_INFO). */
export const IFLA_VF = {
  MAC: 1, VLAN: 2, TX_RATE: 3, SPOOFCHK: 4, LINK_STATE: 5, RATE: 6, RSS_QUERY_EN: 7, STATS: 8,
  TRUST: 9, IB_NODE_GUID: 10, IB_PORT_GUID: 11, VLAN_LIST: 12, BROADCAST: 13,
} as const;

/** IFLA_VF_INFO, the only child of IFLA_VFINFO_LIST. */
export const IFLA_VF_INFO = 1;
/** IFLA_VF_VLAN_INFO, the only child of IFLA_VF_VLAN_LIST. */
export const IFLA_VF_VLAN_INFO = 1;

/** IFLA_VF_STATS_* (inside IFLA_VF_STATS), all u64. */
export const IFLA_VF_STATS = {
  RX_PACKETS: 0, TX_PACKETS: 1, RX_BYTES: 2, TX_BYTES: 3, BROADCAST: 4, MULTICAST: 5, PAD: 6,
  RX_DROPPED: 7, TX_DROPPED: 8,
} as const;

/** sizeof the uapi structs (x86-64 and every other Linux ABI: u64 members are 8-aligned). */
export const VF_STRUCT_SIZE = {
  mac: 36, broadcast: 32, vlan: 12, vlanInfo: 16, txRate: 8, rate: 12, setting: 8, guid: 16,
} as const;

/** Hardware address lengths iproute2 uses for VF addresses (ETH_ALEN, INFINIBAND_ALEN). */
const ETH_ALEN = 6;
const INFINIBAND_ALEN = 20;
/** ARPHRD_ETHER and ARPHRD_INFINIBAND. */
export const ARPHRD_ETHER = 1;
export const ARPHRD_INFINIBAND = 32;


/** A VF's link state policy (IFLA_VF_LINK_STATE_*). */
export type VfLinkState = 'auto' | 'enable' | 'disable';

/** IFLA_VF_LINK_STATE_AUTO/ENABLE/DISABLE ⇄ the names `ip link` uses. */
export const vfLinkStates = new NameTable(new Map([[0, 'auto'], [1, 'enable'], [2, 'disable']]), 'VF link state');

/** A VLAN tag the VF's traffic gets (port VLAN). */
export interface VfVlan {
  /** VLAN id 1–4094. */
  id: number;
  /** 802.1p priority 0–7. */
  qos: number;
  /** Tag protocol: '802.1Q' or '802.1ad' (other ethertypes as '0x…'). */
  protocol: string;
}

/** Per-VF counters (IFLA_VF_STATS). */
export interface VfStats {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  broadcast: number;
  multicast: number;
  /** Since Linux 5.5. */
  rxDropped?: number;
  /** Since Linux 5.5. */
  txDropped?: number;
}

/** One SR-IOV virtual function as its physical function's driver reports it. */
export interface VfInfo {
  /** VF number (0-based). */
  index: number;
  /** The VF's MAC address; 00:00:00:00:00:00 when none was assigned. */
  mac: string;
  /** The PF's broadcast address as reported for the VF (Linux 5.7+). */
  broadcast?: string;
  /**
   * The port VLAN. Empty when none is set (the kernel reports id 0, qos 0 then); one entry on
   * every driver so far (MAX_VLAN_LIST_LEN is 1). Taken from IFLA_VF_VLAN_LIST when present
   * (it carries the protocol), else from the legacy IFLA_VF_VLAN (always 802.1Q).
   */
  vlans: VfVlan[];
  /** Transmit rate limits in Mbps; 0 = no limit / no guarantee. */
  rate: { min: number; max: number };
  /** Legacy IFLA_VF_TX_RATE (the max rate) as the kernel sent it. */
  txRate?: number;
  /** MAC/VLAN anti-spoofing; absent when the driver doesn't report it. */
  spoofchk?: boolean;
  /** Trusted VF (may set promiscuous mode, change its MAC …); absent when not reported. */
  trust?: boolean;
  /** Link state policy; absent when the kernel sent none. */
  linkState?: VfLinkState | string;
  /** May the VF query the RSS redirection table and hash key; absent when not reported. */
  rssQuery?: boolean;
  /** Counters; present when listed with `stats: true`. */
  stats?: VfStats;
  /** InfiniBand node GUID ('xx:…:xx', 8 bytes), on IB devices whose driver reports it. */
  nodeGuid?: string;
  /** InfiniBand port GUID, likewise. */
  portGuid?: string;
  /** IFLA_VF_* attributes this version doesn't decode, kept as bytes. */
  unknown?: RawAttribute[];
}


/** A GUID held as a host-order u64 (as iproute2's get_guid builds it) → 'xx:…:xx', MSB first. */
function formatGuid(buf: Buffer, off: number): string {
  const be = Buffer.allocUnsafe(8);
  be.writeBigUInt64BE(buf.readBigUInt64LE(off));
  return formatMac(be, 0, 8);
}

/** Wraps a struct reader so a payload shorter than the struct is kept raw, never misread. */
function struct<T>(size: number, read: (b: Buffer, o: number) => T) {
  return (b: Buffer, o: number, l: number): T | undefined => (l >= size ? read(b, o) : undefined);
}

/** The `setting` of ifla_vf_spoofchk/trust/rss_query_en: -1 means "not reported". */
const setting = struct(VF_STRUCT_SIZE.setting, (b, o) => ({ vf: b.readUInt32LE(o), value: b.readInt32LE(o + 4) }));
const guid = struct(VF_STRUCT_SIZE.guid, (b, o) => ({ vf: b.readUInt32LE(o), guid: formatGuid(b, o + 8) }));
const vlanInfo = struct(14, (b, o) => ({ vf: b.readUInt32LE(o), id: b.readUInt32LE(o + 4), qos: b.readUInt32LE(o + 8), proto: b.readUInt16BE(o + 12) }));

/** IFLA_VF_STATS children. PAD only aligns the u64s on some architectures. */
export const vfStatsSchema = defineSchema('vf.stats', {
  [IFLA_VF_STATS.RX_PACKETS]: { name: 'rxPackets', type: 'u64' },
  [IFLA_VF_STATS.TX_PACKETS]: { name: 'txPackets', type: 'u64' },
  [IFLA_VF_STATS.RX_BYTES]: { name: 'rxBytes', type: 'u64' },
  [IFLA_VF_STATS.TX_BYTES]: { name: 'txBytes', type: 'u64' },
  [IFLA_VF_STATS.BROADCAST]: { name: 'broadcast', type: 'u64' },
  [IFLA_VF_STATS.MULTICAST]: { name: 'multicast', type: 'u64' },
  [IFLA_VF_STATS.PAD]: { name: 'pad', type: 'binary' },
  [IFLA_VF_STATS.RX_DROPPED]: { name: 'rxDropped', type: 'u64' },
  [IFLA_VF_STATS.TX_DROPPED]: { name: 'txDropped', type: 'u64' },
});

/** IFLA_VF_VLAN_LIST children. */
export const vfVlanListSchema = defineSchema('vf.vlanList', {
  [IFLA_VF_VLAN_INFO]: { name: 'vlans', type: 'binary', multi: true, decode: vlanInfo },
});

/**
 * IFLA_VF_INFO children, each decoded to its struct's fields; `toVfInfo` shapes the result.
 * MAC and BROADCAST stay bytes here because their length depends on the link type.
 */
export const vfInfoSchema = defineSchema('vf.info', {
  [IFLA_VF.MAC]: { name: 'mac', type: 'binary', decode: struct(VF_STRUCT_SIZE.mac, (b, o) => ({ vf: b.readUInt32LE(o), addr: b.subarray(o + 4, o + 36) })) },
  [IFLA_VF.BROADCAST]: { name: 'broadcast', type: 'binary', decode: struct(VF_STRUCT_SIZE.broadcast, (b, o) => b.subarray(o, o + 32)) },
  [IFLA_VF.VLAN]: { name: 'vlan', type: 'binary', decode: struct(VF_STRUCT_SIZE.vlan, (b, o) => ({ vf: b.readUInt32LE(o), id: b.readUInt32LE(o + 4), qos: b.readUInt32LE(o + 8) })) },
  [IFLA_VF.VLAN_LIST]: { name: 'vlanList', type: 'nested', nested: vfVlanListSchema },
  [IFLA_VF.TX_RATE]: { name: 'txRate', type: 'binary', decode: struct(VF_STRUCT_SIZE.txRate, (b, o) => ({ vf: b.readUInt32LE(o), rate: b.readUInt32LE(o + 4) })) },
  [IFLA_VF.RATE]: { name: 'rate', type: 'binary', decode: struct(VF_STRUCT_SIZE.rate, (b, o) => ({ vf: b.readUInt32LE(o), min: b.readUInt32LE(o + 4), max: b.readUInt32LE(o + 8) })) },
  [IFLA_VF.SPOOFCHK]: { name: 'spoofchk', type: 'binary', decode: setting },
  [IFLA_VF.TRUST]: { name: 'trust', type: 'binary', decode: setting },
  [IFLA_VF.RSS_QUERY_EN]: { name: 'rssQuery', type: 'binary', decode: setting },
  [IFLA_VF.LINK_STATE]: { name: 'linkState', type: 'binary', decode: setting },
  [IFLA_VF.IB_NODE_GUID]: { name: 'nodeGuid', type: 'binary', decode: guid },
  [IFLA_VF.IB_PORT_GUID]: { name: 'portGuid', type: 'binary', decode: guid },
  [IFLA_VF.STATS]: { name: 'stats', type: 'nested', nested: vfStatsSchema },
});

/** The address length iproute2 prints VF addresses with: 6 on Ethernet, 20 otherwise (IPoIB). */
export function vfAddressLength(linkType: number): number {
  return linkType === ARPHRD_ETHER ? ETH_ALEN : INFINIBAND_ALEN;
}

const bool = (s: { value: number } | undefined) => (s && s.value !== -1 ? s.value !== 0 : undefined);

/** Shapes one decoded IFLA_VF_INFO into a VfInfo; `position` stands in when no struct named the VF. */
function toVfInfo(raw: any, addrLen: number, position: number): VfInfo {
  const index: number = raw.mac?.vf ?? raw.vlan?.vf ?? raw.rate?.vf ?? raw.txRate?.vf ?? position;
  let vlans: VfVlan[];
  if (raw.vlanList?.vlans) {
    vlans = (raw.vlanList.vlans as { id: number; qos: number; proto: number }[]).map((v) => ({ id: v.id, qos: v.qos, protocol: vlanProtocolName(v.proto) }));
  } else if (raw.vlan) {
    vlans = [{ id: raw.vlan.id, qos: raw.vlan.qos, protocol: '802.1Q' }];
  } else {
    vlans = [];
  }
  const vf: VfInfo = {
    index,
    mac: raw.mac ? formatMac(raw.mac.addr, 0, addrLen) : formatMac(Buffer.alloc(addrLen), 0, addrLen),
    vlans: vlans.filter((v) => v.id !== 0 || v.qos !== 0),
    rate: raw.rate ? { min: raw.rate.min, max: raw.rate.max } : { min: 0, max: raw.txRate?.rate ?? 0 },
  };
  if (raw.broadcast) vf.broadcast = formatMac(raw.broadcast, 0, addrLen);
  if (raw.txRate) vf.txRate = raw.txRate.rate;
  const spoofchk = bool(raw.spoofchk);
  if (spoofchk !== undefined) vf.spoofchk = spoofchk;
  const trust = bool(raw.trust);
  if (trust !== undefined) vf.trust = trust;
  const rssQuery = bool(raw.rssQuery);
  if (rssQuery !== undefined) vf.rssQuery = rssQuery;
  if (raw.linkState) vf.linkState = vfLinkStates.name(raw.linkState.value >>> 0);
  if (raw.stats) {
    const { pad: _pad, unknown, ...counters } = raw.stats;
    vf.stats = counters as VfStats;
    if (unknown) (vf.unknown ??= []).push(...(unknown as RawAttribute[]).map((u) => ({ type: IFLA_VF.STATS, data: u.data })));
  }
  if (raw.nodeGuid) vf.nodeGuid = raw.nodeGuid.guid;
  if (raw.portGuid) vf.portGuid = raw.portGuid.guid;
  if (raw.unknown) (vf.unknown ??= []).push(...raw.unknown);
  return vf;
}

/**
 * Decodes the payload of IFLA_VFINFO_LIST (buf[off, off+len)) into one VfInfo per VF, in the
 * kernel's order. `linkType` is the PF's ifinfomsg.ifi_type (ARPHRD_*): it decides how many
 * bytes of the 32-byte address fields are the address. Children other than IFLA_VF_INFO are
 * skipped; a malformed TLV throws ParseError (the link decoder's caller reports it).
 */
export function decodeVfInfoList(buf: Buffer, off: number, len: number, linkType: number = ARPHRD_ETHER): VfInfo[] {
  const addrLen = vfAddressLength(linkType);
  const out: VfInfo[] = [];
  forEachAttr(buf, off, off + len, (type, at, l) => {
    if (type === IFLA_VF_INFO) out.push(toVfInfo(decodeAttrs(vfInfoSchema, buf, at, at + l), addrLen, out.length));
  }, 'vf.list');
  return out;
}

/** Where IFLA_VFINFO_LIST sits in a link message, with its true length. */
export interface VfInfoListLocation {
  /** Offset of the IFLA_VFINFO_LIST TLV header. */
  start: number;
  /** Offset of its payload (the IFLA_VF_INFO children). */
  payload: number;
  /** True payload length (may exceed what the 16-bit header says; see locateVfInfoList). */
  len: number;
  /** Offset of the next top-level attribute. */
  next: number;
  /** IFLA_NUM_VF, when the kernel sent it (it always precedes the list). */
  numVfs?: number;
}

const NLA_LEN_WRAP = 0x1_0000;

/**
 * Finds IFLA_VFINFO_LIST among a link message's attributes buf[off, end) and measures it.
 *
 * A PF with many VFs (about 220 with counters, 330 without) makes the list longer than the
 * 16-bit nla_len can say: the kernel writes the length modulo 65536 and carries on, so the
 * header understates the list and the VFs past that point would read as top-level link
 * attributes (iproute2 prints "Truncated VF list"). The true end is found by walking the
 * IFLA_VF_INFO children (each one far below 64 KiB) until IFLA_NUM_VF of them are seen at a
 * boundary that is congruent to the header's length modulo 65536 — only then is the longer
 * extent taken, so a list that is merely short (a driver that reported fewer VFs) keeps its
 * header's length. Returns undefined when the message has no list.
 */
export function locateVfInfoList(buf: Buffer, off: number, end: number): VfInfoListLocation | undefined {
  let numVfs: number | undefined;
  while (end - off >= 4) {
    const tlvLen = buf.readUInt16LE(off);
    if (tlvLen < 4 || off + tlvLen > end) return undefined; // the caller's decoder reports it
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (type === IFLA.NUM_VF && tlvLen >= 8) numVfs = buf.readUInt32LE(off + 4);
    if (type === IFLA.VFINFO_LIST) {
      const payload = off + 4;
      const declared = tlvLen - 4;
      const len = numVfs === undefined ? declared : trueListLength(buf, payload, declared, end, numVfs);
      const loc: VfInfoListLocation = { start: off, payload, len, next: payload + ((len + 3) & ~3) };
      if (numVfs !== undefined) loc.numVfs = numVfs;
      return loc;
    }
    off += (tlvLen + 3) & ~3;
  }
  return undefined;
}

function trueListLength(buf: Buffer, payload: number, declared: number, end: number, numVfs: number): number {
  let p = payload;
  let count = 0;
  for (;;) {
    const b = p - payload;
    if (count >= numVfs && b >= declared && (b - declared) % NLA_LEN_WRAP === 0) return b;
    if (end - p < 4) return declared;
    const len = buf.readUInt16LE(p);
    if (len < 4 || p + len > end || (buf.readUInt16LE(p + 2) & NLA_TYPE_MASK) !== IFLA_VF_INFO) return declared;
    p += (len + 3) & ~3;
    count++;
  }
}

// ── encoding ────────────────────────────────────────────────────────────────────────────

/** One VF's changes, validated and complete (rates filled in, addresses as bytes). */
export interface VfChangePlan {
  vf: number;
  mac?: Buffer;
  /** A VLAN to set; protocol as an ethertype. id 0 (and qos 0) clears it. */
  vlan?: { id: number; qos: number; protocol: number };
  rate?: { min: number; max: number };
  spoofchk?: boolean;
  trust?: boolean;
  rssQuery?: boolean;
  linkState?: number;
  /** GUIDs as u64 values, MSB = first byte of the text form. */
  nodeGuid?: bigint;
  portGuid?: bigint;
}

/** A zeroed ifla_vf_* struct of `size` bytes: the VF number, then the given u32 fields. */
function vfStruct(size: number, vf: number, ...fields: number[]): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32LE(vf, 0);
  fields.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 + 4 * i));
  return b;
}

function guidStruct(vf: number, guid: bigint): Buffer {
  const b = vfStruct(VF_STRUCT_SIZE.guid, vf);
  b.writeBigUInt64LE(guid, 8);
  return b;
}

/**
 * Writes IFLA_VFINFO_LIST { IFLA_VF_INFO { … } } for one VF, the way `ip link set … vf N …`
 * does: a plain 802.1Q VLAN goes as the legacy IFLA_VF_VLAN (every kernel and driver takes it),
 * 802.1ad as IFLA_VF_VLAN_LIST; rates as IFLA_VF_RATE. Nests carry no NLA_F_NESTED flag, as
 * iproute2 sends them. The kernel applies the attributes in a fixed order and stops at the
 * first failure, so everything it can be told in advance is validated before this is called.
 */
export function encodeVfChanges(w: MessageWriter, p: VfChangePlan): void {
  w.nestStart(IFLA.VFINFO_LIST, 'vf', true);
  w.nestStart(IFLA_VF_INFO, 'vf', true);
  const { vf } = p;
  if (p.mac) {
    const b = vfStruct(VF_STRUCT_SIZE.mac, vf);
    p.mac.copy(b, 4);
    w.bytes(IFLA_VF.MAC, b, 'mac');
  }
  if (p.vlan) {
    const { id, qos, protocol } = p.vlan;
    if (protocol === ETH_P_8021Q) {
      w.bytes(IFLA_VF.VLAN, vfStruct(VF_STRUCT_SIZE.vlan, vf, id, qos), 'vlan');
    } else {
      const b = vfStruct(VF_STRUCT_SIZE.vlanInfo, vf, id, qos);
      b.writeUInt16BE(protocol, 12);
      w.nestStart(IFLA_VF.VLAN_LIST, 'vlan', true);
      w.bytes(IFLA_VF_VLAN_INFO, b, 'vlan');
      w.nestEnd();
    }
  }
  if (p.rate) w.bytes(IFLA_VF.RATE, vfStruct(VF_STRUCT_SIZE.rate, vf, p.rate.min, p.rate.max), 'rate');
  const settings: [number, number | boolean | undefined, string][] = [
    [IFLA_VF.SPOOFCHK, p.spoofchk, 'spoofchk'],
    [IFLA_VF.RSS_QUERY_EN, p.rssQuery, 'rssQuery'],
    [IFLA_VF.TRUST, p.trust, 'trust'],
    [IFLA_VF.LINK_STATE, p.linkState, 'linkState'],
  ];
  for (const [type, value, name] of settings) {
    if (value !== undefined) w.bytes(type, vfStruct(VF_STRUCT_SIZE.setting, vf, Number(value)), name);
  }
  if (p.nodeGuid !== undefined) w.bytes(IFLA_VF.IB_NODE_GUID, guidStruct(vf, p.nodeGuid), 'nodeGuid');
  if (p.portGuid !== undefined) w.bytes(IFLA_VF.IB_PORT_GUID, guidStruct(vf, p.portGuid), 'portGuid');
  w.nestEnd();
  w.nestEnd();
}
