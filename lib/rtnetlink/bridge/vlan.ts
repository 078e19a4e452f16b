/**
 * rt.bridge.vlan: the VLANs of bridge ports (and of the bridge itself) on a VLAN-filtering
 * bridge. Changes are RTM_SETLINK / RTM_DELLINK in the AF_BRIDGE family carrying
 * IFLA_AF_SPEC { IFLA_BRIDGE_FLAGS, IFLA_BRIDGE_VLAN_INFO… }; the list is an AF_BRIDGE link dump
 * with RTEXT_FILTER_BRVLAN, as `bridge vlan show` does it.
 */
import { ValidationError } from '../../errors';
import { forEachAttr, readString } from '../../wire/attributes';
import { AF_BRIDGE, NLMSG_HDRLEN, NLM_F_DUMP } from '../../wire/constants';
import { RTEXT_FILTER_BRVLAN, RTEXT_FILTER_BRVLAN_COMPRESSED, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK } from '../constants';
import { MessageWriter } from '../../wire/message-writer';
import { IFINFOMSG_SIZE, readIfInfoMsg, writeIfInfoMsg } from '../structs';
import type { Engine } from '../../core/engine';
import { checkKeys, signalOf, type CallOptions } from '../../core/options';
import type { LinkApi } from '../link/link';
import { IFLA } from '../link/link-schema';
import { linkRefParts, type LinkRef } from '../request/link-ref';
import { checkBool } from '../link/kinds/kind-codec';
import { checkVlanId } from '../link/kinds/vlan';

/** IFLA_BRIDGE_* (children of IFLA_AF_SPEC in AF_BRIDGE messages). */
export const IFLA_BRIDGE = { FLAGS: 0, MODE: 1, VLAN_INFO: 2, VLAN_TUNNEL_INFO: 3 } as const;
/** BRIDGE_FLAGS_*: whom a request is for (the port's master bridge, or the device itself). */
export const BRIDGE_FLAGS = { MASTER: 1, SELF: 2 } as const;
/** BRIDGE_VLAN_INFO_* flags of struct bridge_vlan_info. */
export const BRIDGE_VLAN_INFO = {
  MASTER: 1 << 0, PVID: 1 << 1, UNTAGGED: 1 << 2, RANGE_BEGIN: 1 << 3, RANGE_END: 1 << 4, BRENTRY: 1 << 5, ONLY_OPTS: 1 << 6,
} as const;

/** One VLAN (or range) to add or delete. */
export interface BridgeVlanSpec {
  /** A VLAN id, or an inclusive range [from, to]. */
  vid: number | [number, number];
  /** Untagged frames arriving on the port belong to this VLAN (one per port). */
  pvid?: boolean;
  /** Frames of this VLAN leave the port untagged. */
  untagged?: boolean;
  /**
   * The VLAN is for the device itself (`bridge vlan … self`) rather than its master bridge.
   * Defaults to true for a bridge device (its own VLANs) and false for a port.
   */
  self?: boolean;
}

/** A VLAN on a port as listed. */
export interface BridgeVlan {
  vid: number;
  /** Last id of a range (only when listing with `compressed: true`). */
  vidEnd?: number;
  pvid: boolean;
  untagged: boolean;
}

/** A port (or bridge) and its VLANs. */
export interface BridgeVlanPort {
  /** ifindex. */
  link: number;
  name: string;
  /** ifindex of the bridge this port belongs to (absent for the bridge itself). */
  master?: number;
  vlans: BridgeVlan[];
}

/** Options of `rt.bridge.vlan.list()`. */
export interface BridgeVlanListOptions {
  /** Only this port (or bridge) (`bridge vlan show dev D`). */
  dev?: LinkRef;
  /** Ranges as one entry with vidEnd (RTEXT_FILTER_BRVLAN_COMPRESSED), as `bridge vlan show` prints them. */
  compressed?: boolean;
}

/** The control options of add / del: `{ signal }`. */
export type BridgeVlanRequestOptions = CallOptions;

