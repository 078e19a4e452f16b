/**
 * The SR-IOV switchdev walkthrough of docs/devlink.md, end to end on netdevsim (VM tier):
 * a PF with 4 VFs; the eswitch to switchdev; one representor netdev per VF appears; each
 * becomes a port of a bridge; per-VF rate leaves set and read back (and by devlink); a rate
 * node groups two VFs; back to legacy mode leaves no representor, rate object or node behind.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { open as openDevlink } from '../../lib/genetlink/devlink/devlink';
import { describeRequires } from '../helpers/requires';

const BUS = '/sys/bus/netdevsim';
const made: number[] = [];
const bridges: string[] = [];

afterEach(() => {
  for (const br of bridges.splice(0)) {
    try {
      execFileSync('ip', ['link', 'del', br], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  for (const id of made.splice(0)) {
    try {
      fs.writeFileSync(`${BUS}/del_device`, String(id));
    } catch {
      /* already gone */
    }
  }
});

const ipj = (...args: string[]): any[] => JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8' }) || '[]');
const dj = (...args: string[]): any => JSON.parse(execFileSync('devlink', ['-j', ...args], { encoding: 'utf8' }));

describeRequires(['netdevsim', 'bridge'], 'SR-IOV switchdev walkthrough', () => {
  it('switchdev, representors on a bridge, rate leaves and a node, and back to legacy', async () => {
    const id = 10_000 + Math.floor(Math.random() * 50_000);
    fs.writeFileSync(`${BUS}/new_device`, `${id} 1`);
    made.push(id);
    fs.writeFileSync(`${BUS}/devices/netdevsim${id}/sriov_numvfs`, '4');
    const dev = `netdevsim/netdevsim${id}`;

    await using dl = await openDevlink();
    expect((await dl.eswitch.get(dev)).mode).toBe('legacy');
    expect((await dl.port.list(dev)).map((p) => p.flavour)).toEqual(['physical']);
    expect(await dl.rate.list(dev)).toEqual([]);

    // 1. switchdev: a representor port (and netdev) per VF.
    await dl.eswitch.set(dev, { mode: 'switchdev' });
    const reps = (await dl.port.list(dev)).filter((p) => p.flavour === 'pcivf');
    expect(reps.map((p) => p.vfnum)).toEqual([0, 1, 2, 3]);
    for (const r of reps) expect(ipj('link', 'show', 'dev', r.netdev!)[0].ifindex).toBe(r.ifindex);

    // 2. each representor becomes a port of a bridge.
    const br = `brsw${id % 10000}`;
    execFileSync('ip', ['link', 'add', br, 'type', 'bridge']);
    bridges.push(br);
    for (const r of reps) {
      execFileSync('ip', ['link', 'set', r.netdev!, 'master', br]);
      execFileSync('ip', ['link', 'set', r.netdev!, 'up']);
    }
    const ports = ipj('link', 'show', 'master', br).map((l) => l.ifname).sort();
    expect(ports).toEqual(reps.map((r) => r.netdev).sort());

    // 3. per-VF rate leaves, set and read back (and as devlink shows them, in bytes/s).
    for (const [i, r] of reps.entries()) await dl.rate.set(r.handle, { txShare: `${(i + 1) * 10}mbit`, txMax: '1gbit' });
    const leaves = (await dl.rate.list(dev)).filter((x) => x.type === 'leaf');
    expect(leaves.map((l) => [l.port, l.txShare, l.txMax])).toEqual(reps.map((r, i) => [r.index, (i + 1) * 10_000_000, 1_000_000_000]));
    const shown = dj('port', 'function', 'rate', 'show').rate;
    for (const l of leaves) expect(shown[l.handle]).toMatchObject({ type: 'leaf', tx_share: l.txShare / 8, tx_max: l.txMax / 8 });

    // 4. a rate node grouping two VFs.
    await dl.rate.addNode(dev, 'tenant1', { txMax: '300mbit' });
    await dl.rate.set(reps[0]!.handle, { parent: 'tenant1' });
    await dl.rate.set(reps[1]!.handle, { parent: 'tenant1' });
    const grouped = await dl.rate.list(dev);
    expect(grouped.find((x) => x.handle === `${dev}/tenant1`)).toMatchObject({ type: 'node', txMax: 300_000_000 });
    expect(grouped.filter((x) => x.parent === 'tenant1').map((x) => x.port)).toEqual([reps[0]!.index, reps[1]!.index]);
    expect(dj('port', 'function', 'rate', 'show').rate[reps[1]!.handle].parent).toBe('tenant1');

    // 5. back to legacy: detach, delete the node, switch; nothing is left behind.
    for (const r of reps.slice(0, 2)) await dl.rate.set(r.handle, { parent: null });
    await dl.rate.delNode(dev, 'tenant1');
    await dl.eswitch.set(dev, { mode: 'legacy' });
    expect((await dl.port.list(dev)).map((p) => p.flavour)).toEqual(['physical']);
    expect(await dl.rate.list(dev)).toEqual([]);
    expect(Object.keys(dj('port', 'function', 'rate', 'show').rate ?? {}).filter((h) => h.startsWith(`${dev}/`))).toEqual([]);
    for (const r of reps) expect(ipj('link', 'show').some((l) => l.ifname === r.netdev && l.ifindex === r.ifindex)).toBe(false);
    expect(ipj('link', 'show', 'master', br)).toEqual([]);
  });
});
