/**
 * `rt.tc.bandwidth`: the shaping recipe daemons need, in one idempotent call. Egress (what the
 * device sends) is a root tbf, or an htb class when a ceiling is given; ingress (what it
 * receives) cannot be shaped where it arrives, so as the Kubernetes bandwidth plugin does,
 * an ingress filter redirects it to an ifb device whose egress is shaped. Everything the
 * recipe makes is recognisable (root handle b0d:, filter priority 2829, an ifb named from
 * the device), so a second call updates it and `null` removes exactly it.
 */
import { checkKeys, callSignal, type CallOptions } from '../../core/options';
import { NetlinkError, ValidationError } from '../../errors';
import type { LinkApi } from '../link/link';
import { validateLinkName } from '../request/link-ref';
import type { Filter, Qdisc } from './objects';
import type { ClassSpec, FilterDelSpec, FilterSpec, QdiscDelSpec, QdiscSpec } from './requests';
import { parseRate, parseSize, type Rate, type Size } from './units';

/** One direction's limit. */
export interface BandwidthLimit {
  rate: Rate;
  /** Bucket size; default 10 ms at the rate, at least 16 kb. */
  burst?: Size;
  /** Egress only: borrowable ceiling above the rate (selects htb instead of tbf). */
  ceil?: Rate;
}

/** Limits of a device, from its own point of view: what it sends (egress) and receives (ingress). */
export interface BandwidthSpec {
  egress?: BandwidthLimit | null;
  ingress?: BandwidthLimit | null;
}

const HANDLE = 'b0d:';
const PRIORITY = 2829;
const LATENCY_MS = 25;

/** The ifb device the recipe uses for `dev` (≤ 15 bytes, stable across calls). */
export function ifbName(dev: string): string {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(dev)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return `nlifb${h.toString(16).padStart(8, '0')}`;
}

function checkLimit(v: BandwidthLimit, field: string, ceil: boolean): { rate: number; burst: number; ceil?: number } {
  checkKeys(v, ceil ? ['rate', 'burst', 'ceil'] : ['rate', 'burst'], field);
  if (v.rate === undefined) throw new ValidationError(`${field}.rate`, 'expected a rate');
  const rate = parseRate(v.rate, `${field}.rate`);
  if (rate === 0) throw new ValidationError(`${field}.rate`, 'rate must be above 0');
  const burst = v.burst !== undefined ? parseSize(v.burst, `${field}.burst`) : Math.max(16384, Math.ceil(rate / 100));
  const out: { rate: number; burst: number; ceil?: number } = { rate, burst };
  if (v.ceil !== undefined) {
    out.ceil = parseRate(v.ceil, `${field}.ceil`);
    if (out.ceil < rate) throw new ValidationError(`${field}.ceil`, 'ceil is below rate');
  }
  return out;
}

const ignore = (...codes: string[]) => (err: unknown) => {
  if (err instanceof NetlinkError && codes.includes(err.code)) return;
  throw err;
};

/** The parts of rt.tc the recipe uses (a structural type: api.ts imports this file). */
export interface BandwidthTc {
  qdisc: {
    list(filter: { dev?: string; names?: boolean }, opts?: CallOptions): Promise<Qdisc[]>;
    add(dev: string, spec: QdiscSpec, opts?: CallOptions): Promise<void>;
    replace(dev: string, spec: QdiscSpec, opts?: CallOptions): Promise<void>;
    del(dev: string, spec: QdiscDelSpec, opts?: CallOptions): Promise<void>;
  };
  class: { replace(dev: string, spec: ClassSpec, opts?: CallOptions): Promise<void> };
  filter: {
    list(filter: { dev: string; parent?: string; names?: boolean }, opts?: CallOptions): Promise<Filter[]>;
    add(dev: string, spec: FilterSpec, opts?: CallOptions): Promise<void>;
    del(dev: string, spec: FilterDelSpec, opts?: CallOptions): Promise<void>;
  };
}

