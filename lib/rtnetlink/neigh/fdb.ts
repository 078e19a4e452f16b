/**
 * rt.fdb: forwarding database entries (AF_BRIDGE neighbours) of bridges, bridge ports and
 * VXLAN devices. On a VXLAN device, `00:00:00:00:00:00` entries appended once per remote
 * (`dst`) are the head-end replication list that floods BUM traffic by unicast, so an
 * overlay needs no multicast underlay.
 */
import { ValidationError } from '../../errors';
import { schemaDecoder, type RawAttribute } from '../../wire/attributes';
import { parseIp, parseMac } from '../../wire/address';
import { AF_BRIDGE, NLMSG_HDRLEN, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE } from '../../wire/constants';
import { RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGH } from '../constants';
import { MessageWriter, type AttrTable } from '../../wire/message-writer';
import { NDMSG_SIZE, readNdMsg, writeNdMsg } from '../structs';
import { applyChange, linkIndex, uint, type LinkField, type PreparedRequest, specObject } from '../request/prepare';
import type { Engine } from '../../core/engine';
import { checkKeys, signalOf, type CallOptions } from '../../core/options';
import type { LinkApi } from '../link/link';
import type { LinkRef } from '../request/link-ref';
import {
  NDA, neighSchema, NTF, NTF_EXT_LEARNED, NTF_MASTER, NTF_ROUTER, NTF_SELF, NTF_STICKY,
  NTF_USE, NUD_NOARP, NUD_PERMANENT, NUD_REACHABLE, type NeighCacheInfo,
} from './neigh-schema';
import { bitNamesCopier, namingDecoder } from '../request/dump-names';

/** How an entry is kept, as `bridge fdb` names it. */
export type FdbState = 'permanent' | 'static' | 'dynamic';

/** An FDB entry to add, append, replace or delete (names as `bridge fdb add`). */
export interface FdbSpec {
  /** The bridge port or VXLAN device (`dev`). */
  dev: LinkRef;
  /** The MAC address; '00:00:00:00:00:00' on VXLAN is the default (flood) destination. */
  lladdr: string;
  /** The entry lives in the master bridge's table (`master`). */
  master?: boolean;
  /** The entry lives in the device's own table (`self`); the default when neither is given. */
  self?: boolean;
  /** 'permanent' (default; on a bridge: a local address), 'static' (no ageing) or 'dynamic'. */
  state?: FdbState;
  /** Bridge VLAN id (`vlan`). */
  vlan?: number;
  /** The entry may not move to another port (`sticky`). */
  sticky?: boolean;
  /** Learned by something outside the kernel (`extern_learn`). */
  externLearn?: boolean;
  router?: boolean;
  use?: boolean;
  /** VXLAN: the remote VTEP's IP address (`dst`). */
  dst?: string;
  /** VXLAN: the VNI to use towards that remote (`vni`). */
  vni?: number;
  /** VXLAN: source VNI of a collect-metadata device (`src_vni`). */
  srcVni?: number;
  /** VXLAN: the remote's UDP port (`port`). */
  port?: number;
  /** VXLAN: send to the remote through this link (`via`). */
  via?: LinkRef;
  /** VXLAN: a nexthop group id (`nhid`). */
  nhid?: number;
}

/** Options of `rt.fdb.list()`. */
export interface FdbListOptions {
  /** Only entries of this port or device (filtered in the kernel). */
  dev?: LinkRef;
  /** Only entries of this bridge's ports and the bridge itself (`bridge fdb show br B`; filtered in the kernel). */
  br?: LinkRef;
  /** Resolve link names (one extra link dump). Default true. */
  names?: boolean;
}

/** Keys an FDB change accepts: FdbSpec's, and those of a listed FdbEntry (ignored). */
const FDB_KEYS = new Set([
  'dev', 'lladdr', 'master', 'self', 'state', 'vlan', 'sticky', 'externLearn', 'router', 'use', 'dst', 'vni', 'srcVni',
  'port', 'via', 'nhid', 'index', 'flags', 'masterName', 'viaName', 'linkNetnsId', 'cacheInfo', 'unknown',
]);

