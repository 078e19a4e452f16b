/**
 * What `rt.link.add` and `rt.link.set` accept, how it is validated, and how it becomes
 * RTM_NEWLINK messages. Everything here is synchronous and sends nothing: a message is built
 * (and every field checked) completely before the first byte leaves. Link names inside the
 * request (master, parent, vxlan dev …) are written as placeholders and patched once resolved,
 * so resolving them never precedes validation.
 */
import type { AltnameChanges } from './link-props';
import { ValidationError } from '../../errors';
import { parseMac } from '../../wire/address';
import { AF_BRIDGE, NLMSG_HDRLEN, NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL } from '../../wire/constants';
import { RTM_NEWLINK, RTM_SETLINK } from '../constants';
import { MessageWriter, type BuiltMessage } from '../../wire/message-writer';
import { IFINFOMSG_SIZE, writeIfInfoMsg } from '../structs';
import { writeNsTarget, type NetnsHandle } from '../../netns/handle';
import type { NetnsRef } from '../../netns/netns-ref';
import { IFLA, IFLA_INFO } from './link-schema';
import { linkRefParts, lookupError, validateLinkName, type LinkIndexResolver, type LinkRef } from '../request/link-ref';
import { linkAttr, type LinkField } from '../request/prepare';
import { linkKindCodec, linkKindCodecs, registerLinkKind, type EncodeContext, type LinkKindCodec } from './kinds/registry';
import { checkBool, checkInt, isPlainObject } from './kinds/kind-codec';
import { IFF } from '../request/names';
import type { BridgeOptions, BridgePortOptions } from './kinds/bridge';
import type { VlanOptions } from './kinds/vlan';
import type { MacvlanOptions } from './kinds/macvlan';
import type { VxlanOptions } from './kinds/vxlan';
import type { GeneveOptions } from './kinds/geneve';
import type { GreOptions } from './kinds/gretap';
import type { IpvlanOptions } from './kinds/ipvlan';
import type { BondOptions } from './kinds/bond';
import type { VrfOptions } from './kinds/vrf';

/** Smallest MTU accepted (IPv4's minimum, the kernel's ETH_MIN_MTU). */
export const MTU_MIN = 68;
/** Largest MTU accepted (the kernel keeps it in an int). Devices have lower limits of their own. */
export const MTU_MAX = 0x7fff_ffff;

/** Settings every link has; usable in `add` (most of them) and `set`. */
export interface LinkSettings {
  /** Administratively up (IFF_UP). */
  up?: boolean;
  mtu?: number;
  /** Ethernet address 'aa:bb:cc:dd:ee:ff'. */
  address?: string;
  broadcast?: string;
  txqlen?: number;
  /** Device group number. */
  group?: number;
  /** Interface alias (ifalias); '' or null clears it. */
  alias?: string | null;
  promisc?: boolean;
  allmulti?: boolean;
  /** ARP on (false sets IFF_NOARP). */
  arp?: boolean;
  multicast?: boolean;
  /** Enslave to this bridge/bond/vrf; null releases (nomaster). */
  master?: LinkRef | null;
  /** Move (set) or create (add) the link in this namespace: name, path, fd, handle or { pid }. */
  netns?: NetnsRef;
  gsoMaxSize?: number;
  gsoMaxSegs?: number;
  groMaxSize?: number;
}

/** Fields every `add` spec has. */
export interface LinkAddBase extends Omit<LinkSettings, 'master' | 'alias'> {
  /** Interface name, 1–15 bytes, no '/', ':' or whitespace. */
  name: string;
  alias?: string;
  master?: LinkRef;
  /** Parent (lower) device, for kinds stacked on another (vlan, macvlan, ipvlan). */
  link?: LinkRef;
  numTxQueues?: number;
  numRxQueues?: number;
}

/** The far end of a veth pair. */
export interface VethPeerOptions {
  /** Peer name (the kernel picks vethN when left out). */
  name?: string;
  /** Create the peer directly in this namespace. */
  netns?: NetnsRef;
  address?: string;
  mtu?: number;
  txqlen?: number;
  group?: number;
  up?: boolean;
  arp?: boolean;
  multicast?: boolean;
  numTxQueues?: number;
  numRxQueues?: number;
}

