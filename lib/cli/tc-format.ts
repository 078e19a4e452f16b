/**
 * `netlinkjs qdisc|class|filter`: rt.tc's objects in tc's words. `-j` gives the objects `tc -j
 * … show` prints (kind, handle, dev, root/parent, options in tc's units: rates in bytes/s,
 * latency in µs, htb's default as '0x10'), text gives tc's lines. Kinds tc has a printer for
 * but this file does not map keep the library's option names under `options`.
 */
import type { Filter, Qdisc, TcClass } from '../rtnetlink/tc/objects';
import type { TcStats } from '../rtnetlink/tc/stats';

/** tc's JSON object for one qdisc, class or filter. */
export type TcJson = Record<string, unknown>;

/** What the caller asked for: a device filter hides `dev` (tc does the same), `-s` adds stats. */
export interface TcFormatOptions {
  dev?: string;
  stats?: boolean;
}

/** tc's handle words: the library says 'none' and 'ingress' where tc prints numbers. */
function tcHandle(h: string): string {
  return h === 'none' ? '0:' : h;
}

function tcParent(p: string): string {
  if (p === 'ingress') return 'ffff:fff1';
  if (p === 'egress') return 'ffff:fff3';
  return p;
}

/** tc's filter parent: clsact's hooks are printed as numbers too. */
function tcFilterParent(p: string): string {
  if (p === 'ingress') return 'ffff:fff2';
  if (p === 'egress') return 'ffff:fff3';
  return p;
}