/** An FDB entry as the kernel reports it. */
export interface FdbEntry {
  /** ifindex of the port or device. */
  index: number;
  /** Its name (resolved by list unless disabled). */
  dev?: string;
  lladdr: string;
  /** 'permanent', 'static', 'stale' or 'dynamic' (as `bridge fdb` prints them; dynamic prints as ''). */
  state: string;
  /** 'self', 'master', 'extern_learn', 'offload', 'sticky', 'router', 'use'. */
  flags: string[];
  /** ifindex of the bridge whose table holds the entry. */
  master?: number;
  masterName?: string;
  vlan?: number;
  dst?: string;
  vni?: number;
  srcVni?: number;
  port?: number;
  /** ifindex of the `via` link. */
  via?: number;
  viaName?: string;
  nhid?: number;
  linkNetnsId?: number;
  cacheInfo?: NeighCacheInfo;
  unknown?: RawAttribute[];
}

/** ndm_state → the name `bridge fdb` prints. */
function fdbStateName(state: number): string {
  if (state & NUD_PERMANENT) return 'permanent';
  if (state & NUD_NOARP) return 'static';
  if (state & 0x04) return 'stale';
  return 'dynamic';
}

/**
 * An entry's fixed part, built by `new` so V8 sizes the object for the fields added next
 * (master, vlan, cacheInfo, dev, masterName …) and keeps them inside it; the prototype is
 * Object.prototype, so it is the plain object a literal would be.
 */
function FdbObject(this: FdbEntry, index: number, lladdr: string, state: string, flags: string[]): void {
  this.index = index;
  this.lladdr = lladdr;
  this.state = state;
  this.flags = flags;
}
FdbObject.prototype = Object.prototype;
const newFdbEntry = FdbObject as unknown as new (...a: Parameters<typeof FdbObject>) => FdbEntry;

const flagNames = bitNamesCopier(NTF);
// Compiled on the first entry decoded, not at load.
let decodeFdbAttrs: ReturnType<typeof schemaDecoder> | undefined;

/** Decodes one AF_BRIDGE neighbour message. */
export function decodeFdb(buf: Buffer, off: number, len: number): FdbEntry {
  return decodeFdbNamed(buf, off, len, undefined);
}

/**
 * decodeFdb that also names the port (`dev`), the bridge (`masterName`) and the `via` link
 * (`viaName`) from `names` (ifindex → name), as the last fields: the list call's decoder, so
 * a big table is not walked a second time.
 */
export function decodeFdbNamed(buf: Buffer, off: number, len: number, names: ReadonlyMap<number, string> | undefined): FdbEntry {
  const at = off + NLMSG_HDRLEN;
  if (len - NLMSG_HDRLEN < NDMSG_SIZE) readNdMsg(buf, at, len - NLMSG_HDRLEN); // throws the ParseError
  const raw: any = (decodeFdbAttrs ??= schemaDecoder(neighSchema))(buf, at + NDMSG_SIZE, off + len, {});
  const out: any = new newFdbEntry(
    buf[at + 4]! | (buf[at + 5]! << 8) | (buf[at + 6]! << 16) | (buf[at + 7]! << 24),
    raw.lladdr ?? '',
    fdbStateName(buf[at + 8]! | (buf[at + 9]! << 8)),
    flagNames(buf[at + 10]!),
  );
  // The optional fields in this fixed order, whatever order the attributes came in.
  if (raw.master !== undefined) out.master = raw.master;
  if (raw.vlan !== undefined) out.vlan = raw.vlan;
  if (raw.dst !== undefined) out.dst = raw.dst;
  if (raw.vni !== undefined) out.vni = raw.vni;
  if (raw.srcVni !== undefined) out.srcVni = raw.srcVni;
  if (raw.port !== undefined) out.port = raw.port;
  if (raw.via !== undefined) out.via = raw.via;
  if (raw.nhid !== undefined) out.nhid = raw.nhid;
  if (raw.linkNetnsId !== undefined) out.linkNetnsId = raw.linkNetnsId;
  if (raw.cacheInfo !== undefined) out.cacheInfo = raw.cacheInfo;
  if (raw.unknown !== undefined) out.unknown = raw.unknown;
  if (names !== undefined) nameFdbLinks(out, names);
  return out as FdbEntry;
}

