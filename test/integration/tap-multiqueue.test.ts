/**
 * Multi-queue TAPs: every queue is its own fd and pump, and the kernel spreads flows over
 * them, so with many flows all queues receive.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ip, ipnJson, isRoot } from '../helpers/netns';
import type { FrameBatch } from '../../lib/tap/frame-batch';
import { nsRun, TapBed } from './tap-helpers';

const bed = new TapBed();
afterEach(() => bed.cleanup());

// 64 UDP flows (distinct destination ports) from inside the namespace.
const SEND_FLOWS = `
const dgram = require('node:dgram');
let left = 64;
for (let p = 0; p < 64; p++) {
  const s = dgram.createSocket('udp4');
  s.send(Buffer.from('flow ' + p), 20000 + p, '10.204.0.2', () => { s.close(); if (--left === 0) process.exit(0); });
}`;

// Generous: the VM tier runs this under emulation. No timing is asserted.
describe.skipIf(!isRoot)('multi-queue taps', { timeout: 120_000 }, () => {
  it('opens 4 queues and all of them receive', async () => {
    const ns = bed.pool.add('tapmq');
    const t = await bed.open({ netns: ns, name: 'nlmq0', queues: 4 });
    expect(t.multiQueue).toBe(true);
    expect(t.queues).toHaveLength(4);
    expect(new Set(t.queues.map((q) => q.fd)).size).toBe(4);
    expect(t.queues.every((q) => q.name === 'nlmq0' && q.index === t.index)).toBe(true);
    const info = ipnJson<{ linkinfo?: { info_data?: { multi_queue?: boolean } } }[]>(ns, '-d', 'link', 'show', 'dev', 'nlmq0')[0];
    expect(info.linkinfo?.info_data?.multi_queue).toBe(true);

    ip('-n', ns, 'addr', 'add', '10.204.0.1/24', 'dev', 'nlmq0');
    ip('-n', ns, 'link', 'set', 'nlmq0', 'up');
    // A static neighbour: no ARP, every frame is one of the UDP flows.
    ip('-n', ns, 'neigh', 'add', '10.204.0.2', 'lladdr', '02:00:00:00:02:02', 'dev', 'nlmq0', 'nud', 'permanent');
    const udpPerQueue = [0, 0, 0, 0];
    t.queues.forEach((q, i) =>
      q.on('frames', (batch: FrameBatch) => {
        for (const f of batch) if (f.readUInt16BE(12) === 0x0800 && f[23] === 17) udpPerQueue[i]++;
      }),
    );
    const r = await nsRun(ns, process.execPath, ['-e', SEND_FLOWS]);
    expect(r.code).toBe(0);
    await new Promise<void>((resolve) => {
      const check = (): void => (udpPerQueue.reduce((a, b) => a + b) >= 64 ? resolve() : void setTimeout(check, 10));
      check();
    });
    expect(udpPerQueue.reduce((a, b) => a + b)).toBe(64);
    for (const n of udpPerQueue) expect(n).toBeGreaterThan(0);
  });

  it('adds and removes queues at run time', async () => {
    const ns = bed.pool.add('tapmq2');
    const t = await bed.open({ netns: ns, name: 'nlmq1', multiQueue: true });
    expect(t.queues).toHaveLength(1);
    const q2 = bed.track(await t.addQueue());
    expect(q2.name).toBe('nlmq1');
    expect(t.queues).toEqual([t, q2]);
    q2.close();
    expect(t.queues).toEqual([t]);
    const single = await bed.open({ netns: ns, name: 'nlsq0' });
    await expect(single.addQueue()).rejects.toThrow(/multi-queue/);
  });
});
