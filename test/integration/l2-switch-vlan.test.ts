/**
 * VLANs in the JS switch with real devices in between. This kernel may lack 802.1Q and
 * bridge VLAN filtering, so the host-tier tests use only what every kernel has: a plain
 * bridge forwards tagged frames as they are, TAP rx counters show the exact bytes a
 * namespace received, and ping shows who reaches whom. Where the kernel has VLAN filtering
 * (the VM tier), a kernel bridge is the 802.1Q peer of the trunk as well.
 */
import { afterEach, describe, expect } from 'vitest';
import { bridgeJson, ip, ipnJson, isRoot } from '../helpers/netns';
import { itRequires } from '../helpers/requires';
import type { FrameBatch } from '../../lib/tap/frame-batch';
import { buildFrame } from '../../lib/switch/ethernet';
import { macOf, nsRun, ping, TapBed, until } from './tap-helpers';

const bed = new TapBed();
afterEach(() => bed.cleanup());

/** A quiet namespace: no IPv6 chatter (router solicitations, MLD) and no IGMP reports of its own. */
async function quiet(ns: string): Promise<void> {
  const r = await nsRun(ns, 'sysctl', [
    '-qw',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
    'net.ipv4.igmp_link_local_mcast_reports=0',
  ]);
  expect(r.stderr).toBe('');
}

function rxOf(ns: string, dev: string): { packets: number; bytes: number } {
  return ipnJson<{ stats64: { rx: { packets: number; bytes: number } } }[]>(ns, '-s', 'link', 'show', 'dev', dev)[0].stats64.rx;
}

// Several namespaces and pings each: generous for the emulated VM tier. No timing is asserted.
const SLOW = 120_000;

const BCAST = 'ff:ff:ff:ff:ff:ff';
const STATION = '02:00:00:00:0a:01';

