/**
 * rt.link: list, inspect, create, change and delete network interfaces.
 */
import { NetlinkError } from '../../errors';
import { AF_UNSPEC, NLMSG_HDRLEN, NLM_F_DUMP } from '../../wire/constants';
import { forEachAttr, readString } from '../../wire/attributes';
import { RTEXT_FILTER_SKIP_STATS, RTEXT_FILTER_VF, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK } from '../constants';
import { MessageWriter, type BuiltMessage } from '../../wire/message-writer';
import { IFINFOMSG_SIZE, writeIfInfoMsg } from '../structs';
import type { NetnsRef } from '../../netns/netns-ref';
import type { Engine } from '../../core/engine';
import { checkKeys, signalOf, type CallOptions } from '../../core/options';
import { IFLA, IFLA_INFO } from './link-schema';
import { decodeLink, decodeLinkWithVfs, type Link } from './link-decode';
import { linkRefParts, LinkIndexResolver, type LinkRef } from '../request/link-ref';
import { kindOptionsKey, kindsForOptionsKey, planAdd, planSet, type LinkAddSpec, type LinkChanges, type RequestBuilder, type VethAddSpec } from './link-spec';
import { openRtnlSocket } from '../socket';
import { linkKindCodec } from './kinds/registry';
import './kinds/index';
import { prepareAltnames, writeLinkLookup } from './link-props';

/** Options of `rt.link.list()`. */
export interface LinkListOptions {
  /** Only ports of this master (filtered in the kernel). */
  master?: LinkRef;
  /** Only links of this kind, e.g. 'veth' (filtered in the kernel). */
  kind?: string;
  /** IFLA_EXT_MASK bits (RTEXT_FILTER_*), e.g. to include VF info. */
  extMask?: number;
}

/** What `rt.link.get()` asks for beyond the link itself. */
export interface LinkGetOptions {
  /** IFLA_EXT_MASK bits (RTEXT_FILTER_*), e.g. RTEXT_FILTER_VF to include VF info. */
  extMask?: number;
}

/** The control options of add / set / del (and every other call): `{ signal }`. */
export type LinkRequestOptions = CallOptions;

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWLINK ? decodeLink(buf, off, len) : undefined);
const decodeWithVfs = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWLINK ? decodeLinkWithVfs(buf, off, len) : undefined);

/** The decoder for replies to a request with this IFLA_EXT_MASK: VF lists only come with RTEXT_FILTER_VF. */
const decoderFor = (extMask: number | undefined) => (extMask !== undefined && (extMask & RTEXT_FILTER_VF) !== 0 ? decodeWithVfs : decode);

/** [ifindex, name] of one RTM_NEWLINK, reading nothing else. */
function decodeLinkName(buf: Buffer, off: number, len: number, type: number): [number, string] | undefined {
  if (type !== RTM_NEWLINK || len < NLMSG_HDRLEN + IFINFOMSG_SIZE) return undefined;
  const index = buf.readInt32LE(off + NLMSG_HDRLEN + 4);
  let name = '';
  forEachAttr(buf, off + NLMSG_HDRLEN + IFINFOMSG_SIZE, off + len, (t, at, n) => {
    if (t === IFLA.IFNAME) name = readString(buf, at, n);
  }, 'link name');
  return [index, name];
}

/** Link operations of one rtnetlink handle. */
export class LinkApi {
  /** Name → ifindex, shared by every API of this handle. */
  readonly resolver: LinkIndexResolver;

  constructor(protected readonly engine: Engine) {
    this.resolver = new LinkIndexResolver(async (name) => (await this.get(name)).index);
  }

  private sig(opts: CallOptions | undefined): { signal?: AbortSignal } {
    return signalOf(opts);
  }