/** A veth pair: `{ name: 'v0', kind: 'veth', peer: { name: 'v1', netns: 'h1' } }`. */
export interface VethAddSpec extends LinkAddBase { kind: 'veth'; peer?: VethPeerOptions }
/** A bridge. */
export interface BridgeAddSpec extends LinkAddBase { kind: 'bridge'; bridge?: BridgeOptions }
/** An 802.1Q/802.1ad VLAN device on `link`. */
export interface VlanAddSpec extends LinkAddBase { kind: 'vlan'; link: LinkRef; vlan: VlanOptions }
/** A macvlan or macvtap on `link`. */
export interface MacvlanAddSpec extends LinkAddBase { kind: 'macvlan' | 'macvtap'; link: LinkRef; macvlan?: MacvlanOptions }
/** A VXLAN device. */
export interface VxlanAddSpec extends LinkAddBase { kind: 'vxlan'; vxlan: VxlanOptions }
/** A Geneve device. */
export interface GeneveAddSpec extends LinkAddBase { kind: 'geneve'; geneve: GeneveOptions }
/** A GRE device (gretap/ip6gretap: Ethernet over GRE; gre/ip6gre: IP over GRE). */
export interface GreAddSpec extends LinkAddBase { kind: 'gretap' | 'gre' | 'ip6gretap' | 'ip6gre'; gre?: GreOptions }
/** An ipvlan or ipvtap on `link`. */
export interface IpvlanAddSpec extends LinkAddBase { kind: 'ipvlan' | 'ipvtap'; link: LinkRef; ipvlan?: IpvlanOptions }
/** A bond. */
export interface BondAddSpec extends LinkAddBase { kind: 'bond'; bond?: BondOptions }
/** A dummy device. */
export interface DummyAddSpec extends LinkAddBase { kind: 'dummy' }
/** A VRF device. */
export interface VrfAddSpec extends LinkAddBase { kind: 'vrf'; vrf: VrfOptions }
/**
 * Any other kind, passed to the kernel as is, with optional raw IFLA_INFO_DATA payload
 * (the attributes inside the nest).
 */
export interface OtherAddSpec extends LinkAddBase { kind: string; data?: Uint8Array }

/** What `rt.link.add` accepts: one shape per kind. */
export type LinkAddSpec =
  | VethAddSpec | BridgeAddSpec | VlanAddSpec | MacvlanAddSpec | VxlanAddSpec | GeneveAddSpec
  | GreAddSpec | IpvlanAddSpec | BondAddSpec | DummyAddSpec | VrfAddSpec | OtherAddSpec;

/** Port settings of a bond member. */
export interface BondPortOptions {
  queueId?: number;
  prio?: number;
}

/** What `rt.link.set` accepts: any combination, sent in one request where the kernel allows. */
export interface LinkChanges extends LinkSettings {
  /** Rename. */
  name?: string;
  /** Carrier on/off (devices that let user space drive it, e.g. dummy). */
  carrier?: boolean;
  protoDown?: boolean;
  /**
   * The link's kind, when kind options are given and the key alone doesn't say (macvlan vs
   * macvtap, ipvlan vs ipvtap, the gre family). Looked up when left out.
   */
  kind?: string;
  bridge?: BridgeOptions;
  vlan?: Partial<VlanOptions>;
  macvlan?: MacvlanOptions;
  vxlan?: Partial<VxlanOptions>;
  geneve?: GeneveOptions;
  gre?: GreOptions;
  ipvlan?: IpvlanOptions;
  bond?: BondOptions;
  vrf?: Partial<VrfOptions>;
  /** Settings of this link as a bridge port. */
  bridgePort?: BridgePortOptions;
  /** Settings of this link as a bond member. */
  bondPort?: BondPortOptions;
  /** Alternative names to add / remove (`ip link property add|del altname N`). */
  altnames?: AltnameChanges;
}

type Encoder = (w: MessageWriter, v: unknown, field: string, ctx: EncodeContext) => void;

const u32 = (attr: number, min = 0, max = 0xffff_ffff): Encoder => (w, v, f) => {
  w.u32(attr, checkInt(v, f, min, max), f);
};

