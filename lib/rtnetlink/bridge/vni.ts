/**
 * rt.bridge.vni: the VNI filter of a collect-metadata VXLAN device (`bridge vni`, kernel 6.0+):
 * one `external vnifilter` device serving many VNIs, each with its own default remote (unicast,
 * which the kernel turns into that VNI's all-zeros FDB entry) or multicast group.
 */
import { ParseError, ValidationError } from '../../errors';
import { checkKeys, signalOf, type CallOptions } from '../../core/options';
import { decodeAttrs, defineSchema, forEachAttr, type RawAttribute } from '../../wire/attributes';
import { parseIp } from '../../wire/address';
import { AF_BRIDGE, NLMSG_HDRLEN, NLM_F_DUMP } from '../../wire/constants';
import { MessageWriter, type AttrTable } from '../../wire/message-writer';
import { RTM_DELTUNNEL, RTM_GETTUNNEL, RTM_NEWTUNNEL } from '../constants';
import type { Engine } from '../../core/engine';
import type { LinkApi } from '../link/link';
import type { LinkRef } from '../request/link-ref';
import { linkIndex, submit, uint, type LinkField, type PreparedRequest } from '../request/prepare';

/** struct tunnel_msg: u8 family, u8 flags, u16 reserved, u32 ifindex. */
const TUNNEL_MSG_SIZE = 8;
const TUNNEL_MSG_FLAG_STATS = 1;
/** VXLAN_VNIFILTER_ENTRY and its children (VXLAN_VNIFILTER_ENTRY_*). */
const VNIFILTER_ENTRY = 1;
const ENTRY = { START: 1, END: 2, GROUP: 3, GROUP6: 4, STATS: 5 } as const;

/** Per-VNI counters (`bridge -s vni`). */
export interface VniStats {
  rxBytes: number; rxPkts: number; rxDrops: number; rxErrors: number;
  txBytes: number; txPkts: number; txDrops: number; txErrors: number;
}

/** One VNI (or range) of a device's filter, as the kernel reports it. */
export interface VniEntry {
  /** ifindex of the VXLAN device. */
  index: number;
  /** Its name (resolved by list unless disabled). */
  dev?: string;
  vni: number;
  /** Last VNI of a range (`vni 300-310`). */
  vniEnd?: number;
  /** Unicast default remote of this VNI (`remote`). */
  remote?: string;
  /** Multicast group of this VNI (`group`). */
  group?: string;
  stats?: VniStats;
  unknown?: RawAttribute[];
}

/** A VNI (or range) to add or delete (words as `bridge vni add dev D vni N[-M] [remote|group A]`). */
export interface VniSpec {
  /** The VNI, 1–16777215. */
  vni: number;
  /** Last VNI of a range. */
  vniEnd?: number;
  /** Unicast default remote (`remote`). */
  remote?: string;
  /** Multicast group (`group`); needs the device to have a local address and `dev`. */
  group?: string;
}

/** Filter of `rt.bridge.vni.list()`. */
export interface VniListOptions {
  /** Only this device (filtered in the kernel). */
  dev?: LinkRef;
  /** Per-VNI counters (`-s`). Default false. */
  stats?: boolean;
  /** Resolve device names (one link dump). Default true. */
  names?: boolean;
}

const STATS_NAMES: (keyof VniStats)[] = ['rxBytes', 'rxPkts', 'rxDrops', 'rxErrors', 'txBytes', 'txPkts', 'txDrops', 'txErrors'];
/** VNIFILTER_ENTRY_STATS_* (1…8, PAD 9) → counters. */
const statsSchema = defineSchema('vni.stats', Object.fromEntries(STATS_NAMES.map((name, i) => [i + 1, { name, type: 'u64' as const }])));

const entrySchema = defineSchema('vni.entry', {
  [ENTRY.START]: { name: 'vni', type: 'u32' },
  [ENTRY.END]: { name: 'vniEnd', type: 'u32' },
  [ENTRY.GROUP]: { name: 'group', type: 'ip' },
  [ENTRY.GROUP6]: { name: 'group', type: 'ip' },
  [ENTRY.STATS]: { name: 'stats', type: 'nested', nested: statsSchema },
});

/** Decodes one RTM_NEWTUNNEL / RTM_DELTUNNEL: the VNIs of one device. */
export function decodeVniMessage(buf: Buffer, off: number, len: number): VniEntry[] {
  if (len - NLMSG_HDRLEN < TUNNEL_MSG_SIZE) throw new ParseError('tunnel_msg: truncated');
  const index = buf.readUInt32LE(off + NLMSG_HDRLEN + 4);
  const out: VniEntry[] = [];
  forEachAttr(buf, off + NLMSG_HDRLEN + TUNNEL_MSG_SIZE, off + len, (t, a, n) => {
    if (t !== VNIFILTER_ENTRY) return;
    const e = decodeAttrs<VniEntry>(entrySchema, buf, a, a + n, { index, vni: 0 });
    // The kernel reports the group attribute for both; iproute2 names a unicast one `remote`.
    if (e.group !== undefined && !isMulticast(e.group)) {
      e.remote = e.group;
      delete e.group;
    }
    if (e.vniEnd !== undefined && e.vniEnd === e.vni) delete e.vniEnd;
    out.push(e);
  }, 'vni');
  return out;
}

/** The first entry of a notification (monitor). */
export function decodeVni(buf: Buffer, off: number, len: number): VniEntry {
  return decodeVniMessage(buf, off, len)[0] ?? { index: buf.readUInt32LE(off + NLMSG_HDRLEN + 4), vni: 0 };
}

