/**
 * rt.mdb: the bridge multicast database (`bridge mdb`): which ports of a bridge receive which
 * multicast group, per VLAN, optionally only from some sources (IGMPv3/MLDv2 S,G entries).
 * Entries are learned by IGMP/MLD snooping or added by hand (permanent or temporary).
 */
import { ParseError, ValidationError } from '../../errors';
import { checkKeys, signalOf, type CallOptions } from '../../core/options';
import { decodeAttrs, defineSchema, forEachAttr, type RawAttribute } from '../../wire/attributes';
import { formatIp, formatMac, parseIp, parseMac } from '../../wire/address';
import { AF_BRIDGE, NLMSG_HDRLEN, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE } from '../../wire/constants';
import { MessageWriter, type AttrTable } from '../../wire/message-writer';
import { RTM_DELMDB, RTM_GETMDB, RTM_NEWMDB } from '../constants';
import type { Engine } from '../../core/engine';
import type { LinkApi } from '../link/link';
import type { LinkRef } from '../request/link-ref';
import { applyChange, linkIndex, uint, type LinkField, type PreparedRequest } from '../request/prepare';
import { bitNames, routeProtocols } from '../request/names';

/** struct br_port_msg: u8 family, 3 pad, u32 ifindex. */
const BR_PORT_MSG_SIZE = 8;
/** struct br_mdb_entry: u32 ifindex, u8 state, u8 flags, u16 vid, 16-byte address, be16 proto (+2 pad). */
const BR_MDB_ENTRY_SIZE = 28;

/** MDBA_* (top level of dumps and notifications). */
const MDBA = { MDB: 1, ROUTER: 2 } as const;
/** MDBA_SET_ENTRY* (top level of add/del requests). */
const MDBA_SET = { ENTRY: 1, ENTRY_ATTRS: 2 } as const;
/** MDBE_ATTR_* (inside MDBA_SET_ENTRY_ATTRS). */
const MDBE_ATTR = { SOURCE: 1, SRC_LIST: 2, GROUP_MODE: 3, RTPROT: 4, DST: 5, DST_PORT: 6, VNI: 7, IFINDEX: 8, SRC_VNI: 9 } as const;
const MDBE_SRC_LIST_ENTRY = 1;
const MDBE_SRCATTR_ADDRESS = 1;

const MDB_PERMANENT = 1;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
/** MCAST_EXCLUDE / MCAST_INCLUDE (linux/in.h). */
const FILTER_MODES = ['exclude', 'include'] as const;
const MDB_FLAGS: [number, string][] = [[1, 'offload'], [2, 'fast_leave'], [4, 'added_by_star_ex'], [8, 'blocked'], [16, 'offload_failed']];

/** USER_HZ: the kernel reports MDB timers in clock_t. */
const USER_HZ = 100;

/** One source of a group (IGMPv3/MLDv2), with the seconds until it times out. */
export interface MdbSource {
  address: string;
  /** Seconds left (0 for permanent entries). */
  timer?: number;
}

/** An MDB entry as the kernel reports it (names as `bridge -j -d mdb` prints them). */
export interface MdbEntry {
  /** ifindex of the bridge. */
  index: number;
  /** The bridge's name (resolved by list unless disabled). */
  bridge?: string;
  /** ifindex of the port (the bridge itself for host-joined groups). */
  portIndex: number;
  port?: string;
  /** Group address: IPv4, IPv6 or (L2 entries) a MAC address. */
  group: string;
  /** The source of an (S, G) entry. */
  source?: string;
  /** VLAN id; absent for entries without a VLAN. */
  vlan?: number;
  /** 'permanent' or 'temporary'. */
  state: 'permanent' | 'temporary';
  /** 'offload', 'fast_leave', 'added_by_star_ex', 'blocked', 'offload_failed'. */
  flags: string[];
  /** Seconds until the entry times out (0 for permanent). */
  timer?: number;
  /** IGMPv3/MLDv2 filter mode of a (*, G) entry. */
  mode?: 'include' | 'exclude';
  /** The sources of a (*, G) entry's source list. */
  sources?: MdbSource[];
  /** Who installed it: 'static' (by hand), 'kernel' (snooping) … */
  protocol?: string;
  /** VXLAN MDB (vxlan devices only): the remote's address, port, VNI. */
  dst?: string;
  dstPort?: number;
  vni?: number;
  srcVni?: number;
  /** ifindex of the device to reach `dst` through. */
  via?: number;
  /**
   * Set on monitor events that are router-port notices instead (`bridge monitor mdb` prints
   * them as `router port`): `portIndex` became (new) or stopped being (del) a multicast router
   * port of the bridge; `group` is ''.
   */
  router?: true;
  unknown?: RawAttribute[];
}