/** Checks an alias: a string up to 255 bytes (IFALIASZ - 1). */
function aliasBytes(v: unknown, field: string): Buffer {
  if (v === null) return Buffer.alloc(0);
  if (typeof v !== 'string') throw new ValidationError(field, 'expected a string');
  const b = Buffer.from(v);
  if (b.length > 255) throw new ValidationError(field, 'alias is longer than 255 bytes');
  return b;
}

/** Link attributes by option name (IFLA_*). */
const COMMON: Record<string, Encoder> = {
  name: (w, v, f) => {
    validateLinkName(v, f);
    w.string(IFLA.IFNAME, v, f);
  },
  mtu: (w, v, f) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < MTU_MIN || v > MTU_MAX) {
      throw new ValidationError(f, `MTU must be an integer ${MTU_MIN}–${MTU_MAX}, got ${JSON.stringify(v)}`);
    }
    w.u32(IFLA.MTU, v, f);
  },
  address: (w, v, f) => {
    w.bytes(IFLA.ADDRESS, parseMac(v, f), f);
  },
  broadcast: (w, v, f) => {
    w.bytes(IFLA.BROADCAST, parseMac(v, f), f);
  },
  txqlen: u32(IFLA.TXQLEN),
  group: u32(IFLA.GROUP),
  // Written without a NUL, as iproute2 does: an empty payload is what clears it.
  alias: (w, v, f) => {
    w.bytes(IFLA.IFALIAS, aliasBytes(v, f), f);
  },
  master: (w, v, f, ctx) => {
    if (v === null) w.u32(IFLA.MASTER, 0, f);
    else ctx.linkIndex(w, IFLA.MASTER, v as LinkRef, f);
  },
  link: (w, v, f, ctx) => {
    ctx.linkIndex(w, IFLA.LINK, v as LinkRef, f);
  },
  netns: (w, v, f, ctx) => {
    ctx.netns(w, v as NetnsRef, f);
  },
  numTxQueues: u32(IFLA.NUM_TX_QUEUES, 1, 4096),
  numRxQueues: u32(IFLA.NUM_RX_QUEUES, 1, 4096),
  gsoMaxSize: u32(IFLA.GSO_MAX_SIZE, 1),
  gsoMaxSegs: u32(IFLA.GSO_MAX_SEGS, 1),
  groMaxSize: u32(IFLA.GRO_MAX_SIZE, 1),
  carrier: (w, v, f) => {
    w.u8(IFLA.CARRIER, checkBool(v, f) ? 1 : 0, f);
  },
  protoDown: (w, v, f) => {
    w.u8(IFLA.PROTO_DOWN, checkBool(v, f) ? 1 : 0, f);
  },
};

/** Options that are ifinfomsg flag bits; `arp` is the inverse of IFF_NOARP. */
const FLAG_OPTIONS: Record<string, { bit: number; invert?: boolean }> = {
  up: { bit: IFF.UP },
  promisc: { bit: IFF.PROMISC },
  allmulti: { bit: IFF.ALLMULTI },
  multicast: { bit: IFF.MULTICAST },
  arp: { bit: IFF.NOARP, invert: true },
};

const ADD_KEYS = new Set(['name', 'kind', 'mtu', 'address', 'broadcast', 'txqlen', 'group', 'master', 'link', 'netns',
  'numTxQueues', 'numRxQueues', 'gsoMaxSize', 'gsoMaxSegs', 'groMaxSize', 'alias', ...Object.keys(FLAG_OPTIONS)]);
const PEER_KEYS = new Set(['name', 'netns', 'address', 'mtu', 'txqlen', 'group', 'numTxQueues', 'numRxQueues', ...Object.keys(FLAG_OPTIONS)]);
const SET_KEYS = new Set(['name', 'mtu', 'address', 'broadcast', 'txqlen', 'group', 'alias', 'master', 'netns',
  'gsoMaxSize', 'gsoMaxSegs', 'groMaxSize', 'carrier', 'protoDown', ...Object.keys(FLAG_OPTIONS)]);
/** Port-settings keys of `set` (not kind options). */
const PORT_KEYS = new Set(['bridgePort', 'bondPort']);

