/**
 * rt.netns: namespace ids (nsids). An nsid is a small number by which the handle's namespace
 * refers to another namespace — for example in IFLA_LINK_NETNSID, which says where a veth's
 * peer (or a vxlan's underlay) lives. Ids are per observing namespace and assigned lazily by
 * the kernel, or explicitly with setId.
 */
import { ValidationError } from '../../errors';
import { writeNsTarget } from '../../netns/handle';
import { list as listNetns } from '../../netns/netns';
import type { NetnsRef } from '../../netns/netns-ref';
import { defineSchema, decodeAttrs } from '../../wire/attributes';
import { AF_UNSPEC, NLMSG_HDRLEN, NLM_F_DUMP } from '../../wire/constants';
import { RTM_GETNSID, RTM_NEWNSID } from '../constants';
import { MessageWriter } from '../../wire/message-writer';
import { RTGENMSG_SIZE, writeRtGenMsg } from '../structs';
import type { Engine } from '../../core/engine';
import { signalOf, type CallOptions } from '../../core/options';

/** NETNSA_* attribute numbers (linux/net_namespace.h). */
export const NETNSA = { NSID: 1, PID: 2, FD: 3, TARGET_NSID: 4, CURRENT_NSID: 5 } as const;

/** The nsid the kernel reports for a namespace that has none in the observing namespace. */
export const NETNSA_NSID_NOT_ASSIGNED = -1;

/** RTM_NEWNSID payload attributes. */
export const nsidSchema = defineSchema('netns', {
  [NETNSA.NSID]: { name: 'nsid', type: 's32' },
  [NETNSA.PID]: { name: 'pid', type: 'u32' },
  [NETNSA.FD]: { name: 'fd', type: 'u32' },
  [NETNSA.TARGET_NSID]: { name: 'targetNsid', type: 's32' },
  [NETNSA.CURRENT_NSID]: { name: 'currentNsid', type: 's32' },
});

interface NsidMessage {
  nsid?: number;
  currentNsid?: number;
}

const decode = (buf: Buffer, off: number, len: number, type: number): NsidMessage | undefined =>
  type === RTM_NEWNSID ? decodeAttrs<NsidMessage>(nsidSchema, buf, off + NLMSG_HDRLEN + RTGENMSG_SIZE, off + len) : undefined;

/** The control options of the nsid calls: `{ signal }`. */
export type NetnsIdOptions = CallOptions;

/** Namespace-id operations of one rtnetlink handle (ids as seen from the handle's namespace). */
export class NetnsIdApi {
  constructor(protected readonly engine: Engine) {}

  /**
   * Writes NETNSA_FD or NETNSA_PID for `ref`, opening (and afterwards closing) a handle when
   * the namespace is given by name or path: the kernel resolves the fd in this process.
   */
  private async withTarget<T>(w: MessageWriter, ref: NetnsRef, field: string, fn: (w: MessageWriter) => Promise<T>): Promise<T> {
    const opened = writeNsTarget(w, ref, field, { pid: NETNSA.PID, fd: NETNSA.FD });
    try {
      return await fn(w);
    } finally {
      opened?.close();
    }
  }

  /**
   * The nsid this handle's namespace uses for `ns` (a name, path, fd, handle or `{ pid }`),
   * or -1 (`NETNSA_NSID_NOT_ASSIGNED`) when none is assigned. Never assigns one.
   *
   * Equivalent to: ip netns list-id  (the id of NAME, as `ip netns` shows it)
   */
  async id(ns: NetnsRef, opts?: CallOptions): Promise<number> {
    const w = new MessageWriter(RTM_GETNSID, 0);
    w.struct(RTGENMSG_SIZE, (b, at) => writeRtGenMsg(b, at, AF_UNSPEC));
    return this.withTarget(w, ns, 'ns', async (msg) => {
      const [reply] = await this.engine.request(msg.finish(), { operation: 'netns.id', decode, ...signalOf(opts) });
      if (!reply || reply.nsid === undefined) throw new Error('netns.id: the kernel replied without NETNSA_NSID');
      return reply.nsid;
    });
  }

  /**
   * Assigns nsid `id` to `ns` in this handle's namespace. NetlinkError 'EEXIST' when `ns`
   * already has an id or `id` is taken (the kernel never renumbers).
   *
   * Equivalent to: ip netns set NAME ID
   */
  async setId(ns: NetnsRef, id: number, opts?: CallOptions): Promise<void> {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new ValidationError('id', 'nsid must be an integer 0–2147483647');
    const w = new MessageWriter(RTM_NEWNSID, 0);
    w.struct(RTGENMSG_SIZE, (b, at) => writeRtGenMsg(b, at, AF_UNSPEC));
    w.s32(NETNSA.NSID, id, 'id');
    await this.withTarget(w, ns, 'ns', (msg) =>
      this.engine.request(msg.finish(), { operation: 'netns.setId', ...signalOf(opts) }));
  }

  /**
   * Every nsid assigned in this handle's namespace (one dump), ascending.
   *
   * Equivalent to: ip netns list-id
   */
  async list(opts?: CallOptions): Promise<number[]> {
    const w = new MessageWriter(RTM_GETNSID, NLM_F_DUMP);
    w.struct(RTGENMSG_SIZE, (b, at) => writeRtGenMsg(b, at, AF_UNSPEC));
    const replies = await this.engine.request(w.finish(), { operation: 'netns.list', dump: true, decode, ...signalOf(opts) });
    return replies.flatMap((r) => (r.nsid !== undefined ? [r.nsid] : [])).sort((a, b) => a - b);
  }

  /**
   * The name under /run/netns of the namespace this handle knows as `nsid` (e.g. a link's
   * `linkNetnsId`), or undefined when no named namespace has that id. Asks for each name's
   * id in turn, as iproute2 does to print `link-netns NAME`.
   *
   * Equivalent to: the link-netns NAME column of `ip link show`
   */
  async nameOf(nsid: number, opts?: CallOptions): Promise<string | undefined> {
    if (!Number.isInteger(nsid) || nsid < 0) throw new ValidationError('nsid', 'must be a non-negative integer');
    for (const name of await listNetns()) {
      let id: number;
      try {
        id = await this.id(name, opts);
      } catch (err) {
        // A stale /run/netns entry (not a namespace any more) cannot be the one asked for.
        if ((err as { code?: string }).code === 'ENOENT' || (err as { code?: string }).code === 'EINVAL') continue;
        throw err;
      }
      if (id === nsid) return name;
    }
    return undefined;
  }
}
