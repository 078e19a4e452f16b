/**
 * rt.mdb against the kernel, with `bridge -j -d mdb` as the oracle both ways: entries we add
 * (IPv4, IPv6, L2, (S,G), temporary) bridge shows; entries bridge adds we decode the same;
 * filters, del of a listed entry, batch ops, monitor events, validation. Per-VLAN entries need
 * bridge VLAN filtering: in the VM tier (test/vm/mdb-vlan.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import type { MdbEntry, MdbSpec } from '../../lib/rtnetlink/bridge/mdb';
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { NetnsPool, bridgeJson, ip, isRoot } from '../helpers/netns';
import { firstEvents } from '../helpers/monitor';

const pool = new NetnsPool();
let ns: string;
let sh: (...a: string[]) => string;
let rt: nl.Rtnl;

/** `bridge -j -d mdb show` entries, normalised to the fields both sides have. */
function theirs(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const br of bridgeJson(ns, '-d', 'mdb', 'show')) {
    for (const e of br.mdb ?? []) {
      const o: Record<string, unknown> = { bridge: e.dev, port: e.port, group: e.grp, state: e.state === 'permanent' ? 'permanent' : 'temporary', flags: e.flags ?? [] };
      if (e.src) o.source = e.src;
      if (e.vid) o.vlan = e.vid;
      if (e.protocol) o.protocol = e.protocol;
      if (e.filter_mode) o.mode = e.filter_mode;
      if (e.source_list) o.sources = e.source_list.map((s: any) => s.address).sort();
      out.push(o);
    }
  }
  return out.filter(handMade).sort(order);
}

/** Entries snooping learns (MLD reports of the veth peers' IPv6 addresses) come and go: compare the ones made by hand. */
const handMade = (e: Record<string, unknown>) => e.protocol !== 'kernel';

function asTheirs(e: MdbEntry): Record<string, unknown> {
  const o: Record<string, unknown> = { bridge: e.bridge, port: e.port, group: e.group, state: e.state, flags: e.flags };
  if (e.source) o.source = e.source;
  if (e.vlan) o.vlan = e.vlan;
  if (e.protocol) o.protocol = e.protocol;
  if (e.mode) o.mode = e.mode;
  if (e.sources) o.sources = e.sources.map((s) => s.address).sort();
  return o;
}

const order = (a: any, b: any) => `${a.port}|${a.group}|${a.source ?? ''}`.localeCompare(`${b.port}|${b.group}|${b.source ?? ''}`);

async function ours(): Promise<Record<string, unknown>[]> {
  return (await rt.mdb.list()).map(asTheirs).filter(handMade).sort(order);
}

