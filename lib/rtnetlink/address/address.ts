/**
 * rt.address: interface addresses (IPv4 and IPv6).
 */
import { NetlinkError, ValidationError } from '../../errors';
import { familyNumber, parseCidr, parseIp, type CidrBytes, type FamilyName } from '../../wire/address';
import { AF_INET, AF_UNSPEC, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE } from '../../wire/constants';
import { RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR } from '../constants';
import { MessageWriter } from '../../wire/message-writer';
import { IFADDRMSG_SIZE, writeIfAddrMsg } from '../structs';
import type { Engine } from '../../core/engine';
import { checkKeys, signalOf, type CallOptions } from '../../core/options';
import { decodeAddress, type Address } from './address-decode';
import { FOREVER, IFA, IFA_CACHEINFO_SIZE, SETTABLE_IFA_F, type AddressFlagName } from './address-schema';
import { applyChange, linkIndex, uint, type LinkField, type PreparedRequest } from '../request/prepare';
import type { LinkIndexResolver, LinkRef } from '../request/link-ref';
import { scopes } from '../request/names';

/** Options of `rt.address.list()`. */
export interface AddressListOptions {
  /** Only this device's addresses (filtered in the kernel). */
  dev?: LinkRef;
  family?: FamilyName;
}

/** A lifetime in seconds, or 'forever'. */
export type Lifetime = number | 'forever';

/** Options of `rt.address.add()` / `replace()` (names as `ip address add` spells them). */
export interface AddressOptions {
  /** IPv4 label, e.g. 'v0:1' (`label`). */
  label?: string;
  /** IPv4 broadcast address, or '+' to derive it from the prefix (`broadcast`/`brd`). */
  broadcast?: string;
  /** Point-to-point peer address or prefix (`peer`); its prefix length, if given, is the address's. */
  peer?: string;
  /** IPv6 anycast address (`anycast`). */
  anycast?: string;
  /** 'global' | 'site' | 'link' | 'host' | 'nowhere' or a number (`scope`). Default as iproute2: host for 127/8, else global. */
  scope?: string | number;
  /** Flags to set: 'nodad', 'optimistic', 'home', 'mngtmpaddr', 'noprefixroute', 'autojoin'. */
  flags?: AddressFlagName[];
  /** Shortcut for flags: ['nodad'] (IPv6: skip duplicate address detection). */
  noDad?: boolean;
  /** Valid lifetime in seconds (`valid_lft`); default forever. */
  validLft?: Lifetime;
  /** Preferred lifetime in seconds (`preferred_lft`); default forever; 0 marks it deprecated. */
  preferredLft?: Lifetime;
  /** Metric of the prefix route the kernel adds (`metric`). */
  metric?: number;
  /** Address protocol (`proto`), 0–255. */
  proto?: number;
}

/** Options of `rt.address.del()`. */
export interface AddressDelOptions {
  /** Delete the point-to-point address with this peer. */
  peer?: string;
  /** Delete only if the IPv4 label matches. */
  label?: string;
}

/** Options of `rt.address.flush()`. */
export interface AddressFlushOptions {
  family?: FamilyName;
}

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWADDR ? decodeAddress(buf, off, len) : undefined);

function lifetime(v: Lifetime | undefined, field: string): number {
  if (v === undefined || v === 'forever') return FOREVER;
  return uint(v, field);
}

function broadcastOf(local: CidrBytes): Buffer {
  const out = Buffer.from(local.bytes);
  for (let bit = local.prefixLen; bit < 32; bit++) out[bit >> 3]! |= 0x80 >> (bit & 7);
  return out;
}

/** Keys of AddressOptions (add/replace) and AddressDelOptions (del). */
const ADDRESS_KEYS = ['label', 'broadcast', 'peer', 'anycast', 'scope', 'flags', 'noDad', 'validLft', 'preferredLft', 'metric', 'proto'];
const ADDRESS_DEL_KEYS = ['peer', 'label'];

/** What `address.add`/`replace`/`del` do on the wire. */
export type AddressChange = 'add' | 'replace' | 'del';

