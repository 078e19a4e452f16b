/** RTM_NEWNEIGH/RTM_DELNEIGH (AF_INET, AF_INET6) → Neighbour (list, monitor). */
import { ParseError } from '../../errors';
import { defineSchema, schemaDecoder, type AttrSpec, type RawAttribute } from '../../wire/attributes';
import { familyName } from '../../wire/address';
import { NLMSG_HDRLEN } from '../../wire/constants';
import { NDMSG_SIZE } from '../structs';
import { NDA, neighSchema, NTF, NTF_EXT, NUD, type NeighCacheInfo } from './neigh-schema';
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

/**
 * The neighbour schema as the decoder runs it: straight into the Neighbour, with NDA_DST as
 * `address`, NDA_PROTOCOL by name and NDA_FLAGS_EXT merged into `flags`. The FDB-only
 * attributes are not Neighbour fields (rt.fdb decodes those). One object per entry, no
 * intermediate: a 50 000-entry dump was mostly garbage collection.
 */
const neighDecodeSchema = defineSchema('neigh', Object.fromEntries([...neighSchema.attrs].map(([type, spec]): [number, AttrSpec] => {
  switch (type) {
    case NDA.DST: return [type, { ...spec, name: 'address' }];
    case NDA.LLADDR: case NDA.CACHEINFO: case NDA.PROBES: return [type, spec];
    case NDA.PROTOCOL: return [type, { ...spec, decode: (b, o, l) => (l >= 1 ? routeProtocols.name(b[o]!) : undefined) }];
    case NDA.FLAGS_EXT:
      return [type, { ...spec, decodeInto: (out: Neighbour, b: Buffer, o: number, l: number) => {
        if (l < 4) return false;
        const ext = b.readUInt32LE(o);
        if (ext) out.flags.push(...bitNames(NTF_EXT, ext));
        return true;
      } }];
    default: return [type, { ...spec, type: 'skip', decode: undefined }];
  }
})));

const decodeNeighAttrs = schemaDecoder<Neighbour>(neighDecodeSchema);

/** bitNames, remembered per value (a dump has a handful of distinct state and flag words). */
function cachedBitNames(cache: Map<number, readonly string[]>, table: readonly (readonly [number, string])[], bits: number): string[] {
  let names = cache.get(bits);
  if (!names) {
    names = bitNames(table, bits);
    if (cache.size < 256) cache.set(bits, names);
  }
  return names.slice();
}
const stateNames = new Map<number, readonly string[]>();
const flagNames = new Map<number, readonly string[]>();

/** Decodes one neighbour message. */
export function decodeNeighbour(buf: Buffer, off: number, len: number): Neighbour {
  const at = off + NLMSG_HDRLEN;
  if (len - NLMSG_HDRLEN < NDMSG_SIZE) throw new ParseError(`ndmsg: ${len - NLMSG_HDRLEN} bytes, need at least ${NDMSG_SIZE}`);
  const out: Neighbour = {
    family: familyName(buf[at]!),
    index: buf.readInt32LE(at + 4),
    address: '',
    state: cachedBitNames(stateNames, NUD, buf.readUInt16LE(at + 8)),
    flags: cachedBitNames(flagNames, NTF, buf[at + 10]!),
    type: routeTypes.name(buf[at + 11]!),
  };
  return decodeNeighAttrs(buf, at + NDMSG_SIZE, off + len, out);
}