/** Decodes one AF_BRIDGE RTM_NEWLINK into a port and its VLANs (undefined: none). */
export function decodeBridgeVlanPort(buf: Buffer, off: number, len: number): BridgeVlanPort | undefined {
  const hdr = readIfInfoMsg(buf, off + NLMSG_HDRLEN, len - NLMSG_HDRLEN);
  if (hdr.family !== AF_BRIDGE) return undefined;
  let name = '';
  let master: number | undefined;
  const infos: { flags: number; vid: number }[] = [];
  forEachAttr(buf, off + NLMSG_HDRLEN + IFINFOMSG_SIZE, off + len, (type, at, l) => {
    if (type === IFLA.IFNAME) name = readString(buf, at, l);
    else if (type === IFLA.MASTER && l >= 4) master = buf.readUInt32LE(at);
    else if (type === IFLA.AF_SPEC) {
      forEachAttr(buf, at, at + l, (t, a, n) => {
        if (t === IFLA_BRIDGE.VLAN_INFO && n >= 4) infos.push({ flags: buf.readUInt16LE(a), vid: buf.readUInt16LE(a + 2) });
      }, 'bridge vlan af_spec');
    }
  }, 'bridge vlan');
  if (!infos.length) return undefined;
  const vlans: BridgeVlan[] = [];
  let begin: BridgeVlan | undefined;
  for (const { flags, vid } of infos) {
    const v: BridgeVlan = { vid, pvid: (flags & BRIDGE_VLAN_INFO.PVID) !== 0, untagged: (flags & BRIDGE_VLAN_INFO.UNTAGGED) !== 0 };
    if (flags & BRIDGE_VLAN_INFO.RANGE_BEGIN) {
      begin = v;
    } else if (flags & BRIDGE_VLAN_INFO.RANGE_END && begin) {
      begin.vidEnd = vid;
      vlans.push(begin);
      begin = undefined;
    } else {
      vlans.push(v);
    }
  }
  const port: BridgeVlanPort = { link: hdr.index, name, vlans };
  if (master !== undefined && master !== hdr.index) port.master = master;
  return port;
}

interface CheckedSpec {
  from: number;
  to: number;
  flags: number;
  self?: boolean;
}

function checkSpec(spec: BridgeVlanSpec, forAdd: boolean): CheckedSpec {
  if (!spec || typeof spec !== 'object') throw new ValidationError('vlan', 'expected { vid, pvid?, untagged?, self? }');
  for (const k of Object.keys(spec)) {
    if (!['vid', 'pvid', 'untagged', 'self'].includes(k)) throw new ValidationError(k, `unknown bridge vlan option ${JSON.stringify(k)}`);
  }
  let from: number;
  let to: number;
  if (Array.isArray(spec.vid)) {
    if (spec.vid.length !== 2) throw new ValidationError('vid', 'a range is [from, to]');
    from = checkVlanId(spec.vid[0], 'vid[0]');
    to = checkVlanId(spec.vid[1], 'vid[1]');
    if (to < from) throw new ValidationError('vid', `range end ${to} is below its start ${from}`);
  } else {
    from = to = checkVlanId(spec.vid, 'vid');
  }
  let flags = 0;
  if (spec.pvid !== undefined && checkBool(spec.pvid, 'pvid')) {
    if (to !== from) throw new ValidationError('pvid', 'a port has one PVID: not valid with a range');
    flags |= BRIDGE_VLAN_INFO.PVID;
  }
  if (spec.untagged !== undefined && checkBool(spec.untagged, 'untagged')) flags |= BRIDGE_VLAN_INFO.UNTAGGED;
  if (!forAdd && flags) throw new ValidationError(flags & BRIDGE_VLAN_INFO.PVID ? 'pvid' : 'untagged', 'only for add');
  const out: CheckedSpec = { from, to, flags };
  if (spec.self !== undefined) out.self = checkBool(spec.self, 'self');
  return out;
}