/** Validates an address change; nothing is sent. Used by add/replace/del and rt.batch(). */
export function prepareAddress(change: AddressChange, link: LinkRef, address: string, options: AddressOptions & AddressDelOptions = {}): PreparedRequest {
  checkKeys(options, change === 'del' ? ADDRESS_DEL_KEYS : ADDRESS_KEYS, '');
  const local = parseCidr(address, 'address');
  const family = local.family;
  const explicitLen = address.includes('/');
  let peer: CidrBytes | undefined;
  if (options.peer !== undefined) peer = parseCidr(options.peer, 'peer', family);
  const prefixLen = peer && options.peer!.includes('/') ? peer.prefixLen : local.prefixLen;
  let label: string | undefined;
  if (options.label !== undefined) {
    if (family !== AF_INET) throw new ValidationError('label', 'labels are IPv4-only');
    if (typeof options.label !== 'string' || !options.label || Buffer.byteLength(options.label) > 15) {
      throw new ValidationError('label', 'label must be a string of 1–15 bytes');
    }
    label = options.label;
  }
  const operation = `address.${change}`;
  if (change === 'del') {
    const links: LinkField[] = [];
    const w = new MessageWriter(RTM_DELADDR, 0, 64);
    const index = linkIndex(links, 'dev', link, w.offset + 4);
    w.struct(IFADDRMSG_SIZE, (b, at) => writeIfAddrMsg(b, at, { family, prefixLen, index }));
    w.bytes(IFA.LOCAL, local.bytes, 'address');
    // Without a prefix length IPv4 deletes by local address alone (like `ip addr del A`).
    if (peer || explicitLen) w.bytes(IFA.ADDRESS, (peer ?? local).bytes, peer ? 'peer' : 'address');
    if (label !== undefined) w.string(IFA.LABEL, label, 'label');
    return { operation, msg: w.finish(), links };
  }
  let broadcast: Buffer | undefined;
  if (options.broadcast !== undefined) {
    if (family !== AF_INET) throw new ValidationError('broadcast', 'broadcast addresses are IPv4-only');
    broadcast = options.broadcast === '+' ? broadcastOf(local) : parseIp(options.broadcast, 'broadcast', AF_INET).bytes;
  }
  let anycast: Buffer | undefined;
  if (options.anycast !== undefined) anycast = parseIp(options.anycast, 'anycast', family).bytes;
  const scope = options.scope !== undefined
    ? scopes.number(options.scope, 'scope')
    : family === AF_INET && local.bytes[0] === 127 ? scopes.number('host', 'scope') : 0;
  let flags = 0;
  if (options.flags !== undefined) {
    if (!Array.isArray(options.flags)) throw new ValidationError('flags', 'expected an array of flag names');
    for (const f of options.flags) {
      const bit = SETTABLE_IFA_F.get(f);
      if (bit === undefined) throw new ValidationError('flags', `unknown address flag ${JSON.stringify(f)} (known: ${[...SETTABLE_IFA_F.keys()].join(', ')})`);
      flags |= bit;
    }
  }
  if (options.noDad) flags |= SETTABLE_IFA_F.get('nodad')!;
  const withLifetimes = options.validLft !== undefined || options.preferredLft !== undefined;
  const valid = lifetime(options.validLft, 'validLft');
  const preferred = lifetime(options.preferredLft, 'preferredLft');
  if (valid === 0) throw new ValidationError('validLft', 'valid lifetime must be greater than 0');
  if (preferred > valid) throw new ValidationError('preferredLft', 'preferred lifetime is greater than the valid lifetime');
  const metric = options.metric !== undefined ? uint(options.metric, 'metric') : undefined;
  const proto = options.proto !== undefined ? uint(options.proto, 'proto', 255) : undefined;
  const nlFlags = change === 'add' ? NLM_F_CREATE | NLM_F_EXCL : NLM_F_CREATE | NLM_F_REPLACE;
  const links: LinkField[] = [];
  const w = new MessageWriter(RTM_NEWADDR, nlFlags, 128);
  const index = linkIndex(links, 'dev', link, w.offset + 4);
  w.struct(IFADDRMSG_SIZE, (b, at) => writeIfAddrMsg(b, at, { family, prefixLen, flags: flags & 0xff, scope, index }));
  w.bytes(IFA.LOCAL, local.bytes, 'address');
  w.bytes(IFA.ADDRESS, (peer ?? local).bytes, peer ? 'peer' : 'address');
  if (broadcast) w.bytes(IFA.BROADCAST, broadcast, 'broadcast');
  if (anycast) w.bytes(IFA.ANYCAST, anycast, 'anycast');
  if (label !== undefined) w.string(IFA.LABEL, label, 'label');
  if (flags) w.u32(IFA.FLAGS, flags, 'flags');
  if (withLifetimes) {
    const ci = Buffer.alloc(IFA_CACHEINFO_SIZE);
    ci.writeUInt32LE(preferred, 0);
    ci.writeUInt32LE(valid, 4);
    w.bytes(IFA.CACHEINFO, ci, preferred !== FOREVER ? 'preferredLft' : 'validLft');
  }
  if (metric !== undefined) w.u32(IFA.RT_PRIORITY, metric, 'metric');
  if (proto !== undefined) w.u8(IFA.PROTO, proto, 'proto');
  return { operation, msg: w.finish(), links };
}

