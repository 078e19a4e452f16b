/**
 * A two-"host" VXLAN overlay built with the library alone (namespaces, links, addresses, FDB):
 * hosts h1 and h2 are namespaces joined by a veth underlay; each runs a VXLAN device and a
 * bridge per VNI, and two "VM" namespaces hang off those bridges on veth ports. There is no
 * multicast: each VXLAN device floods through unicast head-end replication entries
 * (`00:00:00:00:00:00 dst <other host>`, appended per remote). All four VMs share one IP
 * subnet, so only the VNI decides who can talk: ping crosses hosts within a VNI and fails
 * across VNIs. iproute2 is not used here at all (ping is the only program run).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { isRoot } from '../helpers/netns';

const tag = randomBytes(3).toString('hex');
const ns = (role: string) => `nljs-vx-${role}-${tag}`;
const h1 = ns('h1');
const h2 = ns('h2');
/** VM → [host namespace, VNI, overlay address]. */
const vms = {
  [ns('vmA')]: [h1, 10, '10.10.0.1'],
  [ns('vmB')]: [h1, 20, '10.10.0.2'],
  [ns('vmC')]: [h2, 10, '10.10.0.3'],
  [ns('vmD')]: [h2, 20, '10.10.0.4'],
} as const;
const [vmA, vmB, vmC, vmD] = Object.keys(vms) as [string, string, string, string];
const underlay = { [h1]: '192.168.100.1', [h2]: '192.168.100.2' };
const made: string[] = [];
/** An rtnetlink handle per namespace, by name. */
const rt: Record<string, nl.Rtnl> = {};

/** Runs one ping inside `from`, waiting up to `wait` seconds; resolves with its exit code. */
function ping(from: string, to: string, wait = 2): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = nl.netns.spawn(from, 'ping', ['-c', '1', '-W', String(wait), '-n', '-q', to], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

describe.skipIf(!isRoot)('VXLAN overlay without multicast, built with the library alone', () => {
  beforeAll(async () => {
    for (const name of [h1, h2, ...Object.keys(vms)]) {
      await nl.netns.add(name);
      made.push(name);
    }
    for (const name of made) rt[name] = await nl.open({ netns: name });
    // Underlay: one veth between the hosts.
    await rt[h1]!.link.add({ name: 'u0', kind: 'veth', peer: { name: 'u0', netns: h2 } });
    for (const host of [h1, h2]) {
      const other = host === h1 ? h2 : h1;
      const r = rt[host]!;
      await r.link.set('lo', { up: true });
      await r.link.set('u0', { up: true });
      await r.address.add('u0', `${underlay[host]}/24`);
      for (const vni of [10, 20]) {
        await r.link.add({ name: `br${vni}`, kind: 'bridge', up: true });
        await r.link.add({
          name: `vx${vni}`, kind: 'vxlan', master: `br${vni}`, up: true,
          vxlan: { id: vni, local: underlay[host], dev: 'u0', port: 4789, learning: false },
        });
        // Head-end replication: BUM frames go by unicast to every remote VTEP of this VNI.
        await r.fdb.append({ dev: `vx${vni}`, lladdr: '00:00:00:00:00:00', dst: underlay[other]! });
      }
    }
    // VMs: a veth whose host end is a port of the VNI's bridge.
    for (const [i, [vm, [host, vni, addr]]] of Object.entries(vms).entries()) {
      await rt[host]!.link.add({ name: `port${i}`, kind: 'veth', master: `br${vni}`, up: true, peer: { name: 'eth0', netns: vm } });
      await rt[vm]!.link.set('lo', { up: true });
      await rt[vm]!.link.set('eth0', { up: true });
      await rt[vm]!.address.add('eth0', `${addr}/24`);
    }
  });

  afterAll(async () => {
    for (const name of Object.keys(rt)) {
      rt[name]!.close();
      delete rt[name];
    }
    for (const name of made.splice(0)) await nl.netns.del(name).catch(() => undefined);
  });

  it('has the head-end replication entries, one per remote, and no multicast group', async () => {
    for (const vni of [10, 20]) {
      const flood = (await rt[h1]!.fdb.list({ dev: `vx${vni}` })).filter((e) => e.lladdr === '00:00:00:00:00:00');
      expect(flood.map((e) => e.dst)).toEqual([underlay[h2]]);
      const vx = await rt[h1]!.link.get(`vx${vni}`);
      expect(vx.kind).toBe('vxlan');
      expect((vx.info as nl.VxlanInfo | undefined)?.group).toBeUndefined();
    }
  });

  it('ping crosses hosts between VMs of the same VNI', async () => {
    expect(await ping(vmA, vms[vmC][2])).toBe(0);
    expect(await ping(vmD, vms[vmB][2])).toBe(0);
  });

  it('the bridges learned the remote VM through the VXLAN port', async () => {
    const vmCMac = (await rt[vmC]!.link.get('eth0')).address;
    const learned = (await rt[h1]!.fdb.list({ br: 'br10' })).filter((e) => e.lladdr === vmCMac);
    expect(learned.map((e) => e.dev)).toEqual(['vx10']);
  });

  it('ping fails between different VNIs, across hosts and on the same host', async () => {
    expect(await ping(vmA, vms[vmD][2], 1)).not.toBe(0);
    expect(await ping(vmA, vms[vmB][2], 1)).not.toBe(0);
    expect(await ping(vmC, vms[vmB][2], 1)).not.toBe(0);
  });

  it('removing the remote from the replication list cuts the overlay until it is appended again', async () => {
    // vx10 learns nothing (learning off): every frame to the other host uses the all-zeros entry.
    await rt[h1]!.fdb.del({ dev: 'vx10', lladdr: '00:00:00:00:00:00', dst: underlay[h2]! });
    expect(await ping(vmA, vms[vmC][2], 1)).not.toBe(0);
    await rt[h1]!.fdb.append({ dev: 'vx10', lladdr: '00:00:00:00:00:00', dst: underlay[h2]! });
    expect(await ping(vmA, vms[vmC][2])).toBe(0);
  });
});
