/**
 * rt.bridge.vlan: the VLANs of bridge ports (and of the bridge itself) on a VLAN-filtering
 * bridge. Changes are RTM_SETLINK / RTM_DELLINK in the AF_BRIDGE family carrying
 * IFLA_AF_SPEC { IFLA_BRIDGE_FLAGS, IFLA_BRIDGE_VLAN_INFO… }; the list is an AF_BRIDGE link dump
 * with RTEXT_FILTER_BRVLAN, as `bridge vlan show` does it. VLAN → tunnel id (VNI) mappings of a
 * VXLAN port travel in the same messages as IFLA_BRIDGE_VLAN_TUNNEL_INFO nests
 * (`bridge vlan … tunnel_info id N`, `bridge vlan tunnelshow`).
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

/** IFLA_BRIDGE_VLAN_TUNNEL_* (children of an IFLA_BRIDGE_VLAN_TUNNEL_INFO nest). */
const VLAN_TUNNEL = { ID: 1, VID: 2, FLAGS: 3 } as const;

/** One VLAN (or range) to add or delete. */
export interface BridgeVlanSpec {
  /** A VLAN id, or an inclusive range [from, to]. */
  vid: number | [number, number];
  /**
   * Instead of the VLAN itself, its mapping to a tunnel id (a VNI) on a port of a VXLAN device
   * in `external` mode (`bridge vlan … tunnel_info id N`): the VLAN must already be on the
   * port, and the port needs `bridgePort: { vlanTunnel: true }` for traffic (and listings) to
   * use it. With a range of VLANs, the ids run from this one (VLAN 10–12 → 100–102).
   */
  tunnelId?: number;
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

/** A VLAN → tunnel id (VNI) mapping of a port, as `bridge vlan tunnelshow` lists it. */
export interface BridgeVlanTunnel {
  vid: number;
  /** Last VLAN of a range (the kernel lists consecutive mappings as one). */
  vidEnd?: number;
  /** The tunnel id (VNI) of `vid`. */
  id: number;
  /** The tunnel id of `vidEnd`. */
  idEnd?: number;
}

/** A port (or bridge) and its VLANs. */
export interface BridgeVlanPort {
  /** ifindex. */
  link: number;
  name: string;
  /** ifindex of the bridge this port belongs to (absent for the bridge itself). */
  master?: number;
  vlans: BridgeVlan[];
  /** VLAN → tunnel id mappings (a VXLAN port with `vlanTunnel` on, and mappings set). */
  tunnels?: BridgeVlanTunnel[];
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
  const tunnelInfos: { flags: number; vid: number; id: number }[] = [];
  forEachAttr(buf, off + NLMSG_HDRLEN + IFINFOMSG_SIZE, off + len, (type, at, l) => {
    if (type === IFLA.IFNAME) name = readString(buf, at, l);
    else if (type === IFLA.MASTER && l >= 4) master = buf.readUInt32LE(at);
    else if (type === IFLA.AF_SPEC) {
      forEachAttr(buf, at, at + l, (t, a, n) => {
        if (t === IFLA_BRIDGE.VLAN_INFO && n >= 4) infos.push({ flags: buf.readUInt16LE(a), vid: buf.readUInt16LE(a + 2) });
        else if (t === IFLA_BRIDGE.VLAN_TUNNEL_INFO) {
          const ti = { flags: 0, vid: 0, id: 0 };
          forEachAttr(buf, a, a + n, (tt, aa, nn) => {
            if (tt === VLAN_TUNNEL.ID && nn >= 4) ti.id = buf.readUInt32LE(aa);
            else if (tt === VLAN_TUNNEL.VID && nn >= 2) ti.vid = buf.readUInt16LE(aa);
            else if (tt === VLAN_TUNNEL.FLAGS && nn >= 2) ti.flags = buf.readUInt16LE(aa);
          }, 'bridge vlan tunnel info');
          tunnelInfos.push(ti);
        }
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
  if (tunnelInfos.length) port.tunnels = pairTunnelRanges(tunnelInfos);
  return port;
}

/** Joins RANGE_BEGIN/RANGE_END pairs of tunnel infos into one mapping each. */
function pairTunnelRanges(infos: { flags: number; vid: number; id: number }[]): BridgeVlanTunnel[] {
  const out: BridgeVlanTunnel[] = [];
  let begin: BridgeVlanTunnel | undefined;
  for (const { flags, vid, id } of infos) {
    if (flags & BRIDGE_VLAN_INFO.RANGE_BEGIN) {
      begin = { vid, id };
    } else if (flags & BRIDGE_VLAN_INFO.RANGE_END && begin) {
      begin.vidEnd = vid;
      begin.idEnd = id;
      out.push(begin);
      begin = undefined;
    } else {
      out.push({ vid, id });
    }
  }
  return out;
}

interface CheckedSpec {
  from: number;
  to: number;
  flags: number;
  self?: boolean;
  tunnelId?: number;
}

function checkSpec(spec: BridgeVlanSpec, forAdd: boolean): CheckedSpec {
  if (!spec || typeof spec !== 'object') throw new ValidationError('vlan', 'expected { vid, pvid?, untagged?, self?, tunnelId? }');
  checkKeys(spec, ['vid', 'pvid', 'untagged', 'self', 'tunnelId']);
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
  if (spec.tunnelId !== undefined) {
    const id = spec.tunnelId;
    // VNIs are 24 bits; the kernel stores the id as a 64-bit tunnel key but VXLAN uses 24.
    if (!Number.isInteger(id) || id < 1 || id + (to - from) > 0xffffff) {
      throw new ValidationError('tunnelId', `expected a tunnel id (VNI) 1–16777215 for every VLAN of the range, got ${JSON.stringify(id)}`);
    }
    if (flags) throw new ValidationError(flags & BRIDGE_VLAN_INFO.PVID ? 'pvid' : 'untagged', 'a tunnel mapping is set on its own: add the VLAN first');
    if (out.self) throw new ValidationError('self', 'tunnel mappings are a port setting (master), not self');
    out.tunnelId = id;
  }
  return out;
}

/** Bridge VLAN operations of one rtnetlink handle. */
export class BridgeVlanApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  private async change(type: number, operation: string, ref: LinkRef, spec: BridgeVlanSpec, opts: CallOptions | undefined): Promise<void> {
    linkRefParts(ref, 'dev'); // a bad ref fails before anything is sent
    const signal = signalOf(opts);
    const c = checkSpec(spec, type === RTM_SETLINK);
    // A tunnel mapping is always a port's (master): no need to ask whether ref is a bridge.
    let self = c.self ?? (c.tunnelId !== undefined ? false : undefined);
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
      if (c.tunnelId !== undefined) {
        // bridge vlan … tunnel_info id N: the mapping alone, in the same range framing.
        w.nestStart(IFLA_BRIDGE.VLAN_TUNNEL_INFO, 'tunnelId');
        w.u32(VLAN_TUNNEL.ID, c.tunnelId + (vid - c.from), 'tunnelId');
        w.u16(VLAN_TUNNEL.VID, vid, 'vid');
        w.u16(VLAN_TUNNEL.FLAGS, flags, 'vid');
        w.nestEnd();
        return;
      }
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
   * pvid/untagged flags. With `tunnelId`, maps the port's VLAN(s) to a tunnel id instead.
   * Equivalent to: bridge vlan add dev PORT vid V[-W] [pvid] [untagged] [self|master]
   *   or: bridge vlan add dev VXPORT vid V[-W] tunnel_info id N[-M]
   */
  add(ref: LinkRef, spec: BridgeVlanSpec, opts?: CallOptions): Promise<void> {
    return this.change(RTM_SETLINK, 'bridge.vlan.add', ref, spec, opts);
  }

  /**
   * Removes a VLAN (or range) from a port, or from the bridge itself; with `tunnelId`, only
   * its tunnel mapping.
   * Equivalent to: bridge vlan del dev PORT vid V[-W] [self|master]
   *   or: bridge vlan del dev VXPORT vid V[-W] tunnel_info id N[-M]
   */
  del(ref: LinkRef, spec: BridgeVlanSpec, opts?: CallOptions): Promise<void> {
    return this.change(RTM_DELLINK, 'bridge.vlan.del', ref, spec, opts);
  }

  /**
   * Every bridge port (and bridge) with VLANs, and its VLANs and VLAN → tunnel id mappings
   * (one dump).
   * Equivalent to: bridge vlan show [dev PORT]; bridge vlan tunnelshow [dev PORT]
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

