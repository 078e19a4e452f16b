/**
 * SR-IOV VFs on netdevsim (VM tier: the host kernel has no netdevsim). Each test makes its own
 * netdevsim device with a random id and deletes it afterwards, even when the test failed.
 * iproute2 is the oracle: every setting made with rt.vf.set must read back the same through
 * rt.vf.list and `ip -j -d link show`, and settings made with `ip link set … vf` must read back
 * through rt.vf.list.
 *
 * What netdevsim (Linux 6.1) reports, and so what is tested here: mac, broadcast, vlan/qos/proto,
 * min/max rate, spoofchk, trust, link state, rss query, and all-zero stats (it has no VF
 * counters). It has no VF GUIDs (those are InfiniBand only).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
// Module paths rather than the package root keep this file independent of unrelated areas.
import { ValidationError } from '../../lib/errors';
import { open, type Rtnl } from '../../lib/rtnetlink/handle';
import { decodeVfInfoList, type VfInfo } from '../../lib/rtnetlink/link/vf/vf-schema';
import * as sriov from '../../lib/rtnetlink/link/vf/sriov';
import { RTEXT_FILTER_SKIP_STATS, RTEXT_FILTER_VF } from '../../lib/rtnetlink/constants';
import { describeRequires } from '../helpers/requires';

const BUS = '/sys/bus/netdevsim';

interface Sim {
  id: number;
  name: string;
  sysfs: string;
}

const made: number[] = [];

/** A netdevsim device with one port and `vfs` VFs (raising its VF limit through debugfs first). */
function netdevsim(vfs: number): Sim {
  const id = 10_000 + Math.floor(Math.random() * 50_000);
  fs.writeFileSync(`${BUS}/new_device`, `${id} 1`);
  made.push(id);
  const sysfs = `${BUS}/devices/netdevsim${id}`;
  const [name] = fs.readdirSync(`${sysfs}/net`);
  if (!name) throw new Error(`netdevsim${id} has no netdev`);
  if (vfs > 4) fs.writeFileSync(`/sys/kernel/debug/netdevsim/netdevsim${id}/max_vfs`, String(vfs));
  if (vfs > 0) fs.writeFileSync(`${sysfs}/sriov_numvfs`, String(vfs));
  return { id, name, sysfs };
}

function removeDevices(): void {
  for (const id of made.splice(0)) {
    try {
      fs.writeFileSync(`${BUS}/del_device`, String(id));
    } catch {
      /* already gone */
    }
  }
}

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ipLink = (name: string, stats = false): any => JSON.parse(ip('-j', '-d', ...(stats ? ['-s'] : []), 'link', 'show', 'dev', name))[0];

/** iproute2's JSON view of one VF, in VfInfo's shape (fields netdevsim reports). */
function fromIp(v: any): Partial<VfInfo> {
  const vlans = (v.vlan_list ?? [{ vlan: v.vlan, qos: v.qos }]) as any[];
  return {
    index: v.vf,
    mac: v.address,
    broadcast: v.broadcast,
    vlans: vlans.filter((x) => x.vlan || x.qos).map((x) => ({ id: x.vlan ?? 0, qos: x.qos ?? 0, protocol: x.protocol ?? '802.1Q' })),
    rate: { min: v.rate.min_tx, max: v.rate.max_tx },
    txRate: v.tx_rate ?? 0,
    spoofchk: v.spoofchk,
    trust: v.trust,
    linkState: v.link_state,
    rssQuery: v.query_rss_en,
  };
}

/** Ours, restricted to the fields iproute2 prints. */
function comparable(v: VfInfo): Partial<VfInfo> {
  const { stats: _s, unknown: _u, nodeGuid: _n, portGuid: _p, ...rest } = v;
  return rest;
}

function expectAgreesWithIp(ours: VfInfo[], name: string): void {
  const theirs = (ipLink(name).vfinfo_list ?? []) as any[];
  expect(ours.map(comparable)).toEqual(theirs.map(fromIp));
}

