/**
 * rt.nexthop against the kernel, with `ip -j nexthop` as the oracle both ways: what we add, ip
 * shows; what ip adds, we decode the same. Groups (weighted, resilient), blackhole, onlink,
 * FDB next hops, dump filters, batch ops, monitor events, and the point of nexthop objects:
 * 10 000 routes over 4 shared objects, one replace moves all of one object's routes at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import type { Nexthop, NexthopSpec } from '../../lib/rtnetlink/nexthop/nexthop';
import { NetnsPool, ip, ipnJson, isRoot } from '../helpers/netns';
import { firstEvents } from '../helpers/monitor';

const pool = new NetnsPool();
let ns: string;
let sh: (...a: string[]) => string;
let rt: nl.Rtnl;

/** The fields `ip -j -d nexthop` prints, from our Nexthop. */
function asIp(n: Nexthop): Record<string, unknown> {
  const out: Record<string, unknown> = { id: n.id };
  if (n.group) out.group = n.group.map((m) => (m.weight === 1 ? { id: m.id } : { id: m.id, weight: m.weight }));
  if (n.type === 'resilient') {
    out.type = 'resilient';
    const r = n.resilient!;
    out.resilient_args = { buckets: r.buckets, idle_timer: r.idleTimer, unbalanced_timer: r.unbalancedTimer, unbalanced_time: r.unbalancedTime };
  }
  if (n.gateway) out.gateway = n.gateway;
  if (n.dev) out.dev = n.dev;
  if (n.blackhole) out.blackhole = null;
  out.scope = n.scope;
  out.protocol = n.protocol;
  out.flags = n.flags;
  if (n.fdb) out.fdb = null;
  return out;
}

/** ip's view of one nexthop, normalised (key order, `blackhole`/`fdb` as present keys). */
function theirs(id: number): Record<string, unknown> {
  const [n] = ipnJson(ns, '-d', 'nexthop', 'show', 'id', String(id));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(n).sort()) out[k] = n[k];
  if ('blackhole' in n) out.blackhole = null;
  if ('fdb' in n) out.fdb = null;
  return out;
}

