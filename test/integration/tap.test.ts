/**
 * TUN/TAP devices end to end: opened inside namespaces, carrying ARP and ICMP through the
 * userspace switch, TUN mode with and without packet info, naming, persistence and attaching.
 * iproute2 and ping are the oracle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ip, ipnJson, isRoot } from '../helpers/netns';
import { ValidationError } from '../../lib/errors';
import * as tap from '../../lib/tap/tap';
import type { FrameBatch } from '../../lib/tap/frame-batch';
import { icmpEchoReply, ifindexOf, macOf, ping, TapBed } from './tap-helpers';

const bed = new TapBed();
afterEach(() => bed.cleanup());

// Generous: the VM tier runs this under emulation. No timing is asserted.
describe.skipIf(!isRoot)('tap devices', { timeout: 120_000 }, () => {
  it('carries ARP and ICMP both ways through the JS switch between two namespaces', async () => {
    const a = bed.pool.add('tapa');
    const b = bed.pool.add('tapb');
    const ta = await bed.openUp(a, 'nlt0', '10.200.0.1/24');
    const tb = await bed.openUp(b, 'nlt0', '10.200.0.2/24');
    expect(ta.name).toBe('nlt0');
    expect(ta.index).toBe(ifindexOf(a, 'nlt0'));
    expect(tb.index).toBe(ifindexOf(b, 'nlt0'));

    const sw = bed.switch();
    sw.addPort(ta, { name: 'a' });
    sw.addPort(tb, { name: 'b' });

    expect(await ping(a, '10.200.0.2')).toBe(true);
    expect(await ping(b, '10.200.0.1')).toBe(true);

    const fdb = sw.fdb;
    expect(fdb).toContainEqual(expect.objectContaining({ mac: macOf(a, 'nlt0'), port: 'a', vlan: 1 }));
    expect(fdb).toContainEqual(expect.objectContaining({ mac: macOf(b, 'nlt0'), port: 'b', vlan: 1 }));
    const st = sw.stats;
    expect(st.forwarded).toBeGreaterThan(0); // echo requests and replies are known unicast
    expect(st.flooded).toBeGreaterThan(0); // the ARP requests were broadcast
    expect(ta.stats.rxFrames).toBeGreaterThan(0);
    expect(tb.stats.txFrames).toBeGreaterThan(0);
    // The kernel's view agrees: the TAP in b received what the switch wrote.
    const kb = ipnJson<{ stats64: { rx: { packets: number } } }[]>(b, '-s', 'link', 'show', 'dev', 'nlt0')[0];
    expect(kb.stats64.rx.packets).toBeGreaterThanOrEqual(tb.stats.txFrames);
  });

  it.each([false, true])('TUN mode carries IP packets (packetInfo %s)', async (packetInfo) => {
    const ns = bed.pool.add('tun');
    const tun = await bed.open({ name: 'nltun0', mode: 'tun', netns: ns, packetInfo });
    expect(tun.kind).toBe('tun');
    expect(tun.prefixBytes).toBe(packetInfo ? 4 : 0);
    ip('-n', ns, 'addr', 'add', '10.201.0.1', 'peer', '10.201.0.2', 'dev', 'nltun0');
    ip('-n', ns, 'link', 'set', 'nltun0', 'up');
    const echoProtos: number[] = [];
    tun.on('frames', (batch: FrameBatch) => {
      for (let i = 0; i < batch.count; i++) {
        // An IP packet, no Ethernet header: the echo request starts right at the IPv4 header.
        const reply = icmpEchoReply(batch.frame(i));
        if (!reply) continue;
        if (packetInfo) echoProtos.push(batch.packetInfo(i)!.proto);
        tun.write(reply); // with packetInfo, write() fills in struct tun_pi from the packet
      }
    });
    expect(await ping(ns, '10.201.0.2')).toBe(true);
    if (packetInfo) expect(echoProtos).toEqual([0x0800]);
  });

  it('lets the kernel choose the name and reports the ifindex', async () => {
    const ns = bed.pool.add('tapname');
    const t = await bed.open({ netns: ns, name: 'nlq%d' });
    expect(t.name).toMatch(/^nlq\d+$/);
    const links = ipnJson<{ ifname: string; ifindex: number }[]>(ns, 'link', 'show');
    expect(links).toContainEqual(expect.objectContaining({ ifname: t.name, ifindex: t.index }));
    const dflt = await bed.open({ netns: ns });
    expect(dflt.name).toMatch(/^tap\d+$/);
  });

  it('persists a device, attaches to it later, and honours attach/exclusive', async () => {
    const ns = bed.pool.add('tappersist');
    const t = await bed.open({ netns: ns, name: 'nlp0', persist: true });
    t.close();
    await new Promise((r) => setImmediate(r));
    // Still there without any fd open.
    expect(ipnJson(ns, 'link', 'show', 'dev', 'nlp0')).toHaveLength(1);
    const again = await bed.open({ netns: ns, name: 'nlp0', attach: true });
    expect(again.index).toBe(ifindexOf(ns, 'nlp0'));
    await expect(tap.open({ netns: ns, name: 'nlp0', exclusive: true })).rejects.toMatchObject({ code: 'EBUSY' });
    await expect(tap.open({ netns: ns, name: 'nlnone', attach: true })).rejects.toMatchObject({ code: 'ENODEV' });
    // TUN and TAP are different kinds: attaching the wrong one fails.
    await expect(tap.open({ netns: ns, name: 'nlp0', mode: 'tun' })).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('rejects bad options before opening anything', async () => {
    const cases: [tap.TapOptions, string][] = [
      [{ name: 'a-name-that-is-too-long' }, 'name'],
      [{ name: 'bad/name' }, 'name'],
      [{ mode: 'tep' as 'tap' }, 'mode'],
      [{ offloads: ['tso4'] }, 'offloads'],
      [{ vnetHdr: true, offloads: ['gro' as 'csum'] }, 'offloads[0]'],
      [{ queues: 0 }, 'queues'],
      [{ queues: 300 }, 'queues'],
      [{ vnetHdr: 4 }, 'vnetHdr'],
      [{ netns: 'a/b' }, 'netns'],
      [{ owner: -1 }, 'owner'],
      [{ attach: true }, 'name'],
    ];
    for (const [opts, field] of cases) {
      const err = await tap.open(opts).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(opts)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
    }
  });

  it('hands frames to async iteration and to the stream adapter', async () => {
    const ns = bed.pool.add('tapiter');
    const t = await bed.open({ netns: ns, name: 'nli0' });
    ip('-n', ns, 'addr', 'add', '10.202.0.1/24', 'dev', 'nli0');
    ip('-n', ns, 'link', 'set', 'nli0', 'up');
    const pinging = ping(ns, '10.202.0.9', 1); // unanswered: the kernel ARPs for .9 out of the TAP
    let arp: Buffer | undefined;
    for await (const f of t) {
      if (f.readUInt16BE(12) === 0x0806) {
        arp = f;
        break;
      }
    }
    expect(arp!.subarray(38, 42)).toEqual(Buffer.from([10, 202, 0, 9])); // ARP target
    await pinging;
    expect(t.listenerCount('frames')).toBe(0); // iteration ended and let go
    // Leaving the loop closed the tap (the rule for every object the library iterates), and
    // the device, whose only queue it was, is gone.
    expect(t.closed).toBe(true);
    expect(ipnJson<{ ifname: string }[]>(ns, 'link', 'show').map((l) => l.ifname)).not.toContain('nli0');

    const t2 = await bed.open({ netns: ns, name: 'nli0' });
    ip('-n', ns, 'addr', 'add', '10.202.0.1/24', 'dev', 'nli0');
    ip('-n', ns, 'link', 'set', 'nli0', 'up');
    const s = tap.stream(t2, { closeTap: false });
    const pinging2 = ping(ns, '10.202.0.8', 1);
    // The kernel may still be retrying its ARP for .9: wait for the one asking for .8.
    const arp2: Buffer = await new Promise((resolve) => {
      s.on('data', (f: Buffer) => {
        if (f.readUInt16BE(12) === 0x0806 && f[41] === 8) resolve(f);
      });
    });
    expect(arp2.subarray(38, 42)).toEqual(Buffer.from([10, 202, 0, 8]));
    s.destroy();
    await pinging2;
    expect(t2.closed).toBe(false);
  });
});
