/**
 * RTM_NEWLINK/RTM_DELLINK → Link. One decoder serves list, get, add (echo) and monitor events.
 */
import { ParseError } from '../../errors';
import { decodeVfInfoList, locateVfInfoList, type VfInfo } from './vf/vf-schema';
import { decodeAttrs, defineSchema, schemaDecoder, type AttrSpec, type RawAttribute } from '../../wire/attributes';
import { AF_BRIDGE, NLMSG_HDRLEN } from '../../wire/constants';
import { IFINFOMSG_SIZE, readIfInfoMsg } from '../structs';
import { IFLA, linkInfoSchema, linkPropSchema, linkSchema, type LinkStats } from './link-schema';
import { linkKindCodec } from './kinds/registry';
import { decodeBridgePort } from './kinds/index';
import type {
  BondInfo, BondPortInfo, BridgeInfo, BridgePortInfo, GeneveInfo, GreInfo, IpvlanInfo, MacvlanInfo,
  TunInfo, VlanInfo, VrfInfo, VrfPortInfo, VxlanInfo,
} from './kinds/index';
import { IFF, linkFlagNames, linkTypes } from '../request/names';

/** `link.info` types by kind; see {@link isLinkKind} for typed access. */
export interface LinkInfoMap {
  bridge: BridgeInfo;
  vlan: VlanInfo;
  macvlan: MacvlanInfo;
  macvtap: MacvlanInfo;
  vxlan: VxlanInfo;
  geneve: GeneveInfo;
  gre: GreInfo;
  gretap: GreInfo;
  ip6gre: GreInfo;
  ip6gretap: GreInfo;
  ipvlan: IpvlanInfo;
  ipvtap: IpvlanInfo;
  bond: BondInfo;
  vrf: VrfInfo;
  tun: TunInfo;
}

/** `link.slaveInfo` types by the master's kind (bridge ports use `link.bridgePort`). */
export interface LinkSlaveInfoMap {
  bond: BondPortInfo;
  vrf: VrfPortInfo;
}

/** A network interface as the kernel describes it. */
export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND ('veth', 'bridge', …); absent for plain devices (lo, physical NICs). */
  kind?: string;
  /** Kind of the master this link is a port of ('bridge', 'bond'), when enslaved. */
  slaveKind?: string;
  address?: string;
  broadcast?: string;
  permAddress?: string;
  mtu: number;
  minMtu?: number;
  maxMtu?: number;
  /** Flag names as `ip -j link` prints them ('BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP' …). */
  flags: string[];
  /** ifi_flags as a number. */
  rawFlags: number;
  /** IFF_UP is set (administratively up). */
  up: boolean;
  /** RFC 2863 operational state ('UP', 'DOWN', 'UNKNOWN', 'LOWERLAYERDOWN' …). */
  operstate: string;
  linkMode?: string;
  /** ARPHRD link type name ('ether', 'loopback', 'none' …). */
  linkType: string;
  /** ifindex of the master (bridge, bond, vrf). */
  master?: number;
  /** ifindex of the parent/lower link (vlan, macvlan, veth peer …), in `linkNetnsId`'s namespace when set. */
  link?: number;
  /** Namespace id (as this namespace knows it) where `link` lives. */
  linkNetnsId?: number;
  txqlen?: number;
  alias?: string;
  group?: number;
  promiscuity?: number;
  numTxQueues?: number;
  numRxQueues?: number;
  carrier?: boolean;
  carrierChanges?: number;
  qdisc?: string;
  altNames?: string[];
  gsoMaxSize?: number;
  gsoMaxSegs?: number;
  protoDown?: boolean;
  parentDevName?: string;
  parentDevBusName?: string;
  numVfs?: number;
  /** SR-IOV VFs, when VF info was asked for (extMask RTEXT_FILTER_VF); see rt.vf.list(). */
  vfs?: VfInfo[];
  stats?: LinkStats;
  /**
   * Per-kind settings decoded from IFLA_INFO_DATA; the shape per kind is in
   * {@link LinkInfoMap} (narrow with {@link isLinkKind}). Kinds without a codec: `{ raw }`.
   */
  info?: Record<string, any>;
  /** Settings of this link as a bridge port (IFLA_INFO_SLAVE_DATA of a bridge, or IFLA_PROTINFO). */
  bridgePort?: BridgePortInfo;
  /** Per-port settings decoded from IFLA_INFO_SLAVE_DATA of other masters (bond, vrf). */
  slaveInfo?: Record<string, any>;
  /** Attributes this version doesn't decode, kept as bytes. */
  unknown?: RawAttribute[];
  [extra: string]: unknown;
}

/**
 * Decodes a kind's nest; without a codec, or when the nest is malformed, keeps it as bytes so
 * one odd device never drops the whole link from a dump.
 */
function tolerant(data: Buffer, decode: ((b: Buffer, o: number, l: number) => object) | undefined): Record<string, any> {
  if (decode) {
    try {
      return decode(data, 0, data.length);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
    }
  }
  return { raw: Buffer.from(data) };
}