/** ifi_flags / ifi_change for the flag options present in `obj`. */
export function flagBits(obj: Record<string, unknown>, field: string): { flags: number; change: number } {
  let flags = 0;
  let change = 0;
  for (const [key, { bit, invert }] of Object.entries(FLAG_OPTIONS)) {
    const v = obj[key];
    if (v === undefined) continue;
    const on = checkBool(v, field ? `${field}.${key}` : key);
    change |= bit;
    if (on !== !!invert) flags |= bit;
  }
  return { flags, change };
}

/** Writes the IFLA_* attributes for the common options of `obj` (keys already checked). */
function encodeCommon(w: MessageWriter, obj: Record<string, unknown>, keys: ReadonlySet<string>, field: string, ctx: EncodeContext, skip: ReadonlySet<string> = new Set()): void {
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined || skip.has(key) || !keys.has(key) || FLAG_OPTIONS[key]) continue;
    const enc = COMMON[key];
    if (enc) enc(w, v, field ? `${field}.${key}` : key, ctx);
  }
}

function unknownKey(obj: Record<string, unknown>, allowed: (k: string) => boolean, field: string, what: string): void {
  for (const k of Object.keys(obj)) {
    if (obj[k] !== undefined && !allowed(k)) throw new ValidationError(field ? `${field}.${k}` : k, `unknown ${what} option ${JSON.stringify(k)}`);
  }
}

/** One message of a request, with its unresolved link names. */
export interface PlannedMessage {
  w: MessageWriter;
  /** Link names to resolve and where their ifindexes go. */
  refs: LinkField[];
  /** The link whose ifindex goes into ifinfomsg.ifi_index, when only its name is known (one of `refs`). */
  headerName?: string;
  /** Explains an EOPNOTSUPP the kernel sends without a message of its own. */
  hint?: string;
}

/**
 * Builds the messages of one add/set request and owns what they borrow: namespace fds opened
 * for IFLA_NET_NS_FD stay open until {@link close}.
 */
export class RequestBuilder implements EncodeContext {
  readonly messages: PlannedMessage[] = [];
  kind = '';
  private current: PlannedMessage | undefined;
  private readonly handles: NetnsHandle[] = [];

  constructor(readonly op: 'add' | 'set') {}

  /**
   * Starts a message: header + ifinfomsg. `headerName` is the (validated) name of a link whose
   * ifindex goes into ifinfomsg.ifi_index, resolved with the other names.
   */
  begin(type: number, flags: number, hdr: { family?: number; index?: number; flags?: number; change?: number }, headerName?: string): MessageWriter {
    const w = new MessageWriter(type, flags);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, hdr));
    // ifi_index follows ifi_family, a pad byte and ifi_type.
    this.current = headerName !== undefined ? { w, refs: [{ field: 'link', name: headerName, at: NLMSG_HDRLEN + 4 }], headerName } : { w, refs: [] };
    this.messages.push(this.current);
    return w;
  }

  linkIndex(w: MessageWriter, type: number, ref: LinkRef, field: string): void {
    linkAttr(w, this.current!.refs, type, field, ref);
  }

  netns(w: MessageWriter, ref: NetnsRef, field: string): void {
    const h = writeNsTarget(w, ref, field, { pid: IFLA.NET_NS_PID, fd: IFLA.NET_NS_FD });
    if (h) this.handles.push(h);
  }

  /**
   * Finishes every message, resolves all the link names they mention (lookups in one burst
   * share requests) and patches the ifindexes in; nothing is sent before all are known. A
   * name that doesn't exist is a NetlinkError 'ENODEV' naming the field.
   */
  async finish(resolver: LinkIndexResolver, operation: string): Promise<BuiltMessage[]> {
    const built = this.messages.map((m) => m.w.finish());
    const jobs: Promise<void>[] = [];
    this.messages.forEach((m, i) => {
      const bytes = built[i]!.bytes;
      for (const { field, name, at } of m.refs) {
        jobs.push(resolver.resolve(name, field).then(
          (index) => { bytes.writeUInt32LE(index, at); },
          (err: unknown) => { throw lookupError(operation, field, name, err); },
        ));
      }
    });
    await Promise.all(jobs);
    return built;
  }

  /** Closes the namespace fds the request borrowed. */
  close(): void {
    for (const h of this.handles.splice(0)) h.close();
  }
}

