/**
 * rt.bridge.vni against `bridge -j vni` both ways on an `external vnifilter` VXLAN device made
 * by rt.link.add; per-VNI remotes become that VNI's default FDB entry; monitor group 'vni'.
 * Traffic over two VNIs needs bridge VLAN filtering (VLAN→VNI mapping): test/vm/vni.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import type { VniEntry } from '../../lib/rtnetlink/bridge/vni';
import { NetnsPool, bridgeJson, ip, ipnJson, isRoot } from '../helpers/netns';
import { firstEvents } from '../helpers/monitor';
import { execFileSync } from 'node:child_process';

const pool = new NetnsPool();
let ns: string;
let rt: nl.Rtnl;

/** `bridge -j vni` → [{ dev, vni, vniEnd?, remote?, group? }]. */
function theirs(): Record<string, unknown>[] {
  return bridgeJson(ns, 'vni', 'show').flatMap((d: any) => d.vnis.map((v: any) => ({ dev: d.ifname, ...v })));
}

function asTheirs(e: VniEntry): Record<string, unknown> {
  const o: Record<string, unknown> = { dev: e.dev, vni: e.vni };
  if (e.remote) o.remote = e.remote;
  if (e.group) o.group = e.group;
  if (e.vniEnd !== undefined) o.vniEnd = e.vniEnd;
  return o;
}

const bridgeCmd = (...a: string[]) => execFileSync('bridge', ['-n', ns, ...a], { stdio: ['ignore', 'pipe', 'pipe'] });

describe.skipIf(!isRoot)('rt.bridge.vni (root)', () => {
  beforeAll(async () => {
    ns = pool.add('vni');
    ip('-n', ns, 'link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1');
    ip('-n', ns, 'addr', 'add', '10.1.0.1/24', 'dev', 'u0');
    ip('-n', ns, 'link', 'set', 'u0', 'up');
    rt = await nl.open({ netns: ns });
  });

  afterAll(() => {
    rt?.close();
    pool.cleanup();
  });

  it('rt.link.add makes an external vnifilter VXLAN device ip agrees on', async () => {
    const link = await rt.link.add({ name: 'vx0', kind: 'vxlan', vxlan: { external: true, vnifilter: true, port: 4789, local: '10.1.0.1' } });
    expect(link.info).toMatchObject({ external: true, vnifilter: true });
    const [theirLink] = ipnJson(ns, '-d', 'link', 'show', 'vx0');
    expect(theirLink.linkinfo.info_data).toMatchObject({ external: true, vnifilter: true, port: 4789 });
  });

  it('we add VNIs (remote, multicast group, range), bridge shows the same', async () => {
    await rt.bridge.vni.add('vx0', { vni: 100, remote: '10.1.0.2' });
    await rt.bridge.vni.add('vx0', { vni: 200, remote: '10.1.0.3' });
    await rt.bridge.vni.add('vx0', { vni: 300, vniEnd: 310 });
    ip('-n', ns, 'link', 'set', 'vx0', 'type', 'vxlan', 'dev', 'u0');
    const list = await rt.bridge.vni.list();
    expect(list.map(asTheirs)).toEqual(theirs());
    expect(list.find((e) => e.vni === 100)).toMatchObject({ dev: 'vx0', remote: '10.1.0.2' });
    // A unicast remote is that VNI's default destination: an all-zeros FDB entry.
    const fdb = bridgeJson(ns, 'fdb', 'show', 'dev', 'vx0');
    expect(fdb).toEqual(expect.arrayContaining([expect.objectContaining({ mac: '00:00:00:00:00:00', dst: '10.1.0.2', vni: 100 })]));
  });

  it('bridge adds and deletes, we decode the same; del removes; stats on request', async () => {
    bridgeCmd('vni', 'add', 'dev', 'vx0', 'vni', '400', 'remote', '10.1.0.4');
    bridgeCmd('vni', 'add', 'dev', 'vx0', 'vni', '500-502');
    expect((await rt.bridge.vni.list({ dev: 'vx0' })).map(asTheirs)).toEqual(theirs());
    await rt.bridge.vni.del('vx0', { vni: 300, vniEnd: 310 });
    await rt.bridge.vni.del('vx0', { vni: 400 });
    expect((await rt.bridge.vni.list()).map(asTheirs)).toEqual(theirs());
    expect(theirs().some((v) => v.vni === 400 || v.vni === 300)).toBe(false);
    const withStats = await rt.bridge.vni.list({ stats: true });
    expect(withStats.find((e) => e.vni === 100)?.stats).toMatchObject({ rxBytes: 0, txPkts: 0 });
  });

  it('monitor group "vni" reports adds and deletes', async () => {
    const mon = await nl.monitor({ netns: ns, groups: ['vni' as nl.MonitorGroup] });
    try {
      const { events } = await firstEvents(mon, 2);
      bridgeCmd('vni', 'add', 'dev', 'vx0', 'vni', '700');
      bridgeCmd('vni', 'delete', 'dev', 'vx0', 'vni', '700');
      const seen = await events;
      expect(seen.map((e) => [e.type, e.action, e.vni.vni])).toEqual([['vni', 'new', 700], ['vni', 'del', 700]]);
    } finally {
      mon.close();
    }
  });

  it('refuses bad input naming the field, before anything is sent', async () => {
    await expect(rt.bridge.vni.add('vx0', { vni: 0 })).rejects.toMatchObject({ name: 'ValidationError', field: 'vni' });
    await expect(rt.bridge.vni.add('vx0', { vni: 1 << 24 })).rejects.toMatchObject({ field: 'vni' });
    await expect(rt.bridge.vni.add('vx0', { vni: 20, vniEnd: 10 })).rejects.toMatchObject({ field: 'vniEnd' });
    await expect(rt.bridge.vni.add('vx0', { vni: 20, remote: '239.1.1.1' })).rejects.toMatchObject({ field: 'remote' });
    await expect(rt.bridge.vni.add('vx0', { vni: 20, id: 3 } as any)).rejects.toMatchObject({ field: 'id' });
    expect(theirs().some((v) => v.vni === 20)).toBe(false);
    // A kernel refusal comes with its reason: VNI filtering on a device without it.
    await rt.link.add({ name: 'vx1', kind: 'vxlan', vxlan: { id: 9, port: 4790, local: '10.1.0.1' } });
    const err = await rt.bridge.vni.add('vx1', { vni: 20 }).catch((e) => e);
    expect(err).toBeInstanceOf(nl.NetlinkError);
  });
});