/** C's `%.3g` for the magnitudes tc prints (trailing zeros dropped). */
function g3(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** tc's rate text: bits/s with 1000-based units, exact multiples only (`10Mbit`, `1500Kbit`). */
export function tcRateText(bitsPerSec: number): string {
  const units = ['', 'K', 'M', 'G', 'T'];
  let rate = bitsPerSec;
  let i = 0;
  for (; i < units.length - 1; i++) {
    if (rate < 1000) break;
    if (rate % 1000 !== 0 && rate < 1000 * 1000) break;
    rate /= 1000;
  }
  return `${Math.round(rate)}${units[i]}bit`;
}

/** tc's size text: `1600b`, `32Kb`, `2Mb` (binary units when within tc's tolerance). */
export function tcSizeText(bytes: number): string {
  if (bytes >= 1024 * 1024 && Math.abs(1024 * 1024 * Math.round(bytes / (1024 * 1024)) - bytes) < 1024) return `${Math.round(bytes / (1024 * 1024))}Mb`;
  if (bytes >= 1024 && Math.abs(1024 * Math.round(bytes / 1024) - bytes) < 16) return `${Math.round(bytes / 1024)}Kb`;
  return `${bytes}b`;
}

/** tc's time text from microseconds: `50ms`, `1.5s`, `200us`. */
export function tcTimeText(us: number): string {
  if (us >= 1e6) return `${g3(us / 1e6)}s`;
  if (us >= 1000) return `${g3(us / 1000)}ms`;
  return `${Math.round(us)}us`;
}

const bytesPerSec = (bits: unknown) => (typeof bits === 'number' ? Math.floor(bits / 8) : bits);
const minorHex = (h: unknown) => (typeof h === 'string' && h.includes(':') ? `0x${h.split(':')[1] || '0'}` : h);

/** Per-kind options in tc's JSON keys and units; undefined when this file has no mapping. */
function qdiscOptions(kind: string, o: Record<string, any> | undefined): Record<string, unknown> | undefined {
  if (o === undefined) return undefined;
  switch (kind) {
    case 'htb':
      return clean({ r2q: o.r2q, default: minorHex(o.defaultClass), direct_qlen: o.directQlen, offload: o.offload || undefined });
    case 'tbf':
      return clean({
        rate: bytesPerSec(o.rate), peakrate: bytesPerSec(o.peakrate), burst: o.burst, mtu: o.peakrate !== undefined ? o.mtu : undefined,
        lat: typeof o.latencyMs === 'number' ? Math.round(o.latencyMs * 1000) : undefined,
        limit: typeof o.latencyMs === 'number' ? undefined : o.limit,
      });
    case 'pfifo': case 'bfifo': case 'pfifo_head_drop':
      return clean({ limit: o.limit });
    case 'prio': case 'pfifo_fast':
      // tc adds `multiqueue`, from an attribute the library's prio decoder does not read.
      return clean({ bands: o.bands, priomap: o.priomap });
    case 'ingress': case 'clsact': case 'noqueue': case 'mq':
      return {};
    default:
      return undefined;
  }
}

function clean(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** The options of a library object: under its kind's name, or raw bytes (shown as hex, as tc does for unknown kinds). */
function libOptions(obj: Record<string, unknown>): Record<string, any> | undefined {
  const o = obj[obj.kind as string];
  if (o && typeof o === 'object') return o as Record<string, any>;
  return undefined;
}

function statsJson(s: TcStats | undefined): Record<string, unknown> {
  return s ? { ...s } : {};
}

/** Qdiscs as `tc -j [-s] qdisc show [dev D]` prints them. */
export function qdiscsJson(list: Qdisc[], opts: TcFormatOptions = {}): TcJson[] {
  return list.map((q) => {
    const out: TcJson = { kind: q.kind, handle: tcHandle(q.handle) };
    if (!opts.dev) out.dev = q.dev ?? q.index;
    if (q.parent === 'root') out.root = true;
    else out.parent = tcParent(q.parent);
    const lib = libOptions(q as Record<string, unknown>);
    out.options = qdiscOptions(q.kind, lib) ?? lib ?? (q.options ? { raw: q.options.toString('hex') } : {});
    if (q.offloaded) out.offloaded = true;
    if (opts.stats) Object.assign(out, statsJson(q.stats));
    return out;
  });
}

/** Qdiscs as `tc qdisc show` prints them (without `refcnt`, which rtnetlink's dump leaves to tc's own bookkeeping). */
export function qdiscsText(list: Qdisc[], opts: TcFormatOptions = {}): string {
  return list
    .map((q) => {
      const parts = ['qdisc', q.kind, tcHandle(q.handle)];
      if (!opts.dev) parts.push(`dev ${q.dev ?? q.index}`);
      parts.push(q.parent === 'root' ? 'root' : `parent ${tcParent(q.parent)}`);
      const o = libOptions(q as Record<string, unknown>);
      if (o) parts.push(...qdiscOptionText(q.kind, o));
      let line = parts.join(' ');
      if (opts.stats && q.stats) line += `\n ${statsText(q.stats)}`;
      return line;
    })
    .join('\n');
}

function qdiscOptionText(kind: string, o: Record<string, any>): string[] {
  switch (kind) {
    case 'htb':
      return [
        `r2q ${o.r2q ?? 10}`,
        `default ${minorHex(o.defaultClass) ?? '0'}`,
        ...(o.directQlen !== undefined ? [`direct_qlen ${o.directQlen}`] : []),
      ];
    case 'tbf': {
      const p = [`rate ${tcRateText(o.rate)}`, `burst ${tcSizeText(o.burst)}`];
      if (o.peakrate !== undefined) p.push(`peakrate ${tcRateText(o.peakrate)}`, `minburst ${tcSizeText(o.mtu)}`);
      p.push(typeof o.latencyMs === 'number' ? `lat ${tcTimeText(o.latencyMs * 1000)}` : `limit ${tcSizeText(o.limit)}`);
      return p;
    }
    case 'pfifo': case 'pfifo_head_drop':
      return o.limit !== undefined ? [`limit ${o.limit}p`] : [];
    case 'bfifo':
      return o.limit !== undefined ? [`limit ${tcSizeText(o.limit)}`] : [];
    case 'prio': case 'pfifo_fast':
      return o.bands !== undefined ? [`bands ${o.bands}`, `priomap ${(o.priomap as number[]).join(' ')}`] : [];
    case 'ingress': case 'clsact':
      return ['----------------'];
    default:
      return keyValues(o);
  }
}

/** Options of kinds without a printer here, as `key value` pairs. */
function keyValues(o: Record<string, unknown>): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [`${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`]));
}

function statsText(s: TcStats): string {
  return `Sent ${s.bytes} bytes ${s.packets} pkt (dropped ${s.drops}, overlimits ${s.overlimits} requeues ${s.requeues})\n backlog ${tcSizeText(s.backlog)} ${s.qlen}p requeues ${s.requeues}`;
}

/** Classes as `tc -j class show dev D` prints them (iproute2's `class`, `handle`, `root`/`parent`, `leaf`, options). */
export function classesJson(list: TcClass[], opts: TcFormatOptions = {}): TcJson[] {
  return list.map((c) => {
    const out: TcJson = { class: c.kind, handle: c.classid };
    if (!opts.dev) out.dev = c.dev ?? c.index;
    if (c.parent === 'root') out.root = true;
    else out.parent = c.parent;
    if (c.leaf) out.leaf = c.leaf;
    const o = libOptions(c as Record<string, unknown>);
    if (c.kind === 'htb' && o) {
      // tc prints a class's prio only for leaves (level 0): inner classes have none that matters.
      Object.assign(out, clean({ prio: o.level ? undefined : o.prio, rate: bytesPerSec(o.rate), ceil: bytesPerSec(o.ceil), burst: o.burst, cburst: o.cburst }));
    } else if (o) out.options = o;
    if (opts.stats) Object.assign(out, statsJson(c.stats));
    return out;
  });
}

