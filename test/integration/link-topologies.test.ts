/**
 * The seed topologies of Linux network virtualization, each built in fresh namespaces with
 * `rt.link` alone (iproute2 only adds IP addresses, makes the TAP device, and checks): VMs on a
 * bridge, bridges joined by a veth cable, macvlan in every mode next to a hairpin bridge port,
 * a VLAN-filtering bridge with access and trunk ports, and a VXLAN overlay without FDB entries.
 * Every topology is compared with `ip -j -d link show` (and `bridge -j vlan show`), and traffic
 * is sent through it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Link, Rtnl } from '../../lib/index';
import { bridgeJson, ip, ipnJson, isRoot } from '../helpers/netns';
import { requires } from '../helpers/requires';
import { bridgeVlanFilteringMissing, bridgeVlans, expectLinksAgreeWithIp, LinkTestBed, pingFrom } from './link-helpers';

const byName = (links: Link[], name: string): Link => {
  const l = links.find((x) => x.name === name);
  if (!l) throw new Error(`no link ${name} in [${links.map((x) => x.name).join(', ')}]`);
  return l;
};

/** Adds an address with iproute2 (addresses are another API's business). */
const addr = (ns: string, dev: string, cidr: string) => ip('-n', ns, 'addr', 'add', cidr, 'dev', dev);

/**
 * `it` when nothing is missing; otherwise skipped with the reason printed, or failed under
 * NETLINKJS_TEST_STRICT=1 (the VM tier, whose kernel has everything).
 */
function itWhen(missing: string | null, name: string, fn: () => Promise<void>): void {
  if (!missing) it(name, fn);
  else if (process.env.NETLINKJS_TEST_STRICT === '1') it(name, () => { throw new Error(`cannot run "${name}": ${missing}`); });
  else {
    it(name, (ctx) => {
      console.warn(`skipped "${name}": ${missing}`);
      ctx.skip(missing);
    });
  }
}