/** An MDB entry to add or delete (words as `bridge mdb add dev BR port P grp G …`). */
export interface MdbSpec {
  /** The bridge (`dev`). */
  bridge: LinkRef;
  /** The port (`port`); the bridge itself for a host join. */
  port: LinkRef;
  /** Group: IPv4/IPv6 multicast address, or a multicast MAC for an L2 entry (`grp`). */
  group: string;
  /** Only traffic from this source (`src`): an (S, G) entry. */
  source?: string;
  /** VLAN id (`vid`), 1–4094. */
  vlan?: number;
  /**
   * Permanent (`permanent`), or temporary (the default, as `bridge mdb add` without a word: it
   * ages out after the bridge's membership interval). Host joins (port = bridge) are temporary.
   */
  permanent?: boolean;
  /** IGMPv3/MLDv2 filter mode of a (*, G) entry (`filter_mode`), with `sources`. */
  mode?: 'include' | 'exclude';
  /** The source list of a (*, G) entry (`source_list`). */
  sources?: string[];
  /** Protocol name or number (`proto`); default 'static'. */
  protocol?: string | number;
}

/** Options of `rt.mdb.list()`. */
export interface MdbListOptions {
  /** Only entries of this bridge (`dev`). */
  bridge?: LinkRef;
  /** Only entries of this port (`port`). */
  port?: LinkRef;
  /** Only entries of this VLAN (`vid`). */
  vlan?: number;
  /** Resolve bridge and port names (one link dump). Default true. */
  names?: boolean;
}

const srcEntrySchema = defineSchema('mdb.source', {
  1: { name: 'address', type: 'ip' },
  2: { name: 'timer', type: 'u32', decode: (b, o, l) => (l >= 4 ? b.readUInt32LE(o) / USER_HZ : undefined) },
});

/** Attributes following struct br_mdb_entry inside MDBA_MDB_ENTRY_INFO (MDBA_MDB_EATTR_*). */
const entryAttrSchema = defineSchema('mdb.entry', {
  1: { name: 'timer', type: 'u32', decode: (b, o, l) => (l >= 4 ? b.readUInt32LE(o) / USER_HZ : undefined) },
  2: {
    name: 'sources',
    type: 'nested',
    decode: (b, o, l) => {
      const out: MdbSource[] = [];
      forEachAttr(b, o, o + l, (t, a, n) => {
        if (t === 1) out.push(decodeAttrs<MdbSource>(srcEntrySchema, b, a, a + n));
      }, 'mdb.sources');
      return out;
    },
  },
  3: { name: 'mode', type: 'u8', decode: (b, o, l) => (l >= 1 ? FILTER_MODES[b[o]!] ?? String(b[o]) : undefined) },
  4: { name: 'source', type: 'ip' },
  5: { name: 'protocol', type: 'u8', decode: (b, o, l) => (l >= 1 ? routeProtocols.name(b[o]!) : undefined) },
  6: { name: 'dst', type: 'ip' },
  7: { name: 'dstPort', type: 'u16' },
  8: { name: 'vni', type: 'u32' },
  9: { name: 'via', type: 'u32' },
  10: { name: 'srcVni', type: 'u32' },
});

/** Reads struct br_mdb_entry's group address by its protocol. */
function groupOf(b: Buffer, at: number): string {
  const proto = b.readUInt16BE(at + 24);
  if (proto === ETH_P_IP) return formatIp(b, at + 8, 4);
  if (proto === ETH_P_IPV6) return formatIp(b, at + 8, 16);
  return formatMac(b, at + 8, 6);
}