describeRequires(['netdevsim'], 'SR-IOV VFs on netdevsim', () => {
  let rt: Rtnl;
  beforeAll(async () => {
    rt = await open();
  });
  afterAll(() => rt?.close());
  afterEach(removeDevices);

  it('lists the VFs of a fresh device as iproute2 does, and nothing for a link without SR-IOV', async () => {
    const sim = netdevsim(4);
    const vfs = await rt.vf.list(sim.name);
    expect(vfs.map((v) => v.index)).toEqual([0, 1, 2, 3]);
    expect(vfs[0]).toMatchObject({ mac: '00:00:00:00:00:00', vlans: [], rate: { min: 0, max: 0 }, linkState: 'auto', spoofchk: false, trust: false, rssQuery: false });
    expect(vfs[0]!.stats).toBeUndefined();
    expectAgreesWithIp(vfs, sim.name);
    expect(await rt.vf.list('lo')).toEqual([]);
    expect(await rt.vf.list((await rt.link.get(sim.name)).index)).toEqual(vfs);
  });

  it('round-trips every setting netdevsim keeps, several per request, and agrees with ip', async () => {
    const sim = netdevsim(4);
    await rt.vf.set(sim.name, 0, {
      mac: '02:00:00:00:00:10', vlan: { id: 10, qos: 3 }, rate: { min: 10, max: 100 },
      spoofchk: true, trust: true, linkState: 'enable', rssQuery: true,
    });
    await rt.vf.set(sim.name, 1, { vlan: { id: 20, qos: 1, protocol: '802.1ad' }, linkState: 'disable', mac: '02:00:00:00:00:11' });
    await rt.vf.set(sim.name, 2, { rate: { max: 500 } });
    await rt.vf.set(sim.name, 2, { rate: { min: 50 } }); // max stays 500, as with ip's min_tx_rate alone
    await rt.vf.set(sim.name, 3, { vlan: { id: 30, qos: 2 } });
    await rt.vf.set(sim.name, 3, { vlan: 0, spoofchk: true });
    await rt.vf.set(sim.name, 3, { spoofchk: false, linkState: 'auto' });

    const vfs = await rt.vf.list(sim.name);
    expect(vfs[0]).toMatchObject({
      index: 0, mac: '02:00:00:00:00:10', vlans: [{ id: 10, qos: 3, protocol: '802.1Q' }], rate: { min: 10, max: 100 }, txRate: 100,
      spoofchk: true, trust: true, linkState: 'enable', rssQuery: true,
    });
    expect(vfs[1]).toMatchObject({ index: 1, mac: '02:00:00:00:00:11', vlans: [{ id: 20, qos: 1, protocol: '802.1ad' }], linkState: 'disable', trust: false });
    expect(vfs[2]).toMatchObject({ index: 2, rate: { min: 50, max: 500 }, mac: '00:00:00:00:00:00' });
    expect(vfs[3]).toMatchObject({ index: 3, vlans: [], spoofchk: false, linkState: 'auto' });
    expectAgreesWithIp(vfs, sim.name);
    expect(await rt.vf.get(sim.name, 1)).toEqual(vfs[1]);
  });

  it('reads back what iproute2 set', async () => {
    const sim = netdevsim(4);
    ip('link', 'set', 'dev', sim.name, 'vf', '2', 'mac', '02:00:00:00:00:22', 'vlan', '99', 'qos', '5', 'proto', '802.1ad',
      'max_tx_rate', '70', 'min_tx_rate', '7', 'spoofchk', 'on', 'trust', 'on', 'state', 'disable', 'query_rss', 'on');
    ip('link', 'set', 'dev', sim.name, 'vf', '3', 'vlan', '4094');
    const vfs = await rt.vf.list(sim.name);
    expect(vfs[2]).toMatchObject({
      mac: '02:00:00:00:00:22', vlans: [{ id: 99, qos: 5, protocol: '802.1ad' }], rate: { min: 7, max: 70 },
      spoofchk: true, trust: true, linkState: 'disable', rssQuery: true,
    });
    expect(vfs[3]!.vlans).toEqual([{ id: 4094, qos: 0, protocol: '802.1Q' }]);
    expectAgreesWithIp(vfs, sim.name);
  });

  it('includes per-VF counters only when asked, matching ip -s', async () => {
    const sim = netdevsim(4);
    const vfs = await rt.vf.list(sim.name, { stats: true });
    const theirs = ipLink(sim.name, true).vfinfo_list as any[];
    for (const [i, v] of vfs.entries()) {
      const s = theirs[i].stats;
      expect(v.stats).toEqual({
        rxPackets: s.rx.packets, rxBytes: s.rx.bytes, broadcast: s.rx.broadcast, multicast: s.rx.multicast, rxDropped: s.rx.dropped,
        // iproute2 names the TX counters tx_packets/tx_bytes inside "tx".
        txPackets: s.tx.tx_packets, txBytes: s.tx.tx_bytes, txDropped: s.tx.dropped,
      });
    }
    expect((await rt.vf.list(sim.name)).every((v) => v.stats === undefined)).toBe(true);
  });

  it('lists a device with 128 VFs completely, in a get and in a link dump, with and without counters', async () => {
    const sim = netdevsim(128);
    await rt.vf.set(sim.name, 127, { vlan: { id: 127, qos: 7, protocol: '802.1ad' }, mac: '02:00:00:00:01:27' });
    await rt.vf.set(sim.name, 64, { rate: { min: 64, max: 640 } });
    for (const stats of [false, true]) {
      const vfs = await rt.vf.list(sim.name, { stats });
      expect(vfs.map((v) => v.index)).toEqual(Array.from({ length: 128 }, (_, i) => i));
      expect(vfs[127]).toMatchObject({ mac: '02:00:00:00:01:27', vlans: [{ id: 127, qos: 7, protocol: '802.1ad' }] });
      expect(vfs[64]!.rate).toEqual({ min: 64, max: 640 });
      expect(vfs.every((v) => (v.stats !== undefined) === stats)).toBe(true);
    }
    expectAgreesWithIp(await rt.vf.list(sim.name), sim.name);

    // The same through a dump of every link (one message of ~40 KB among the others).
    const links = await rt.link.list({ extMask: RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS });
    const pf: any = links.find((l) => l.name === sim.name);
    expect(pf.numVfs).toBe(128);
    const dumped: VfInfo[] = pf.vfs ?? decodeVfInfoList(pf.vfinfoList, 0, pf.vfinfoList.length);
    expect(dumped).toEqual(await rt.vf.list(sim.name));
  });

  it('lists 300 VFs although their list outgrows the 16-bit attribute length', async () => {
    // ~300 bytes per VF with counters: the kernel's IFLA_VFINFO_LIST header wraps past 64 KiB
    // (iproute2 then prints "Truncated VF list"); without counters it still fits.
    const sim = netdevsim(300);
    await rt.vf.set(sim.name, 299, { vlan: { id: 299 }, mac: '02:00:00:00:02:99' });
    await rt.vf.set(sim.name, 250, { rate: { min: 25, max: 250 }, trust: true });
    for (const stats of [false, true]) {
      const vfs = await rt.vf.list(sim.name, { stats });
      expect(vfs.map((v) => v.index)).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(vfs[299]).toMatchObject({ mac: '02:00:00:00:02:99', vlans: [{ id: 299, qos: 0, protocol: '802.1Q' }] });
      expect(vfs[250]).toMatchObject({ rate: { min: 25, max: 250 }, trust: true });
      expect(vfs.every((v) => (v.stats !== undefined) === stats)).toBe(true);
    }
    expect(await sriov.numVfs(sim.name)).toBe(300);
    await expect(rt.vf.set(sim.name, 300, { trust: true })).rejects.toThrow(/has no VF 300: it has 300/);
  });

  it('rejects bad input with a clear ValidationError and leaves the VF unchanged', async () => {
    const sim = netdevsim(4);
    await rt.vf.set(sim.name, 1, { mac: '02:00:00:00:00:01', vlan: { id: 5 }, rate: { min: 10, max: 100 }, trust: true });
    const before = await rt.vf.list(sim.name);
    const ipBefore = ip('-j', '-d', 'link', 'show', 'dev', sim.name);
    const cases: [number, any, string, RegExp][] = [
      [4, { trust: false }, 'vf', /has no VF 4: it has 4 \(0–3\)/],
      [1, { vlan: { id: 4095 } }, 'vlan.id', /1–4094/],
      [1, { mac: '02:00:00:00:00:zz' }, 'mac', /invalid/],
      [1, { mac: '02:00:00:00:00' }, 'mac', /6-byte/],
      [1, { mac: 'ff:ff:ff:ff:ff:ff' }, 'mac', /multicast/],
      [1, { rate: { min: 500, max: 100 } }, 'rate', /min rate 500 Mbps exceeds max rate 100 Mbps/],
      [1, { rate: { min: 500 } }, 'rate', /exceeds max rate 100/], // against the current max
      [1, { mac: '02:00:00:00:00:09', vlan: { id: 7, qos: 9 } }, 'vlan.qos', /0–7/], // the good mac is not applied either
      [1, { trust: false, nodeGuid: '01:02:03:04:05:06:07:08' }, 'nodeGuid', /InfiniBand/],
      [1, { linkState: 'up' }, 'linkState', /VF link state/],
    ];
    for (const [vf, changes, field, message] of cases) {
      const err = await rt.vf.set(sim.name, vf, changes).catch((e) => e);
      expect(err, JSON.stringify(changes)).toBeInstanceOf(ValidationError);
      expect(err.field).toBe(field);
      expect(err.message).toMatch(message);
    }
    expect(await rt.vf.list(sim.name)).toEqual(before);
    expect(ip('-j', '-d', 'link', 'show', 'dev', sim.name)).toBe(ipBefore);
  });

  it('refuses VF settings on a device with SR-IOV off or none at all', async () => {
    const sim = netdevsim(0);
    const off = await rt.vf.set(sim.name, 0, { trust: true }).catch((e) => e);
    expect(off).toBeInstanceOf(ValidationError);
    expect(off.message).toMatch(/has no VFs/);
    expect(await rt.vf.list(sim.name)).toEqual([]);
    const none = await rt.vf.set('lo', 0, { trust: true }).catch((e) => e);
    expect(none).toBeInstanceOf(ValidationError);
    expect(none.message).toMatch(/no SR-IOV/);
  });

  it('nl.sriov reads and changes the VF count through sysfs, going through 0 as the kernel requires', async () => {
    const sim = netdevsim(0);
    fs.writeFileSync(`/sys/kernel/debug/netdevsim/netdevsim${sim.id}/max_vfs`, '16');
    expect(await sriov.numVfs(sim.name)).toBe(0);
    expect(await sriov.totalVfs(sim.name)).toBeUndefined(); // netdevsim publishes no sriov_totalvfs
    await sriov.setNumVfs(sim.name, 4);
    expect(await sriov.numVfs(sim.name)).toBe(4);
    expect((await rt.link.get(sim.name, { extMask: RTEXT_FILTER_VF })).numVfs).toBe(4);

    // The kernel refuses 4 → 8 directly; setNumVfs goes 4 → 0 → 8.
    expect(() => fs.writeFileSync(`${sim.sysfs}/sriov_numvfs`, '8')).toThrow();
    await sriov.setNumVfs(await rt.link.get(sim.name), 8);
    expect(await sriov.numVfs({ name: sim.name })).toBe(8);
    expect((await rt.vf.list(sim.name)).length).toBe(8);
    await sriov.setNumVfs(sim.name, 8); // unchanged: nothing written
    await sriov.setNumVfs(sim.name, 0);
    expect(await rt.vf.list(sim.name)).toEqual([]);

    // The driver's own refusal (above its limit) comes back with its errno, the count unchanged.
    const tooMany = await sriov.setNumVfs(sim.name, 17).catch((e) => e);
    expect(tooMany).toBeInstanceOf(sriov.SriovError);
    expect(tooMany.syscall).toBe('write');
    expect(tooMany.message).toMatch(/refused 17 VFs/);
    expect(await sriov.numVfs(sim.name)).toBe(0);

    const noSriov = await sriov.numVfs('lo').catch((e) => e);
    expect(noSriov).toBeInstanceOf(sriov.SriovError);
    expect(noSriov.code).toBe('EOPNOTSUPP');
    expect(noSriov.message).toMatch(/lo has no SR-IOV/);
    const gone = await sriov.setNumVfs('nljs-none0', 1).catch((e) => e);
    expect(gone.code).toBe('ENODEV');
  });
});