/** Bridge VLAN operations of one rtnetlink handle. */
export class BridgeVlanApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  private async change(type: number, operation: string, ref: LinkRef, spec: BridgeVlanSpec, opts: CallOptions | undefined): Promise<void> {
    linkRefParts(ref, 'dev'); // a bad ref fails before anything is sent
    const signal = signalOf(opts);
    const c = checkSpec(spec, type === RTM_SETLINK);
    let self = c.self;
    let index: number;
    if (self === undefined) {
      // A bridge's own VLANs are addressed with "self": whether it is one takes its kind.
      const link = await this.links.get(ref, {}, signal);
      index = link.index;
      self = link.kind === 'bridge';
    } else {
      // The kernel wants an ifindex (lookups of a name in one burst are shared).
      index = await this.links.resolver.resolve(ref, 'dev');
    }
    const w = new MessageWriter(type, 0);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_BRIDGE, index }));
    w.nestStart(IFLA.AF_SPEC, 'afSpec');
    w.u16(IFLA_BRIDGE.FLAGS, self ? BRIDGE_FLAGS.SELF : BRIDGE_FLAGS.MASTER, 'self');
    const info = (flags: number, vid: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt16LE(flags, 0);
      b.writeUInt16LE(vid, 2);
      w.bytes(IFLA_BRIDGE.VLAN_INFO, b, 'vid');
    };
    if (c.from === c.to) {
      info(c.flags, c.from);
    } else {
      info(c.flags | BRIDGE_VLAN_INFO.RANGE_BEGIN, c.from);
      info(c.flags | BRIDGE_VLAN_INFO.RANGE_END, c.to);
    }
    w.nestEnd();
    await this.engine.request(w.finish(), { operation, ...signal });
  }

  /**
   * Adds a VLAN (or range) to a port, or to the bridge itself; re-adding one updates its
   * pvid/untagged flags.
   * Equivalent to: bridge vlan add dev PORT vid V[-W] [pvid] [untagged] [self|master]
   */
  add(ref: LinkRef, spec: BridgeVlanSpec, opts?: CallOptions): Promise<void> {
    return this.change(RTM_SETLINK, 'bridge.vlan.add', ref, spec, opts);
  }

  /**
   * Removes a VLAN (or range) from a port, or from the bridge itself.
   * Equivalent to: bridge vlan del dev PORT vid V[-W] [self|master]
   */
  del(ref: LinkRef, spec: BridgeVlanSpec, opts?: CallOptions): Promise<void> {
    return this.change(RTM_DELLINK, 'bridge.vlan.del', ref, spec, opts);
  }

  /**
   * Every bridge port (and bridge) with VLANs, and its VLANs (one dump).
   * Equivalent to: bridge vlan show [dev PORT]
   */
  async list(opts: BridgeVlanListOptions = {}, callOpts?: CallOptions): Promise<BridgeVlanPort[]> {
    checkKeys(opts, ['dev', 'compressed'], 'filter');
    const signal = signalOf(callOpts);
    const only = opts.dev !== undefined ? linkRefParts(opts.dev, 'dev') : undefined;
    const w = new MessageWriter(RTM_GETLINK, NLM_F_DUMP);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_BRIDGE }));
    w.u32(IFLA.EXT_MASK, opts.compressed ? RTEXT_FILTER_BRVLAN_COMPRESSED : RTEXT_FILTER_BRVLAN, 'compressed');
    const ports = await this.engine.request(w.finish(), {
      operation: 'bridge.vlan.list',
      dump: true,
      decode: (buf, off, len, type) => (type === RTM_NEWLINK ? decodeBridgeVlanPort(buf, off, len) : undefined),
      ...signal,
    });
    // The dump can't be filtered by device in the kernel (AF_BRIDGE dumps take no ifindex).
    if (!only) return ports;
    return ports.filter((p) => (only.index !== undefined ? p.link === only.index : p.name === only.name));
  }
}

