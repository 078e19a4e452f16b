/**
 * rt.link: list and inspect network interfaces.
 */
import { AF_UNSPEC, NLM_F_DUMP, RTM_GETLINK, RTM_NEWLINK } from '../wire/constants';
import { MessageWriter } from '../wire/message-writer';
import { IFINFOMSG_SIZE, writeIfInfoMsg } from '../wire/structs';
import type { Engine } from './engine';
import { IFLA } from './link-schema';
import { decodeLink, type Link } from './link-decode';
import { linkRefParts, LinkIndexResolver, type LinkRef } from './link-ref';

/** Options of `rt.link.list()`. */
export interface LinkListOptions {
  /** Only ports of this master (filtered in the kernel). */
  master?: LinkRef;
  /** Only links of this kind, e.g. 'veth' (filtered in the kernel). */
  kind?: string;
  /** IFLA_EXT_MASK bits (RTEXT_FILTER_*), e.g. to include VF info. */
  extMask?: number;
  signal?: AbortSignal;
}

/** Options of `rt.link.get()`. */
export interface LinkGetOptions {
  extMask?: number;
  signal?: AbortSignal;
}

const decode = (buf: Buffer, off: number, len: number, type: number) => (type === RTM_NEWLINK ? decodeLink(buf, off, len) : undefined);

/** Link operations of one rtnetlink handle. */
export class LinkApi {
  /** Name → ifindex, shared by every API of this handle. */
  readonly resolver: LinkIndexResolver;

  constructor(protected readonly engine: Engine) {
    this.resolver = new LinkIndexResolver(async (name) => (await this.get(name)).index);
  }

  /**
   * Lists every link in the handle's namespace (one dump).
   * Equivalent to: ip -d -s link show [master M] [type K]
   */
  async list(opts: LinkListOptions = {}): Promise<Link[]> {
    const master = opts.master !== undefined ? await this.resolver.resolve(opts.master, 'master') : undefined;
    const w = new MessageWriter(RTM_GETLINK, NLM_F_DUMP);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_UNSPEC }));
    if (opts.extMask !== undefined) w.u32(IFLA.EXT_MASK, opts.extMask, 'extMask');
    if (master !== undefined) w.u32(IFLA.MASTER, master, 'master');
    if (opts.kind !== undefined) {
      w.nestStart(IFLA.LINKINFO, 'kind');
      w.string(1 /* IFLA_INFO_KIND */, opts.kind, 'kind');
      w.nestEnd();
    }
    return this.engine.request(w.finish(), { operation: 'link.list', dump: true, decode, ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  /**
   * One link by name or ifindex; rejects with NetlinkError 'ENODEV' when there is none.
   * Equivalent to: ip -d -s link show dev NAME
   */
  async get(ref: LinkRef, opts: LinkGetOptions = {}): Promise<Link> {
    const parts = linkRefParts(ref, 'link');
    const w = new MessageWriter(RTM_GETLINK, 0);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_UNSPEC, index: parts.index ?? 0 }));
    if (parts.name !== undefined) w.string(IFLA.IFNAME, parts.name, 'name');
    if (opts.extMask !== undefined) w.u32(IFLA.EXT_MASK, opts.extMask, 'extMask');
    const [link] = await this.engine.request(w.finish(), { operation: 'link.get', decode, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (!link) throw new Error('link.get: the kernel acknowledged without a reply');
    return link;
  }
}
