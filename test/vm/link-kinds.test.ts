/**
 * The link kinds the development kernel lacks, through rt.link only: 802.1Q and 802.1ad VLANs,
 * bond, dummy, ipvlan/ipvtap, vrf, geneve and gretap are created, decoded, changed and deleted,
 * and after each step `rt.link.list()` must agree with `ip -j -d link show`. On a kernel
 * without a kind the test skips with the reason (the VM tier, `npm run test:vm`, has them all).
 */
import { afterEach, describe, expect } from 'vitest';
import type { Link } from '../../lib/index';
import { isRoot } from '../helpers/netns';
import { itRequires } from '../helpers/requires';
import { expectLinksAgreeWithIp, ipLinks, LinkTestBed } from '../integration/link-helpers';

const named = (links: Link[], name: string) => links.find((l) => l.name === name);

// Generous timeouts: the VM runs under software emulation.
describe.skipIf(!isRoot)('link kinds (VM tier)', { timeout: 240_000 }, () => {
  const bed = new LinkTestBed();
  /** A fresh namespace and a handle in it. */
  const fresh = async (prefix: string) => {
    const ns = bed.ns(prefix);
    return { ns, rt: await bed.open(ns) };
  };
  afterEach(() => bed.cleanup());

  itRequires(['vlan', 'dummy'], 'vlan: 802.1Q and stacked 802.1ad (QinQ) with flags and QoS maps', async () => {
    const { ns, rt } = await fresh('k-vlan');
    await rt.link.add({ name: 'eth0', kind: 'dummy', up: true });
    const q = await rt.link.add({
      name: 'eth0.10', kind: 'vlan', link: 'eth0',
      vlan: { id: 10, protocol: '802.1Q', flags: { reorderHdr: true, looseBinding: false }, egressQos: [{ from: 1, to: 2 }] },
    });
    expect(q).toMatchObject({ kind: 'vlan', info: { id: 10, protocol: '802.1Q', flags: { reorderHdr: true, looseBinding: false, gvrp: false }, egressQos: [{ from: 1, to: 2 }] } });
    const outer = await rt.link.add({ name: 'eth0.100', kind: 'vlan', link: 'eth0', vlan: { id: 100, protocol: '802.1ad' }, up: true });
    const inner = await rt.link.add({ name: 'qinq', kind: 'vlan', link: outer, vlan: { id: 4094 }, mtu: 1400 });
    expect(outer.info).toMatchObject({ id: 100, protocol: '802.1ad' });
    expect(inner).toMatchObject({ link: outer.index, mtu: 1400, info: { id: 4094, protocol: '802.1Q' } });
    expectLinksAgreeWithIp(await rt.link.list(), ns);

    // Flags change by mask (only the named ones), maps and MTU in the same request.
    await rt.link.set('eth0.10', { vlan: { flags: { reorderHdr: false, looseBinding: true }, ingressQos: [{ from: 3, to: 4 }] }, mtu: 1000 });
    const changed = await rt.link.get('eth0.10');
    expect(changed).toMatchObject({ mtu: 1000, info: { flags: { reorderHdr: false, looseBinding: true }, ingressQos: [{ from: 3, to: 4 }], egressQos: [{ from: 1, to: 2 }] } });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    // The kernel refuses a second device for the same VLAN on the same parent.
    await expect(rt.link.add({ name: 'dup10', kind: 'vlan', link: 'eth0', vlan: { id: 10 } })).rejects.toMatchObject({ name: 'NetlinkError', code: 'EEXIST' });

    await rt.link.del('qinq');
    await rt.link.del('eth0.100');
    await rt.link.del('eth0.10');
    expect(ipLinks(ns).map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
  });

  itRequires(['bond', 'dummy'], 'bond: active-backup with two members, port info, options changed', async () => {
    const { ns, rt } = await fresh('k-bond');
    const bond = await rt.link.add({ name: 'bond0', kind: 'bond', bond: { mode: 'active-backup', miimon: 100, primaryReselect: 'better', failOverMac: 'none', minLinks: 1 } });
    expect(bond).toMatchObject({ kind: 'bond', info: { mode: 'active-backup', miimon: 100, primaryReselect: 'better', failOverMac: 'none', minLinks: 1 } });
    for (const n of ['m0', 'm1']) await rt.link.add({ name: n, kind: 'dummy', master: 'bond0' });
    await rt.link.set('bond0', { bond: { primary: 'm1' } });
    await rt.link.set('m0', { bondPort: { queueId: 1 } });
    await rt.link.set('bond0', { up: true });
    // The bond picks its active member asynchronously (MII monitor): wait for the primary.
    for (let i = 0; i < 200 && (await rt.link.get('m1')).slaveInfo?.state !== 'active'; i++) await new Promise((r) => setTimeout(r, 25));
    const links = await rt.link.list();
    const m1 = named(links, 'm1')!;
    expect(named(links, 'bond0')!.info).toMatchObject({ primary: m1.index, activeSlave: m1.index });
    expect(named(links, 'm0')).toMatchObject({ master: bond.index, slaveKind: 'bond', slaveInfo: { queueId: 1, state: 'backup' } });
    expect(m1.slaveInfo).toMatchObject({ state: 'active', miiStatus: 'up' });
    expectLinksAgreeWithIp(links, ns);

    await rt.link.set('bond0', { bond: { miimon: 50, downdelay: 100, updelay: 100 } });
    expect((await rt.link.get('bond0')).info).toMatchObject({ miimon: 50, downdelay: 100, updelay: 100, mode: 'active-backup' });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    // The mode of a bond with members can't change: the kernel says why.
    await expect(rt.link.set('bond0', { bond: { mode: 'balance-rr' } })).rejects.toMatchObject({ name: 'NetlinkError', operation: 'link.set' });

    await rt.link.set('m0', { master: null });
    expect((await rt.link.get('m0')).master).toBeUndefined();
    await rt.link.del('bond0');
    expect(ipLinks(ns).map((l) => l.ifname).sort()).toEqual(['lo', 'm0', 'm1']);
  });

  itRequires(['dummy'], 'dummy: created, carrier and flags changed, renamed, deleted', async () => {
    const { ns, rt } = await fresh('k-dummy');
    const d = await rt.link.add({ name: 'd0', kind: 'dummy', up: true, mtu: 9000, address: '02:00:00:00:00:d0', txqlen: 10 });
    expect(d).toMatchObject({ kind: 'dummy', up: true, mtu: 9000, address: '02:00:00:00:00:d0', txqlen: 10 });
    expect(d.info).toBeUndefined();
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    await rt.link.set('d0', { carrier: false, alias: 'no carrier', arp: true, mtu: 1500 });
    // The kernel applies carrier changes to the flags through linkwatch, up to a second later.
    let l = await rt.link.get(d.index);
    for (let i = 0; i < 50 && !l.flags.includes('NO-CARRIER'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      l = await rt.link.get(d.index);
    }
    expect(l).toMatchObject({ name: 'd0', alias: 'no carrier', carrier: false, mtu: 1500 });
    expect(l.flags).toContain('NO-CARRIER');
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    // A running link can't be renamed on this kernel (EBUSY): down, then rename.
    await rt.link.set('d0', { up: false });
    await rt.link.set('d0', { name: 'd1' });
    expect((await rt.link.get(d.index)).name).toBe('d1');
    await rt.link.del(d.index);
    expect(ipLinks(ns).map((x) => x.ifname)).toEqual(['lo']);
  });

  itRequires(['ipvlan', 'dummy'], 'ipvlan and ipvtap: modes and isolation, changed in place', async () => {
    const { ns, rt } = await fresh('k-ipvlan');
    const parent = await rt.link.add({ name: 'eth0', kind: 'dummy' });
    const a = await rt.link.add({ name: 'ipv0', kind: 'ipvlan', link: 'eth0', ipvlan: { mode: 'l3', isolation: 'private' } });
    expect(a).toMatchObject({ kind: 'ipvlan', link: parent.index, info: { mode: 'l3', isolation: 'private' } });
    // Mode and isolation belong to the parent's ipvlan port: the last one given applies to all.
    const b = await rt.link.add({ name: 'ipv1', kind: 'ipvlan', link: 'eth0', ipvlan: { mode: 'l3', isolation: 'vepa' } });
    expect(b.info).toMatchObject({ isolation: 'vepa' });
    expect((await rt.link.get('ipv0')).info).toMatchObject({ mode: 'l3', isolation: 'vepa' });
    const t = await rt.link.add({ name: 'ipvt0', kind: 'ipvtap', link: 'eth0', ipvlan: { mode: 'l3', isolation: 'bridge' } });
    expect(t).toMatchObject({ kind: 'ipvtap', info: { mode: 'l3', isolation: 'bridge' } });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    // Changed in place; the key `ipvlan` serves both kinds, so the kind is looked up.
    await rt.link.set('ipv0', { ipvlan: { mode: 'l2', isolation: 'private' } });
    expect((await rt.link.get('ipv0')).info).toMatchObject({ mode: 'l2', isolation: 'private' });
    expect((await rt.link.get('ipvt0')).info).toMatchObject({ mode: 'l2' });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    for (const n of ['ipvt0', 'ipv1', 'ipv0']) await rt.link.del(n);
    expect(ipLinks(ns).map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
  });

  itRequires(['vrf', 'dummy'], 'vrf: table, member ports, renamed; the table cannot change', async () => {
    const { ns, rt } = await fresh('k-vrf');
    const vrf = await rt.link.add({ name: 'vrf-blue', kind: 'vrf', vrf: { table: 100 }, up: true });
    expect(vrf).toMatchObject({ kind: 'vrf', up: true, info: { table: 100 } });
    await rt.link.add({ name: 'e0', kind: 'dummy', master: 'vrf-blue', up: true });
    expect(await rt.link.get('e0')).toMatchObject({ master: vrf.index, slaveKind: 'vrf', slaveInfo: { table: 100 } });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    // This kernel refuses to rename a running link (EBUSY), and renames before applying flags.
    await expect(rt.link.set('vrf-blue', { name: 'vrf-red', up: false })).rejects.toMatchObject({ code: 'EBUSY' });
    await rt.link.set('vrf-blue', { up: false });
    await rt.link.set('vrf-blue', { name: 'vrf-red' });
    expect(await rt.link.get(vrf.index)).toMatchObject({ name: 'vrf-red', up: false });
    await expect(rt.link.set('vrf-red', { vrf: { table: 200 } })).rejects.toMatchObject({ name: 'NetlinkError', operation: 'link.set' });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    await rt.link.del('vrf-red');
    expect((await rt.link.get('e0')).master).toBeUndefined();
  });

  itRequires(['geneve'], 'geneve: IPv4 and IPv6 remotes, changed in place', async () => {
    const { ns, rt } = await fresh('k-geneve');
    const g = await rt.link.add({ name: 'gnv0', kind: 'geneve', geneve: { id: 42, remote: '192.0.2.1', ttl: 10, port: 6081, udpCsum: true, df: 'set' } });
    expect(g).toMatchObject({ kind: 'geneve', info: { id: 42, remote: '192.0.2.1', ttl: 10, port: 6081, udpCsum: true, df: 'set' } });
    const g6 = await rt.link.add({ name: 'gnv6', kind: 'geneve', geneve: { id: 43, remote: '2001:db8::1', label: 5 } });
    expect(g6.info).toMatchObject({ id: 43, remote: '2001:db8::1', label: 5 });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    await rt.link.set('gnv0', { geneve: { ttl: 20, remote: '192.0.2.9' } });
    expect((await rt.link.get('gnv0')).info).toMatchObject({ id: 42, ttl: 20, remote: '192.0.2.9' });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    await rt.link.del('gnv0');
    await rt.link.del('gnv6');
    expect(ipLinks(ns).map((l) => l.ifname)).toEqual(['lo']);
  });

  itRequires(['gretap'], 'gretap (and ip6gretap): keys, checksums, ttl, changed in place', async () => {
    const { ns, rt } = await fresh('k-gretap');
    const t = await rt.link.add({ name: 'gt0', kind: 'gretap', gre: { local: '192.0.2.2', remote: '192.0.2.1', ttl: 64, key: 7, csum: true } });
    expect(t).toMatchObject({ kind: 'gretap', info: { local: '192.0.2.2', remote: '192.0.2.1', ttl: 64, ikey: 7, okey: 7, icsum: true, ocsum: true, iseq: false } });
    const t6 = await rt.link.add({ name: 'gt6', kind: 'ip6gretap', gre: { local: '2001:db8::2', remote: '2001:db8::1', ikey: 1, okey: 2 } });
    expect(t6).toMatchObject({ kind: 'ip6gretap', info: { local: '2001:db8::2', remote: '2001:db8::1', ikey: 1, okey: 2 } });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    // `gre` options are shared by the gre family: the kind is looked up to send the right one.
    await rt.link.set('gt0', { gre: { ttl: 32, remote: '192.0.2.3' }, mtu: 1400 });
    expect(await rt.link.get('gt0')).toMatchObject({ mtu: 1400, info: { ttl: 32, remote: '192.0.2.3', local: '192.0.2.2' } });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
    await rt.link.del('gt0');
    await rt.link.del('gt6');
    expect(ipLinks(ns).map((l) => l.ifname)).not.toContain('gt0');
  });
});