/** Writes IFLA_LINKINFO { KIND, DATA?, SLAVE_KIND?, SLAVE_DATA? }. */
function encodeLinkInfo(
  w: MessageWriter,
  b: RequestBuilder,
  kind: string | undefined,
  data: { codec?: LinkKindCodec; opts?: Record<string, unknown>; field: string; raw?: Uint8Array } | undefined,
  port: { codec: LinkKindCodec; opts: Record<string, unknown>; field: string } | undefined,
): void {
  w.nestStart(IFLA.LINKINFO, 'linkinfo');
  if (kind !== undefined) {
    w.string(IFLA_INFO.KIND, kind, 'kind');
    if (data?.raw) {
      w.bytes(IFLA_INFO.DATA, data.raw, 'data');
    } else if (data?.codec?.encodeData && data.opts) {
      if (!isPlainObject(data.opts)) throw new ValidationError(data.field, 'expected an object');
      b.kind = kind;
      w.nestStart(IFLA_INFO.DATA, data.field);
      data.codec.encodeData(w, data.opts, data.field, b);
      w.nestEnd();
    }
  }
  if (port) {
    w.string(IFLA_INFO.SLAVE_KIND, port.codec.kind, `${port.field}.kind`);
    w.nestStart(IFLA_INFO.SLAVE_DATA, port.field);
    port.codec.encodeSlaveData!(w, port.opts, port.field, b);
    w.nestEnd();
  }
  w.nestEnd();
}

/** Writes a veth's IFLA_INFO_DATA: VETH_INFO_PEER = struct ifinfomsg + the peer's IFLA_* attributes. */
export function encodeVethPeer(w: MessageWriter, peer: Record<string, unknown>, field: string, ctx: EncodeContext): void {
  unknownKey(peer, (k) => PEER_KEYS.has(k), field, 'veth peer');
  // The peer can't be opened while the pair is being made (it has no peer yet: ENOTCONN), so
  // `up` is applied right after creation; see AddPlan.peerFollowUp.
  const { up, ...rest } = peer;
  if (up !== undefined) checkBool(up, `${field}.up`);
  const { flags, change } = flagBits(rest, field);
  // VETH_INFO_PEER's policy is a plain length check, not a nest: no NLA_F_NESTED.
  w.nestStart(1 /* VETH_INFO_PEER */, field, true);
  w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { flags, change }));
  encodeCommon(w, rest, PEER_KEYS, field, ctx);
  w.nestEnd();
}

// Kind 'veth': a pair of Ethernet devices joined back to back. The far end is described by
// `peer` (its own ifinfomsg and IFLA_* attributes inside VETH_INFO_PEER), so it can be named,
// addressed, brought up and created straight in another namespace in the same request. Its
// encoder is the common link encoder, so the kind registers here rather than in kinds/. The
// kernel reports no IFLA_INFO_DATA for veth: the peer shows as `link` and `linkNetnsId`.
registerLinkKind({ kind: 'veth', optionsKey: 'peer', encodeData: encodeVethPeer });

/** The result of planning an add: the request plus what must follow it. */
export interface AddPlan {
  builder: RequestBuilder;
  /** Settings the kernel ignores at creation, applied with a set right after. */
  followUp?: LinkChanges;
  /** Settings of a veth peer applied right after creation (bringing it up). */
  peerFollowUp?: LinkChanges;
}

/**
 * Validates an add spec and builds its RTM_NEWLINK (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO).
 * Throws ValidationError naming the field; nothing is sent.
 */
