/**
 * One codec per link kind ('veth', 'vxlan', …): how its IFLA_INFO_DATA (and, for master kinds,
 * IFLA_INFO_SLAVE_DATA) decode into `link.info` / `link.slaveInfo`, and how the options of
 * `rt.link.add` / `rt.link.set` encode back. Each kind's file registers itself here; the link
 * decoder and the request builders look kinds up by name.
 */
import type { MessageWriter } from '../../../wire/message-writer';
import type { NetnsRef } from '../../../netns/netns-ref';
import type { LinkRef } from '../../request/link-ref';

/** What an encoder may ask of the request being built. */
export interface EncodeContext {
  /** 'add' creates a link (RTM_NEWLINK + NLM_F_CREATE); 'set' changes an existing one. */
  readonly op: 'add' | 'set';
  /** The IFLA_INFO_KIND being encoded ('macvtap' for a macvtap even though options say `macvlan`). */
  readonly kind: string;
  /**
   * Writes a u32 ifindex attribute for a LinkRef. Names are resolved (one RTM_GETLINK each,
   * shared in a burst) only after the whole message was built and validated, then patched in.
   */
  linkIndex(w: MessageWriter, type: number, ref: LinkRef, field: string): void;
  /**
   * Writes IFLA_NET_NS_FD (or IFLA_NET_NS_PID) for a namespace; a namespace given by name or
   * path is opened for the duration of the request.
   */
  netns(w: MessageWriter, ref: NetnsRef, field: string): void;
}

/** A link kind's codec. */
export interface LinkKindCodec {
  /** IFLA_INFO_KIND string. */
  kind: string;
  /**
   * Property of an add spec / set changes that holds this kind's options ('vxlan', 'bridge';
   * 'macvlan' for macvtap too; 'peer' for veth). Absent for kinds without options (dummy).
   */
  optionsKey?: string;
  /** An add of this kind needs `link` (the parent device: vlan, macvlan, ipvlan). */
  needsParent?: boolean;
  /** An add of this kind needs its options object (vlan needs `vlan.id`). */
  needsOptions?: boolean;
  /** Decodes IFLA_INFO_DATA's payload into the typed per-kind info object. */
  decodeData?(buf: Buffer, off: number, len: number): object;
  /** Decodes IFLA_INFO_SLAVE_DATA's payload of this kind's ports (bridge_slave, bond_slave). */
  decodeSlaveData?(buf: Buffer, off: number, len: number): object;
  /** Validates `opts` and writes the children of IFLA_INFO_DATA (the nest is opened by the caller). */
  encodeData?(w: MessageWriter, opts: Record<string, unknown>, field: string, ctx: EncodeContext): void;
  /**
   * For kinds whose kernel changelink rebuilds the whole configuration from the request (gre:
   * any attribute left out is reset), merges the link's current `info` under the changes, as
   * iproute2 does by reading the link first.
   */
  mergeForSet?(current: Record<string, unknown>, opts: Record<string, unknown>): Record<string, unknown>;
  /**
   * Splits set options the kernel takes one per request (macvlan source-MAC add/del) into
   * ordered parts, each sent as its own RTM_NEWLINK.
   */
  splitSet?(opts: Record<string, unknown>, field: string): Record<string, unknown>[];
  /** Validates `opts` and writes the children of IFLA_INFO_SLAVE_DATA for a port of this kind. */
  encodeSlaveData?(w: MessageWriter, opts: Record<string, unknown>, field: string, ctx: EncodeContext): void;
}

const codecs = new Map<string, LinkKindCodec>();

/** Registers (or replaces) a kind's codec. */
export function registerLinkKind(codec: LinkKindCodec): void {
  codecs.set(codec.kind, codec);
}

/** The codec for a kind, if one is registered. */
export function linkKindCodec(kind: string): LinkKindCodec | undefined {
  return codecs.get(kind);
}

/** Every registered codec (for mapping an options key back to its kinds). */
export function linkKindCodecs(): IterableIterator<LinkKindCodec> {
  return codecs.values();
}