/** Decodes one MDBA_MDB_ENTRY_INFO (struct br_mdb_entry, then attributes). */
function decodeEntryInfo(b: Buffer, at: number, len: number, bridge: number): MdbEntry {
  if (len < BR_MDB_ENTRY_SIZE - 2) throw new ParseError(`mdb entry: ${len} bytes, need ${BR_MDB_ENTRY_SIZE - 2}`);
  const vid = b.readUInt16LE(at + 6);
  const e: MdbEntry = {
    index: bridge,
    portIndex: b.readUInt32LE(at),
    group: groupOf(b, at),
    state: b[at + 4] === MDB_PERMANENT ? 'permanent' : 'temporary',
    flags: bitNames(MDB_FLAGS, b[at + 5]!),
  };
  if (vid) e.vlan = vid;
  if (len > BR_MDB_ENTRY_SIZE) decodeAttrs(entryAttrSchema, b, at + BR_MDB_ENTRY_SIZE, at + len, e);
  return e;
}

/**
 * Decodes every entry of one RTM_NEWMDB / RTM_DELMDB message (a dump part holds one bridge's
 * entries; a notification one entry). Router-port notices carry no entries.
 */
export function decodeMdbMessage(buf: Buffer, off: number, len: number): MdbEntry[] {
  if (len - NLMSG_HDRLEN < BR_PORT_MSG_SIZE) throw new ParseError('br_port_msg: truncated');
  const bridge = buf.readUInt32LE(off + NLMSG_HDRLEN + 4);
  const out: MdbEntry[] = [];
  forEachAttr(buf, off + NLMSG_HDRLEN + BR_PORT_MSG_SIZE, off + len, (t, a, n) => {
    if (t !== MDBA.MDB) return;
    forEachAttr(buf, a, a + n, (t2, a2, n2) => {
      if (t2 !== 1 /* MDBA_MDB_ENTRY */) return;
      forEachAttr(buf, a2, a2 + n2, (t3, a3, n3) => {
        if (t3 === 1 /* MDBA_MDB_ENTRY_INFO */) out.push(decodeEntryInfo(buf, a3, n3, bridge));
      }, 'mdb.entry');
    }, 'mdb.mdb');
  }, 'mdb');
  return out;
}

/** A notification (monitor): its entry, or a router-port notice. */
export function decodeMdb(buf: Buffer, off: number, len: number): MdbEntry {
  const entry = decodeMdbMessage(buf, off, len)[0];
  if (entry) return entry;
  const bridge = buf.readUInt32LE(off + NLMSG_HDRLEN + 4);
  let portIndex = 0;
  forEachAttr(buf, off + NLMSG_HDRLEN + BR_PORT_MSG_SIZE, off + len, (t, a, n) => {
    if (t !== MDBA.ROUTER) return;
    forEachAttr(buf, a, a + n, (t2, a2, n2) => {
      if (t2 === 1 /* MDBA_ROUTER_PORT */ && n2 >= 4) portIndex = buf.readUInt32LE(a2);
    }, 'mdb.router');
  }, 'mdb');
  return { index: bridge, portIndex, group: '', state: 'temporary', flags: [], router: true };
}

/** What an MDB change does (`bridge mdb add|replace|del`). */
export type MdbChange = 'add' | 'replace' | 'del';

const CHANGE_FLAGS: Record<MdbChange, number> = { add: NLM_F_CREATE | NLM_F_EXCL, replace: NLM_F_CREATE | NLM_F_REPLACE, del: 0 };
const OPERATIONS: Record<MdbChange, string> = { add: 'mdb.add', replace: 'mdb.replace', del: 'mdb.del' };
const SPEC_KEYS = ['bridge', 'port', 'group', 'source', 'vlan', 'permanent', 'mode', 'sources', 'protocol'];
/** An MdbEntry from list() may be handed back to del(): its other fields are ignored there. */
const ENTRY_KEYS = [...SPEC_KEYS, 'index', 'portIndex', 'state', 'flags', 'timer', 'dst', 'dstPort', 'vni', 'srcVni', 'via', 'unknown'];