export function planAdd(spec: LinkAddSpec): AddPlan {
  if (!isPlainObject(spec)) throw new ValidationError('spec', 'expected a link spec object');
  const s = spec as unknown as Record<string, unknown>;
  validateLinkName(s.name, 'name');
  if (typeof s.kind !== 'string' || s.kind.length === 0) throw new ValidationError('kind', "expected a link kind such as 'veth', 'bridge', 'vlan'");
  const kind = s.kind;
  const codec = linkKindCodec(kind);
  const optionsKey = codec?.optionsKey;
  unknownKey(s, (k) => ADD_KEYS.has(k) || k === optionsKey || (!codec && k === 'data'), '', `${kind} link`);
  if (codec?.needsParent && s.link === undefined) throw new ValidationError('link', `a ${kind} device needs its parent link`);
  if (codec?.needsOptions && optionsKey && s[optionsKey] === undefined) throw new ValidationError(optionsKey, `a ${kind} device needs ${optionsKey} options`);
  if (!codec && s.data !== undefined && !(s.data instanceof Uint8Array)) throw new ValidationError('data', 'expected a Buffer with the IFLA_INFO_DATA payload');

  const b = new RequestBuilder('add');
  try {
    const { flags, change } = flagBits(s, '');
    const w = b.begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, { flags, change });
    encodeCommon(w, s, ADD_KEYS, '', b, new Set(['kind', 'alias']));
    const opts = optionsKey ? s[optionsKey] : undefined;
    encodeLinkInfo(w, b, kind, codec
      ? (opts !== undefined ? { codec, opts: opts as Record<string, unknown>, field: optionsKey! } : undefined)
      : (s.data !== undefined ? { raw: s.data as Uint8Array, field: 'data' } : undefined), undefined);
    const plan: AddPlan = { builder: b };
    // IFLA_IFALIAS is not applied by the kernel when it creates a link.
    if (s.alias !== undefined && s.alias !== '') {
      aliasBytes(s.alias, 'alias');
      plan.followUp = { alias: s.alias as string };
    }
    const peer = kind === 'veth' ? (s.peer as Record<string, unknown> | undefined) : undefined;
    if (peer?.up === true) plan.peerFollowUp = { up: true };
    return plan;
  } catch (err) {
    b.close();
    throw err;
  }
}

/** Maps an options key of `set` to the kinds that use it. */
export function kindsForOptionsKey(key: string): string[] {
  const out: string[] = [];
  for (const c of linkKindCodecs()) if (c.optionsKey === key && c.kind !== 'veth') out.push(c.kind);
  return out;
}

/** Which kind-options key (if any) a set's changes use; at most one is allowed. */
export function kindOptionsKey(changes: Record<string, unknown>): string | undefined {
  let found: string | undefined;
  for (const k of Object.keys(changes)) {
    if (changes[k] === undefined || SET_KEYS.has(k) || k === 'kind' || PORT_KEYS.has(k)) continue;
    if (kindsForOptionsKey(k).length === 0) throw new ValidationError(k, `unknown link option ${JSON.stringify(k)}`);
    if (found) throw new ValidationError(k, `only one kind's options per set (got ${found} and ${k})`);
    found = k;
  }
  return found;
}

/**
 * Validates a set and builds its messages: one RTM_NEWLINK for everything it can carry; an
 * AF_BRIDGE RTM_SETLINK for bridge port settings; more RTM_NEWLINKs when the kernel needs an
 * order it can't follow within one message (bond port settings after a new master) or takes a
 * list one item per request (macvlan source MACs). They are sent together, in this order.
 */