/** Classes as `tc class show dev D` prints them. */
export function classesText(list: TcClass[], opts: TcFormatOptions = {}): string {
  return list
    .map((c) => {
      const parts = ['class', c.kind, c.classid];
      if (!opts.dev) parts.push(`dev ${c.dev ?? c.index}`);
      parts.push(c.parent === 'root' ? 'root' : `parent ${c.parent}`);
      if (c.leaf) parts.push(`leaf ${c.leaf}`);
      const o = libOptions(c as Record<string, unknown>);
      if (c.kind === 'htb' && o) {
        if (!o.level) parts.push(`prio ${o.prio ?? 0}`);
        parts.push(`rate ${tcRateText(o.rate)}`, `ceil ${tcRateText(o.ceil ?? o.rate)}`, `burst ${tcSizeText(o.burst)}`, `cburst ${tcSizeText(o.cburst)}`);
      } else if (o) parts.push(...keyValues(o));
      let line = parts.join(' ');
      if (opts.stats && c.stats) line += `\n ${statsText(c.stats)}`;
      return line;
    })
    .join('\n');
}

/** u32's `fh`: hash table, bucket and node (`800:`, `800::800`). */
function u32Handle(h: number): string {
  const ht = (h >>> 20).toString(16);
  const bkt = ((h >>> 12) & 0xff).toString(16);
  const node = (h & 0xfff).toString(16);
  if (node !== '0') return `${ht}:${bkt === '0' ? '' : bkt}:${node}`;
  if (bkt !== '0') return `${ht}:${bkt}:`;
  return `${ht}:`;
}

/** u32's options in tc's keys: node order, key hash table and bucket, the divisor, the match keys in hex. */
function u32Json(handle: number, lib: Record<string, any> | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if ((handle & 0xfff) !== 0) {
    o.order = handle & 0xfff;
    o.key_ht = (handle >>> 20).toString(16);
    o.bkt = ((handle >>> 12) & 0xff).toString(16);
  }
  if (lib?.divisor !== undefined) o.ht_divisor = lib.divisor;
  const keys = (lib?.keys ?? []) as { value: number; mask: number; at: number; offmask?: number }[];
  const tcKey = (k: { value: number; mask: number; at: number; offmask?: number }) => ({
    value: (k.value >>> 0).toString(16), mask: (k.mask >>> 0).toString(16), offmask: k.offmask ? k.offmask.toString(16) : '', off: k.at,
  });
  if (keys.length === 1) o.match = tcKey(keys[0]!);
  else if (keys.length > 1) o.match = keys.map(tcKey);
  return o;
}

function filterHandle(f: Filter): string {
  return f.kind === 'u32' ? u32Handle(f.handle) : `0x${f.handle.toString(16)}`;
}

/** Filters as `tc -j filter show dev D [parent P]` prints their common part (options: `fh`, `flowid`, then the kind's own). */
export function filtersJson(list: Filter[], opts: TcFormatOptions = {}): TcJson[] {
  return list.map((f) => {
    const out: TcJson = { parent: tcFilterParent(f.parent), protocol: f.protocol, pref: f.priority, kind: f.kind, chain: f.chain ?? 0 };
    if (!opts.dev) out.dev = f.dev ?? f.index;
    if (f.handle !== 0) {
      const o: Record<string, unknown> = { fh: filterHandle(f) };
      if (f.classid) o.flowid = f.classid;
      const lib = libOptions(f as Record<string, unknown>);
      if (f.kind === 'u32') Object.assign(o, u32Json(f.handle, lib));
      else if (lib) Object.assign(o, lib);
      if (f.actions?.length) o.actions = f.actions;
      out.options = o;
    }
    return out;
  });
}

/** Filters as `tc filter show dev D` prints their first line. */
export function filtersText(list: Filter[], opts: TcFormatOptions = {}): string {
  return list
    .map((f) => {
      const parts = ['filter'];
      if (!opts.dev) parts.push(`dev ${f.dev ?? f.index}`);
      parts.push(`parent ${tcFilterParent(f.parent)}`, `protocol ${f.protocol}`, `pref ${f.priority}`, f.kind, `chain ${f.chain ?? 0}`);
      if (f.handle !== 0) {
        parts.push(`fh ${filterHandle(f)}`);
        if (f.classid) parts.push(`flowid ${f.classid}`);
        const lib = libOptions(f as Record<string, unknown>);
        if (lib) parts.push(...keyValues(lib));
        for (const a of f.actions ?? []) parts.push(`\n\taction ${JSON.stringify(a)}`);
      }
      return parts.join(' ');
    })
    .join('\n');
}