const MDB_ATTRS: AttrTable = { headerSize: BR_PORT_MSG_SIZE, fields: { [MDBA_SET.ENTRY]: 'group', [MDBA_SET.ENTRY_ATTRS]: 'sources' } };

/** Validates an MDB change; nothing is sent. Used by add/replace/del and rt.batch(). */
export function prepareMdb(change: MdbChange, spec: MdbSpec | MdbEntry): PreparedRequest {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new ValidationError('mdb', 'expected an MDB entry spec');
  checkKeys(spec, change === 'del' ? ENTRY_KEYS : SPEC_KEYS, '');
  const s = spec as MdbSpec & Partial<MdbEntry>;
  const bridge = s.bridge ?? (s.index as LinkRef | undefined);
  const port = s.port ?? (s.portIndex as LinkRef | undefined);
  if (bridge === undefined) throw new ValidationError('bridge', 'the bridge is required');
  if (port === undefined) throw new ValidationError('port', 'the port is required (the bridge itself for a host join)');
  if (typeof s.group !== 'string') throw new ValidationError('group', 'expected a multicast IP or MAC address');
  let proto = 0;
  let addr: Buffer;
  if (s.group.includes(':') && /^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i.test(s.group)) {
    addr = parseMac(s.group, 'group');
  } else {
    const g = parseIp(s.group, 'group');
    proto = g.bytes.length === 4 ? ETH_P_IP : ETH_P_IPV6;
    addr = g.bytes;
  }
  const vlan = s.vlan !== undefined ? uint(s.vlan, 'vlan', 4094) : 0;
  if (s.vlan !== undefined && vlan === 0) throw new ValidationError('vlan', 'VLAN id must be 1–4094');
  const family = proto === ETH_P_IPV6 ? 10 : 2;
  const source = s.source !== undefined ? parseIp(s.source, 'source', proto ? family : undefined).bytes : undefined;
  if (source && !proto) throw new ValidationError('source', 'an L2 (MAC) group has no source');
  const isDel = change === 'del';
  let mode: number | undefined;
  if (!isDel && s.mode !== undefined) {
    mode = FILTER_MODES.indexOf(s.mode);
    if (mode < 0) throw new ValidationError('mode', "expected 'include' or 'exclude'");
  }
  let sources: Buffer[] | undefined;
  if (!isDel && s.sources !== undefined) {
    if (!Array.isArray(s.sources)) throw new ValidationError('sources', 'expected an array of source addresses');
    sources = s.sources.map((a, i) => parseIp(a, `sources.${i}`, family).bytes);
  }
  const protocol = !isDel && s.protocol !== undefined ? routeProtocols.number(s.protocol, 'protocol') : undefined;
  const state = !isDel && s.permanent === true ? MDB_PERMANENT : 0;
  const links: LinkField[] = [];
  const w = new MessageWriter(isDel ? RTM_DELMDB : RTM_NEWMDB, CHANGE_FLAGS[change], 128);
  const brIndex = linkIndex(links, 'bridge', bridge, w.offset + 4);
  w.struct(BR_PORT_MSG_SIZE, (b, at) => {
    b[at] = AF_BRIDGE;
    b.writeUInt32LE(brIndex, at + 4);
  });
  const entry = Buffer.alloc(BR_MDB_ENTRY_SIZE);
  entry[4] = state;
  entry.writeUInt16LE(vlan, 6);
  addr.copy(entry, 8);
  entry.writeUInt16BE(proto, 24);
  // The port's ifindex is the entry's first field: 4 bytes past the attribute header.
  const portIndex = linkIndex(links, 'port', port, w.offset + 4);
  entry.writeUInt32LE(portIndex, 0);
  w.bytes(MDBA_SET.ENTRY, entry, 'group');
  if (source || mode !== undefined || sources || protocol !== undefined) {
    w.nestStart(MDBA_SET.ENTRY_ATTRS, 'sources');
    if (source) w.bytes(MDBE_ATTR.SOURCE, source, 'source');
    if (sources) {
      w.nestStart(MDBE_ATTR.SRC_LIST, 'sources');
      for (const a of sources) {
        w.nestStart(MDBE_SRC_LIST_ENTRY);
        w.bytes(MDBE_SRCATTR_ADDRESS, a);
        w.nestEnd();
      }
      w.nestEnd();
    }
    if (mode !== undefined) w.u8(MDBE_ATTR.GROUP_MODE, mode, 'mode');
    if (protocol !== undefined) w.u8(MDBE_ATTR.RTPROT, protocol, 'protocol');
    w.nestEnd();
  }
  return { operation: OPERATIONS[change], msg: w.finish(MDB_ATTRS), links };
}