export function planSet(ref: LinkRef, changes: LinkChanges, kind: string | undefined, current?: Record<string, unknown>): RequestBuilder {
  const parts = linkRefParts(ref, 'link');
  if (!isPlainObject(changes)) throw new ValidationError('changes', 'expected an object of changes');
  const c = changes as unknown as Record<string, unknown>;
  const optionsKey = kindOptionsKey(c);
  if (c.kind !== undefined && typeof c.kind !== 'string') throw new ValidationError('kind', 'expected a kind string');
  let codec: LinkKindCodec | undefined;
  if (optionsKey) {
    if (kind === undefined) throw new ValidationError('kind', `give the link's kind for ${optionsKey} options`);
    codec = linkKindCodec(kind);
    if (!codec || codec.optionsKey !== optionsKey) {
      throw new ValidationError(optionsKey, `${optionsKey} options don't apply to a ${kind} link`);
    }
  }
  if (c.bridgePort !== undefined && c.bondPort !== undefined) {
    throw new ValidationError('bondPort', 'a link is a port of one master: give one of bridgePort, bondPort');
  }
  for (const k of ['bridgePort', 'bondPort']) if (c[k] !== undefined && !isPlainObject(c[k])) throw new ValidationError(k, 'expected an object');
  const bridgePort = c.bridgePort as Record<string, unknown> | undefined;
  const bondPort = c.bondPort !== undefined ? { codec: linkKindCodec('bond')!, opts: c.bondPort as Record<string, unknown>, field: 'bondPort' } : undefined;

  if (optionsKey && !isPlainObject(c[optionsKey])) throw new ValidationError(optionsKey, 'expected an object');
  let kindOpts = optionsKey ? (c[optionsKey] as Record<string, unknown>) : undefined;
  if (kindOpts && codec!.mergeForSet && current) kindOpts = codec!.mergeForSet(current, kindOpts);
  const optionParts = kindOpts ? (codec!.splitSet ? codec!.splitSet(kindOpts, optionsKey!) : [kindOpts]) : [];
  // Port settings in slave data apply to the master the link has when the message is handled,
  // so with a new master they go in a second message.
  const bondLater = bondPort !== undefined && c.master !== undefined;
  const extra = Math.max(0, optionParts.length - 1) + (bondLater ? 1 : 0) + (bridgePort ? 1 : 0);
  if (extra > 0 && c.netns !== undefined) {
    throw new ValidationError('netns', 'moving to another namespace cannot be combined with changes that need more than one request');
  }
  const mainNeeded = optionParts.length > 0 || bondPort !== undefined || !bridgePort
    || Object.keys(c).some((k) => c[k] !== undefined && (SET_KEYS.has(k)));

  // A renamed link is found by ifindex in every message; otherwise a name is enough.
  const renaming = c.name !== undefined && parts.name !== undefined && c.name !== parts.name;
  const identify = (w: MessageWriter) => {
    if (parts.name !== undefined && !renaming) w.string(IFLA.IFNAME, parts.name, 'link');
  };
  const headerName = renaming ? parts.name : undefined;
  const index = parts.index ?? 0;

  const b = new RequestBuilder('set');
  try {
    if (mainNeeded) {
      const { flags, change } = flagBits(c, '');
      const w = b.begin(RTM_NEWLINK, 0, { index, flags, change }, headerName);
      if (optionsKey) b.messages[0]!.hint = `${optionsKey}: the link is not a ${kind} (or the kernel can't change these settings)`;
      else if (bondPort) b.messages[0]!.hint = 'bondPort: the link is not a bond member';
      identify(w);
      encodeCommon(w, c, SET_KEYS, '', b);
      const first = optionParts[0];
      if (first !== undefined || (bondPort && !bondLater)) {
        encodeLinkInfo(w, b, first !== undefined ? kind : undefined,
          first !== undefined ? { codec: codec!, opts: first, field: optionsKey! } : undefined,
          bondPort && !bondLater ? bondPort : undefined);
      }
    }
    const more = (fill: (w: MessageWriter) => void) => {
      const wx = b.begin(RTM_NEWLINK, 0, { index }, headerName);
      identify(wx);
      fill(wx);
    };
    if (bondLater) more((wx) => encodeLinkInfo(wx, b, undefined, undefined, bondPort));
    for (const part of optionParts.slice(1)) {
      more((wx) => encodeLinkInfo(wx, b, kind, { codec: codec!, opts: part, field: optionsKey! }, undefined));
    }
    if (bridgePort) {
      // As `bridge link set` does: AF_BRIDGE RTM_SETLINK with IFLA_PROTINFO, handled by the
      // port's bridge without the NETDEV_CHANGE that the slave-data path sends (which makes
      // the bridge re-select the port's STP state, undoing `state`). It needs an ifindex.
      const wb = b.begin(RTM_SETLINK, 0, { family: AF_BRIDGE, index }, parts.index === undefined ? parts.name : undefined);
      b.messages[b.messages.length - 1]!.hint = 'bridgePort: the link is not a bridge port';
      wb.nestStart(IFLA.PROTINFO, 'bridgePort');
      linkKindCodec('bridge')!.encodeSlaveData!(wb, bridgePort, 'bridgePort', b);
      wb.nestEnd();
    }
    return b;
  } catch (err) {
    b.close();
    throw err;
  }
}