// Generous timeouts: the VM tier runs these under software emulation, many times slower.
describe.skipIf(!isRoot)('link topologies built with rt.link', { timeout: 240_000 }, () => {
  const bed = new LinkTestBed();
  const pool = { add: (prefix: string) => bed.ns(prefix) };
  const openIn = (ns: string) => bed.open(ns);
  afterEach(() => bed.cleanup());

  it('(a) two VM namespaces on the veth and TAP ports of one bridge', async () => {
    const host = pool.add('hv');
    const vm1 = pool.add('vm1');
    const vm2 = pool.add('vm2');
    const rt = await openIn(host);

    const br = await rt.link.add({ name: 'br0', kind: 'bridge', bridge: { stp: false, forwardDelayMs: 0 }, up: true });
    expect(br).toMatchObject({ name: 'br0', kind: 'bridge', up: true, info: { stp: false, forwardDelayMs: 0, vlanFiltering: false } });
    // Each VM's NIC is the far end of a veth, created straight inside the VM's namespace.
    const p1 = await rt.link.add({ name: 'vm1p', kind: 'veth', master: 'br0', up: true, peer: { name: 'eth0', netns: vm1, address: '02:00:00:00:01:01', up: true } });
    const p2 = await rt.link.add({ name: 'vm2p', kind: 'veth', master: br, up: true, peer: { name: 'eth0', netns: vm2, address: '02:00:00:00:02:01', up: true } });
    expect(p1).toMatchObject({ kind: 'veth', master: br.index, slaveKind: 'bridge', up: true });
    expect(p1.linkNetnsId).toBeTypeOf('number');
    expect(p2.master).toBe(br.index);
    // A TAP port, as a hypervisor makes them (TAPs come from /dev/net/tun, not rtnetlink).
    ip('-n', host, 'tuntap', 'add', 'tap0', 'mode', 'tap');
    await rt.link.set('tap0', { master: 'br0', up: true, bridgePort: { learning: false, cost: 42 } });

    const links = await rt.link.list();
    const tap = byName(links, 'tap0');
    expect(tap).toMatchObject({ kind: 'tun', master: br.index, info: { type: 'tap', persist: true, pi: false }, bridgePort: { learning: false, cost: 42, flood: true } });
    expect(byName(links, 'vm1p').bridgePort).toMatchObject({ learning: true, hairpin: false });
    expect(await rt.link.list({ master: 'br0' })).toHaveLength(3);
    expectLinksAgreeWithIp(links, host);

    const rt1 = await openIn(vm1);
    const eth0 = await rt1.link.get('eth0');
    expect(eth0).toMatchObject({ kind: 'veth', address: '02:00:00:00:01:01', up: true });
    expectLinksAgreeWithIp(await rt1.link.list(), vm1);

    addr(vm1, 'eth0', '10.0.0.1/24');
    addr(vm2, 'eth0', '10.0.0.2/24');
    expect(pingFrom(vm1, '10.0.0.2')).toBe(true);

    // 64-bit counters: ours are read first, so they can only be behind what ip reads after.
    const stats = (await rt1.link.get('eth0')).stats!;
    const [after] = ipnJson(vm1, '-s', 'link', 'show', 'eth0');
    expect(stats.rxPackets).toBeGreaterThan(0);
    expect(stats.txPackets).toBeGreaterThan(0);
    expect(stats.rxPackets).toBeLessThanOrEqual(after.stats64.rx.packets);
    expect(stats.txBytes).toBeLessThanOrEqual(after.stats64.tx.bytes);
    expect(stats.rxErrors).toBe(after.stats64.rx.errors);
  });

  it('(b) two bridges joined by a veth pair carry traffic between their hosts', async () => {
    const ns = pool.add('twobr');
    const h1 = pool.add('h1');
    const h2 = pool.add('h2');
    const rt = await openIn(ns);
    for (const name of ['br0', 'br1']) await rt.link.add({ name, kind: 'bridge', bridge: { stp: false }, up: true });
    // The cable: one end enslaved at creation, the other moved in with set (master + up in one request).
    await rt.link.add({ name: 'j0', kind: 'veth', peer: { name: 'j1' }, master: 'br0', up: true, mtu: 1400, alias: 'cable br0-br1' });
    await rt.link.set('j1', { master: 'br1', up: true, mtu: 1400 });
    await rt.link.add({ name: 'h1p', kind: 'veth', master: 'br0', up: true, peer: { name: 'eth0', netns: h1, up: true } });
    await rt.link.add({ name: 'h2p', kind: 'veth', master: 'br1', up: true, peer: { name: 'eth0', netns: h2, up: true } });

    const links = await rt.link.list();
    expect(byName(links, 'j0')).toMatchObject({ mtu: 1400, alias: 'cable br0-br1', master: byName(links, 'br0').index, link: byName(links, 'j1').index });
    expect(byName(links, 'j1')).toMatchObject({ mtu: 1400, master: byName(links, 'br1').index, link: byName(links, 'j0').index });
    expect((await rt.link.list({ master: 'br1' })).map((l) => l.name).sort()).toEqual(['h2p', 'j1']);
    expect((await rt.link.list({ kind: 'bridge' })).map((l) => l.name).sort()).toEqual(['br0', 'br1']);
    expectLinksAgreeWithIp(links, ns);

    addr(h1, 'eth0', '10.1.0.1/24');
    addr(h2, 'eth0', '10.1.0.2/24');
    expect(pingFrom(h1, '10.1.0.2')).toBe(true);

    // Unplugging the cable from br1 (nomaster) shows in both views.
    await rt.link.set('j1', { master: null });
    const after = await rt.link.get('j1');
    expect(after.master).toBeUndefined();
    expect(after.bridgePort).toBeUndefined();
    expectLinksAgreeWithIp(await rt.link.list(), ns);
  });

  it('(c) macvlan bridge, vepa, private, passthru and source on one parent; VEPA through a hairpin port', async () => {
    const host = pool.add('mvhost');
    const names = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => pool.add(`mv${x}`));
    const [a, b, c, d, e, f] = names as [string, string, string, string, string, string];
    const rt = await openIn(host);
    // The adjacent switch: a bridge whose port swp0 faces the "NIC" nic0 that the macvlans sit on.
    await rt.link.add({ name: 'sw0', kind: 'bridge', bridge: { stp: false }, up: true });
    await rt.link.add({ name: 'nic0', kind: 'veth', up: true, peer: { name: 'swp0', up: true } });
    await rt.link.set('swp0', { master: 'sw0' });

    const mv = (name: string, mode: 'bridge' | 'vepa' | 'private', netns: string, ip4: string) =>
      rt.link.add({ name, kind: 'macvlan', link: 'nic0', macvlan: { mode }, netns, up: true }).then((l) => {
        addr(netns, name, ip4);
        return l;
      });
    const bridged = [await mv('mvb1', 'bridge', a, '10.2.0.1/24'), await mv('mvb2', 'bridge', b, '10.2.0.2/24')];
    expect(bridged[0]).toMatchObject({ name: 'mvb1', kind: 'macvlan', info: { mode: 'bridge', nopromisc: false } });
    await mv('mvv1', 'vepa', c, '10.3.0.1/24');
    await mv('mvv2', 'vepa', d, '10.3.0.2/24');
    await mv('mvp1', 'private', e, '10.4.0.1/24');
    await mv('mvp2', 'private', f, '10.4.0.2/24');
    const tap = await rt.link.add({ name: 'mvt0', kind: 'macvtap', link: 'nic0', macvlan: { mode: 'vepa' } });
    expect(tap).toMatchObject({ kind: 'macvtap', info: { mode: 'vepa' } });
    const src = await rt.link.add({ name: 'mvs0', kind: 'macvlan', link: 'nic0', macvlan: { mode: 'source', sourceMacs: ['02:00:00:00:00:0a', '02:00:00:00:00:0b'] } });
    expect(src.info).toMatchObject({ mode: 'source', sourceMacCount: 2 });
    expect([...src.info!.sourceMacs].sort()).toEqual(['02:00:00:00:00:0a', '02:00:00:00:00:0b']);

    // Bridge mode: the macvlans talk inside the parent, no switch needed.
    expect(pingFrom(a, '10.2.0.2')).toBe(true);
    // VEPA: everything goes out to the switch, which only reflects it back with hairpin on.
    expect(pingFrom(c, '10.3.0.2', 1)).toBe(false);
    await rt.link.set('swp0', { bridgePort: { hairpin: true } });
    expect((await rt.link.get('swp0')).bridgePort?.hairpin).toBe(true);
    expect(pingFrom(c, '10.3.0.2')).toBe(true);
    // Private: not even a reflected frame is delivered between them.
    expect(pingFrom(e, '10.4.0.2', 1)).toBe(false);

    // The source list changes entry by entry, or is replaced or flushed.
    await rt.link.set('mvs0', { macvlan: { sourceMacs: { del: ['02:00:00:00:00:0a'], add: ['02:00:00:00:00:0c', '02:00:00:00:00:0d'] } } });
    let info = (await rt.link.get('mvs0')).info!;
    expect([...info.sourceMacs].sort()).toEqual(['02:00:00:00:00:0b', '02:00:00:00:00:0c', '02:00:00:00:00:0d']);
    const ipSrc = ipnJson(host, '-d', 'link', 'show', 'mvs0')[0].linkinfo.info_data;
    expect([...ipSrc.macaddr_data].sort()).toEqual([...info.sourceMacs].sort());
    await rt.link.set('mvs0', { kind: 'macvlan', macvlan: { sourceMacs: ['02:00:00:00:00:0e'] } });
    expect((await rt.link.get('mvs0')).info!.sourceMacs).toEqual(['02:00:00:00:00:0e']);
    await rt.link.set('mvs0', { macvlan: { sourceMacs: { flush: true } } });
    info = (await rt.link.get('mvs0')).info!;
    expect(info.sourceMacCount ?? 0).toBe(0);
    expect(info.sourceMacs).toBeUndefined();

    // A mode change in place, and the macvtap is told apart from a macvlan by the kernel.
    await rt.link.set('mvt0', { macvlan: { mode: 'private' } });
    expect((await rt.link.get('mvt0')).info).toMatchObject({ mode: 'private' });
    expectLinksAgreeWithIp(await rt.link.list(), host);
    const rtc = await openIn(c);
    expectLinksAgreeWithIp(await rtc.link.list(), c);

    // Passthru takes a parent for itself: on a second NIC, after which the kernel refuses others.
    await rt.link.add({ name: 'nic1', kind: 'veth', peer: { name: 'nic1p' } });
    const pt = await rt.link.add({ name: 'mvpt', kind: 'macvlan', link: 'nic1', macvlan: { mode: 'passthru', nopromisc: true } });
    expect(pt.info).toMatchObject({ mode: 'passthru', nopromisc: true });
    await expect(rt.link.add({ name: 'mvx', kind: 'macvlan', link: 'nic1', macvlan: { mode: 'bridge' } })).rejects.toMatchObject({ name: 'NetlinkError', operation: 'link.add' });
    expect((await rt.link.list()).map((l) => l.name)).not.toContain('mvx');
    expectLinksAgreeWithIp(await rt.link.list(), host);
  });

  const vlanMissing = bridgeVlanFilteringMissing() ?? (requires('vlan').skip ? requires('vlan').reason : null);
  itWhen(vlanMissing, '(d) a VLAN-filtering bridge with access ports on VLANs 10 and 20 and a trunk', async () => {
    const sw = pool.add('vlsw');
    const hA = pool.add('vlA');
    const hB = pool.add('vlB');
    const hT = pool.add('vlT');
    const rt = await openIn(sw);
    const br = await rt.link.add({ name: 'br0', kind: 'bridge', bridge: { vlanFiltering: true, stp: false, defaultPvid: 1, vlanProtocol: '802.1Q' }, up: true });
    expect(br.info).toMatchObject({ vlanFiltering: true, defaultPvid: 1, vlanProtocol: '802.1Q' });
    for (const [port, ns] of [['acc10', hA], ['acc20', hB], ['trunk', hT]] as const) {
      await rt.link.add({ name: port, kind: 'veth', master: 'br0', up: true, peer: { name: 'eth0', netns: ns, up: true } });
      // Ports join with the default PVID 1; these ports don't carry VLAN 1.
      await rt.bridge.vlan.del(port, { vid: 1 });
    }
    await rt.bridge.vlan.add('acc10', { vid: 10, pvid: true, untagged: true });
    await rt.bridge.vlan.add('acc20', { vid: 20, pvid: true, untagged: true });
    await rt.bridge.vlan.add('trunk', { vid: 10 });
    await rt.bridge.vlan.add('trunk', { vid: 20 });
    await rt.bridge.vlan.add('trunk', { vid: [100, 110] });

    const list = await rt.bridge.vlan.list();
    const vl = (name: string) => list.find((p) => p.name === name)!;
    expect(vl('acc10')).toMatchObject({ master: br.index, vlans: [{ vid: 10, pvid: true, untagged: true }] });
    expect(vl('trunk').vlans.map((v) => v.vid)).toEqual([10, 20, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
    expect(vl('br0').vlans).toEqual([{ vid: 1, pvid: true, untagged: true }]);
    // `bridge -j vlan show` lists every VLAN id, as the uncompressed dump does.
    expect(Object.fromEntries(list.map((p) => [p.name, p.vlans]))).toEqual(bridgeVlans(sw));
    const compressed = await rt.bridge.vlan.list({ dev: 'trunk', compressed: true });
    expect(compressed).toEqual([{
      link: vl('trunk').link, name: 'trunk', master: br.index,
      vlans: [{ vid: 10, pvid: false, untagged: false }, { vid: 20, pvid: false, untagged: false }, { vid: 100, vidEnd: 110, pvid: false, untagged: false }],
    }]);
    await rt.bridge.vlan.del('trunk', { vid: [100, 110] });
    expect(bridgeVlans(sw).trunk).toEqual([{ vid: 10, pvid: false, untagged: false }, { vid: 20, pvid: false, untagged: false }]);
    // The bridge's own VLANs are addressed with "self", chosen automatically for a bridge.
    await rt.bridge.vlan.add('br0', { vid: 10 });
    expect(bridgeVlans(sw).br0).toContainEqual({ vid: 10, pvid: false, untagged: false });
    expectLinksAgreeWithIp(await rt.link.list(), sw);

    // The trunk's far end splits the VLANs with 802.1Q devices.
    const rtT = await openIn(hT);
    const v10 = await rtT.link.add({ name: 'eth0.10', kind: 'vlan', link: 'eth0', vlan: { id: 10 }, up: true });
    expect(v10).toMatchObject({ kind: 'vlan', info: { id: 10, protocol: '802.1Q' } });
    await rtT.link.add({ name: 'eth0.20', kind: 'vlan', link: 'eth0', vlan: { id: 20, protocol: '802.1Q' }, up: true });
    expectLinksAgreeWithIp(await rtT.link.list(), hT);
    // One subnet per VLAN; hB also gets an address in VLAN 10's subnet to show it can't reach it.
    addr(hA, 'eth0', '10.0.10.1/24');
    addr(hB, 'eth0', '10.0.20.1/24');
    addr(hB, 'eth0', '10.0.10.3/24');
    addr(hT, 'eth0.10', '10.0.10.2/24');
    addr(hT, 'eth0.20', '10.0.20.2/24');
    expect(pingFrom(hA, '10.0.10.2')).toBe(true);
    expect(pingFrom(hB, '10.0.20.2')).toBe(true);
    // Same subnet, different VLANs: the bridge keeps them apart.
    expect(pingFrom(hA, '10.0.10.3', 1)).toBe(false);
  });

  it('(e) a VXLAN overlay between two hosts with unicast remotes and no FDB entries', async () => {
    const u1 = pool.add('vtep1');
    const u2 = pool.add('vtep2');
    const rt1 = await openIn(u1);
    const rt2 = await openIn(u2);
    // The underlay: a veth whose far end is created in the other host.
    await rt1.link.add({ name: 'ul0', kind: 'veth', up: true, peer: { name: 'ul0', netns: u2, up: true } });
    addr(u1, 'ul0', '192.0.2.1/24');
    addr(u2, 'ul0', '192.0.2.2/24');
    const vx = (rt: Rtnl, local: string, remote: string) =>
      rt.link.add({
        name: 'vx0', kind: 'vxlan', up: true, mtu: 1450,
        vxlan: { id: 4242, local, remote, dev: 'ul0', port: 4789, learning: false, srcPortRange: { low: 40000, high: 50000 }, ttl: 64, ageing: 120, udpCsum: true },
      });
    const v1 = await vx(rt1, '192.0.2.1', '192.0.2.2');
    await vx(rt2, '192.0.2.2', '192.0.2.1');
    const ul0 = await rt1.link.get('ul0');
    expect(v1).toMatchObject({
      kind: 'vxlan', mtu: 1450,
      info: { id: 4242, local: '192.0.2.1', remote: '192.0.2.2', dev: ul0.index, port: 4789, learning: false, srcPortRange: { low: 40000, high: 50000 }, ttl: 64, ageing: 120, udpCsum: true },
    });
    expect(v1.info).not.toHaveProperty('group');
    addr(u1, 'vx0', '10.42.0.1/24');
    addr(u2, 'vx0', '10.42.0.2/24');
    expect(pingFrom(u1, '10.42.0.2')).toBe(true);
    // Nothing was configured in the FDB beyond the kernel's own default entry for the remote.
    const fdb = bridgeJson<{ mac: string; dst?: string }[]>(u1, 'fdb', 'show', 'dev', 'vx0').filter((x) => x.dst !== undefined);
    expect(fdb).toEqual([expect.objectContaining({ mac: '00:00:00:00:00:00', dst: '192.0.2.2' })]);

    // Changed in place, and a multicast-group and an IPv6 variant next to it.
    await rt1.link.set('vx0', { vxlan: { ageing: 60, ttl: 32 } });
    expect((await rt1.link.get('vx0')).info).toMatchObject({ ageing: 60, ttl: 32, id: 4242 });
    const g = await rt1.link.add({ name: 'vxg', kind: 'vxlan', vxlan: { id: 7, group: '239.1.1.1', dev: 'ul0', port: 4789, l2miss: true, l3miss: true } });
    expect(g.info).toMatchObject({ group: '239.1.1.1', l2miss: true, l3miss: true });
    expect(g.info).not.toHaveProperty('remote');
    const six = await rt1.link.add({ name: 'vx6', kind: 'vxlan', vxlan: { id: 8, local: 'fd00::1', remote: 'fd00::2', port: 4789, udpZeroCsum6Tx: true } });
    expect(six.info).toMatchObject({ local: 'fd00::1', remote: 'fd00::2', udpZeroCsum6Tx: true });
    expectLinksAgreeWithIp(await rt1.link.list(), u1);
    expectLinksAgreeWithIp(await rt2.link.list(), u2);
  });
});
