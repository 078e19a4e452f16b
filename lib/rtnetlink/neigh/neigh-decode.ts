/** RTM_NEWNEIGH/RTM_DELNEIGH (AF_INET, AF_INET6) → Neighbour (list, monitor). */
import { decodeAttrs, type RawAttribute } from '../../wire/attributes';
import { familyName } from '../../wire/address';
import { NLMSG_HDRLEN } from '../../wire/constants';
import { NDMSG_SIZE, readNdMsg } from '../structs';
import { neighSchema, NTF, NTF_EXT, NUD, type NeighCacheInfo } from './neigh-schema';
import { bitNames, routeProtocols, routeTypes } from '../request/names';

/** An ARP (IPv4) or NDP (IPv6) neighbour entry, or a proxy entry. */
export interface Neighbour {
  family: 'inet' | 'inet6' | string;
  /** ifindex of the link. */
  index: number;
  /** Name of the link (resolved by list unless disabled). */
  dev?: string;
  /** The neighbour's IP address (NDA_DST). */
  address: string;
  /** Its link-layer address, when known. */
  lladdr?: string;
  /** NUD state names ('permanent', 'reachable', 'stale', 'noarp' …); [] is 'none'. */
  state: string[];
  /** 'router', 'proxy', 'extern_learn', 'use', 'managed' … */
  flags: string[];
  /** Route type of the address (ndm_type): 'unicast', 'multicast' … */
  type: string;
  probes?: number;
  cacheInfo?: NeighCacheInfo;
  /** Who installed it: a name from rt_protos ('static', 'zebra' …) or the number as text. */
  protocol?: string;
  unknown?: RawAttribute[];
}

/** Decodes one neighbour message. */
export function decodeNeighbour(buf: Buffer, off: number, len: number): Neighbour {
  const hdr = readNdMsg(buf, off + NLMSG_HDRLEN, len - NLMSG_HDRLEN);
  const raw: any = decodeAttrs(neighSchema, buf, off + NLMSG_HDRLEN + NDMSG_SIZE, off + len);
  const out: Neighbour = {
    family: familyName(hdr.family),
    index: hdr.index,
    address: raw.dst ?? '',
    state: bitNames(NUD, hdr.state),
    flags: bitNames(NTF, hdr.flags),
    type: routeTypes.name(hdr.type),
  };
  if (raw.flagsExt) out.flags.push(...bitNames(NTF_EXT, raw.flagsExt));
  if (raw.protocol !== undefined) out.protocol = routeProtocols.name(raw.protocol);
  for (const k of ['lladdr', 'probes', 'cacheInfo', 'unknown'] as const) {
    if (raw[k] !== undefined) (out as any)[k] = raw[k];
  }
  return out;
}
