/** NDA_* attributes, NUD states and NTF flags (linux/neighbour.h), shared by neigh and fdb. */
import { defineSchema } from '../../wire/attributes';
import { formatIp } from '../../wire/address';

/** NDA_* attribute numbers. */
export const NDA = {
  DST: 1, LLADDR: 2, CACHEINFO: 3, PROBES: 4, VLAN: 5, PORT: 6, VNI: 7, IFINDEX: 8, MASTER: 9,
  LINK_NETNSID: 10, SRC_VNI: 11, PROTOCOL: 12, NH_ID: 13, FDB_EXT_ATTRS: 14, FLAGS_EXT: 15,
  NDM_STATE_MASK: 16, NDM_FLAGS_MASK: 17,
} as const;

/** NUD_* states by the names `ip neigh` uses (lowercase here). */
export const NUD: [number, string][] = [
  [0x01, 'incomplete'], [0x02, 'reachable'], [0x04, 'stale'], [0x08, 'delay'], [0x10, 'probe'],
  [0x20, 'failed'], [0x40, 'noarp'], [0x80, 'permanent'],
];
/** NUD_NONE: no state (a valid state to ask for). */
export const NUD_NONE = 0;
export const NUD_REACHABLE = 0x02;
export const NUD_NOARP = 0x40;
export const NUD_PERMANENT = 0x80;

/** NTF_* flags (ndm_flags) by the names iproute2 prints. */
export const NTF: [number, string][] = [
  [0x01, 'use'], [0x02, 'self'], [0x04, 'master'], [0x08, 'proxy'], [0x10, 'extern_learn'],
  [0x20, 'offload'], [0x40, 'sticky'], [0x80, 'router'],
];
export const NTF_USE = 0x01;
export const NTF_SELF = 0x02;
export const NTF_MASTER = 0x04;
export const NTF_PROXY = 0x08;
export const NTF_EXT_LEARNED = 0x10;
export const NTF_STICKY = 0x40;
export const NTF_ROUTER = 0x80;

/** NTF_EXT_* flags (NDA_FLAGS_EXT). */
export const NTF_EXT: [number, string][] = [[0x01, 'managed'], [0x02, 'locked']];
export const NTF_EXT_MANAGED = 0x01;

/** struct nda_cacheinfo: ages in hundredths of a second (as the kernel's clock_t). */
export interface NeighCacheInfo {
  confirmed: number;
  used: number;
  updated: number;
  refcnt: number;
}

/** The RTM_NEWNEIGH attribute table (both ARP/NDP entries and bridge/VXLAN FDB entries). */
export const neighSchema = defineSchema('neigh', {
  [NDA.DST]: { name: 'dst', type: 'binary', decode: (b, o, l) => (l === 4 || l === 16 ? formatIp(b, o, l) : undefined) },
  [NDA.LLADDR]: { name: 'lladdr', type: 'mac' },
  [NDA.CACHEINFO]: {
    name: 'cacheInfo', type: 'binary',
    decode: (b, o, l): NeighCacheInfo | undefined =>
      l >= 16 ? { confirmed: b.readUInt32LE(o), used: b.readUInt32LE(o + 4), updated: b.readUInt32LE(o + 8), refcnt: b.readUInt32LE(o + 12) } : undefined,
  },
  [NDA.PROBES]: { name: 'probes', type: 'u32' },
  [NDA.VLAN]: { name: 'vlan', type: 'u16' },
  [NDA.PORT]: { name: 'port', type: 'u16be' },
  [NDA.VNI]: { name: 'vni', type: 'u32' },
  [NDA.IFINDEX]: { name: 'via', type: 'u32' },
  [NDA.MASTER]: { name: 'master', type: 'u32' },
  [NDA.LINK_NETNSID]: { name: 'linkNetnsId', type: 's32' },
  [NDA.SRC_VNI]: { name: 'srcVni', type: 'u32' },
  [NDA.PROTOCOL]: { name: 'protocol', type: 'u8' },
  [NDA.NH_ID]: { name: 'nhid', type: 'u32' },
  [NDA.FLAGS_EXT]: { name: 'flagsExt', type: 'u32' },
});
