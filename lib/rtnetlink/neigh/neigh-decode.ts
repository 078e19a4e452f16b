/** RTM_NEWNEIGH/RTM_DELNEIGH (AF_INET, AF_INET6) → Neighbour (list, monitor). */
import { ParseError } from '../../errors';
import { defineSchema, schemaDecoder, type AttrSpec, type RawAttribute } from '../../wire/attributes';
import { familyName } from '../../wire/address';
import { NLMSG_HDRLEN } from '../../wire/constants';
import { NDMSG_SIZE } from '../structs';
import { NDA, neighSchema, NTF, NTF_EXT, NUD, type NeighCacheInfo } from './neigh-schema';
import { bitNames, routeProtocols, routeTypes } from '../request/names';
import { bitNamesCopier, lastName } from '../request/dump-names';

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
    case NDA.LLADDR: case NDA.PROBES: return [type, spec];
    case NDA.CACHEINFO:
      return [type, { ...spec, decode: (b: Buffer, o: number, l: number) => (l >= 16 ? new newCacheInfo(readU32(b, o), readU32(b, o + 4), readU32(b, o + 8), readU32(b, o + 12)) : undefined) }];
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

// Compiled on the first entry decoded, not at load (a process that never lists neighbours skips it).
let decodeNeighAttrs: ReturnType<typeof schemaDecoder<Neighbour>> | undefined;

const stateNames = bitNamesCopier(NUD);
const flagNames = bitNamesCopier(NTF);
const typeName = lastName(routeTypes);
const familyOf = lastName({ name: familyName });

/**
 * A neighbour's fixed part, built by `new` so V8 sizes the object for the attributes added
 * next (lladdr, probes, cacheInfo, dev) and keeps them inside it, without a second property
 * array per entry; the prototype is Object.prototype, so it is the plain object a literal
 * would be.
 */
function NeighObject(this: Neighbour, family: string, index: number, state: string[], flags: string[], type: string): void {
  this.family = family;
  this.index = index;
  this.address = '';
  this.state = state;
  this.flags = flags;
  this.type = type;
}
NeighObject.prototype = Object.prototype;
const newNeighbour = NeighObject as unknown as new (...a: Parameters<typeof NeighObject>) => Neighbour;

/** struct nda_cacheinfo as a plain object (made by `new`, for the same reason). */
function CacheInfoObject(this: NeighCacheInfo, confirmed: number, used: number, updated: number, refcnt: number): void {
  this.confirmed = confirmed;
  this.used = used;
  this.updated = updated;
  this.refcnt = refcnt;
}
CacheInfoObject.prototype = Object.prototype;
const newCacheInfo = CacheInfoObject as unknown as new (...a: Parameters<typeof CacheInfoObject>) => NeighCacheInfo;

const readU32 = (b: Buffer, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x100_0000;

/** Decodes one neighbour message. */
export function decodeNeighbour(buf: Buffer, off: number, len: number): Neighbour {
  return decodeNeighbourNamed(buf, off, len, undefined);
}

/**
 * decodeNeighbour that also names the link (`dev`, the last field) from `names` (ifindex →
 * name): the list call's decoder, so a 50 000-entry dump is not walked a second time.
 */
export function decodeNeighbourNamed(buf: Buffer, off: number, len: number, names: ReadonlyMap<number, string> | undefined): Neighbour {
  const at = off + NLMSG_HDRLEN;
  if (len - NLMSG_HDRLEN < NDMSG_SIZE) throw new ParseError(`ndmsg: ${len - NLMSG_HDRLEN} bytes, need at least ${NDMSG_SIZE}`);
  const out = new newNeighbour(
    familyOf(buf[at]!),
    buf[at + 4]! | (buf[at + 5]! << 8) | (buf[at + 6]! << 16) | (buf[at + 7]! << 24),
    stateNames(buf[at + 8]! | (buf[at + 9]! << 8)),
    flagNames(buf[at + 10]!),
    typeName(buf[at + 11]!),
  );
  (decodeNeighAttrs ??= schemaDecoder<Neighbour>(neighDecodeSchema))(buf, at + NDMSG_SIZE, off + len, out);
  if (names !== undefined) {
    const dev = names.get(out.index);
    if (dev !== undefined) out.dev = dev;
  }
  return out;
}
