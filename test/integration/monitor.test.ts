/**
 * nl.monitor() against the real kernel, each test in fresh namespaces: changes made with `ip`
 * and with the library arrive once, in order, as the same objects the list calls return; a
 * burst that overflows a small receive buffer yields 'resync' (and, with resync: 'auto', a
 * view equal to a fresh listing); namespaces are kept apart unless allNetns; close, abort,
 * break and unref release the process.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import type { MonitorEvent, ObjectEvent, Route } from '../../lib/index';
import { ip, isRoot, NetnsPool, uniqueName } from '../helpers/netns';

/** Bounds on waiting (never timing assertions): generous, as the VM tier emulates its CPU. */
const WAIT_MS = 60_000;
const SLOW_TEST_MS = 300_000;

/** Whether this kernel has bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), probed once. */
function probeVlanFiltering(): boolean {
  if (!isRoot) return false;
  const ns = uniqueName('mon-probe');
  try {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge', 'vlan_filtering', '1');
    return true;
  } catch {
    return false;
  } finally {
    try {
      ip('netns', 'del', ns);
    } catch {
      /* never made */
    }
  }
}
const hasVlanFiltering = probeVlanFiltering();
const strict = process.env.NETLINKJS_TEST_STRICT === '1';
if (isRoot && !hasVlanFiltering) {
  console.warn(`monitor: bridge VLAN test ${strict ? 'fails' : 'skipped'}: this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)`);
}

/** Records a monitor's events and waits (bounded) for ones matching a predicate. */
class Recorder {
  readonly events: MonitorEvent[] = [];
  private waiters: { pred: (ev: MonitorEvent) => boolean; from: number; resolve: (i: number) => void }[] = [];

  constructor(mon: nl.Monitor) {
    mon.on('event', (ev) => {
      this.events.push(ev);
      const i = this.events.length - 1;
      this.waiters = this.waiters.filter((w) => (i >= w.from && w.pred(ev) ? (w.resolve(i), false) : true));
    });
  }

