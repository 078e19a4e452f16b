/**
 * rt.vf: the SR-IOV virtual functions (VFs) of a physical function (PF) link, as its driver
 * reports them in IFLA_VFINFO_LIST and takes changes through IFLA_VFINFO_LIST in RTM_SETLINK.
 * Creating VFs is a sysfs matter: see `nl.sriov.setNumVfs`.
 */
import { ValidationError } from '../../../errors';
import { parseLladdr } from '../../../wire/address';
import { decodeAttrs, defineSchema } from '../../../wire/attributes';
import { AF_UNSPEC, ETH_P_8021Q, NLMSG_HDRLEN } from '../../../wire/constants';
import { RTEXT_FILTER_SKIP_STATS, RTEXT_FILTER_VF, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK } from '../../constants';
import { MessageWriter } from '../../../wire/message-writer';
import { IFINFOMSG_SIZE, readIfInfoMsg, writeIfInfoMsg } from '../../structs';
import type { Engine } from '../../../core/engine';
import { callSignal, checkKeys, type CallOptions } from '../../../core/options';
import { IFLA } from '../link-schema';
import { checkBool, checkInt, parseVlanProtocol } from '../kinds/kind-codec';
import { checkVlanId } from '../kinds/vlan';
import { linkRefParts, type LinkRef } from '../../request/link-ref';
import {
  ARPHRD_ETHER, ARPHRD_INFINIBAND, decodeVfInfoList, encodeVfChanges, locateVfInfoList,
  vfAddressLength, vfLinkStates, type VfChangePlan, type VfInfo, type VfLinkState,
} from './vf-schema';

/** Options of `rt.vf.list()` and `rt.vf.get()`. */
export interface VfListOptions {
  /** Include per-VF counters (`VfInfo.stats`). Default false: the kernel skips gathering them. */
  stats?: boolean;
}

/** The control options of `rt.vf.set()`: `{ signal }`. */
export type VfSetOptions = CallOptions;

/** A port VLAN for a VF. */
export interface VfVlanChange {
  /** VLAN id 1–4094; 0 removes the VLAN. */
  id: number;
  /** 802.1p priority 0–7 (default 0). */
  qos?: number;
  /** Tag protocol (default '802.1Q'); also the ethertypes 0x8100 and 0x88a8. */
  protocol?: '802.1Q' | '802.1ad' | number;
}

/** What `rt.vf.set()` may change on one VF; several settings go in one request. */
export interface VfChanges {
  /** The VF's MAC address; '00:00:00:00:00:00' clears it on drivers that allow that. */
  mac?: string;
  /** Port VLAN, or 0 to remove it. */
  vlan?: VfVlanChange | 0;
  /**
   * Transmit rate limits in Mbps (0 = none). A side not given keeps its current value, as
   * `ip link set … vf N min_tx_rate X` does. min must not exceed max unless max is 0 (unlimited).
   */
  rate?: { min?: number; max?: number };
  /** MAC/VLAN anti-spoofing. */
  spoofchk?: boolean;
  /** Trusted VF. */
  trust?: boolean;
  /** Link state policy: follow the PF ('auto'), always up, or always down. */
  linkState?: VfLinkState;
  /** Let the VF query the RSS redirection table and hash key. */
  rssQuery?: boolean;
  /** InfiniBand node GUID 'xx:xx:xx:xx:xx:xx:xx:xx' (IPoIB PFs only). */
  nodeGuid?: string;
  /** InfiniBand port GUID (IPoIB PFs only). */
  portGuid?: string;
}

const CHANGE_KEYS = ['mac', 'vlan', 'rate', 'spoofchk', 'trust', 'linkState', 'rssQuery', 'nodeGuid', 'portGuid'] as const;

