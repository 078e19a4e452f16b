/**
 * macvtap through its character device: two macvtaps in bridge mode on one veth parent
 * exchange frames via /dev/tapN, opened from outside their namespace; a missing /dev node is
 * worked around with a private one.
 */
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ip, isRoot } from '../helpers/netns';
import * as macvtap from '../../lib/tap/macvtap';
import type { Tap } from '../../lib/tap/tap-device';
import type { FrameBatch } from '../../lib/tap/frame-batch';
import type { SystemError } from '../../lib/errors';
import { buildFrame } from '../../lib/switch/ethernet';
import { ifindexOf, macOf, nsRun, TapBed } from './tap-helpers';

const bed = new TapBed();
afterEach(() => bed.cleanup());

function macvtapPair(): string {
  const ns = bed.pool.add('mvt');
  ip('-n', ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
  ip('-n', ns, 'link', 'add', 'mvt1', 'link', 'p0', 'type', 'macvtap', 'mode', 'bridge');
  ip('-n', ns, 'link', 'add', 'mvt2', 'link', 'p0', 'type', 'macvtap', 'mode', 'bridge');
  for (const d of ['p0', 'p1', 'mvt1', 'mvt2']) ip('-n', ns, 'link', 'set', d, 'up');
  return ns;
}

function nextFrame(t: Tap, match: (f: Buffer) => boolean): Promise<{ frame: Buffer; batch: FrameBatch; i: number }> {
  return new Promise((resolve) => {
    const on = (batch: FrameBatch): void => {
      for (let i = 0; i < batch.count; i++) {
        const f = batch.frame(i);
        if (match(f)) {
          t.off('frames', on);
          resolve({ frame: Buffer.from(f), batch, i });
          return;
        }
      }
    };
    t.on('frames', on);
  });
}

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const isTest = (f: Buffer): boolean => f.length >= 14 && f.readUInt16BE(12) === 0x88b5;

// Generous: the VM tier runs this under emulation. No timing is asserted.
describe.skipIf(!isRoot)('macvtap', { timeout: 120_000 }, () => {
  it('exchanges frames between two bridge-mode macvtaps on one parent via their char devices', async () => {
    const ns = macvtapPair();
    const m1 = bed.track(await macvtap.open('mvt1', { netns: ns }));
    const m2 = bed.track(await macvtap.open('mvt2', { netns: ns, vnetHdr: true }));
    expect(m1.kind).toBe('macvtap');
    expect(m1.index).toBe(ifindexOf(ns, 'mvt1'));
    expect(m2.vnetHdrSize).toBe(12);
    const mac1 = macOf(ns, 'mvt1');
    const mac2 = macOf(ns, 'mvt2');

    const got2 = nextFrame(m2, isTest);
    expect(m1.write(buildFrame(mac2, mac1, 0x88b5, Buffer.from('hello from mvt1')))).toBe(true);
    const r2 = await got2;
    expect(r2.frame.subarray(0, 6)).toEqual(Buffer.from(mac2.replace(/:/g, ''), 'hex'));
    expect(r2.frame.subarray(14, 29).toString()).toBe('hello from mvt1');
    expect(r2.batch.vnetHeader(r2.i)?.gsoType).toBe('none');

    const got1 = nextFrame(m1, isTest);
    expect(m2.write(buildFrame(mac1, mac2, 0x88b5, Buffer.from('and back')))).toBe(true); // an empty vnet header is added
    expect((await got1).frame.subarray(14, 22).toString()).toBe('and back');
    expect(m1.stats.txFrames).toBe(1);
    expect(m2.stats.txFrames).toBe(1);
  });

  it('opens more queues of a macvtap', async () => {
    const ns = macvtapPair();
    const m = await macvtap.open('mvt1', { netns: ns, queues: 2 });
    for (const q of m.queues) bed.track(q);
    expect(m.queues).toHaveLength(2);
    bed.track(await m.addQueue());
    expect(m.queues).toHaveLength(3);
    expect(new Set(m.queues.map((q) => q.fd)).size).toBe(3);
  });

  it('opens through a private node when /dev/tapN is missing', async () => {
    const ns = macvtapPair();
    const idx = ifindexOf(ns, 'mvt1');
    // `ip netns exec` gives cat a sysfs of the namespace: the oracle for the device number.
    const dev = (await nsRun(ns, 'cat', [`/sys/class/net/mvt1/macvtap/tap${idx}/dev`])).stdout.trim();
    const node = `/dev/tap${idx}`;
    if (existsSync(node)) {
      const st = statSync(node);
      // Only remove the node if it is this device's (ifindexes repeat across namespaces).
      if (`${Math.floor(st.rdev / 256)}:${st.rdev % 256}` === dev) unlinkSync(node);
    }
    const m = bed.track(await macvtap.open('mvt1', { netns: ns }));
    expect(m.devicePath).toBe('');
    const mac1 = macOf(ns, 'mvt1');
    const mac2 = macOf(ns, 'mvt2');
    const m2 = bed.track(await macvtap.open('mvt2', { netns: ns }));
    const got = nextFrame(m2, isTest);
    m.write(buildFrame(mac2, mac1, 0x88b5, Buffer.from('via a private node')));
    expect((await got).frame.subarray(14, 32).toString()).toBe('via a private node');
  });

  it("emits 'close' with ENOLINK when the macvtap is deleted under it", async () => {
    const ns = macvtapPair();
    const m = bed.track(await macvtap.open('mvt1', { netns: ns, livenessMs: 50 }));
    m.on('frames', () => {});
    const closed = new Promise<SystemError | undefined>((resolve) => m.once('close', resolve));
    ip('-n', ns, 'link', 'del', 'mvt1');
    const err = await closed;
    expect(err?.code).toBe('ENOLINK');
    expect(m.closed).toBe(true);
    expect(m.write(buildFrame(MAC_B, MAC_A, 0x88b5, Buffer.alloc(46)))).toBe(false);
    expect(m.stats.drops).toBe(1);
  });

  it('rejects links that are not macvtaps, and bad names', async () => {
    const ns = macvtapPair();
    await expect(macvtap.open('p0', { netns: ns })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(macvtap.open('nosuch', { netns: ns })).rejects.toMatchObject({ code: 'ENODEV' });
    await expect(macvtap.open('a/b')).rejects.toMatchObject({ field: 'link' });
  });
});
