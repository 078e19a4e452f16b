/**
 * rt.nexthop: nexthop objects (`ip nexthop`). A route names one by id (`rt.route.add({ nhid })`)
 * instead of carrying its own gateway, so changing the object moves every route using it in
 * one message. Objects are single next hops (gateway and/or device, onlink), blackholes, FDB
 * next hops (VXLAN multihoming) and groups (weighted multipath, or resilient with buckets).
 */
import { ParseError, ValidationError } from '../../errors';
import { callSignal, checkKeys, signalOf, type CallOptions } from '../../core/options';
import { encodeValue, schemaDecoder, type RawAttribute } from '../../wire/attributes';
import { familyName, familyNumber, parseIp, type FamilyName } from '../../wire/address';
import { AF_INET, AF_INET6, AF_UNSPEC, NLMSG_HDRLEN, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE } from '../../wire/constants';
import { MessageWriter, type AttrTable } from '../../wire/message-writer';
import { RTM_DELNEXTHOP, RTM_GETNEXTHOP, RTM_NEWNEXTHOP } from '../constants';
import type { Engine } from '../../core/engine';
import type { LinkApi } from '../link/link';
import type { LinkRef } from '../request/link-ref';
import { applyChange, linkIndex, submit, uint, type LinkField, type PreparedRequest } from '../request/prepare';
import { routeProtocols, scopes, RT_SCOPE } from '../request/names';
import { bitNamesCopier, lastName, namingDecoder } from '../request/dump-names';
import { RTNH_F, RTNH_F_ONLINK } from '../route/route-schema';
import {
  NHA, NHMSG_SIZE, nexthopSchema,
  type NexthopGroupMember, type NexthopGroupType, type ResilientArgs,
} from './nexthop-schema';

export type { NexthopGroupMember, NexthopGroupType, ResilientArgs } from './nexthop-schema';

/** A nexthop object to add or replace (words as `ip nexthop add`). */
export interface NexthopSpec {
  /** Object id (`id`), 1–4294967295; required (the kernel would pick one, but nobody could name it). */
  id: number;
  /** Gateway address (`via`). */
  gateway?: string;
  /** Outgoing link (`dev`). */
  dev?: LinkRef;
  /** Gateway is on-link without a matching prefix (`onlink`). */
  onlink?: boolean;
  /** Drops everything routed to it (`blackhole`). */
  blackhole?: boolean;
  /** An FDB next hop (VXLAN remote for `bridge fdb … nhid`), or a group of them (`fdb`). */
  fdb?: boolean;
  /** Group members (`group ID[,WEIGHT]/…`). */
  group?: NexthopGroupMember[];
  /** Group type; default 'mpath', or 'resilient' when `resilient` is given (`type`). */
  type?: NexthopGroupType;
  /** Resilient group parameters (`buckets`, `idle_timer`, `unbalanced_timer`). */
  resilient?: Omit<ResilientArgs, 'unbalancedTime'>;
  /** Family of a gateway-less, group-less next hop ('inet' default; `-6` for an IPv6 blackhole). */
  family?: FamilyName;
  /** Protocol name or number (`proto`); default 'unspec' as iproute2. */
  protocol?: string | number;
}

/** A nexthop object as the kernel reports it (fields named as `ip -j nexthop` prints them). */
export interface Nexthop {
  id: number;
  /** 'inet', 'inet6' or 'unspec' (groups). */
  family: string;
  gateway?: string;
  /** ifindex of the outgoing link. */
  oif?: number;
  /** Its name (resolved by list/get unless disabled). */
  dev?: string;
  blackhole?: true;
  fdb?: true;
  group?: Required<NexthopGroupMember>[];
  /** A group's type: 'mpath' or 'resilient'. */
  type?: NexthopGroupType | string;
  resilient?: ResilientArgs;
  scope: string;
  protocol: string;
  /** RTNH_F_* ('onlink', 'dead', 'linkdown', 'offload', 'trap' …). */
  flags: string[];
  encapType?: number;
  encap?: Buffer;
  hwStatsEnable?: number;
  hwStatsUsed?: number;
  unknown?: RawAttribute[];
}

/** Options of `rt.nexthop.list()`. */
export interface NexthopListOptions {
  /** Only next hops out of this link (`dev`, filtered in the kernel). */
  dev?: LinkRef;
  /** Only groups (`groups`). */
  groups?: boolean;
  /** Only FDB next hops (`fdb`). */
  fdb?: boolean;
  /** Only next hops whose device is enslaved to this VRF (`master`). */
  master?: LinkRef;
  /** Only this family. */
  family?: FamilyName;
  /** Resolve `dev` names (one extra link dump). Default true. */
  names?: boolean;
}