/** Runs the recipe (see TcApi.bandwidth). */
export async function applyBandwidth(tc: BandwidthTc, links: LinkApi, dev: string, spec: BandwidthSpec | null, opts?: CallOptions): Promise<void> {
  validateLinkName(dev, 'dev');
  const signal = callSignal(opts);
  const o = signal ? { signal } : undefined;
  if (spec !== null) checkKeys(spec, ['egress', 'ingress'], 'bandwidth');
  const egress = spec?.egress ? checkLimit(spec.egress, 'bandwidth.egress', true) : undefined;
  const ingress = spec?.ingress ? checkLimit(spec.ingress, 'bandwidth.ingress', false) : undefined;
  const bytes = (n: number) => n * 8; // the qdisc codecs take bit/s
  const ifb = ifbName(dev);
  const qdiscs = (await tc.qdisc.list({ dev, names: false }, o));
  const root = qdiscs.find((q) => q.parent === 'root');
  const ours = root?.handle === HANDLE;

  // Egress: a root qdisc of ours, replaced in place (tbf ⇄ htb needs a delete first).
  if (egress) {
    const kind = egress.ceil !== undefined ? 'htb' : 'tbf';
    if (ours && root!.kind !== kind) await tc.qdisc.del(dev, { parent: 'root' }, o);
    if (kind === 'tbf') {
      await tc.qdisc.replace(dev, { parent: 'root', handle: HANDLE, kind: 'tbf', tbf: { rate: bytes(egress.rate), burst: egress.burst, latencyMs: LATENCY_MS } }, o);
    } else {
      if (!ours || root!.kind !== 'htb') await tc.qdisc.replace(dev, { parent: 'root', handle: HANDLE, kind: 'htb', htb: { defaultClass: 0x10 } }, o);
      // A class borrows up to its ceiling from its parent: the parent holds the ceiling.
      const ceil = bytes(egress.ceil!);
      await tc.class.replace(dev, { parent: HANDLE, classid: 'b0d:1', kind: 'htb', htb: { rate: ceil, ceil, burst: egress.burst, cburst: egress.burst } }, o);
      await tc.class.replace(dev, { parent: 'b0d:1', classid: 'b0d:10', kind: 'htb', htb: { rate: bytes(egress.rate), ceil, burst: egress.burst, cburst: egress.burst } }, o);
    }
  } else if (ours) {
    await tc.qdisc.del(dev, { parent: 'root' }, o);
  }

  // Ingress: ifb device + redirect from dev's ingress hook + a tbf on the ifb.
  const hook = qdiscs.find((q) => q.parent === 'ingress');
  if (ingress) {
    try {
      await links.get(ifb, {}, o);
    } catch (err) {
      if (!(err instanceof NetlinkError && err.code === 'ENODEV')) throw err;
      await links.add({ name: ifb, kind: 'ifb' }, o).catch(ignore('EEXIST'));
    }
    await links.set(ifb, { up: true }, o);
    await tc.qdisc.replace(ifb, { parent: 'root', handle: HANDLE, kind: 'tbf', tbf: { rate: bytes(ingress.rate), burst: ingress.burst, latencyMs: LATENCY_MS } }, o);
    if (!hook) await tc.qdisc.add(dev, { kind: 'ingress' }, o);
    const filters = await tc.filter.list({ dev, parent: 'ingress', names: false }, o);
    if (!filters.some((f) => f.priority === PRIORITY)) {
      await tc.filter.add(dev, {
        parent: 'ingress', protocol: 'all', priority: PRIORITY, kind: 'u32', u32: { match: [{ all: true }] },
        actions: [{ kind: 'mirred', mirred: { action: 'redirect', direction: 'egress', dev: ifb } }],
      }, o);
    }
  } else {
    if (hook) {
      await tc.filter.del(dev, { parent: 'ingress', priority: PRIORITY }, o).catch(ignore('ENOENT', 'EINVAL'));
      // Leave an ingress hook others still use; remove one that only served the recipe.
      const left = await tc.filter.list({ dev, parent: 'ingress', names: false }, o);
      if (left.length === 0 && hook.kind === 'ingress') await tc.qdisc.del(dev, { kind: 'ingress' }, o).catch(ignore('ENOENT', 'EINVAL'));
    }
    await links.del(ifb, o).catch(ignore('ENODEV'));
  }
}
