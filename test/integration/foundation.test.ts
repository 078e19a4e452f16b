/**
 * The foundation against the kernel, with iproute2 as the oracle: link/address/route dumps
 * agree with `ip -j`, errors carry the kernel's words, pipelining holds up, and a handle opened
 * in a namespace sees only that namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readlinkSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { RTEXT_FILTER_SKIP_STATS } from '../../lib/rtnetlink/constants';
import * as nl from '../../lib/index';
import { NetnsPool, ip, ipnJson, isRoot } from '../helpers/netns';

const pool = new NetnsPool();
let ns: string;
let other: string;
let rt: nl.Rtnl;

describe.skipIf(!isRoot)('foundation against the kernel', () => {
  beforeAll(async () => {
    ns = pool.add('found');
    other = pool.add('other');
    const sh = (...a: string[]) => ip('-n', ns, ...a);
    sh('link', 'add', 'br0', 'type', 'bridge');
    sh('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    sh('link', 'set', 'v1', 'master', 'br0');
    sh('link', 'set', 'v0', 'address', '02:00:00:00:00:01', 'mtu', '1400');
    for (const l of ['br0', 'v0', 'v1']) sh('link', 'set', l, 'up');
    sh('addr', 'add', '10.10.0.1/24', 'dev', 'v0');
    sh('addr', 'add', '10.10.1.1', 'peer', '10.10.1.2/32', 'dev', 'v0');
    sh('addr', 'add', '2001:db8:a::1/64', 'dev', 'v0', 'nodad');
    sh('route', 'add', '10.20.0.0/16', 'via', '10.10.0.2');
    sh('route', 'add', 'blackhole', '10.30.0.0/16', 'table', '100');
    sh('route', 'add', 'unreachable', '10.31.0.0/16', 'table', '1000', 'metric', '7');
    sh('-6', 'route', 'add', '2001:db8:b::/48', 'via', '2001:db8:a::2', 'metric', '5');
    sh('-6', 'route', 'add', 'prohibit', '2001:db8:c::/48', 'table', '100');
    ip('-n', other, 'link', 'add', 'o0', 'type', 'veth', 'peer', 'name', 'o1');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  /**
   * Our list, and `ip`'s view of the same, taken while that view held still: links that just
   * came up still get IPv6 link-local addresses and routes for a while (seconds under
   * emulation), and a comparison must not straddle one of those changes.
   */
  async function whileStill<T>(theirs: () => string[], ours: () => Promise<T>): Promise<{ ours: T; theirs: string[] }> {
    for (let attempt = 1; ; attempt++) {
      const before = theirs().sort().join('\n');
      const got = await ours();
      const after = theirs();
      if (before === [...after].sort().join('\n') || attempt === 40) return { ours: got, theirs: after };
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('rt.link.list() agrees with ip -j link show', async () => {
    const ours = await rt.link.list();
    const theirs = ipnJson(ns, 'link', 'show');
    expect(ours.length).toBe(theirs.length);
    for (const want of theirs) {
      const got = ours.find((l) => l.index === want.ifindex)!;
      expect(got, want.ifname).toBeDefined();
      expect(got.name).toBe(want.ifname);
      expect(got.mtu).toBe(want.mtu);
      expect(got.address).toBe(want.address);
      expect(got.flags).toEqual(want.flags);
      expect(got.operstate).toBe(want.operstate);
      expect(got.linkType).toBe(want.link_type);
      if (want.master) expect(ours.find((l) => l.index === got.master)?.name).toBe(want.master);
    }
    const v0 = ours.find((l) => l.name === 'v0')!;
    expect(v0.kind).toBe('veth');
    expect(v0.stats?.rxPackets).toBeTypeOf('number');
  });

  it('rt.link.get() by name and index; a missing name rejects with ENODEV', async () => {
    const byName = await rt.link.get('br0');
    const byIndex = await rt.link.get(byName.index);
    expect(byIndex.name).toBe('br0');
    expect(byName.kind).toBe('bridge');
    const err = await rt.link.get('nope0').catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('ENODEV');
    expect(err.operation).toBe('link.get');
  });

  it('rt.address.list() agrees with ip -j addr show', async () => {
    const key = (a: { index: number; family: string; address: string; prefixLen: number; peer?: string; scope: string }) =>
      `${a.index} ${a.family} ${a.address}/${a.prefixLen} peer=${a.peer ?? ''} ${a.scope}`;
    const { ours, theirs: theirKeys } = await whileStill(
      () => ipnJson(ns, 'addr', 'show')
        .flatMap((l: any) => l.addr_info.map((a: any) => key({ index: l.ifindex, family: a.family, address: a.local, prefixLen: a.prefixlen, peer: a.address, scope: a.scope }))),
      () => rt.address.list(),
    );
    expect(ours.map(key).sort()).toEqual(theirKeys.sort());
    const p2p = ours.find((a) => a.address === '10.10.1.1')!;
    expect(p2p.peer).toBe('10.10.1.2');
    const v6 = ours.find((a) => a.address === '2001:db8:a::1')!;
    expect(v6.flags).toContain('nodad');
    expect(v6.flags).toContain('permanent');
    const filtered = await rt.address.list({ dev: 'v0', family: 'inet' });
    expect(filtered.map((a) => a.address).sort()).toEqual(['10.10.0.1', '10.10.1.1']);
  });

  // `ip -d` prints type, table, protocol and scope always, so nothing is defaulted here.
  const routeKey = (r: { type: string; dst: string; dev?: string; table: string; protocol: string; scope: string; prefsrc?: string; gateway?: string; metric?: number; flags: string[]; pref?: string }) =>
    [r.type, r.dst, r.dev ?? '', r.table, r.protocol, r.scope, r.prefsrc ?? '', r.gateway ?? '', r.metric ?? '', r.flags.join(','), r.pref ?? ''].join('|');

  for (const family of ['inet', 'inet6'] as const) {
    it(`rt.route.list({ table: 'all', family: '${family}' }) agrees with ip -j route show table all`, async () => {
      const { ours, theirs } = await whileStill(
        () => ipnJson(ns, '-d', family === 'inet' ? '-4' : '-6', 'route', 'show', 'table', 'all').map(routeKey),
        () => rt.route.list({ table: 'all', family }),
      );
      const ourKeys = ours.map((r) => routeKey({ ...r, table: r.tableName, prefsrc: r.src }));
      expect(ourKeys.sort()).toEqual(theirs.sort());
    });
  }

  it('filters by table in the kernel, including ids above 255, and by dev', async () => {
    const t100 = await rt.route.list({ table: 100 });
    expect(t100.map((r) => `${r.family} ${r.type} ${r.dst}`).sort()).toEqual(['inet blackhole 10.30.0.0/16', 'inet6 prohibit 2001:db8:c::/48']);
    const t1000 = await rt.route.list({ table: 1000 });
    expect(t1000).toMatchObject([{ dst: '10.31.0.0/16', type: 'unreachable', table: 1000, metric: 7 }]);
    const viaV0 = await rt.route.list({ dev: 'v0', family: 'inet' });
    expect(viaV0.every((r) => r.dev === 'v0')).toBe(true);
    expect(viaV0.map((r) => r.dst)).toContain('10.20.0.0/16');
  });

  it('a table that does not exist rejects with ENOENT and the kernel text', async () => {
    const err = await rt.route.list({ table: 4242 }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
    expect(err.code).toBe('ENOENT');
    expect(err.extack).toMatch(/FIB table does not exist/);
  });

  it('10 000 concurrent rt.link.get(1) on one handle all resolve correctly', async () => {
    const all = await Promise.all(Array.from({ length: 10_000 }, () => rt.link.get(1)));
    expect(all.length).toBe(10_000);
    expect(all.every((l) => l.index === 1 && l.name === 'lo')).toBe(true);
  });

  it('mixed concurrent requests each get their own answer', async () => {
    const names = ['lo', 'br0', 'v0', 'v1', 'nope1'];
    const res = await Promise.allSettled(Array.from({ length: 2000 }, (_, i) => rt.link.get(names[i % names.length]!)));
    res.forEach((r, i) => {
      const want = names[i % names.length];
      if (want === 'nope1') expect(r.status === 'rejected' && (r.reason as nl.NetlinkError).code).toBe('ENODEV');
      else expect(r.status === 'fulfilled' && r.value.name).toBe(want);
    });
  });

  it('a handle opened in a namespace sees that namespace only', async () => {
    const mine = readlinkSync('/proc/thread-self/ns/net');
    const o = await nl.open({ netns: other });
    try {
      const names = (await o.link.list()).map((l) => l.name).sort();
      expect(names).toEqual(['lo', 'o0', 'o1']);
    } finally {
      o.close();
    }
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(mine);
    expect(readlinkSync('/proc/self/ns/net')).toBe(mine);
  });

  it('100 000 queued requests complete without overflowing the receive buffer with acks', async () => {
    // Acked changes that change nothing: the kernel answers each with an ack, fast.
    const all = await Promise.allSettled(Array.from({ length: 100_000 }, () => rt.link.set(1, { up: true })));
    expect(all.filter((r) => r.status === 'fulfilled').length).toBe(100_000);
    const sample = await Promise.all(Array.from({ length: 1000 }, () => rt.link.get(1, { extMask: RTEXT_FILTER_SKIP_STATS })));
    expect(sample.every((l) => l.name === 'lo' && l.up)).toBe(true);
  }, 60_000);

  it('opens in the namespace of a pid', async () => {
    const child = spawn('ip', ['netns', 'exec', other, 'sleep', '30'], { stdio: 'ignore' });
    try {
      // `ip netns exec` setns()es then execs sleep in the same process: wait until it has.
      const target = execFileSync('stat', ['-L', '-c', '%i', `/run/netns/${other}`], { encoding: 'utf8' }).trim();
      for (let i = 0; i < 200; i++) {
        const cur = (() => { try { return readlinkSync(`/proc/${child.pid}/ns/net`); } catch { return ''; } })();
        if (cur.includes(target)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const h = await nl.open({ netnsPid: child.pid! });
      try {
        expect((await h.link.list()).map((l) => l.name).sort()).toEqual(['lo', 'o0', 'o1']);
      } finally {
        h.close();
      }
    } finally {
      child.kill();
    }
  });

  it('an idle handle does not keep the process alive', () => {
    const entry = path.resolve(__dirname, '../../dist/netlinkjs.js');
    // exits on its own although the handle is never closed
    const out = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(entry)}).open().then(async (rt) => { await rt.link.get(1); console.log('idle'); })`], { encoding: 'utf8', timeout: 20_000 });
    expect(out.trim()).toBe('idle');
  });

  it('opening in a namespace that does not exist fails with ENOENT', async () => {
    const err = await nl.open({ netns: 'nljs-does-not-exist' }).catch((e) => e);
    expect(err.code).toBe('ENOENT');
  });

  it('close() rejects outstanding work and is idempotent', async () => {
    const h = await nl.open({ netns: ns });
    const p = h.link.list();
    h.close();
    h.close();
    await expect(p).rejects.toThrow(/closed/);
  });
});