  /** Index of the first event at or after `from` matching `pred`; fails the test after WAIT_MS. */
  waitFor(what: string, pred: (ev: MonitorEvent) => boolean, from = 0, timeoutMs = WAIT_MS): Promise<number> {
    const found = this.events.findIndex((ev, i) => i >= from && pred(ev));
    if (found >= 0) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { pred, from, resolve: (i: number) => { clearTimeout(timer); resolve(i); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        const tail = this.events.slice(-40).map(summary).join('\n');
        reject(new Error(`no event ${what} within ${timeoutMs} ms; got ${this.events.length}, the last:\n${tail}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}

function summary(ev: MonitorEvent): string {
  if (ev.type === 'resync') return `resync auto=${ev.auto}`;
  const o: any = (ev as any)[ev.type === 'nsid' ? 'id' : ev.type];
  const name = typeof o === 'number' ? o : o.name ?? o.address ?? o.dst ?? o.lladdr ?? o.priority;
  return `${ev.type} ${ev.action} ${name}${ev.synthesized ? ' (synthesized)' : ''}${ev.nsid !== undefined ? ` nsid=${ev.nsid}` : ''}`;
}

/** Without the fields that move between two reads of the same object. */
function stable<T extends object>(o: T, ...fields: string[]): Partial<T> {
  const copy: any = { ...o };
  for (const f of ['cacheInfo', 'stats', 'afSpec', ...fields]) delete copy[f];
  if (Array.isArray(copy.unknown)) copy.unknown = copy.unknown.filter((a: any) => ![7, 23, 26, 44].includes(a.type));
  return copy;
}

const is = {
  link: (action: string, name: string, extra: (l: any) => boolean = () => true) => (ev: MonitorEvent) =>
    ev.type === 'link' && ev.action === action && ev.link.name === name && extra(ev.link),
  address: (action: string, addr: string) => (ev: MonitorEvent) => ev.type === 'address' && ev.action === action && ev.address.address === addr,
  route: (action: string, dst: string) => (ev: MonitorEvent) => ev.type === 'route' && ev.action === action && ev.route.dst === dst,
  neigh: (action: string, addr: string) => (ev: MonitorEvent) => ev.type === 'neigh' && ev.action === action && ev.neigh.address === addr,
  rule: (action: string, prio: number) => (ev: MonitorEvent) => ev.type === 'rule' && ev.action === action && ev.rule.priority === prio,
  nsid: (action: string, id: number) => (ev: MonitorEvent) => ev.type === 'nsid' && ev.action === action && ev.id === id,
};

/** One step of the change scenario, done either with `ip` or with the library. */
interface Step {
  label: string;
  ip: string[];
  lib: (rt: nl.Rtnl, other: string) => Promise<unknown>;
  expect: (ev: MonitorEvent) => boolean;
  /** The kernel sends exactly one notification for this change. */
  once: boolean;
  /** Compare the event's object with the list call's (same decoder, same shape). */
  check?: (ev: ObjectEvent, rt: nl.Rtnl) => Promise<void>;
}

const LLADDR = '02:00:00:00:00:03';

function scenario(other: string): Step[] {
  return [
    { label: 'link add', ip: ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'],
      lib: (rt) => rt.link.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } } as any),
      expect: is.link('new', 'v0', (l) => l.kind === 'veth'), once: false },
    { label: 'link set mtu', ip: ['link', 'set', 'v0', 'mtu', '1400'],
      lib: (rt) => rt.link.set('v0', { mtu: 1400 }), expect: is.link('new', 'v0', (l) => l.mtu === 1400), once: false },
    { label: 'link set up', ip: ['link', 'set', 'v0', 'up'],
      lib: (rt) => rt.link.set('v0', { up: true }), expect: is.link('new', 'v0', (l) => l.up === true), once: false },
    { label: 'address add', ip: ['address', 'add', '10.0.0.1/24', 'dev', 'v0'],
      lib: (rt) => rt.address.add('v0', '10.0.0.1/24'), expect: is.address('new', '10.0.0.1'), once: true,
      check: async (ev, rt) => {
        const a = (ev as nl.AddressEvent).address;
        expect(a).toMatchObject({ family: 'inet', prefixLen: 24, index: (await rt.link.get('v0')).index });
        const listed = (await rt.address.list({ dev: 'v0', family: 'inet' })).find((x) => x.address === '10.0.0.1')!;
        expect(stable(a, 'validLft', 'preferredLft')).toEqual(stable(listed, 'validLft', 'preferredLft'));
      } },
    { label: 'route add', ip: ['route', 'add', '10.9.0.0/16', 'via', '10.0.0.2', 'dev', 'v0'],
      lib: (rt) => rt.route.add({ dst: '10.9.0.0/16', gateway: '10.0.0.2', dev: 'v0' }),
      expect: is.route('new', '10.9.0.0/16'), once: true,
      check: async (ev, rt) => {
        const r = (ev as nl.RouteEvent).route;
        expect(r).toMatchObject({ family: 'inet', gateway: '10.0.0.2', table: 254, oif: (await rt.link.get('v0')).index });
        const listed = (await rt.route.list({ names: false })).find((x) => x.dst === '10.9.0.0/16')!;
        expect(stable(r)).toEqual(stable(listed));
      } },
    { label: 'neigh add', ip: ['neigh', 'add', '10.0.0.3', 'lladdr', LLADDR, 'dev', 'v0', 'nud', 'permanent'],
      lib: (rt) => rt.neigh.add({ dev: 'v0', address: '10.0.0.3', lladdr: LLADDR, state: 'permanent' }),
      // Only the permanent entry: deleting one first announces it as 'failed', then removes it.
      expect: (ev) => is.neigh('new', '10.0.0.3')(ev) && (ev as nl.NeighEvent).neigh.state.includes('permanent'), once: true,
      check: async (ev, rt) => {
        const n = (ev as nl.NeighEvent).neigh;
        expect(n).toMatchObject({ family: 'inet', lladdr: LLADDR, state: ['permanent'] });
        const listed = (await rt.neigh.list({ names: false })).find((x) => x.address === '10.0.0.3')!;
        expect(stable(n)).toEqual(stable(listed));
      } },
    { label: 'rule add', ip: ['rule', 'add', 'priority', '100', 'from', '10.0.0.0/8', 'table', '100'],
      lib: (rt) => rt.rule.add({ priority: 100, from: '10.0.0.0/8', table: 100 }),
      expect: is.rule('new', 100), once: true,
      check: async (ev, rt) => {
        const r = (ev as nl.RuleEvent).rule;
        expect(r).toMatchObject({ family: 'inet', from: '10.0.0.0/8', table: 100, action: 'table' });
        expect(r).toEqual((await rt.rule.list({ family: 'inet' })).find((x) => x.priority === 100));
      } },
    { label: 'netns set id', ip: ['netns', 'set', other, '7'],
      lib: (rt) => rt.netns.setId(other, 7), expect: is.nsid('new', 7), once: true },
    { label: 'rule del', ip: ['rule', 'del', 'priority', '100', 'from', '10.0.0.0/8', 'table', '100'],
      lib: (rt) => rt.rule.del({ priority: 100, from: '10.0.0.0/8', table: 100 }), expect: is.rule('del', 100), once: true },
    { label: 'neigh del', ip: ['neigh', 'del', '10.0.0.3', 'dev', 'v0'],
      lib: (rt) => rt.neigh.del({ dev: 'v0', address: '10.0.0.3' }), expect: is.neigh('del', '10.0.0.3'), once: true },
    { label: 'route del', ip: ['route', 'del', '10.9.0.0/16', 'via', '10.0.0.2', 'dev', 'v0'],
      lib: (rt) => rt.route.del({ dst: '10.9.0.0/16', gateway: '10.0.0.2', dev: 'v0' }), expect: is.route('del', '10.9.0.0/16'), once: true },
    { label: 'address del', ip: ['address', 'del', '10.0.0.1/24', 'dev', 'v0'],
      lib: (rt) => rt.address.del('v0', '10.0.0.1/24'), expect: is.address('del', '10.0.0.1'), once: true },
    { label: 'link del', ip: ['link', 'del', 'v0'],
      lib: (rt) => rt.link.del('v0'), expect: is.link('del', 'v0'), once: true },
  ];
}

/** Blackhole host routes 10.X.Y.Z/32, `count` of them from `start`. */
function hostRoutes(start: number, count: number, verb: 'add' | 'del'): string {
  const lines: string[] = [];
  for (let i = start; i < start + count; i++) lines.push(`route ${verb} blackhole 10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`);
  return `${lines.join('\n')}\n`;
}

describe.skipIf(!isRoot)('monitor (root)', () => {
  const pool = new NetnsPool();
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        c();
      } catch {
        /* best effort */
      }
    }
    pool.cleanup();
  });
  const closing = <T extends { close(): void }>(x: T): T => (cleanups.push(() => x.close()), x);

  for (const driver of ['ip', 'library'] as const) {
    it(`changes made with ${driver} arrive once, in order, typed`, async () => {
      const ns = pool.add('mon');
      const other = pool.add('mon-peer');
      const mon = closing(await nl.monitor({ netns: ns, groups: ['link', 'address', 'route', 'neigh', 'rule', 'nsid'] }));
      const rec = new Recorder(mon);
      const rt = closing(await nl.open({ netns: ns }));
      const steps = scenario(other);
      const at: number[] = [];
      for (const step of steps) {
        if (driver === 'ip') ip('-n', ns, ...step.ip);
        else await step.lib(rt, other);
        const i = await rec.waitFor(step.label, step.expect, at.length ? at[at.length - 1]! + 1 : 0);
        at.push(i);
        await step.check?.(rec.events[i] as ObjectEvent, rt);
      }
      // In order: each change's event comes after the previous change's.
      for (let k = 1; k < at.length; k++) expect(at[k]!, steps[k]!.label).toBeGreaterThan(at[k - 1]!);
      // Once: a change the kernel announces with one notification shows up exactly once.
      for (const step of steps.filter((s) => s.once)) {
        expect(rec.events.filter(step.expect).length, step.label).toBe(1);
      }
      // The veth peer went with v0.
      await rec.waitFor('link del v1', is.link('del', 'v1'));
    });
  }

  it('bridge FDB entries arrive as the objects fdb.list() returns', async () => {
    const ns = pool.add('mon-fdb');
    ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    ip('-n', ns, 'link', 'set', 'p0', 'master', 'br0');
    const mon = closing(await nl.monitor({ netns: ns, groups: ['fdb'] }));
    const rec = new Recorder(mon);
    const rt = closing(await nl.open({ netns: ns }));
    const isFdb = (action: string, mac: string) => (ev: MonitorEvent) => ev.type === 'fdb' && ev.action === action && ev.fdb.lladdr === mac;
    ip('-n', ns, 'link', 'set', 'p0', 'up'); // nothing of it is an FDB event unless the kernel says so
    execFileSync('bridge', ['-n', ns, 'fdb', 'add', '02:00:00:00:00:09', 'dev', 'p0', 'master', 'static']);
    const i = await rec.waitFor('fdb new (bridge)', isFdb('new', '02:00:00:00:00:09'));
    const ev = rec.events[i] as nl.FdbEvent;
    expect(ev.fdb).toMatchObject({ index: (await rt.link.get('p0')).index, master: (await rt.link.get('br0')).index, state: 'static' });
    // With VLAN filtering compiled in, the kernel adds one entry per port VLAN as well (vlan: 1).
    const listed = (await rt.fdb.list({ names: false })).find((e) => e.lladdr === '02:00:00:00:00:09' && e.master !== undefined && e.vlan === ev.fdb.vlan);
    expect(stable(ev.fdb)).toEqual(stable(listed!));
    await rt.fdb.del({ dev: 'p0', lladdr: '02:00:00:00:00:09', master: true });
    await rec.waitFor('fdb del (library)', isFdb('del', '02:00:00:00:00:09'), i + 1);
    expect(rec.events.every((e) => e.type === 'fdb')).toBe(true);
  });

  it.skipIf(!hasVlanFiltering && !strict)('bridge port VLAN changes arrive as the objects bridge.vlan.list() returns', async () => {
    const ns = pool.add('mon-vlan');
    ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge', 'vlan_filtering', '1');
    ip('-n', ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    const mon = closing(await nl.monitor({ netns: ns, groups: ['vlan'] }));
    const rec = new Recorder(mon);
    const rt = closing(await nl.open({ netns: ns }));
    const isPort = (action: string, vids: number[]) => (ev: MonitorEvent) =>
      ev.type === 'vlan' && ev.action === action && ev.vlan.name === 'p0' && isDeepStrictEqual(ev.vlan.vlans.map((v) => v.vid), vids);
    ip('-n', ns, 'link', 'set', 'p0', 'master', 'br0'); // joins with the default PVID 1
    let i = await rec.waitFor('p0 joins with VLAN 1', isPort('new', [1]));
    expect((rec.events[i] as nl.VlanEvent).vlan.vlans[0]).toEqual({ vid: 1, pvid: true, untagged: true });
    await rt.bridge.vlan.add('p0', { vid: [10, 12] });
    i = await rec.waitFor('VLANs 10-12 added', isPort('new', [1, 10]), i + 1);
    const listed = (await rt.bridge.vlan.list({ compressed: true })).find((p) => p.name === 'p0');
    expect((rec.events[i] as nl.VlanEvent).vlan).toEqual(listed);
    expect(listed!.vlans[1]).toMatchObject({ vid: 10, vidEnd: 12 });
    execFileSync('bridge', ['-n', ns, 'vlan', 'del', 'dev', 'p0', 'vid', '1']);
    i = await rec.waitFor('VLAN 1 removed', isPort('new', [10]), i + 1);
    execFileSync('bridge', ['-n', ns, 'vlan', 'del', 'dev', 'p0', 'vid', '10-12']);
    await rec.waitFor('no VLANs left', (ev) => ev.type === 'vlan' && ev.action === 'del' && ev.vlan.name === 'p0', i + 1);
  });

  it('a burst of 50 000 route changes through a small buffer produces a resync', async () => {
    const ns = pool.add('mon-burst');
    const mon = closing(await nl.monitor({ netns: ns, groups: ['route'], receiveBufferSize: 64 << 10 }));
    const rec = new Recorder(mon);
    const resyncs: nl.ResyncEvent[] = [];
    mon.on('resync', (ev) => resyncs.push(ev));
    const dir = mkdtempSync(path.join(tmpdir(), 'nljs-mon-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'burst'), hostRoutes(0, 50_000, 'add'));
    // Synchronous: the event loop (the monitor's reader) is blocked for the whole burst.
    execFileSync('ip', ['-n', ns, '-batch', path.join(dir, 'burst')]);
    const r = await rec.waitFor('resync', (ev) => ev.type === 'resync', 0, SLOW_TEST_MS - 30_000);
    expect(rec.events[r]).toEqual({ type: 'resync', auto: false });
    expect(resyncs.length).toBeGreaterThanOrEqual(1);
    const routeEvents = rec.events.filter((ev) => ev.type === 'route').length;
    expect(routeEvents).toBeLessThan(50_000);
    // The monitor carries on after the loss.
    ip('-n', ns, 'route', 'add', 'blackhole', '10.99.0.0/16');
    await rec.waitFor('route after resync', is.route('new', '10.99.0.0/16'), r);
  }, SLOW_TEST_MS);

  it("with resync: 'auto' the view after a 50 000-change burst equals route.list()", async () => {
    const ns = pool.add('mon-auto');
    const dir = mkdtempSync(path.join(tmpdir(), 'nljs-mon-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // 1 000 routes exist before the monitor starts; the burst deletes them and adds 49 000.
    writeFileSync(path.join(dir, 'before'), hostRoutes(0, 1000, 'add'));
    execFileSync('ip', ['-n', ns, '-batch', path.join(dir, 'before')]);
    writeFileSync(path.join(dir, 'burst'), hostRoutes(0, 1000, 'del') + hostRoutes(1000, 49_000, 'add'));
    const mon = closing(await nl.monitor({ netns: ns, groups: ['route'], resync: 'auto', receiveBufferSize: 64 << 10 }));
    const rec = new Recorder(mon);
    // What a user following the events would hold: the baseline, then every event applied.
    const key = (r: Route) => `${r.family} ${r.table} ${r.type} ${r.dst} ${r.metric ?? 0} ${r.oif ?? ''}`;
    const held = new Map(mon.view!.routes.map((r) => [key(r), r]));
    expect(held.size).toBeGreaterThanOrEqual(1000);
    mon.on('route', (ev) => (ev.action === 'new' ? held.set(key(ev.route), ev.route) : held.delete(key(ev.route))));
    execFileSync('ip', ['-n', ns, '-batch', path.join(dir, 'burst')]);
    const r = await rec.waitFor('resync', (ev) => ev.type === 'resync', 0, SLOW_TEST_MS - 60_000);
    expect(rec.events[r]).toEqual({ type: 'resync', auto: true });
    expect(rec.events.some((ev) => ev.type === 'route' && ev.synthesized)).toBe(true);
    const rt = closing(await nl.open({ netns: ns }));
    const listed = await rt.route.list({ table: 'all', names: false });
    const sorted = (routes: Route[]) => routes.map((x) => stable(x)).sort((a, b) => key(a as Route).localeCompare(key(b as Route)));
    expect(listed.length).toBeGreaterThanOrEqual(49_000);
    expect(sorted(mon.view!.routes)).toEqual(sorted(listed));
    expect(sorted([...held.values()])).toEqual(sorted(listed));
    // The main table, as `rt.route.list()` shows it by default, is in the view too.
    const main = await rt.route.list({ names: false });
    expect(sorted(mon.view!.routes.filter((x) => x.table === 254))).toEqual(sorted(main));
  }, SLOW_TEST_MS);

  it("resync: 'auto' follows IPv4 routes the kernel drops silently with their link", async () => {
    const ns = pool.add('mon-flush');
    const mon = closing(await nl.monitor({ netns: ns, groups: ['route', 'address', 'link', 'neigh', 'rule'], resync: 'auto' }));
    const rec = new Recorder(mon);
    for (const args of [
      ['link', 'add', 'w0', 'type', 'veth', 'peer', 'name', 'w1'],
      ['link', 'set', 'w0', 'up'],
      ['address', 'add', '10.1.0.1/24', 'dev', 'w0'],
      ['route', 'add', '10.8.0.0/16', 'via', '10.1.0.2'],
      ['rule', 'add', 'priority', '200', 'iif', 'w0', 'table', '200'],
      ['neigh', 'add', '10.1.0.9', 'lladdr', LLADDR, 'dev', 'w0'],
    ]) ip('-n', ns, ...args);
    await rec.waitFor('route 10.8.0.0/16', is.route('new', '10.8.0.0/16'));
    const before = rec.events.length;
    ip('-n', ns, 'link', 'del', 'w0');
    // No RTM_DELROUTE comes for 10.8.0.0/16: the monitor finds out by re-listing.
    const del = await rec.waitFor('route del 10.8.0.0/16', is.route('del', '10.8.0.0/16'), before);
    expect(rec.events[del]).toMatchObject({ synthesized: true });
    expect(rec.events.findIndex(is.link('del', 'w0'))).toBeLessThan(del);
    const rt = closing(await nl.open({ netns: ns }));
    const sorted = (xs: object[]) => xs.map((x) => JSON.stringify(stable(x, 'validLft', 'preferredLft'))).sort();
    expect(sorted(mon.view!.routes)).toEqual(sorted(await rt.route.list({ table: 'all', names: false })));
    expect(sorted(mon.view!.addresses)).toEqual(sorted(await rt.address.list()));
    expect(sorted(mon.view!.neighbours)).toEqual(sorted(await rt.neigh.list({ names: false })));
    expect(sorted(mon.view!.rules)).toEqual(sorted(await rt.rule.list()));
    expect(mon.view!.links.map((l) => l.name).sort()).toEqual((await rt.link.list()).map((l) => l.name).sort());
  });

  it('a monitor bound to a namespace sees only it; allNetns sees both, each tagged', async () => {
    const a = pool.add('mon-a');
    const b = pool.add('mon-b');
    ip('-n', a, 'netns', 'set', b, '5'); // the kernel forwards only namespaces with an id
    const only = closing(await nl.monitor({ netns: a, groups: ['link'] }));
    const all = closing(await nl.monitor({ netns: a, groups: ['link'], allNetns: true }));
    const recOnly = new Recorder(only);
    const recAll = new Recorder(all);
    // b first: notifications are queued when the change happens, so by the time a0's event
    // is read, b0's would have been read before it.
    ip('-n', b, 'link', 'add', 'b0', 'type', 'veth', 'peer', 'name', 'b1');
    ip('-n', a, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'a1');
    const iOnly = await recOnly.waitFor('a0 (bound)', is.link('new', 'a0'));
    expect(recOnly.events.slice(0, iOnly + 1).some(is.link('new', 'b0'))).toBe(false);
    expect(recOnly.events[iOnly]!).not.toHaveProperty('nsid');
    const iA = await recAll.waitFor('a0 (all)', is.link('new', 'a0'));
    const iB = recAll.events.findIndex(is.link('new', 'b0'));
    expect(iB).toBeGreaterThanOrEqual(0);
    expect(iB).toBeLessThan(iA);
    expect(recAll.events[iB]).toMatchObject({ nsid: 5 });
    expect(recAll.events[iA]).toMatchObject({ nsid: -1 });
    for (const ev of recAll.events) expect(typeof (ev as ObjectEvent).nsid).toBe('number');
  });

  it('for await delivers events; break closes the monitor', async () => {
    const ns = pool.add('mon-iter');
    const mon = closing(await nl.monitor({ netns: ns, groups: ['link'] }));
    const iter = mon[Symbol.asyncIterator]();
    ip('-n', ns, 'link', 'add', 'i0', 'type', 'veth', 'peer', 'name', 'i1');
    const seen: string[] = [];
    for await (const ev of { [Symbol.asyncIterator]: () => iter }) {
      if (ev.type === 'link') seen.push(ev.link.name);
      if (seen.includes('i0')) break;
    }
    expect(seen).toContain('i0');
    expect(mon.isClosed).toBe(true);
    expect(await iter.next()).toEqual({ value: undefined, done: true });
  });

  it('close() and AbortSignal end the loop', async () => {
    const ns = pool.add('mon-abort');
    const ac = new AbortController();
    const mon = closing(await nl.monitor({ netns: ns, groups: ['link'], signal: ac.signal }));
    const closed = new Promise<void>((resolve) => mon.once('close', resolve));
    const loop = (async () => {
      let n = 0;
      for await (const ev of mon) if (ev.type === 'link' && ev.link.name === 'x0') n++;
      return n;
    })();
    ip('-n', ns, 'link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1');
    const rec = new Recorder(mon);
    await rec.waitFor('x0', is.link('new', 'x0'));
    ac.abort();
    await closed;
    expect(mon.isClosed).toBe(true);
    expect(await loop).toBeGreaterThanOrEqual(1);
    // Aborted before opening: rejects, nothing left open.
    await expect(nl.monitor({ netns: ns, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a ref’d monitor keeps the process alive until closed; an unref’d one does not', async () => {
    const ns = pool.add('mon-ref');
    const quiet = pool.add('mon-unref');
    const dir = mkdtempSync(path.join(tmpdir(), 'nljs-mon-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const script = path.join(dir, 'child.ts');
    writeFileSync(script, [
      `import * as nl from ${JSON.stringify(path.resolve(__dirname, '../../lib/index'))};`,
      'const [ns, mode] = process.argv.slice(2);',
      '(async () => {',
      "  const mon = await nl.monitor({ netns: ns, groups: ['link'] });",
      "  mon.on('event', (ev) => {",
      "    if (ev.type === 'link' && ev.link.name === 'r0') { console.log('event r0'); mon.close(); }",
      '  });',
      "  if (mode === 'unref') mon.unref();",
      "  console.log('ready');",
      '})();',
    ].join('\n'));
    const viteNode = path.resolve(__dirname, '../../node_modules/.bin/vite-node');
    // Both children at once (starting one takes long in the VM tier). The unref'd one watches a
    // namespace where nothing happens, and must exit by itself.
    const unref = new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(viteNode, [script, quiet, 'unref'], { timeout: SLOW_TEST_MS - 60_000 }, (err, stdout) =>
        resolve({ code: err ? (err as any).code ?? -1 : 0, stdout }));
    });
    // The ref'd one is held open until the parent makes a change; closing in the handler lets it exit.
    const child = spawn(viteNode, [script, ns, 'ref'], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => child.kill('SIGKILL'));
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child not ready: ${out}`)), SLOW_TEST_MS - 60_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    ip('-n', ns, 'link', 'add', 'r0', 'type', 'veth', 'peer', 'name', 'r1');
    expect(await exited).toBe(0);
    expect(out).toBe('ready\nevent r0\n');
    expect(await unref).toEqual({ code: 0, stdout: 'ready\n' });
  }, SLOW_TEST_MS);

  it('rejects bad options before opening anything', async () => {
    await expect(nl.monitor({ groups: ['links' as any] })).rejects.toMatchObject({ name: 'ValidationError', field: 'groups[0]' });
    await expect(nl.monitor({ groups: [] })).rejects.toMatchObject({ name: 'ValidationError', field: 'groups' });
    await expect(nl.monitor({ resync: 'auto', allNetns: true })).rejects.toMatchObject({ name: 'ValidationError', field: 'resync' });
    await expect(nl.monitor({ netns: 'a/b' })).rejects.toMatchObject({ name: 'ValidationError', field: 'netns' });
  });
});