describe.skipIf(!isRoot)('rt.mdb (root)', () => {
  beforeAll(async () => {
    ns = pool.add('mdb');
    sh = (...a: string[]) => ip('-n', ns, ...a);
    sh('link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '1', 'mcast_igmp_version', '3', 'mcast_mld_version', '2');
    sh('link', 'set', 'br0', 'up');
    for (const p of ['p0', 'p1']) {
      sh('link', 'add', p, 'type', 'veth', 'peer', 'name', `${p}x`);
      sh('link', 'set', p, 'master', 'br0');
      sh('link', 'set', p, 'up');
      sh('link', 'set', `${p}x`, 'up');
    }
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  const specs: [string, MdbSpec][] = [
    ['IPv4 group, permanent', { bridge: 'br0', port: 'p0', group: '239.1.1.1', permanent: true }],
    ['IPv6 group', { bridge: 'br0', port: 'p1', group: 'ff0e::1:2', permanent: true }],
    ['(S, G) entry', { bridge: 'br0', port: 'p0', group: '232.1.1.1', source: '10.0.0.9', permanent: true }],
    ['temporary entry (the default)', { bridge: 'br0', port: 'p1', group: '239.2.2.2' }],
    ['L2 (MAC) group', { bridge: 'br0', port: 'p0', group: '01:00:5e:00:01:01', permanent: true }],
    ['host join (port = bridge)', { bridge: 'br0', port: 'br0', group: '239.3.3.3' }],
  ];
  const sourceList: MdbSpec = { bridge: 'br0', port: 'p1', group: '239.4.4.4', mode: 'include', sources: ['10.0.0.1', '10.0.0.2'], protocol: 'zebra', permanent: true };
  // Source lists, filter modes and protocols in requests arrived in Linux 6.3 (MDBA_SET_ENTRY_ATTRS).
  const [major, minor] = release().split('.').map(Number) as [number, number];
  if (major > 6 || (major === 6 && minor >= 3)) specs.push(['(*, G) with a source list, include mode, protocol', sourceList]);
  else {
    it('(*, G) with a source list: a kernel before 6.3 refuses it, with its reason', async () => {
      await expect(rt.mdb.add(sourceList)).rejects.toMatchObject({ name: 'NetlinkError', extack: expect.stringMatching(/attribute/i) });
    });
  }

  for (const [what, spec] of specs) {
    it(`${what}: we add, bridge shows the same`, async () => {
      await rt.mdb.add(spec);
      expect(await ours()).toEqual(theirs());
      expect(theirs().some((e) => e.group === spec.group && e.port === spec.port)).toBe(true);
    });
  }

  it('bridge adds, we decode the same', async () => {
    sh('link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '1');
    ip('-n', ns, 'link', 'set', 'p0', 'up');
    execBridge('mdb', 'add', 'dev', 'br0', 'port', 'p0', 'grp', '239.9.9.9', 'permanent');
    execBridge('mdb', 'add', 'dev', 'br0', 'port', 'p1', 'grp', 'ff0e::9', 'temp');
    execBridge('mdb', 'add', 'dev', 'br0', 'port', 'p1', 'grp', '232.9.9.9', 'src', '10.9.9.9', 'permanent');
    const mine = await ours();
    expect(mine).toEqual(theirs());
    expect(mine.find((e) => e.group === '232.9.9.9')).toMatchObject({ port: 'p1', source: '10.9.9.9', state: 'permanent' });
  });

  it('filters by bridge and port; a listed entry can be handed back to del()', async () => {
    const p1 = await rt.mdb.list({ port: 'p1' });
    expect(p1.length).toBeGreaterThan(0);
    expect(p1.every((e) => e.port === 'p1')).toBe(true);
    expect((await rt.mdb.list({ bridge: 'br0' })).length).toBe((await rt.mdb.list()).length);
    const target = (await rt.mdb.list()).find((e) => e.group === '239.9.9.9')!;
    await rt.mdb.del(target);
    expect(theirs().some((e) => e.group === '239.9.9.9')).toBe(false);
    await rt.mdb.del({ bridge: 'br0', port: 'p0', group: '232.1.1.1', source: '10.0.0.9' });
    expect(theirs().some((e) => e.group === '232.1.1.1')).toBe(false);
    await expect(rt.mdb.del({ bridge: 'br0', port: 'p0', group: '239.77.77.77' })).rejects.toBeInstanceOf(nl.NetlinkError);
  });

  it('rt.batch runs mdb ops; monitor group "mdb" reports them', async () => {
    const mon = await nl.monitor({ netns: ns, groups: ['mdb' as nl.MonitorGroup] });
    try {
      const { events } = await firstEvents(mon, 3, (ev) => !(ev as any).mdb?.router);
      const res = await rt.batch([
        { op: 'mdb.add', mdb: { bridge: 'br0', port: 'p0', group: '239.5.5.1' } },
        { op: 'mdb.add', mdb: { bridge: 'br0', port: 'p1', group: '239.5.5.2' } },
        { op: 'mdb.add', mdb: { bridge: 'br0', port: 'p0', group: '239.5.5.1' } },
        { op: 'mdb.del', mdb: { bridge: 'br0', port: 'p0', group: '239.5.5.1' } },
      ]);
      expect(res.map((r) => r.ok)).toEqual([true, true, false, true]);
      const seen = await events;
      expect(seen.map((e) => [e.type, e.action, e.mdb.group, e.mdb.portIndex > 0])).toEqual([
        ['mdb', 'new', '239.5.5.1', true], ['mdb', 'new', '239.5.5.2', true], ['mdb', 'del', '239.5.5.1', true],
      ]);
    } finally {
      mon.close();
    }
    expect(await ours()).toEqual(theirs());
  });

  it('refuses bad input naming the field, before anything is sent', async () => {
    await expect(rt.mdb.add({ bridge: 'br0', port: 'p0', group: 'nope' })).rejects.toMatchObject({ name: 'ValidationError', field: 'group' });
    await expect(rt.mdb.add({ bridge: 'br0', port: 'p0', group: '239.1.1.8', vlan: 5000 })).rejects.toMatchObject({ field: 'vlan' });
    await expect(rt.mdb.add({ bridge: 'br0', port: 'p0', group: '239.1.1.8', grp: 1 } as any)).rejects.toMatchObject({ field: 'grp' });
    await expect(rt.mdb.add({ bridge: 'br0', group: '239.1.1.8' } as any)).rejects.toMatchObject({ field: 'port' });
    await expect(rt.mdb.add({ bridge: 'br0', port: 'p0', group: '239.1.1.8', mode: 'any' as any })).rejects.toMatchObject({ field: 'mode' });
    await expect(rt.mdb.list({ prot: 'p0' } as any)).rejects.toMatchObject({ field: 'filter.prot' });
    expect(theirs().some((e) => e.group === '239.1.1.8')).toBe(false);
  });
});

function execBridge(...a: string[]): void {
  // bridge has no -j for changes; run it plainly inside the namespace.
  execFileSync('bridge', ['-n', ns, ...a], { stdio: ['ignore', 'pipe', 'pipe'] });
}