/**
 * A nexthop's fixed part, built by `new` so V8 sizes the object for the attributes added next
 * (oif, gateway, dev …) and keeps them inside it; the prototype is Object.prototype, so it is
 * the plain object a literal would be.
 */
function NexthopObject(this: Nexthop, family: string, scope: string, protocol: string, flags: string[]): void {
  this.id = 0;
  this.family = family;
  this.scope = scope;
  this.protocol = protocol;
  this.flags = flags;
}
NexthopObject.prototype = Object.prototype;
const newNexthop = NexthopObject as unknown as new (...a: Parameters<typeof NexthopObject>) => Nexthop;

// Compiled on the first nexthop decoded, not at load (a process that never lists nexthops skips it).
let decodeNexthopAttrs: ReturnType<typeof schemaDecoder<Nexthop>> | undefined;
const familyOf = lastName({ name: familyName });
const scopeOf = lastName(scopes);
const protocolOf = lastName(routeProtocols);
const flagNames = bitNamesCopier(RTNH_F);

/** Decodes one RTM_NEWNEXTHOP / RTM_DELNEXTHOP message. */
export function decodeNexthop(buf: Buffer, off: number, len: number): Nexthop {
  return decodeNexthopNamed(buf, off, len, undefined);
}

/**
 * decodeNexthop that also names the outgoing link (`dev`, the last field) from `names`
 * (ifindex → name): the list call's decoder, so a dump is not walked a second time.
 */
export function decodeNexthopNamed(buf: Buffer, off: number, len: number, names: ReadonlyMap<number, string> | undefined): Nexthop {
  const at = off + NLMSG_HDRLEN;
  if (len - NLMSG_HDRLEN < NHMSG_SIZE) throw new ParseError(`nhmsg: ${len - NLMSG_HDRLEN} bytes, need at least ${NHMSG_SIZE}`);
  const rtnhFlags = (buf[at + 4]! | (buf[at + 5]! << 8) | (buf[at + 6]! << 16)) + buf[at + 7]! * 0x100_0000;
  const nh: any = new newNexthop(
    familyOf(buf[at]!),
    scopeOf(buf[at + 1]!),
    protocolOf(buf[at + 2]!),
    flagNames(rtnhFlags),
  );
  (decodeNexthopAttrs ??= schemaDecoder<Nexthop>(nexthopSchema))(buf, at + NHMSG_SIZE, off + len, nh);
  if (nh.groupType !== undefined) {
    nh.type = nh.groupType;
    delete nh.groupType;
  } else if (nh.group) nh.type = 'mpath';
  if (names !== undefined && nh.oif !== undefined) {
    const dev = names.get(nh.oif);
    if (dev !== undefined) nh.dev = dev;
  }
  return nh as Nexthop;
}

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWNEXTHOP ? decodeNexthop(buf, off, len) : undefined);

/** What a nexthop change does (`ip nexthop add|replace|del`). */
export type NexthopChange = 'add' | 'replace' | 'del';

const CHANGE_FLAGS: Record<NexthopChange, number> = { add: NLM_F_CREATE | NLM_F_EXCL, replace: NLM_F_CREATE | NLM_F_REPLACE, del: 0 };
const OPERATIONS: Record<NexthopChange, string> = { add: 'nexthop.add', replace: 'nexthop.replace', del: 'nexthop.del' };
const SPEC_KEYS = ['id', 'gateway', 'dev', 'onlink', 'blackhole', 'fdb', 'group', 'type', 'resilient', 'family', 'protocol'];
const NEXTHOP_KEYS = [...SPEC_KEYS, 'oif', 'scope', 'flags', 'encapType', 'encap', 'hwStatsEnable', 'hwStatsUsed', 'unknown'];
const RESILIENT_KEYS = ['buckets', 'idleTimer', 'unbalancedTimer'];

/** Top-level NHA_* types → the spec field that sets them (to name extack offsets). */
const NEXTHOP_ATTRS: AttrTable = {
  headerSize: NHMSG_SIZE,
  fields: {
    [NHA.ID]: 'id', [NHA.GROUP]: 'group', [NHA.GROUP_TYPE]: 'type', [NHA.BLACKHOLE]: 'blackhole', [NHA.OIF]: 'dev',
    [NHA.GATEWAY]: 'gateway', [NHA.FDB]: 'fdb', [NHA.RES_GROUP]: 'resilient',
  },
};