function sorted(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

async function ours(id: number): Promise<Nexthop> {
  return rt.nexthop.get(id);
}

describe.skipIf(!isRoot)('rt.nexthop (root)', () => {
  beforeAll(async () => {
    ns = pool.add('nh');
    sh = (...a: string[]) => ip('-n', ns, ...a);
    sh('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    sh('link', 'add', 'v2', 'type', 'veth', 'peer', 'name', 'v3');
    for (const l of ['v0', 'v1', 'v2', 'v3']) sh('link', 'set', l, 'up');
    sh('addr', 'add', '10.0.0.1/24', 'dev', 'v0');
    sh('addr', 'add', '10.0.1.1/24', 'dev', 'v2');
    sh('addr', 'add', '2001:db8::1/64', 'dev', 'v0', 'nodad');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  const specs: [string, NexthopSpec][] = [
    ['gateway and dev', { id: 1, gateway: '10.0.0.2', dev: 'v0' }],
    ['another gateway, protocol', { id: 2, gateway: '10.0.1.2', dev: 'v2', protocol: 'static' }],
    ['onlink', { id: 3, gateway: '10.9.9.9', dev: 'v0', onlink: true }],
    ['dev only', { id: 4, dev: 'v2' }],
    ['IPv6 gateway', { id: 5, gateway: '2001:db8::2', dev: 'v0' }],
    ['blackhole', { id: 6, blackhole: true }],
    ['weighted multipath group', { id: 10, group: [{ id: 1, weight: 3 }, { id: 2 }] }],
    ['resilient group', { id: 11, group: [{ id: 1 }, { id: 2, weight: 2 }], resilient: { buckets: 32, idleTimer: 60, unbalancedTimer: 30 } }],
    ['FDB next hop', { id: 20, gateway: '10.0.0.5', fdb: true }],
    ['FDB group', { id: 21, group: [{ id: 20 }], fdb: true }],
  ];

  for (const [what, spec] of specs) {
    it(`${what}: we add, ip shows the same`, async () => {
      await rt.nexthop.add(spec);
      expect(sorted(asIp(await ours(spec.id)))).toEqual(theirs(spec.id));
    });
  }

  it('ip adds, we decode the same (single, blackhole, IPv6 blackhole, groups)', async () => {
    sh('nexthop', 'add', 'id', '101', 'via', '10.0.0.3', 'dev', 'v0', 'proto', 'zebra');
    sh('nexthop', 'add', 'id', '102', 'blackhole');
    sh('-6', 'nexthop', 'add', 'id', '103', 'blackhole');
    sh('nexthop', 'add', 'id', '104', 'group', '101,7/1');
    sh('nexthop', 'add', 'id', '105', 'group', '101/1', 'type', 'resilient', 'buckets', '16', 'idle_timer', '5');
    for (const id of [101, 102, 103, 104, 105]) expect(sorted(asIp(await ours(id)))).toEqual(theirs(id));
    const v6 = await ours(103);
    expect(v6.family).toBe('inet6');
    expect((await ours(104)).type).toBe('mpath');
  });

  it('list equals `ip -j nexthop show` and filters by dev, groups and fdb in the kernel', async () => {
    const all = await rt.nexthop.list();
    const ipAll = ipnJson(ns, '-d', 'nexthop', 'show');
    expect(all.map((n) => n.id).sort((a, b) => a - b)).toEqual(ipAll.map((n: any) => n.id).sort((a: number, b: number) => a - b));
    const byDev = await rt.nexthop.list({ dev: 'v2' });
    expect(byDev.map((n) => n.id).sort()).toEqual(ipnJson(ns, 'nexthop', 'show', 'dev', 'v2').map((n: any) => n.id).sort());
    expect(byDev.every((n) => n.dev === 'v2')).toBe(true);
    const groups = await rt.nexthop.list({ groups: true });
    expect(groups.map((n) => n.id).sort((a, b) => a - b)).toEqual(ipnJson(ns, 'nexthop', 'show', 'groups').map((n: any) => n.id).sort((a: number, b: number) => a - b));
    expect(groups.every((n) => n.group)).toBe(true);
    const fdb = await rt.nexthop.list({ fdb: true });
    expect(fdb.map((n) => n.id).sort()).toEqual(ipnJson(ns, 'nexthop', 'show', 'fdb').map((n: any) => n.id).sort());
  });

  it('replace changes the object in place; del removes it (ENOENT after)', async () => {
    await rt.nexthop.add({ id: 30, gateway: '10.0.0.7', dev: 'v0' });
    await rt.nexthop.replace({ id: 30, gateway: '10.0.1.7', dev: 'v2' });
    expect(theirs(30)).toMatchObject({ gateway: '10.0.1.7', dev: 'v2' });
    await expect(rt.nexthop.add({ id: 30, dev: 'v0' })).rejects.toMatchObject({ code: 'EEXIST' });
    await rt.nexthop.del({ id: 30 });
    expect(() => sh('nexthop', 'show', 'id', '30')).toThrow();
    await expect(rt.nexthop.get(30)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(rt.nexthop.del({ id: 30 })).rejects.toBeInstanceOf(nl.NetlinkError);
  });

  it('refuses bad input naming the field, before anything is sent', async () => {
    await expect(rt.nexthop.add({ id: 40, gateway: '10.0.0.2', dev: 'v0', wieght: 1 } as any)).rejects.toMatchObject({ name: 'ValidationError', field: 'wieght' });
    await expect(rt.nexthop.add({ id: 40, group: [{ id: 1, weight: 300 }] })).rejects.toMatchObject({ field: 'group.0.weight' });
    await expect(rt.nexthop.add({ id: 40, group: [{ id: 1 }], gateway: '10.0.0.2' })).rejects.toMatchObject({ field: 'gateway' });
    await expect(rt.nexthop.add({ id: 0, dev: 'v0' })).rejects.toMatchObject({ field: 'id' });
    await expect(rt.nexthop.add({ id: 40 })).rejects.toMatchObject({ field: 'nexthop' });
    await expect(rt.nexthop.add({ id: 40, group: [{ id: 1 }], resilient: { bucket: 3 } as any })).rejects.toMatchObject({ field: 'resilient.bucket' });
    await expect(rt.nexthop.list({ dve: 'v0' } as any)).rejects.toMatchObject({ field: 'filter.dve' });
    await expect(rt.nexthop.add({ id: 40, dev: 'v0' }, { sginal: 1 } as any)).rejects.toMatchObject({ field: 'options.sginal' });
    expect(() => sh('nexthop', 'show', 'id', '40')).toThrow();
  });

  it('kernel refusals carry the extack text', async () => {
    const err = await rt.nexthop.add({ id: 41, group: [{ id: 9999 }] }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.extack).toMatch(/nexthop id/i);
  });

  it('rt.batch runs nexthop.add / replace / del ops, each reported', async () => {
    const res = await rt.batch([
      { op: 'nexthop.add', nexthop: { id: 50, gateway: '10.0.0.50', dev: 'v0' } },
      { op: 'nexthop.add', nexthop: { id: 51, gateway: '10.0.0.51', dev: 'v0' } },
      { op: 'nexthop.add', nexthop: { id: 52, group: [{ id: 50 }, { id: 51 }] } },
      { op: 'nexthop.replace', nexthop: { id: 51, gateway: '10.0.1.51', dev: 'v2' } },
      { op: 'nexthop.add', nexthop: { id: 50, dev: 'v0' } },
      { op: 'nexthop.del', nexthop: { id: 52 } },
    ]);
    expect(res.map((r) => r.ok)).toEqual([true, true, true, true, false, true]);
    expect(theirs(51)).toMatchObject({ gateway: '10.0.1.51', dev: 'v2' });
    expect(() => sh('nexthop', 'show', 'id', '52')).toThrow();
  });

  it('monitor group "nexthop" reports new and del', async () => {
    const mon = await nl.monitor({ netns: ns, groups: ['nexthop' as nl.MonitorGroup] });
    try {
      const { events } = await firstEvents(mon, 2);
      sh('nexthop', 'add', 'id', '60', 'via', '10.0.0.60', 'dev', 'v0');
      sh('nexthop', 'del', 'id', '60');
      const seen = await events;
      expect(seen.map((e) => [e.type, e.action, e.nexthop?.id])).toEqual([['nexthop', 'new', 60], ['nexthop', 'del', 60]]);
      expect(seen[0].nexthop.gateway).toBe('10.0.0.60');
    } finally {
      mon.close();
    }
  });

  it('10 000 routes over 4 shared nexthops: replacing one object moves all its routes at once', async () => {
    const gws = ['10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.14'];
    await rt.batch(gws.map((gateway, i) => ({ op: 'nexthop.add' as const, nexthop: { id: 200 + i, gateway, dev: 'v0' } })));
    const ops: nl.BatchOp[] = [];
    for (let i = 0; i < 10_000; i++) ops.push({ op: 'route.add', route: { dst: `172.${16 + (i >> 14)}.${(i >> 6) & 0xff}.${(i & 63) << 2}/30`, nhid: 200 + (i & 3) } });
    const res = await rt.batch(ops);
    expect(res.filter((r) => !r.ok)).toEqual([]);
    const routeGet = (dst: string) => ipnJson(ns, 'route', 'get', dst)[0];
    // Route i uses nexthop 200 + (i & 3): 172.16.0.0/30 (i=0) → 200, 172.16.0.4/30 (i=1) → 201.
    expect(routeGet('172.16.0.1').gateway).toBe('10.0.0.11');
    expect(routeGet('172.16.0.5').gateway).toBe('10.0.0.12');
    await rt.nexthop.replace({ id: 200, gateway: '10.0.1.99', dev: 'v2' });
    const last = 9996; // 9996 & 3 === 0: also on nexthop 200
    const lastDst = `172.${16 + (last >> 14)}.${(last >> 6) & 0xff}.${((last & 63) << 2) + 1}`;
    for (const dst of ['172.16.0.1', '172.16.0.17', lastDst]) {
      const r = routeGet(dst);
      expect([r.gateway, r.dev]).toEqual(['10.0.1.99', 'v2']);
    }
    expect(routeGet('172.16.0.5').gateway).toBe('10.0.0.12');
    const nh200 = (await rt.route.list({ family: 'inet' })).filter((r) => r.nhid !== undefined && r.nhid >= 200 && r.nhid < 204);
    expect(nh200.length).toBe(10_000);
    expect(nh200.filter((r) => r.nhid === 200).length).toBe(2500);
  });
});