/** Address operations of one rtnetlink handle. */
export class AddressApi {
  constructor(protected readonly engine: Engine, protected readonly resolver: LinkIndexResolver) {}

  /**
   * Lists addresses, filtered in the kernel by link and family.
   * Equivalent to: ip [-4|-6] addr show [dev NAME]
   */
  async list(filter: AddressListOptions = {}, opts?: CallOptions): Promise<Address[]> {
    checkKeys(filter, ['dev', 'family'], 'filter');
    const signal = signalOf(opts);
    const family = familyNumber(filter.family) ?? AF_UNSPEC;
    const index = filter.dev !== undefined ? await this.resolver.resolve(filter.dev, 'dev') : 0;
    const w = new MessageWriter(RTM_GETADDR, NLM_F_DUMP);
    w.struct(IFADDRMSG_SIZE, (b, at) => writeIfAddrMsg(b, at, { family, index }));
    return this.engine.request(w.finish(), { operation: 'address.list', dump: true, decode, ...signal });
  }

  /**
   * Adds an address ('10.0.0.1/24', '2001:db8::1/64'); EEXIST if it is already there.
   * Equivalent to: ip address add ADDR/LEN dev LINK [peer P] [broadcast B] [label L] [scope S]
   *                [valid_lft V] [preferred_lft P] [metric M] [nodad] [noprefixroute] …
   */
  add(dev: LinkRef, address: string, spec: AddressOptions = {}, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.resolver, (c: AddressChange, o: AddressOptions) => prepareAddress(c, dev, address, o), 'add', spec, opts);
  }

  /**
   * Adds an address or updates the one already there (lifetimes, flags, metric …).
   * Equivalent to: ip address replace ADDR/LEN dev LINK …
   */
  replace(dev: LinkRef, address: string, spec: AddressOptions = {}, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.resolver, (c: AddressChange, o: AddressOptions) => prepareAddress(c, dev, address, o), 'replace', spec, opts);
  }

  /**
   * Removes an address. With a prefix length it must match; a bare IPv4 address matches any.
   * Equivalent to: ip address del ADDR[/LEN] dev LINK [peer P] [label L]
   */
  del(dev: LinkRef, address: string, spec: AddressDelOptions = {}, opts?: CallOptions): Promise<void> {
    return applyChange(this.engine, this.resolver, (c: AddressChange, o: AddressOptions) => prepareAddress(c, dev, address, o), 'del', spec, opts);
  }

  /**
   * Removes every address of a link (optionally of one family); returns how many were removed.
   * Secondaries go first, since removing a primary takes its secondaries along.
   * Equivalent to: ip [-4|-6] address flush dev LINK
   */
  async flush(dev: LinkRef, filter: AddressFlushOptions = {}, opts?: CallOptions): Promise<number> {
    checkKeys(filter, ['family'], 'filter');
    const signal = signalOf(opts);
    const index = await this.resolver.resolve(dev, 'dev');
    const found = await this.list({ dev: index, ...(filter.family ? { family: filter.family } : {}) }, signal);
    const ordered = [...found.filter((a) => a.flags.includes('secondary')), ...found.filter((a) => !a.flags.includes('secondary'))];
    const results = await Promise.allSettled(ordered.map((a) => {
      return this.del(index, `${a.address}/${a.prefixLen}`, a.peer ? { peer: a.peer } : {}, signal);
    }));
    let removed = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') removed++;
      // Already gone: a secondary removed with its primary, or a concurrent change.
      else if (!(r.reason instanceof NetlinkError && r.reason.code === 'EADDRNOTAVAIL')) throw r.reason;
    }
    return removed;
  }
}