describe.skipIf(!isRoot)('L2Switch VLANs', () => {
  itRequires(['bridge'], 'keeps VLANs apart across a trunk between two switches', async () => {
    //  nsA .1 ─ access 10 ┐                                   ┌ access 10 ─ nsD10 .3
    //                     sw1 ─ trunk ─ br0 (nsC) ─ trunk ─ sw2
    //  nsB .2 ─ access 20 ┘              └ mon                └ access 20 ─ nsD20 .4
    const [a, b, c, d10, d20] = ['vla', 'vlb', 'vlc', 'vld10', 'vld20'].map((p) => bed.pool.add(p));
    for (const ns of [a, b, c, d10, d20]) await quiet(ns);
    const ta = await bed.openUp(a, 'nla', '10.206.0.1/24');
    const tb = await bed.openUp(b, 'nlb', '10.206.0.2/24');
    const td10 = await bed.openUp(d10, 'nld', '10.206.0.3/24');
    const td20 = await bed.openUp(d20, 'nld', '10.206.0.4/24');
    const t1 = await bed.openUp(c, 'nlt1');
    const t2 = await bed.openUp(c, 'nlt2');
    const mon = await bed.openUp(c, 'nlmon');
    ip('-n', c, 'link', 'add', 'br0', 'type', 'bridge');
    for (const p of ['nlt1', 'nlt2', 'nlmon']) ip('-n', c, 'link', 'set', p, 'master', 'br0');
    ip('-n', c, 'link', 'set', 'br0', 'up');

    const sw1 = bed.switch();
    sw1.addPort(ta, { name: 'a', vlan: 10 });
    sw1.addPort(tb, { name: 'b', vlan: 20 });
    sw1.addPort(t1, { name: 'trunk', trunk: [10, 20] });
    const sw2 = bed.switch();
    sw2.addPort(td10, { name: 'd10', vlan: 10 });
    sw2.addPort(td20, { name: 'd20', vlan: 20 });
    sw2.addPort(t2, { name: 'trunk', trunk: [10, 20] });

    // What crossed the plain bridge, as raw bytes: (source MAC, tag) pairs.
    const seen = new Set<string>();
    mon.on('frames', (batch: FrameBatch) => {
      for (const f of batch) {
        const src = [...f.subarray(6, 12)].map((x) => x.toString(16).padStart(2, '0')).join(':');
        const tag = f.readUInt16BE(12) === 0x8100 ? `vlan ${f.readUInt16BE(14) & 0xfff}` : 'untagged';
        seen.add(`${src} ${tag}`);
      }
    });

    expect(await ping(a, '10.206.0.3')).toBe(true);
    expect(await ping(b, '10.206.0.4')).toBe(true);
    expect(await ping(d10, '10.206.0.1')).toBe(true);
    // Same subnet everywhere: only the VLANs keep these apart.
    expect(await ping(a, '10.206.0.2', 1)).toBe(false);
    expect(await ping(a, '10.206.0.4', 1)).toBe(false);
    expect(await ping(b, '10.206.0.3', 1)).toBe(false);

    const macA = macOf(a, 'nla');
    const macB = macOf(b, 'nlb');
    expect(seen).toContain(`${macA} vlan 10`);
    expect(seen).toContain(`${macB} vlan 20`);
    expect(seen).not.toContain(`${macA} untagged`);
    expect(seen).not.toContain(`${macA} vlan 20`);
    expect(sw2.fdb).toContainEqual(expect.objectContaining({ mac: macA, vlan: 10, port: 'trunk' }));
    expect(sw1.fdb).toContainEqual(expect.objectContaining({ mac: macOf(d10, 'nld'), vlan: 10, port: 'trunk' }));
    expect(sw1.fdb.some((e) => e.mac === macA && e.vlan !== 10)).toBe(false);
  }, SLOW);

  itRequires(['bridge'], 'untags into access ports, applies the native VLAN and drops foreign VLANs', async () => {
    //  nsA ─ access 10 ┐
    //                  sw ─ trunk [10] native 20 ─ br0 (nsC) ─ inj (frames written by the test)
    //  nsB ─ access 20 ┘
    const [a, b, c] = ['vna', 'vnb', 'vnc'].map((p) => bed.pool.add(p));
    for (const ns of [a, b, c]) await quiet(ns);
    const ta = await bed.openUp(a, 'nla');
    const tb = await bed.openUp(b, 'nlb');
    const trunk = await bed.openUp(c, 'nltr');
    const inj = await bed.openUp(c, 'nlinj');
    ip('-n', c, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', c, 'link', 'set', 'nltr', 'master', 'br0');
    ip('-n', c, 'link', 'set', 'nlinj', 'master', 'br0');
    ip('-n', c, 'link', 'set', 'br0', 'up');
    const sw = bed.switch();
    sw.addPort(ta, { name: 'a', vlan: 10 });
    sw.addPort(tb, { name: 'b', vlan: 20 });
    sw.addPort(trunk, { name: 'trunk', trunk: [10], native: 20 });
    const payload = Buffer.alloc(50, 0xab);
    const rxA0 = rxOf(a, 'nla');
    const rxB0 = rxOf(b, 'nlb');

    // Tagged with VLAN 30, which the trunk does not carry: dropped at the trunk.
    inj.write(buildFrame(BCAST, STATION, 0x88b5, payload, 30));
    await until(() => sw.stats.drops.vlan >= 1);
    // Tagged 10: leaves the access port of VLAN 10 untagged, 4 bytes shorter.
    inj.write(buildFrame(BCAST, STATION, 0x88b5, payload, 10));
    await until(() => ta.stats.txFrames >= 1);
    // Untagged: the native VLAN 20, to b.
    inj.write(buildFrame(BCAST, STATION, 0x88b5, payload));
    await until(() => tb.stats.txFrames >= 1);

    const rxA = rxOf(a, 'nla');
    const rxB = rxOf(b, 'nlb');
    expect(rxA.packets - rxA0.packets).toBe(1);
    expect(rxA.bytes - rxA0.bytes).toBe(14 + payload.length); // the tag was popped
    expect(rxB.packets - rxB0.packets).toBe(1);
    expect(rxB.bytes - rxB0.bytes).toBe(14 + payload.length);
    expect(sw.stats.drops.vlan).toBe(1);
    expect(sw.fdb).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ mac: STATION, vlan: 10, port: 'trunk' }),
        expect.objectContaining({ mac: STATION, vlan: 20, port: 'trunk' }),
      ]),
    );
    expect(sw.fdb.some((e) => e.vlan === 30)).toBe(false);
  }, SLOW);

  itRequires(['brvlan'], 'speaks 802.1Q with a kernel bridge on the trunk', async () => {
    //  nsA (.1) ─ access 10 ┐                      ┌ pvid 10 ─ nsC10 (.3)
    //                       sw ─ trunk ─ br0 (nsC, vlan_filtering)
    //  nsB (.2) ─ access 20 ┘   [10, 20]           └ pvid 20 ─ nsC20 (.4)
    const [a, b, c, c10, c20] = ['kva', 'kvb', 'kvc', 'kvc10', 'kvc20'].map((p) => bed.pool.add(p));
    const ta = await bed.openUp(a, 'nla', '10.208.0.1/24');
    const tb = await bed.openUp(b, 'nlb', '10.208.0.2/24');
    const tc = await bed.openUp(c, 'nlc');
    ip('-n', c, 'link', 'add', 'br0', 'type', 'bridge', 'vlan_filtering', '1');
    ip('-n', c, 'link', 'set', 'nlc', 'master', 'br0');
    ip('-n', c, 'link', 'add', 'c10a', 'type', 'veth', 'peer', 'name', 'c10b', 'netns', c10);
    ip('-n', c, 'link', 'add', 'c20a', 'type', 'veth', 'peer', 'name', 'c20b', 'netns', c20);
    ip('-n', c, 'link', 'set', 'c10a', 'master', 'br0');
    ip('-n', c, 'link', 'set', 'c20a', 'master', 'br0');
    const vlan = (...args: string[]): void => void bridgeJson(c, 'vlan', ...args);
    for (const dev of ['nlc', 'c10a', 'c20a']) vlan('del', 'dev', dev, 'vid', '1');
    vlan('add', 'dev', 'nlc', 'vid', '10');
    vlan('add', 'dev', 'nlc', 'vid', '20');
    vlan('add', 'dev', 'c10a', 'vid', '10', 'pvid', 'untagged');
    vlan('add', 'dev', 'c20a', 'vid', '20', 'pvid', 'untagged');
    for (const dev of ['br0', 'c10a', 'c20a']) ip('-n', c, 'link', 'set', dev, 'up');
    ip('-n', c10, 'addr', 'add', '10.208.0.3/24', 'dev', 'c10b');
    ip('-n', c20, 'addr', 'add', '10.208.0.4/24', 'dev', 'c20b');
    ip('-n', c10, 'link', 'set', 'c10b', 'up');
    ip('-n', c20, 'link', 'set', 'c20b', 'up');

    const sw = bed.switch();
    sw.addPort(ta, { name: 'a', vlan: 10 });
    sw.addPort(tb, { name: 'b', vlan: 20 });
    sw.addPort(tc, { name: 'trunk', trunk: [10, 20] });

    expect(await ping(a, '10.208.0.3')).toBe(true);
    expect(await ping(b, '10.208.0.4')).toBe(true);
    expect(await ping(a, '10.208.0.2', 1)).toBe(false);
    expect(await ping(a, '10.208.0.4', 1)).toBe(false);
    // The kernel bridge learned A on VLAN 10 and B on VLAN 20: the tags were right.
    const fdb = bridgeJson<{ mac: string; vlan?: number }[]>(c, 'fdb', 'show', 'dev', 'nlc');
    expect(fdb).toContainEqual(expect.objectContaining({ mac: macOf(a, 'nla'), vlan: 10 }));
    expect(fdb).toContainEqual(expect.objectContaining({ mac: macOf(b, 'nlb'), vlan: 20 }));
    expect(fdb.some((e) => e.mac === macOf(a, 'nla') && e.vlan === 20)).toBe(false);
  }, SLOW);
});