/** Bridge multicast database operations of one rtnetlink handle. */
export class MdbApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  /**
   * Adds a group membership to a bridge port; EEXIST if it is there.
   * Equivalent to: bridge mdb add dev BR port P grp G [src S] [permanent|temp] [vid V]
   *                [filter_mode include|exclude source_list S1,S2 …] [proto P]
   */
  add(spec: MdbSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareMdb, 'add', spec, opts);
  }

  /**
   * Adds the entry or replaces the one with the same key (kernel 6.3+).
   * Equivalent to: bridge mdb replace dev BR port P grp G …
   */
  replace(spec: MdbSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareMdb, 'replace', spec, opts);
  }

  /**
   * Deletes an entry (an MdbEntry from list() works as the spec).
   * Equivalent to: bridge mdb del dev BR port P grp G [src S] [vid V]
   */
  del(spec: MdbSpec | MdbEntry, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareMdb, 'del', spec, opts);
  }

  /**
   * Lists MDB entries of every bridge (one dump), filtered by bridge, port and VLAN.
   * Equivalent to: bridge -d mdb show [dev BR] [port P] [vid V]
   */
  async list(filter: MdbListOptions = {}, opts?: CallOptions): Promise<MdbEntry[]> {
    checkKeys(filter, ['bridge', 'port', 'vlan', 'names'], 'filter');
    const signal = signalOf(opts);
    const vlan = filter.vlan !== undefined ? uint(filter.vlan, 'filter.vlan', 4094) : undefined;
    const names = filter.names !== false ? this.links.names(signal) : undefined;
    names?.catch(() => {});
    const [bridge, port] = await Promise.all([
      filter.bridge !== undefined ? this.links.resolver.resolve(filter.bridge, 'filter.bridge') : undefined,
      filter.port !== undefined ? this.links.resolver.resolve(filter.port, 'filter.port') : undefined,
    ]);
    const w = new MessageWriter(RTM_GETMDB, NLM_F_DUMP, 32);
    // Strict checking wants ifindex 0 in the header; the kernel filters nothing here, so the
    // bridge, port and VLAN filters apply to what comes back (as `bridge mdb show` does).
    w.struct(BR_PORT_MSG_SIZE, (b, at) => {
      b[at] = AF_BRIDGE;
    });
    const parts = await this.engine.request(w.finish(), {
      operation: 'mdb.list',
      dump: true,
      // Dump parts come as RTM_GETMDB (the kernel's choice since MDB dumps began), not RTM_NEWMDB.
      decode: (buf, off, len, type) => (type === RTM_GETMDB || type === RTM_NEWMDB ? decodeMdbMessage(buf, off, len) : undefined),
      ...signal,
    });
    let entries = parts.flat();
    if (bridge !== undefined) entries = entries.filter((e) => e.index === bridge);
    if (port !== undefined) entries = entries.filter((e) => e.portIndex === port);
    if (vlan !== undefined) entries = entries.filter((e) => e.vlan === vlan);
    if (names) {
      const byIndex = await names;
      for (const e of entries) {
        const b = byIndex.get(e.index);
        if (b !== undefined) e.bridge = b;
        const p = byIndex.get(e.portIndex);
        if (p !== undefined) e.port = p;
      }
    }
    return entries;
  }
}