/** Names an entry's links (`dev`, `masterName`, `viaName`) from ifindex → name. */
function nameFdbLinks(e: FdbEntry, names: ReadonlyMap<number, string>): void {
  const n = names.get(e.index);
  if (n !== undefined) e.dev = n;
  if (e.master !== undefined && names.has(e.master)) e.masterName = names.get(e.master)!;
  if (e.via !== undefined && names.has(e.via)) e.viaName = names.get(e.via)!;
}

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWNEIGH ? decodeFdb(buf, off, len) : undefined);

/** What an FDB change does (`bridge fdb add|append|replace|del`). */
export type FdbChange = 'add' | 'append' | 'replace' | 'del';

const CHANGE_FLAGS: Record<FdbChange, number> = {
  add: NLM_F_CREATE | NLM_F_EXCL,
  append: NLM_F_CREATE | NLM_F_APPEND,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
  del: 0,
};

// As `bridge fdb`: NOARP always, plus PERMANENT (default) or REACHABLE; 'dynamic' drops NOARP.
const STATE_BITS: Record<FdbState, number> = {
  permanent: NUD_NOARP | NUD_PERMANENT,
  static: NUD_NOARP | NUD_REACHABLE,
  dynamic: NUD_REACHABLE,
};

/** Top-level NDA_* types → the FdbSpec field that sets them (to name extack offsets). */
const FDB_ATTRS: AttrTable = {
  headerSize: NDMSG_SIZE,
  fields: {
    [NDA.LLADDR]: 'lladdr', [NDA.DST]: 'dst', [NDA.VLAN]: 'vlan', [NDA.PORT]: 'port', [NDA.VNI]: 'vni',
    [NDA.SRC_VNI]: 'srcVni', [NDA.IFINDEX]: 'via', [NDA.NH_ID]: 'nhid',
  },
};

const FDB_OPERATIONS: Record<FdbChange, string> = { add: 'fdb.add', append: 'fdb.append', replace: 'fdb.replace', del: 'fdb.del' };

/** Validates an FDB change; nothing is sent. Used by add/append/replace/del and rt.batch(). */
export function prepareFdb(change: FdbChange, spec: FdbSpec): PreparedRequest {
  specObject(spec, 'fdb');
  checkKeys(spec, FDB_KEYS, '');
  if (spec.dev === undefined) throw new ValidationError('dev', 'an FDB entry needs a device');
  const lladdr = parseMac(spec.lladdr, 'lladdr');
  let state = STATE_BITS.permanent;
  if (spec.state !== undefined) {
    const s = STATE_BITS[spec.state];
    if (s === undefined) throw new ValidationError('state', "expected 'permanent', 'static' or 'dynamic'");
    state = s;
  }
  let flags = 0;
  if (spec.self) flags |= NTF_SELF;
  if (spec.master) flags |= NTF_MASTER;
  if (!(flags & (NTF_SELF | NTF_MASTER))) flags |= NTF_SELF;
  if (spec.sticky) flags |= NTF_STICKY;
  if (spec.externLearn) flags |= NTF_EXT_LEARNED;
  if (spec.router) flags |= NTF_ROUTER;
  if (spec.use) flags |= NTF_USE;
  const vlan = spec.vlan !== undefined ? uint(spec.vlan, 'vlan', 4094) : undefined;
  if (vlan === 0) throw new ValidationError('vlan', 'VLAN id must be 1–4094');
  const dst = spec.dst !== undefined ? parseIp(spec.dst, 'dst').bytes : undefined;
  const vni = spec.vni !== undefined ? uint(spec.vni, 'vni', 0xff_ffff) : undefined;
  const srcVni = spec.srcVni !== undefined ? uint(spec.srcVni, 'srcVni', 0xff_ffff) : undefined;
  const port = spec.port !== undefined ? uint(spec.port, 'port', 0xffff) : undefined;
  const nhid = spec.nhid !== undefined ? uint(spec.nhid, 'nhid') : undefined;
  const links: LinkField[] = [];
  const w = new MessageWriter(change === 'del' ? RTM_DELNEIGH : RTM_NEWNEIGH, CHANGE_FLAGS[change], 96);
  const index = linkIndex(links, 'dev', spec.dev, w.offset + 4);
  w.struct(NDMSG_SIZE, (b, at) => writeNdMsg(b, at, { family: AF_BRIDGE, index, state, flags }));
  w.bytes(NDA.LLADDR, lladdr);
  if (dst) w.bytes(NDA.DST, dst);
  if (vlan !== undefined) w.u16(NDA.VLAN, vlan);
  if (port !== undefined) w.u16be(NDA.PORT, port);
  if (vni !== undefined) w.u32(NDA.VNI, vni);
  if (srcVni !== undefined) w.u32(NDA.SRC_VNI, srcVni);
  if (spec.via !== undefined) w.u32(NDA.IFINDEX, linkIndex(links, 'via', spec.via, w.offset + 4));
  if (nhid !== undefined) w.u32(NDA.NH_ID, nhid);
  return { operation: FDB_OPERATIONS[change], msg: w.finish(FDB_ATTRS), links };
}