  /**
   * Lists every link in the handle's namespace (one dump), with stats64, master, parent link,
   * link netnsid, per-kind `info` and `bridgePort`.
   * Equivalent to: ip -d -s link show [master M] [type K]
   */
  async list(filter: LinkListOptions = {}, callOpts?: CallOptions): Promise<Link[]> {
    checkKeys(filter, ['master', 'kind', 'extMask'], 'filter');
    const signal = this.sig(callOpts);
    const opts = filter;
    const master = opts.master !== undefined ? await this.resolver.resolve(opts.master, 'master') : undefined;
    const w = new MessageWriter(RTM_GETLINK, NLM_F_DUMP);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_UNSPEC }));
    if (opts.extMask !== undefined) w.u32(IFLA.EXT_MASK, opts.extMask, 'extMask');
    if (master !== undefined) w.u32(IFLA.MASTER, master, 'master');
    if (opts.kind !== undefined) {
      w.nestStart(IFLA.LINKINFO, 'kind');
      w.string(IFLA_INFO.KIND, opts.kind, 'kind');
      w.nestEnd();
    }
    return this.engine.request(w.finish(), { operation: 'link.list', dump: true, decode: decoderFor(opts.extMask), ...signal });
  }

  /**
   * ifindex → name of every link, for naming the `dev` of listed routes, neighbours, FDB
   * entries and addresses (one dump without statistics).
   * Equivalent to: ip link show (names only)
   */
  async names(opts?: CallOptions): Promise<Map<number, string>> {
    const w = new MessageWriter(RTM_GETLINK, NLM_F_DUMP);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_UNSPEC }));
    w.u32(IFLA.EXT_MASK, RTEXT_FILTER_SKIP_STATS, 'extMask');
    // Only the index and IFLA_IFNAME are read: decoding whole links just for their names cost
    // every route/neighbour listing of a short-lived process the link decoder's compilation.
    const pairs = await this.engine.request(w.finish(), { operation: 'link.names', dump: true, decode: decodeLinkName, ...this.sig(opts) });
    return new Map(pairs);
  }

  /**
   * One link by name or ifindex; rejects with NetlinkError 'ENODEV' when there is none.
   * Equivalent to: ip -d -s link show dev NAME
   */
  async get(ref: LinkRef, filter: LinkGetOptions = {}, callOpts?: CallOptions): Promise<Link> {
    checkKeys(filter, ['extMask'], 'filter');
    const signal = this.sig(callOpts);
    const opts = filter;
    const w = new MessageWriter(RTM_GETLINK, 0);
    // A name, or an altname (names longer than 15 bytes can only be one: IFLA_ALT_IFNAME).
    writeLinkLookup(w, ref, 'link', (index) => w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_UNSPEC, index })));
    if (opts.extMask !== undefined) w.u32(IFLA.EXT_MASK, opts.extMask, 'extMask');
    const [link] = await this.engine.request(w.finish(), { operation: 'link.get', decode: decoderFor(opts.extMask), ...signal });
    if (!link) throw new Error('link.get: the kernel acknowledged without a reply');
    return link;
  }

  /** Sends every message of a planned request in order (one batch) and releases what it borrowed. */
  private async send(b: RequestBuilder, operation: string, opts: CallOptions | undefined): Promise<Link[]> {
    let built: BuiltMessage[];
    try {
      built = await b.finish(this.resolver, operation);
      // Issued together, they leave in one sendmsg and the kernel handles them in order.
      const replies = await Promise.all(built.map((m, i) => this.engine.request(m, { operation, decode, ...this.sig(opts) }).catch((err: unknown) => {
        const hint = b.messages[i]!.hint;
        // Some refusals come without extack; say what was most likely wrong.
        if (hint && err instanceof NetlinkError && err.code === 'EOPNOTSUPP' && !err.extack) {
          throw new NetlinkError({ errno: err.errno, operation, extack: hint, ...(err.attribute !== undefined ? { attribute: err.attribute } : {}) });
        }
        throw err;
      })));
      return replies.flat();
    } finally {
      b.close();
    }
  }

  /**
   * Creates a link and returns it as the kernel reports it. A spec per kind (veth, bridge,
   * vlan, macvlan, macvtap, vxlan, geneve, gretap, ipvlan, bond, dummy, vrf; any other kind
   * with raw `data`). Input is validated before anything is sent; a failed add leaves nothing
   * behind.
   *
   * Equivalent to: ip link add NAME [link PARENT] [netns NS] [mtu M] [address A] [master B] type KIND [options]
   */
  async add(spec: LinkAddSpec, opts?: CallOptions): Promise<Link> {
    this.sig(opts);
    const plan = planAdd(spec);
    const echoed = await this.send(plan.builder, 'link.add', opts);
    // NLM_F_ECHO: kernels that honour it (6.3+) send the new link back. It is current unless a
    // master was set or more settings follow (both happen after it was made).
    const echo = spec.netns === undefined ? echoed.find((l) => l.name === spec.name) : undefined;
    const peerNetns = spec.kind === 'veth' ? (spec as VethAddSpec).peer?.netns : undefined;
    // A link made in another namespace is finished and read back through a handle there.
    const inLinkNetns = <T>(fn: (api: LinkApi) => Promise<T>) => (spec.netns !== undefined ? withHandleIn(spec.netns, fn) : fn(this));
    return inLinkNetns(async (api) => {
      const ref: LinkRef = echo ? echo.index : spec.name;
      try {
        if (plan.followUp) await api.set(ref, plan.followUp, opts);
        if (plan.peerFollowUp) {
          // The peer is the link's IFLA_LINK, an ifindex in the peer's own namespace; the echo
          // carries it, else (kernels before 6.3, a link made in another namespace) ask.
          const peer = echo?.link ?? (await api.get(ref, {}, opts)).link ?? (spec as VethAddSpec).peer!.name!;
          const followUp = plan.peerFollowUp;
          if (peerNetns !== undefined) await withHandleIn(peerNetns, (p) => p.set(peer, followUp, opts));
          else await this.set(peer, followUp, opts);
        }
      } catch (err) {
        // Leave nothing behind (deleting a veth takes its peer along).
        await api.del(ref).catch(() => undefined);
        throw err;
      }
      if (echo && !plan.followUp && !plan.peerFollowUp && spec.master === undefined) return echo;
      return api.get(ref, {}, opts);
    });
  }

  /**
   * Changes a link: any mix of up/down, mtu, address, name, alias, txqlen, promisc, allmulti,
   * arp, master (null: nomaster), netns, group, gso/gro limits, carrier, kind options
   * (`{ bridge: {...} }`, `{ vxlan: {...} }` …) and port settings (`bridgePort`, `bondPort`),
   * in one request where the kernel allows. Bridge port settings go in an AF_BRIDGE request
   * after it (as `bridge link set` sends them), and a few things take a request each (bond port
   * settings after a new master, each macvlan source MAC); they are sent together, in order,
   * and one failing doesn't undo the others.
   *
   * Equivalent to: ip link set dev NAME [up|down] [mtu M] [address A] [name N] [alias S]
   *   [txqlen Q] [promisc on|off] [master B | nomaster] [netns NS] [group G] [type KIND options]
   *   and: bridge link set dev NAME [hairpin on] [learning off] [flood on] [isolated on] …
   */
  async set(ref: LinkRef, changes: LinkChanges, opts?: CallOptions): Promise<void> {
    this.sig(opts);
    if (changes !== null && typeof changes === 'object' && changes.altnames !== undefined) {
      // Altnames are link properties, changed by messages of their own (after the rest).
      const { altnames, ...others } = changes;
      const props = prepareAltnames(ref, altnames);
      if (Object.keys(others).length) await this.set(ref, others, opts);
      for (const m of props) await this.engine.request(m, { operation: 'link.set', ...this.sig(opts) });
      return;
    }
    let kind = changes?.kind;
    const key = changes && typeof changes === 'object' ? kindOptionsKey(changes as unknown as Record<string, unknown>) : undefined;
    let current: Record<string, unknown> | undefined;
    if (key) {
      const kinds = kindsForOptionsKey(key);
      const merges = kinds.some((k) => linkKindCodec(k)?.mergeForSet);
      if (kind === undefined && kinds.length === 1) kind = kinds[0];
      if (kind === undefined || merges) {
        // Validate first (with a kind that shares the table), then ask the kernel which kind
        // the link is, and for kinds whose changes replace everything, what it has now.
        planSet(ref, changes, kind ?? kinds[0]).close();
        const link = await this.get(ref, {}, opts);
        kind ??= link.kind ?? '';
        current = link.info;
      }
    }
    await this.send(planSet(ref, changes, kind, current), 'link.set', opts);
  }

  /**
   * Deletes a link (a veth takes its peer with it).
   * Equivalent to: ip link del dev NAME
   */
  async del(ref: LinkRef, opts?: CallOptions): Promise<void> {
    const parts = linkRefParts(ref, 'link');
    const w = new MessageWriter(RTM_DELLINK, 0);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_UNSPEC, index: parts.index ?? 0 }));
    if (parts.name !== undefined) w.string(IFLA.IFNAME, parts.name, 'link');
    await this.engine.request(w.finish(), { operation: 'link.del', ...this.sig(opts) });
  }
}

/** Runs `fn` with a link API bound to a short-lived handle in namespace `ns`. */
async function withHandleIn<T>(ns: NetnsRef, fn: (api: LinkApi) => Promise<T>): Promise<T> {
  const { engine } = await openRtnlSocket({ netns: ns });
  try {
    return await fn(new LinkApi(engine));
  } finally {
    engine.close();
  }
}