/**
 * Decodes one link message (header at `off`, `len` bytes) of a request without
 * RTEXT_FILTER_VF, or a notification: neither carries IFLA_VFINFO_LIST.
 */
export function decodeLink(buf: Buffer, off: number, len: number): Link {
  return decodeLinkMessage(buf, off, len, false);
}

/** Decodes one link message of a request with RTEXT_FILTER_VF, VF list (`vfs`) included. */
export function decodeLinkWithVfs(buf: Buffer, off: number, len: number): Link {
  return decodeLinkMessage(buf, off, len, true);
}

/** IFLA_LINKINFO spread into `kind`, `slaveKind`, `info`, `bridgePort` / `slaveInfo`. */
function decodeLinkInfoInto(raw: any, buf: Buffer, off: number, len: number): void {
  const info = decodeAttrs<Record<string, any>>(linkInfoSchema, buf, off, off + len);
  if (info.kind) raw.kind = info.kind;
  if (info.slaveKind) raw.slaveKind = info.slaveKind;
  if (info.data) raw.info = tolerant(info.data, (info.kind ? linkKindCodec(info.kind) : undefined)?.decodeData);
  if (info.slaveData) {
    const decoded = tolerant(info.slaveData, (info.slaveKind ? linkKindCodec(info.slaveKind) : undefined)?.decodeSlaveData);
    if (info.slaveKind === 'bridge') raw.bridgePort = decoded;
    else raw.slaveInfo = decoded;
  }
}

/**
 * The link schema as the decoder runs it: nests that become several Link fields are written
 * straight into the Link as they are met. Setting them aside and deleting the holder after
 * (`delete link.linkinfo`) turned every Link into a slow dictionary-mode object.
 */
const linkDecodeSchema = defineSchema('link', Object.fromEntries([...linkSchema.attrs].map(([type, spec]): [number, AttrSpec] => {
  if (type === IFLA.LINKINFO) return [type, { ...spec, decodeInto: decodeLinkInfoInto }];
  if (type === IFLA.PROP_LIST) {
    return [type, { ...spec, decodeInto: (raw: any, b: Buffer, o: number, l: number) => {
      const props = decodeAttrs<{ altNames?: string[]; unknown?: RawAttribute[] }>(linkPropSchema, b, o, o + l);
      if (props.altNames) raw.altNames = props.altNames;
    } }];
  }
  return [type, spec];
})));

// Compiled on the first link decoded, not at load (a process that never lists links skips it).
let decodeLinkAttrs: ReturnType<typeof schemaDecoder> | undefined;

/** ifi_flags → names, remembered per value: a dump has a handful of distinct flag words. */
const flagNamesCache = new Map<number, readonly string[]>();
function flagNames(flags: number): string[] {
  let names = flagNamesCache.get(flags);
  if (!names) {
    names = linkFlagNames(flags);
    if (flagNamesCache.size < 256) flagNamesCache.set(flags, names);
  }
  return names.slice();
}

function decodeLinkMessage(buf: Buffer, off: number, len: number, vfLists: boolean): Link {
  const hdr = readIfInfoMsg(buf, off + NLMSG_HDRLEN, len - NLMSG_HDRLEN);
  const attrs = off + NLMSG_HDRLEN + IFINFOMSG_SIZE;
  const end = off + len;
  // Past ~220 VFs the kernel's IFLA_VFINFO_LIST outgrows its 16-bit length (it wraps), so the
  // list is located by counting its entries and the attributes either side decoded apart.
  // That walk is only worth it where the list can be: replies to requests that asked for it.
  const vfList = vfLists ? locateVfInfoList(buf, attrs, end) : undefined;
  const raw: any = (decodeLinkAttrs ??= schemaDecoder(linkDecodeSchema))(buf, attrs, vfList ? vfList.start : end, {
    index: hdr.index,
    name: '',
    mtu: 0,
    flags: flagNames(hdr.flags),
    rawFlags: hdr.flags,
    up: (hdr.flags & IFF.UP) !== 0,
    operstate: 'UNKNOWN',
    linkType: linkTypes.name(hdr.type),
  });
  if (vfList) {
    decodeAttrs(linkDecodeSchema, buf, vfList.next, end, raw);
    raw.vfs = decodeVfInfoList(buf, vfList.payload, vfList.len, hdr.type);
  }
  if (raw.protinfo && hdr.family === AF_BRIDGE) {
    // AF_BRIDGE dumps (`bridge link`) carry the port settings in IFLA_PROTINFO instead.
    const p: Buffer = raw.protinfo;
    raw.bridgePort ??= tolerant(p, decodeBridgePort);
    delete raw.protinfo;
  } else if (raw.protinfo) {
    raw.protinfo = Buffer.from(raw.protinfo);
  }
  return raw as Link;
}

/**
 * Narrows a link to one kind so `link.info` is typed:
 * `if (isLinkKind(l, 'vlan')) console.log(l.info?.id)`.
 */
export function isLinkKind<K extends keyof LinkInfoMap>(link: Link, kind: K): link is Link & { kind: K; info?: LinkInfoMap[K] } {
  return link.kind === kind;
}