/** FDB operations of one rtnetlink handle. */
export class FdbApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  /**
   * Adds an FDB entry; EEXIST if one with the same key is there.
   * Equivalent to: bridge fdb add LLADDR dev D [self] [master] [static|dynamic] [vlan V]
   *                [sticky] [extern_learn] [dst IP] [vni N] [port P] [via DEV] [src_vni N]
   */
  add(spec: FdbSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareFdb, 'add', spec, opts);
  }

  /**
   * Adds another destination for the same MAC (VXLAN head-end replication: one per remote).
   * Equivalent to: bridge fdb append LLADDR dev D dst IP [vni N] [port P] [via DEV]
   */
  append(spec: FdbSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareFdb, 'append', spec, opts);
  }

  /**
   * Adds an FDB entry or replaces the existing one.
   * Equivalent to: bridge fdb replace LLADDR dev D …
   */
  replace(spec: FdbSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareFdb, 'replace', spec, opts);
  }

  /**
   * Deletes an FDB entry (on VXLAN with `dst`: only that remote of the MAC).
   * Equivalent to: bridge fdb del LLADDR dev D [self|master] [vlan V] [dst IP] …
   */
  del(spec: FdbSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareFdb, 'del', spec, opts);
  }

  /**
   * Lists FDB entries, filtered in the kernel by port/device and bridge.
   * Equivalent to: bridge fdb show [dev D] [br B]
   */
  async list(opts: FdbListOptions = {}, callOpts?: CallOptions): Promise<FdbEntry[]> {
    checkKeys(opts, ['dev', 'br', 'names'], 'filter');
    const signal = signalOf(callOpts);
    const names = opts.names !== false ? this.links.names(signal) : undefined;
    // Keep the link dump from rejecting unobserved while the lookups and the FDB dump run.
    names?.catch(() => {});
    const naming = names && namingDecoder(names, RTM_NEWNEIGH, decodeFdbNamed);
    const [dev, master] = await Promise.all([
      opts.dev !== undefined ? this.links.resolver.resolve(opts.dev, 'dev') : undefined,
      opts.br !== undefined ? this.links.resolver.resolve(opts.br, 'br') : undefined,
    ]);
    const w = new MessageWriter(RTM_GETNEIGH, NLM_F_DUMP);
    w.struct(NDMSG_SIZE, (b, at) => writeNdMsg(b, at, { family: AF_BRIDGE }));
    if (dev !== undefined) w.u32(NDA.IFINDEX, dev, 'dev');
    if (master !== undefined) w.u32(NDA.MASTER, master, 'br');
    const entries = await this.engine.request(w.finish(), { operation: 'fdb.list', dump: true, decode: naming ? naming.decode : decode, ...signal });
    const byIndex = await names;
    if (byIndex && naming?.someUnnamed()) for (const e of entries) nameFdbLinks(e, byIndex);
    return entries;
  }
}