/** Writes one attribute by its schema name (the schema holds its type and encoder). */
function put(w: MessageWriter, name: string, value: unknown, field = name): void {
  const entry = nexthopSchema.byName.get(name)!;
  encodeValue(w, entry.type, entry.spec, value, field);
}

function nexthopId(value: unknown, field: string): number {
  const id = uint(value, field);
  if (id === 0) throw new ValidationError(field, 'a nexthop id is 1–4294967295');
  return id;
}

/** Validates a nexthop change; nothing is sent. Used by add/replace/del and rt.batch(). */
export function prepareNexthop(change: NexthopChange, spec: NexthopSpec | { id: number }): PreparedRequest {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new ValidationError('nexthop', 'expected a nexthop spec object');
  const links: LinkField[] = [];
  if (change === 'del') {
    // A Nexthop from list()/get() may be handed back: its other fields are ignored here.
    checkKeys(spec, NEXTHOP_KEYS, '');
    const id = nexthopId(spec.id, 'id');
    const w = new MessageWriter(RTM_DELNEXTHOP, 0, 32);
    w.struct(NHMSG_SIZE, () => {});
    put(w, 'id', id);
    return { operation: OPERATIONS.del, msg: w.finish(NEXTHOP_ATTRS), links };
  }
  const s = spec as NexthopSpec;
  checkKeys(s, SPEC_KEYS, '');
  const id = nexthopId(s.id, 'id');
  const isGroup = s.group !== undefined;
  if (isGroup) {
    for (const k of ['gateway', 'dev', 'onlink', 'blackhole'] as const) {
      if (s[k] !== undefined) throw new ValidationError(k, 'a group takes its next hops from its members');
    }
  } else {
    if (s.type !== undefined) throw new ValidationError('type', 'only a group has a type');
    if (s.resilient !== undefined) throw new ValidationError('resilient', 'only a group is resilient');
  }
  if (s.blackhole) {
    for (const k of ['gateway', 'dev', 'onlink', 'fdb'] as const) if (s[k] !== undefined && s[k] !== false) throw new ValidationError(k, 'a blackhole has no gateway, device or fdb');
  }
  if (s.resilient !== undefined) checkKeys(s.resilient, RESILIENT_KEYS, 'resilient');
  const groupType = s.type ?? (s.resilient !== undefined ? 'resilient' : undefined);
  if (groupType !== 'resilient' && s.resilient !== undefined) throw new ValidationError('resilient', "resilient parameters need type 'resilient'");
  let family = familyNumber(s.family, 'family') ?? undefined;
  let gateway: Buffer | undefined;
  if (s.gateway !== undefined) {
    const g = parseIp(s.gateway, 'gateway', family);
    family = g.family;
    gateway = g.bytes;
  }
  if (!isGroup && !s.blackhole && !gateway && s.dev === undefined) {
    throw new ValidationError('nexthop', 'a next hop needs a gateway, a dev, blackhole or a group');
  }
  if (s.fdb && !isGroup && s.dev !== undefined) throw new ValidationError('dev', 'an FDB next hop has a gateway only');
  const protocol = s.protocol !== undefined ? routeProtocols.number(s.protocol, 'protocol') : 0;
  // Groups are AF_UNSPEC; a single next hop without a gateway defaults to IPv4, as iproute2.
  const fam = isGroup ? (family ?? AF_UNSPEC) : (family ?? AF_INET);
  if (fam !== AF_INET && fam !== AF_INET6 && !(isGroup && fam === AF_UNSPEC)) throw new ValidationError('family', "expected 'inet' or 'inet6'");
  const flags = s.onlink ? RTNH_F_ONLINK : 0;
  const w = new MessageWriter(RTM_NEWNEXTHOP, CHANGE_FLAGS[change], 96);
  w.struct(NHMSG_SIZE, (b, at) => {
    b[at] = fam;
    b[at + 1] = RT_SCOPE.global;
    b[at + 2] = protocol;
    b.writeUInt32LE(flags, at + 4);
  });
  put(w, 'id', id);
  if (isGroup) {
    put(w, 'group', s.group);
    if (groupType !== undefined) put(w, 'groupType', groupType, 'type');
    if (s.resilient !== undefined && Object.values(s.resilient).some((v) => v !== undefined)) {
      const r = s.resilient;
      if (r.buckets !== undefined) uint(r.buckets, 'resilient.buckets', 0xffff);
      if (r.buckets === 0) throw new ValidationError('resilient.buckets', 'buckets must be 1–65535');
      put(w, 'resilient', r, 'resilient');
    }
  }
  if (s.blackhole) put(w, 'blackhole', true);
  if (s.dev !== undefined) w.u32(NHA.OIF, linkIndex(links, 'dev', s.dev, w.offset + 4), 'dev');
  if (gateway) w.bytes(NHA.GATEWAY, gateway, 'gateway');
  if (s.fdb) put(w, 'fdb', true);
  return { operation: OPERATIONS[change], msg: w.finish(NEXTHOP_ATTRS), links };
}

