/**
 * RTM_NEWLINK/RTM_DELLINK → Link. One decoder serves list, get, add (echo) and monitor events.
 */
import { decodeAttrs, type RawAttribute } from '../wire/attributes';
import { NLMSG_HDRLEN } from '../wire/constants';
import { IFINFOMSG_SIZE, readIfInfoMsg } from '../wire/structs';
import { linkSchema, type LinkStats } from './link-schema';
import { linkKindCodec } from './link-kinds/registry';
import { IFF, linkFlagNames, linkTypes } from './names';

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
  stats?: LinkStats;
  /** Per-kind settings decoded from IFLA_INFO_DATA (typed per kind). */
  info?: Record<string, any>;
  /** Per-port settings decoded from IFLA_INFO_SLAVE_DATA. */
  slaveInfo?: Record<string, any>;
  /** Attributes this version doesn't decode, kept as bytes. */
  unknown?: RawAttribute[];
  [extra: string]: unknown;
}

/** Decodes one link message (header at `off`, `len` bytes). */
export function decodeLink(buf: Buffer, off: number, len: number): Link {
  const hdr = readIfInfoMsg(buf, off + NLMSG_HDRLEN, len - NLMSG_HDRLEN);
  const raw: any = decodeAttrs(linkSchema, buf, off + NLMSG_HDRLEN + IFINFOMSG_SIZE, off + len, {
    index: hdr.index,
    name: '',
    mtu: 0,
    flags: linkFlagNames(hdr.flags),
    rawFlags: hdr.flags,
    up: (hdr.flags & IFF.UP) !== 0,
    operstate: 'UNKNOWN',
    linkType: linkTypes.name(hdr.type),
  });
  const info = raw.linkinfo;
  if (info) {
    delete raw.linkinfo;
    if (info.kind) raw.kind = info.kind;
    if (info.slaveKind) raw.slaveKind = info.slaveKind;
    const codec = info.kind ? linkKindCodec(info.kind) : undefined;
    if (info.data) raw.info = codec?.decodeData ? codec.decodeData(info.data, 0, info.data.length) : { raw: info.data };
    const slaveCodec = info.slaveKind ? linkKindCodec(info.slaveKind) : undefined;
    if (info.slaveData) {
      raw.slaveInfo = slaveCodec?.decodeSlaveData ? slaveCodec.decodeSlaveData(info.slaveData, 0, info.slaveData.length) : { raw: info.slaveData };
    }
  }
  if (raw.propList) {
    if (raw.propList.altNames) raw.altNames = raw.propList.altNames;
    delete raw.propList;
  }
  return raw as Link;
}