/** What one RTM_GETLINK with RTEXT_FILTER_VF says about a PF. */
interface PfView {
  index: number;
  name: string;
  linkType: number;
  /** Length of IFLA_ADDRESS (the device's hardware address length). */
  addrLen?: number;
  /** IFLA_NUM_VF; absent when the device has no parent bus device (veth, lo …). */
  numVfs?: number;
  vfs: VfInfo[];
}

/** The few link attributes VF operations need (IFLA_VFINFO_LIST is measured and decoded apart). */
const pfSchema = defineSchema('vf.pf', {
  [IFLA.IFNAME]: { name: 'name', type: 'string' },
  [IFLA.ADDRESS]: { name: 'address', type: 'binary', decode: (_b, _o, l) => l },
  [IFLA.NUM_VF]: { name: 'numVfs', type: 'u32' },
});

function decodePf(buf: Buffer, off: number, len: number, type: number): PfView | undefined {
  if (type !== RTM_NEWLINK) return undefined;
  const hdr = readIfInfoMsg(buf, off + NLMSG_HDRLEN, len - NLMSG_HDRLEN);
  const attrs = off + NLMSG_HDRLEN + IFINFOMSG_SIZE;
  const end = off + len;
  const list = locateVfInfoList(buf, attrs, end);
  const raw: any = decodeAttrs(pfSchema, buf, attrs, list ? list.start : end);
  if (list) decodeAttrs(pfSchema, buf, list.next, end, raw);
  const pf: PfView = { index: hdr.index, name: raw.name ?? '', linkType: hdr.type, vfs: [] };
  if (raw.address !== undefined) pf.addrLen = raw.address;
  if (raw.numVfs !== undefined) pf.numVfs = raw.numVfs;
  if (list) pf.vfs = decodeVfInfoList(buf, list.payload, list.len, hdr.type);
  return pf;
}

function checkVfNumber(vf: unknown): asserts vf is number {
  if (typeof vf !== 'number' || !Number.isInteger(vf) || vf < 0 || vf > 0x7fff_fffe) {
    throw new ValidationError('vf', `VF number must be a non-negative integer, got ${JSON.stringify(vf)}`);
  }
}

function checkVfInRange(pf: PfView, vf: number): void {
  if (pf.numVfs === undefined) throw new ValidationError('vf', `${pf.name} has no SR-IOV VFs (the kernel reports no VF count for it)`);
  if (vf >= pf.numVfs) {
    const range = pf.numVfs === 0 ? 'it has no VFs (see nl.sriov.setNumVfs)' : `it has ${pf.numVfs} (0–${pf.numVfs - 1})`;
    throw new ValidationError('vf', `${pf.name} has no VF ${vf}: ${range}`);
  }
}

function checkVlan(v: unknown): NonNullable<VfChangePlan['vlan']> {
  if (v === 0) return { id: 0, qos: 0, protocol: ETH_P_8021Q };
  if (!v || typeof v !== 'object') throw new ValidationError('vlan', 'expected { id, qos?, protocol? } or 0 to remove the VLAN');
  const { id, qos = 0, protocol } = v as VfVlanChange;
  return {
    // 0 removes the VLAN, as `vlan: 0` does.
    id: id === 0 ? 0 : checkVlanId(id, 'vlan.id'),
    qos: checkInt(qos, 'vlan.qos', 0, 7),
    protocol: protocol === undefined ? ETH_P_8021Q : parseVlanProtocol(protocol, 'vlan.protocol'),
  };
}

const GUID_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){7}$/;

function parseGuid(v: unknown, field: string): bigint {
  if (typeof v !== 'string' || !GUID_RE.test(v)) throw new ValidationError(field, `invalid GUID ${JSON.stringify(v)} (expected xx:xx:xx:xx:xx:xx:xx:xx)`);
  return BigInt(`0x${v.replace(/:/g, '')}`);
}