/** Nexthop object operations of one rtnetlink handle. */
export class NexthopApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  /**
   * Creates a nexthop object; EEXIST if the id is taken.
   * Equivalent to: ip nexthop add id ID [via GW] [dev D] [onlink] | blackhole |
   *                group ID[,W]/… [type mpath|resilient [buckets N] [idle_timer S] [unbalanced_timer S]] [fdb]
   */
  add(spec: NexthopSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareNexthop, 'add', spec, opts);
  }

  /**
   * Creates the object or replaces the one with this id in place: every route naming it
   * follows at once.
   * Equivalent to: ip nexthop replace id ID …
   */
  replace(spec: NexthopSpec, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareNexthop, 'replace', spec, opts);
  }

  /**
   * Deletes a nexthop object (routes using it go with it); ENOENT when there is none.
   * Equivalent to: ip nexthop del id ID
   */
  del(spec: { id: number }, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.links.resolver, prepareNexthop, 'del', spec, opts);
  }

  /**
   * One nexthop object by id; NetlinkError 'ENOENT' when absent.
   * Equivalent to: ip nexthop get id ID
   */
  async get(id: number, filter: { names?: boolean } = {}, opts?: CallOptions): Promise<Nexthop> {
    checkKeys(filter, ['names'], 'filter');
    const signal = callSignal(opts);
    const nid = nexthopId(id, 'id');
    const w = new MessageWriter(RTM_GETNEXTHOP, 0, 32);
    w.struct(NHMSG_SIZE, () => {});
    put(w, 'id', nid);
    const prep: PreparedRequest<Nexthop> = { operation: 'nexthop.get', msg: w.finish(NEXTHOP_ATTRS), links: [], decode };
    const [nh] = await submit(this.engine, this.links.resolver, prep, signal);
    if (!nh) throw new Error('nexthop.get: the kernel acknowledged without a reply');
    if (filter.names !== false && nh.oif !== undefined) {
      try {
        nh.dev = (await this.links.get(nh.oif, {}, signal ? { signal } : {})).name;
      } catch {
        // A link that vanished since stays unnamed.
      }
    }
    return nh;
  }

  /**
   * Lists nexthop objects, filtered in the kernel by device, VRF, groups-only or FDB-only.
   * Equivalent to: ip nexthop show [dev D] [groups] [fdb] [master VRF]
   */
  async list(opts: NexthopListOptions = {}, call?: CallOptions): Promise<Nexthop[]> {
    checkKeys(opts, ['dev', 'groups', 'fdb', 'master', 'family', 'names'], 'filter');
    const signal = signalOf(call);
    const family = familyNumber(opts.family, 'family') ?? AF_UNSPEC;
    const names = opts.names !== false ? this.links.names(signal) : undefined;
    names?.catch(() => {});
    const naming = names && namingDecoder(names, RTM_NEWNEXTHOP, decodeNexthopNamed);
    const [dev, master] = await Promise.all([
      opts.dev !== undefined ? this.links.resolver.resolve(opts.dev, 'dev') : undefined,
      opts.master !== undefined ? this.links.resolver.resolve(opts.master, 'master') : undefined,
    ]);
    const w = new MessageWriter(RTM_GETNEXTHOP, NLM_F_DUMP, 64);
    w.struct(NHMSG_SIZE, (b, at) => {
      b[at] = family;
    });
    if (dev !== undefined) w.u32(NHA.OIF, dev, 'dev');
    if (master !== undefined) w.u32(NHA.MASTER, master, 'master');
    if (opts.groups) put(w, 'groups', true);
    if (opts.fdb) put(w, 'fdb', true);
    const items = await this.engine.request(w.finish(), { operation: 'nexthop.list', dump: true, decode: naming ? naming.decode : decode, ...signal });
    const byIndex = await names;
    if (byIndex && naming?.someUnnamed()) {
      for (const nh of items) {
        if (nh.oif === undefined) continue;
        const n = byIndex.get(nh.oif);
        if (n !== undefined) nh.dev = n;
      }
    }
    return items;
  }
}
