/**
 * VXLAN VNI filtering carrying traffic (VM tier: needs bridge VLAN filtering for the VLAN→VNI
 * map). One `external vnifilter` device in a hub namespace serves VNI 100 towards remote A and
 * VNI 200 towards remote B, each VNI's remote set with rt.bridge.vni.add; the hub's bridge maps
 * VLAN 10 ⇄ VNI 100 (rt.bridge.vlan.add with tunnelId) and VLAN 20 ⇄ VNI 200 (`bridge vlan …
 * tunnel_info`), each checked in the other's listing. Pings within each VNI
 * pass; across VNIs (same overlay subnet, different VNI) they do not.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect } from 'vitest';
import * as nl from '../../lib/index';
import { NetnsPool, bridgeJson, ip, isRoot } from '../helpers/netns';
import { itRequires } from '../helpers/requires';

const pool = new NetnsPool();

const ping = (ns: string, dst: string): boolean => {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'ping', '-c', '2', '-W', '2', '-i', '0.3', '-q', dst], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!isRoot)('VXLAN VNI filter (VM tier)', { timeout: 240_000 }, () => {
  afterAll(() => pool.cleanup());

  itRequires(['brvlan', 'vxlan', 'veth'], 'one vnifilter device carries two VNIs to two remotes, isolated from each other', async () => {
    const hub = pool.add('vni-hub');
    const a = pool.add('vni-a');
    const b = pool.add('vni-b');
    const e10 = pool.add('vni-e10');
    const e20 = pool.add('vni-e20');
    const h = (...x: string[]) => ip('-n', hub, ...x);
    // Underlay: hub ⇄ A on 10.1.0.0/24, hub ⇄ B on 10.2.0.0/24.
    for (const [peer, net] of [[a, '10.1.0'], [b, '10.2.0']] as const) {
      const far = peer === a ? 'ua' : 'ub';
      h('link', 'add', `${far}h`, 'type', 'veth', 'peer', 'name', far, 'netns', peer);
      h('addr', 'add', `${net}.1/24`, 'dev', `${far}h`);
      h('link', 'set', `${far}h`, 'up');
      ip('-n', peer, 'addr', 'add', `${net}.2/24`, 'dev', far);
      ip('-n', peer, 'link', 'set', far, 'up');
    }
    // Remotes: plain VXLAN devices, one VNI each, all overlay addresses in one subnet.
    for (const [peer, vni, net, addr] of [[a, '100', '10.1.0', '192.168.50.2'], [b, '200', '10.2.0', '192.168.50.3']] as const) {
      ip('-n', peer, 'link', 'add', 'vx', 'type', 'vxlan', 'id', vni, 'remote', `${net}.1`, 'local', `${net}.2`, 'dstport', '4789');
      ip('-n', peer, 'addr', 'add', `${addr}/24`, 'dev', 'vx');
      ip('-n', peer, 'link', 'set', 'vx', 'up');
    }
    const rt = await nl.open({ netns: hub });
    try {
      await rt.link.add({ name: 'br0', kind: 'bridge', bridge: { vlanFiltering: true }, up: true });
      const vx = await rt.link.add({ name: 'vx0', kind: 'vxlan', vxlan: { external: true, vnifilter: true, port: 4789 }, master: 'br0', up: true });
      expect(vx.info).toMatchObject({ external: true, vnifilter: true });
      await rt.link.set('vx0', { bridgePort: { vlanTunnel: true, learning: false } });
      await rt.bridge.vni.add('vx0', { vni: 100, remote: '10.1.0.2' });
      await rt.bridge.vni.add('vx0', { vni: 200, remote: '10.2.0.2' });
      expect(bridgeJson(hub, 'vni', 'show')[0].vnis).toEqual([{ vni: 100, remote: '10.1.0.2' }, { vni: 200, remote: '10.2.0.2' }]);
      // VLAN → VNI maps, both ways against `bridge`: 10 → 100 made by us, 20 → 200 by bridge, and
      // a range 30–32 → 300–302 made by us and removed again.
      await rt.bridge.vlan.add('vx0', { vid: 10 });
      await rt.bridge.vlan.add('vx0', { vid: 10, tunnelId: 100 });
      execFileSync('bridge', ['-n', hub, 'vlan', 'add', 'dev', 'vx0', 'vid', '20']);
      execFileSync('bridge', ['-n', hub, 'vlan', 'add', 'dev', 'vx0', 'vid', '20', 'tunnel_info', 'id', '200']);
      await rt.bridge.vlan.add('vx0', { vid: [30, 32] });
      await rt.bridge.vlan.add('vx0', { vid: [30, 32], tunnelId: 300 });
      const shown = () => (bridgeJson(hub, 'vlan', 'tunnelshow', 'dev', 'vx0')[0]?.tunnels ?? []) as unknown[];
      expect(shown()).toEqual([{ vlan: 10, tunid: 100 }, { vlan: 20, tunid: 200 }, { vlan: 30, vlanEnd: 32, tunid: 300, tunidEnd: 302 }]);
      const mapped = async () => (await rt.bridge.vlan.list({ dev: 'vx0' }))[0].tunnels;
      expect(await mapped()).toEqual([{ vid: 10, id: 100 }, { vid: 20, id: 200 }, { vid: 30, vidEnd: 32, id: 300, idEnd: 302 }]);
      await rt.bridge.vlan.del('vx0', { vid: [30, 32], tunnelId: 300 });
      expect(shown()).toEqual([{ vlan: 10, tunid: 100 }, { vlan: 20, tunid: 200 }]);
      expect(await mapped()).toEqual([{ vid: 10, id: 100 }, { vid: 20, id: 200 }]);
      // Hub-side endpoints: VLAN 10 → 192.168.50.1 (namespace e10), VLAN 20 → 192.168.50.11 (e20).
      for (const [ns, vid, addr] of [[e10, 10, '192.168.50.1'], [e20, 20, '192.168.50.11']] as const) {
        const port = `p${vid}`;
        await rt.link.add({ name: port, kind: 'veth', peer: { name: 'e', netns: ns }, master: 'br0', up: true });
        await rt.bridge.vlan.del(port, { vid: 1 });
        await rt.bridge.vlan.add(port, { vid, pvid: true, untagged: true });
        ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'e');
        ip('-n', ns, 'link', 'set', 'e', 'up');
      }
      const listed = await rt.bridge.vni.list({ dev: 'vx0' });
      expect(listed.map((e) => [e.vni, e.remote])).toEqual([[100, '10.1.0.2'], [200, '10.2.0.2']]);

      expect(ping(a, '192.168.50.1')).toBe(true); // VNI 100 ⇄ VLAN 10
      expect(ping(b, '192.168.50.11')).toBe(true); // VNI 200 ⇄ VLAN 20
      expect(ping(a, '192.168.50.11')).toBe(false); // VNI 100 never reaches VLAN 20
      expect(ping(b, '192.168.50.1')).toBe(false);
      expect(ping(a, '192.168.50.3')).toBe(false); // nor the other remote
      // Per-VNI counters saw the traffic.
      const stats = await rt.bridge.vni.list({ dev: 'vx0', stats: true });
      expect(stats.find((e) => e.vni === 100)!.stats!.rxPkts).toBeGreaterThan(0);
      // Removing VNI 200 cuts B off.
      await rt.bridge.vni.del('vx0', { vni: 200 });
      expect(ping(b, '192.168.50.11')).toBe(false);
      expect(ping(a, '192.168.50.1')).toBe(true);
    } finally {
      rt.close();
    }
  });
});