/** 224.0.0.0/4 or ff00::/8 (a text address; anything unparsable is left to parseIp to refuse). */
function isMulticast(addr: unknown): boolean {
  if (typeof addr !== 'string') return false;
  if (addr.includes(':')) return /^ff/i.test(addr);
  const first = Number(addr.split('.')[0]);
  return first >= 224 && first <= 239;
}

const VNI_ATTRS: AttrTable = { headerSize: TUNNEL_MSG_SIZE, fields: { [VNIFILTER_ENTRY]: 'vni' } };

/** What a VNI change does (`bridge vni add|del`). */
export type VniChange = 'add' | 'del';

/** Validates a VNI filter change; nothing is sent. */
export function prepareVni(change: VniChange, dev: LinkRef, spec: VniSpec): PreparedRequest {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new ValidationError('vni', 'expected { vni, vniEnd?, remote?, group? }');
  checkKeys(spec, change === 'add' ? ['vni', 'vniEnd', 'remote', 'group'] : ['vni', 'vniEnd', 'remote', 'group', 'index', 'dev', 'stats', 'unknown'], '');
  const vni = uint(spec.vni, 'vni', 0xff_ffff);
  if (vni === 0) throw new ValidationError('vni', 'a VNI is 1–16777215');
  const vniEnd = spec.vniEnd !== undefined ? uint(spec.vniEnd, 'vniEnd', 0xff_ffff) : undefined;
  if (vniEnd !== undefined && vniEnd < vni) throw new ValidationError('vniEnd', 'the range must end at or after vni');
  if (spec.remote !== undefined && spec.group !== undefined) throw new ValidationError('group', 'give a remote or a group, not both');
  let addr: Buffer | undefined;
  if (change === 'add') {
    if (spec.remote !== undefined) {
      if (isMulticast(spec.remote)) throw new ValidationError('remote', 'a remote is unicast; use group for a multicast group');
      addr = parseIp(spec.remote, 'remote').bytes;
    } else if (spec.group !== undefined) {
      if (!isMulticast(spec.group)) throw new ValidationError('group', 'a group is a multicast address; use remote for a unicast one');
      addr = parseIp(spec.group, 'group').bytes;
    }
  }
  const links: LinkField[] = [];
  const w = new MessageWriter(change === 'add' ? RTM_NEWTUNNEL : RTM_DELTUNNEL, 0, 64);
  const index = linkIndex(links, 'dev', dev, w.offset + 4);
  w.struct(TUNNEL_MSG_SIZE, (b, at) => {
    b[at] = AF_BRIDGE;
    b.writeUInt32LE(index, at + 4);
  });
  w.nestStart(VNIFILTER_ENTRY, 'vni');
  w.u32(ENTRY.START, vni, 'vni');
  if (vniEnd !== undefined) w.u32(ENTRY.END, vniEnd, 'vniEnd');
  if (addr) w.bytes(addr.length === 4 ? ENTRY.GROUP : ENTRY.GROUP6, addr, spec.remote !== undefined ? 'remote' : 'group');
  w.nestEnd();
  return { operation: `bridge.vni.${change}`, msg: w.finish(VNI_ATTRS), links };
}

/** VXLAN VNI filter operations of one rtnetlink handle. */
export class BridgeVniApi {
  constructor(protected readonly engine: Engine, protected readonly links: LinkApi) {}

  private change(change: VniChange, dev: LinkRef, spec: VniSpec, opts?: CallOptions): Promise<void> {
    let prep: PreparedRequest;
    let signal: { signal?: AbortSignal };
    try {
      signal = signalOf(opts);
      prep = prepareVni(change, dev, spec);
    } catch (err) {
      return Promise.reject(err);
    }
    return submit(this.engine, this.links.resolver, prep, signal.signal).then(() => undefined);
  }

  /**
   * Adds a VNI (or range) to a `vnifilter` VXLAN device, with its default remote or group.
   * Equivalent to: bridge vni add dev D vni N[-M] [remote A | group G]
   */
  add(dev: LinkRef, spec: VniSpec, opts?: CallOptions): Promise<void> {
    return this.change('add', dev, spec, opts);
  }

  /**
   * Removes a VNI (or range) from the device's filter.
   * Equivalent to: bridge vni del dev D vni N[-M]
   */
  del(dev: LinkRef, spec: Pick<VniSpec, 'vni' | 'vniEnd'>, opts?: CallOptions): Promise<void> {
    return this.change('del', dev, spec, opts);
  }

  /**
   * Lists the VNIs of every `vnifilter` device (or one), with per-VNI counters on request.
   * Equivalent to: bridge [-s] vni show [dev D]
   */
  async list(filter: VniListOptions = {}, opts?: CallOptions): Promise<VniEntry[]> {
    checkKeys(filter, ['dev', 'stats', 'names'], 'filter');
    const signal = signalOf(opts);
    const names = filter.names !== false ? this.links.names(signal) : undefined;
    names?.catch(() => {});
    const dev = filter.dev !== undefined ? await this.links.resolver.resolve(filter.dev, 'filter.dev') : 0;
    const w = new MessageWriter(RTM_GETTUNNEL, NLM_F_DUMP, 32);
    w.struct(TUNNEL_MSG_SIZE, (b, at) => {
      b[at] = AF_BRIDGE;
      b[at + 1] = filter.stats ? TUNNEL_MSG_FLAG_STATS : 0;
      b.writeUInt32LE(dev, at + 4);
    });
    const parts = await this.engine.request(w.finish(), {
      operation: 'bridge.vni.list',
      dump: true,
      decode: (b, o, l, type) => (type === RTM_NEWTUNNEL ? decodeVniMessage(b, o, l) : undefined),
      ...signal,
    });
    const entries = parts.flat();
    if (names) {
      const byIndex = await names;
      for (const e of entries) if (byIndex.has(e.index)) e.dev = byIndex.get(e.index)!;
    }
    return entries;
  }
}
