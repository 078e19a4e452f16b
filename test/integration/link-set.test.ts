/**
 * rt.link.set / del / add against the real kernel: many settings in one request, moves
 * between namespaces (by name, path, fd, handle and pid), bridge settings and port settings
 * changed in place, and the errors the kernel (or validation) gives — with iproute2 as the
 * oracle throughout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import * as nl from '../../lib/index';
import { ip, ipnJson, isRoot } from '../helpers/netns';
import { expectLinksAgreeWithIp, ipLinks, LinkTestBed } from './link-helpers';

describe.skipIf(!isRoot)('rt.link add / set / del', { timeout: 240_000 }, () => {
  const bed = new LinkTestBed();
  const pool = { add: (prefix: string) => bed.ns(prefix) };
  const openIn = (ns: string) => bed.open(ns);
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
    bed.cleanup();
  });

  it('changes up, mtu, address, name, alias, txqlen, promisc, allmulti, arp, group and gso limits in one request', async () => {
    const ns = pool.add('set');
    const rt = await openIn(ns);
    const v = await rt.link.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
    await rt.link.set('v0', {
      up: true, mtu: 1280, address: '02:00:00:00:00:42', name: 'lan0', alias: 'uplink', txqlen: 77,
      promisc: true, allmulti: true, arp: false, group: 9, gsoMaxSize: 32768, gsoMaxSegs: 100,
    });
    const l = await rt.link.get(v.index);
    expect(l).toMatchObject({
      index: v.index, name: 'lan0', up: true, mtu: 1280, address: '02:00:00:00:00:42', alias: 'uplink', txqlen: 77,
      group: 9, gsoMaxSize: 32768, gsoMaxSegs: 100,
    });
    expect(l.flags).toEqual(expect.arrayContaining(['UP', 'PROMISC', 'ALLMULTI', 'NOARP']));
    const [oracle] = ipnJson(ns, '-d', 'link', 'show', 'lan0');
    expect(oracle).toMatchObject({ ifname: 'lan0', mtu: 1280, address: '02:00:00:00:00:42', ifalias: 'uplink', txqlen: 77, group: '9', gso_max_size: 32768, gso_max_segs: 100 });
    expect(oracle.flags).toEqual(expect.arrayContaining(['UP', 'PROMISC', 'ALLMULTI', 'NOARP']));
    expectLinksAgreeWithIp(await rt.link.list(), ns);

    // And back, including clearing the alias. Kernels before 6.x refuse to rename a running
    // link (EBUSY), and rename before they apply flags: down first, then the name.
    await rt.link.set('lan0', { up: false, promisc: false, allmulti: false, arp: true, alias: null });
    await rt.link.set('lan0', { name: 'v0' });
    const back = await rt.link.get('v0');
    expect(back.flags).not.toContain('UP');
    expect(back.flags).not.toContain('PROMISC');
    expect(back.flags).not.toContain('NOARP');
    expect(back.alias).toBeUndefined();
    expectLinksAgreeWithIp(await rt.link.list(), ns);
  });

  it('moves links between namespaces by name, path, handle, fd and pid', async () => {
    const a = pool.add('mv-a');
    const b = pool.add('mv-b');
    const rt = await openIn(a);
    const rtB = await openIn(b);
    for (const n of ['m0', 'm1', 'm2', 'm3', 'm4']) await rt.link.add({ name: n, kind: 'veth', peer: { name: `${n}p` } });
    const h = nl.netns.open(b);
    try {
      await rt.link.set('m0', { netns: b });
      await rt.link.set('m1', { netns: `/run/netns/${b}`, name: 'renamed', mtu: 1400 });
      await rt.link.set('m2', { netns: h });
      await rt.link.set('m3', { netns: h.fd });
    } finally {
      h.close();
    }
    // A process living in b stands for "the namespace of pid N".
    const sleeper = spawn('ip', ['netns', 'exec', b, 'sleep', '30'], { stdio: 'ignore' });
    children.push(sleeper);
    await new Promise((r) => setTimeout(r, 200));
    const pid = Number(ip('netns', 'pids', b).trim().split('\n')[0]);
    await rt.link.set('m4', { netns: { pid } });
    const inB = (await rtB.link.list()).map((l) => l.name).sort();
    expect(inB).toEqual(['lo', 'm0', 'm2', 'm3', 'm4', 'renamed']);
    expect((await rtB.link.get('renamed')).mtu).toBe(1400);
    expect((await rt.link.list()).map((l) => l.name)).not.toContain('m0');
    // The peers stayed behind and now point across namespaces.
    const peer = await rt.link.get('m0p');
    expect(peer.linkNetnsId).toBeTypeOf('number');
    expectLinksAgreeWithIp(await rt.link.list(), a);
    expectLinksAgreeWithIp(await rtB.link.list(), b);
  });

  it('creates a link directly in another namespace and returns it as seen there', async () => {
    const a = pool.add('cr-a');
    const b = pool.add('cr-b');
    const rt = await openIn(a);
    const l = await rt.link.add({ name: 'far0', kind: 'bridge', netns: b, up: true, alias: 'made from a', bridge: { stp: true } });
    expect(l).toMatchObject({ name: 'far0', kind: 'bridge', up: true, alias: 'made from a', info: { stp: true } });
    expect(ipLinks(b).map((x) => x.ifname)).toContain('far0');
    expect(ipLinks(a).map((x) => x.ifname)).not.toContain('far0');
    expect(ipnJson(b, 'link', 'show', 'far0')[0].ifalias).toBe('made from a');
  });

  it('changes bridge settings and bridge port settings in place', async () => {
    const ns = pool.add('brset');
    const rt = await openIn(ns);
    // Port states can only be set by hand on a running bridge without kernel STP.
    await rt.link.add({ name: 'br0', kind: 'bridge', up: true });
    await rt.link.add({ name: 'p0', kind: 'veth', peer: { name: 'p1', up: true }, master: 'br0', up: true });
    await rt.link.set('br0', { bridge: { ageingTimeMs: 20000, priority: 4096, forwardDelayMs: 3000, mcastSnooping: false }, mtu: 1400 });
    expect((await rt.link.get('br0')).info).toMatchObject({ ageingTimeMs: 20000, priority: 4096, forwardDelayMs: 3000, mcastSnooping: false });
    await rt.link.set('p0', {
      bridgePort: { hairpin: true, learning: false, flood: false, mcastFlood: false, bcastFlood: false, isolated: true, guard: true, cost: 55, priority: 7, neighSuppress: true },
    });
    expect((await rt.link.get('p0')).bridgePort).toMatchObject({ hairpin: true, learning: false, flood: false, mcastFlood: false, isolated: true, guard: true, cost: 55, priority: 7, neighSuppress: true });
    // Without STP the kernel re-selects every enabled port's state, also when carrier comes up
    // (asynchronously, after both veth ends went up): wait for carrier, then set the one that sticks.
    for (let i = 0; i < 100 && (await rt.link.get('p0')).operstate !== 'UP'; i++) await new Promise((r) => setTimeout(r, 20));
    await rt.link.set('p0', { bridgePort: { bpduGuard: false, state: 'disabled' } });
    expect((await rt.link.get('p0')).bridgePort).toMatchObject({ guard: false, state: 'disabled' });
    const [port] = ipnJson(ns, '-d', 'link', 'show', 'p0');
    expect(port.linkinfo.info_slave_data).toMatchObject({ hairpin: true, learning: false, flood: false, isolated: true, guard: false, cost: 55, priority: 7, state: 'disabled' });
    expectLinksAgreeWithIp(await rt.link.list(), ns);
  });

  it('deletes links; a veth takes its peer along', async () => {
    const ns = pool.add('del');
    const rt = await openIn(ns);
    const v = await rt.link.add({ name: 'd0', kind: 'veth', peer: { name: 'd1' } });
    await rt.link.add({ name: 'br0', kind: 'bridge' });
    await rt.link.del('d1');
    await rt.link.del(await rt.link.get('br0'));
    expect(ipLinks(ns).map((l) => l.ifname)).toEqual(['lo']);
    await expect(rt.link.del(v.index)).rejects.toMatchObject({ name: 'NetlinkError', code: 'ENODEV', operation: 'link.del' });
    await expect(rt.link.get('d0')).rejects.toMatchObject({ code: 'ENODEV' });
  });

  describe('errors', () => {
    it('invalid input is a ValidationError naming the field, and nothing is created', async () => {
      const ns = pool.add('bad');
      const rt = await openIn(ns);
      await rt.link.add({ name: 'p0', kind: 'veth', peer: { name: 'p1' } });
      const before = ipLinks(ns).map((l) => l.ifname);
      const cases: [() => Promise<unknown>, string][] = [
        [() => rt.link.add({ name: 'sixteen-bytes-xx', kind: 'bridge' }), 'name'],
        [() => rt.link.add({ name: 'v.0', kind: 'vlan', link: 'p0', vlan: { id: 0 } }), 'vlan.id'],
        [() => rt.link.add({ name: 'v.4095', kind: 'vlan', link: 'p0', vlan: { id: 4095 } }), 'vlan.id'],
        [() => rt.link.add({ name: 'mac0', kind: 'veth', address: '02:00:00:00:00:0g' }), 'address'],
        [() => rt.link.add({ name: 'vx0', kind: 'vxlan', vxlan: { id: 2 ** 24 } }), 'vxlan.id'],
        [() => rt.link.add({ name: 'v0', kind: 'veth', peer: { name: 'x'.repeat(16) } }), 'peer.name'],
        [() => rt.link.set('p0', { mtu: 67 }), 'mtu'],
        [() => rt.link.set('p0', { address: 'nope' }), 'address'],
      ];
      for (const [fn, field] of cases) {
        await expect(fn()).rejects.toMatchObject({ name: 'ValidationError', field });
      }
      expect(ipLinks(ns).map((l) => l.ifname)).toEqual(before);
      expect(ipLinks(ns).find((l) => l.ifname === 'p0')?.mtu).toBe(1500);
    });

    it('adding an existing name is EEXIST; a veth whose peer name is taken leaves nothing behind', async () => {
      const ns = pool.add('exists');
      const rt = await openIn(ns);
      await rt.link.add({ name: 'br0', kind: 'bridge' });
      await expect(rt.link.add({ name: 'br0', kind: 'bridge' })).rejects.toMatchObject({ name: 'NetlinkError', code: 'EEXIST', errno: 17, operation: 'link.add' });
      await expect(rt.link.add({ name: 'new0', kind: 'veth', peer: { name: 'br0' } })).rejects.toMatchObject({ code: 'EEXIST' });
      expect(ipLinks(ns).map((l) => l.ifname).sort()).toEqual(['br0', 'lo']);
      // A failure after creation (here: the master can't take it) unwinds too.
      await rt.link.add({ name: 'd0', kind: 'veth', peer: { name: 'd1' } });
      await expect(rt.link.add({ name: 'x0', kind: 'veth', peer: { name: 'x1' }, master: 'd0' })).rejects.toMatchObject({ name: 'NetlinkError' });
      expect(ipLinks(ns).map((l) => l.ifname).sort()).toEqual(['br0', 'd0', 'd1', 'lo']);
    });

    it("an unknown kind is refused with the kernel's own extack text", async () => {
      const ns = pool.add('kind');
      const rt = await openIn(ns);
      let ipText = '';
      try {
        ip('-n', ns, 'link', 'add', 'x0', 'type', 'nosuchkind');
      } catch (e) {
        ipText = String((e as { stderr?: Buffer }).stderr ?? '');
      }
      const err = await rt.link.add({ name: 'x0', kind: 'nosuchkind' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'NetlinkError', code: 'EOPNOTSUPP', operation: 'link.add' });
      const extack = (err as nl.NetlinkError).extack!;
      expect(extack.length).toBeGreaterThan(0);
      // iproute2 prints the same kernel message: "Error: <extack>."
      expect(ipText).toContain(extack);
      // TUN/TAP: the kernel explains that rtnetlink can't make them.
      await expect(rt.link.add({ name: 't0', kind: 'tun' })).rejects.toMatchObject({ code: 'EOPNOTSUPP', extack: expect.stringMatching(/tun/) });
    });

    it('a missing link or master is ENODEV; kind options on the wrong kind are refused', async () => {
      const ns = pool.add('enodev');
      const rt = await openIn(ns);
      await expect(rt.link.set('nope0', { up: true })).rejects.toMatchObject({ code: 'ENODEV', operation: 'link.set' });
      await rt.link.add({ name: 'p0', kind: 'veth', peer: { name: 'p1' } });
      await expect(rt.link.set('p0', { master: 'nobr' })).rejects.toMatchObject({ code: 'ENODEV', attribute: 'master' });
      await expect(rt.link.set('p0', { bridge: { stp: true } })).rejects.toMatchObject({ name: 'NetlinkError', code: 'EOPNOTSUPP', operation: 'link.set', extack: expect.stringContaining('not a bridge') });
      // Port settings on a link that is no bridge port.
      await expect(rt.link.set('p0', { bridgePort: { hairpin: true } })).rejects.toMatchObject({ code: 'EOPNOTSUPP', extack: 'bridgePort: the link is not a bridge port' });
    });
  });
});