/** Checks everything that needs no knowledge of the PF; the mac is parsed but not yet sized. */
function checkChanges(changes: unknown): { plan: Omit<VfChangePlan, 'vf'>; rate?: { min?: number; max?: number } } {
  if (!changes || typeof changes !== 'object' || Array.isArray(changes)) throw new ValidationError('changes', 'expected an object of VF settings');
  const c = changes as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!(CHANGE_KEYS as readonly string[]).includes(key)) throw new ValidationError(key, `unknown VF setting (known: ${CHANGE_KEYS.join(', ')})`);
  }
  if (!CHANGE_KEYS.some((k) => c[k] !== undefined)) throw new ValidationError('changes', 'no VF setting given');
  const plan: Omit<VfChangePlan, 'vf'> = {};
  let rate: { min?: number; max?: number } | undefined;
  if (c.mac !== undefined) plan.mac = parseLladdr(c.mac, 'mac');
  if (c.vlan !== undefined) plan.vlan = checkVlan(c.vlan);
  if (c.rate !== undefined) {
    const r = c.rate as { min?: unknown; max?: unknown };
    if (!r || typeof r !== 'object' || (r.min === undefined && r.max === undefined)) throw new ValidationError('rate', 'expected { min?, max? } with at least one of them (Mbps)');
    rate = {};
    if (r.min !== undefined) rate.min = checkInt(r.min, 'rate.min', 0, 0xffff_ffff);
    if (r.max !== undefined) rate.max = checkInt(r.max, 'rate.max', 0, 0xffff_ffff);
    if (rate.min !== undefined && rate.max !== undefined) checkRateOrder(rate.min, rate.max);
  }
  if (c.spoofchk !== undefined) plan.spoofchk = checkBool(c.spoofchk, 'spoofchk');
  if (c.trust !== undefined) plan.trust = checkBool(c.trust, 'trust');
  if (c.rssQuery !== undefined) plan.rssQuery = checkBool(c.rssQuery, 'rssQuery');
  if (c.linkState !== undefined) {
    if (typeof c.linkState !== 'string') throw new ValidationError('linkState', `expected 'auto', 'enable' or 'disable', got ${JSON.stringify(c.linkState)}`);
    plan.linkState = vfLinkStates.number(c.linkState, 'linkState', 2);
  }
  if (c.nodeGuid !== undefined) plan.nodeGuid = parseGuid(c.nodeGuid, 'nodeGuid');
  if (c.portGuid !== undefined) plan.portGuid = parseGuid(c.portGuid, 'portGuid');
  return rate ? { plan, rate } : { plan };
}

function checkRateOrder(min: number, max: number): void {
  if (max !== 0 && min > max) throw new ValidationError('rate', `min rate ${min} Mbps exceeds max rate ${max} Mbps`);
}

/** SR-IOV VF operations of one rtnetlink handle. */
export class VfApi {
  constructor(protected readonly engine: Engine) {}

  /** One RTM_GETLINK with the VF info (counters only when asked for). */
  private async pf(link: LinkRef, stats: boolean, signal: AbortSignal | undefined, operation: string): Promise<PfView> {
    const parts = linkRefParts(link, 'link');
    const w = new MessageWriter(RTM_GETLINK, 0);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_UNSPEC, index: parts.index ?? 0 }));
    if (parts.name !== undefined) w.string(IFLA.IFNAME, parts.name, 'link');
    w.u32(IFLA.EXT_MASK, RTEXT_FILTER_VF | (stats ? 0 : RTEXT_FILTER_SKIP_STATS), 'extMask');
    const [pf] = await this.engine.request(w.finish(), { operation, decode: decodePf, ...(signal ? { signal } : {}) });
    if (!pf) throw new Error(`${operation}: the kernel acknowledged RTM_GETLINK without a reply`);
    return pf;
  }

  /**
   * Every VF of a PF, in VF order; [] when the link has no VFs (or no SR-IOV at all).
   * Equivalent to: ip -d [-s] link show dev PF   (the `vf N …` lines)
   */
  async list(dev: LinkRef, filter: VfListOptions = {}, opts?: CallOptions): Promise<VfInfo[]> {
    checkKeys(filter, ['stats'], 'filter');
    const pf = await this.pf(dev, filter.stats === true, callSignal(opts), 'vf.list');
    return pf.vfs;
  }

  /**
   * One VF; ValidationError('vf') when the PF has no such VF.
   * Equivalent to: ip -d [-s] link show dev PF   (the `vf N` line)
   */
  async get(dev: LinkRef, vf: number, filter: VfListOptions = {}, opts?: CallOptions): Promise<VfInfo> {
    checkKeys(filter, ['stats'], 'filter');
    checkVfNumber(vf);
    const pf = await this.pf(dev, filter.stats === true, callSignal(opts), 'vf.get');
    checkVfInRange(pf, vf);
    const info = pf.vfs.find((v) => v.index === vf);
    if (!info) throw new Error(`vf.get: the driver of ${pf.name} reported no information for VF ${vf}`);
    return info;
  }

  /**
   * Changes settings of one VF in one request. Input is validated in full before anything is
   * changed: the VF number against the PF's VF count, the MAC against its address length, the
   * rate pair after filling in the side not given from the VF's current rates.
   * The kernel applies the settings in a fixed order (mac, vlan, rate, spoofchk, link state,
   * rss query, trust, GUIDs) and stops at the first one the driver refuses, so a driver error
   * (NetlinkError) can leave earlier settings of the same call applied — as with `ip link set`.
   *
   * Equivalent to: ip link set dev PF vf N [mac M] [vlan V [qos Q] [proto 802.1Q|802.1ad]]
   *                [min_tx_rate MIN] [max_tx_rate MAX] [spoofchk on|off] [trust on|off]
   *                [state auto|enable|disable] [query_rss on|off] [node_guid G] [port_guid G]
   */
  async set(dev: LinkRef, vf: number, changes: VfChanges, opts?: CallOptions): Promise<void> {
    const link = dev;
    linkRefParts(link, 'dev');
    const signal = callSignal(opts);
    checkVfNumber(vf);
    const { plan: partial, rate } = checkChanges(changes);
    const pf = await this.pf(link, false, signal, 'vf.set');
    checkVfInRange(pf, vf);
    const plan: VfChangePlan = { vf, ...partial };
    if (plan.mac) {
      const want = pf.addrLen ?? vfAddressLength(pf.linkType);
      if (plan.mac.length !== want) throw new ValidationError('mac', `${pf.name} has ${want}-byte hardware addresses, got ${plan.mac.length} bytes`);
      if (pf.linkType === ARPHRD_ETHER && plan.mac[0]! & 1) throw new ValidationError('mac', `${changes.mac} is a multicast address; a VF needs a unicast MAC`);
    }
    if ((plan.nodeGuid !== undefined || plan.portGuid !== undefined) && pf.linkType !== ARPHRD_INFINIBAND) {
      // The kernel would refuse too (EOPNOTSUPP), but only after applying the other settings.
      throw new ValidationError(plan.nodeGuid !== undefined ? 'nodeGuid' : 'portGuid', `VF GUIDs exist on InfiniBand links only; ${pf.name} is not one`);
    }
    if (rate) {
      let { min, max } = rate;
      if (min === undefined || max === undefined) {
        const current = pf.vfs.find((v) => v.index === vf);
        if (!current) throw new ValidationError('rate', `the current rates of VF ${vf} are unknown (${pf.name} reports none); give both min and max`);
        min ??= current.rate.min;
        max ??= current.rate.max;
      }
      checkRateOrder(min, max);
      plan.rate = { min, max };
    }
    const w = new MessageWriter(RTM_SETLINK, 0);
    w.struct(IFINFOMSG_SIZE, (b, at) => writeIfInfoMsg(b, at, { family: AF_UNSPEC, index: pf.index }));
    encodeVfChanges(w, plan);
    await this.engine.request(w.finish(), { operation: 'vf.set', ...(signal ? { signal } : {}) });
  }
}
