/**
 * The frame pump under adversity: the device deleted under an open fd, a link that is down,
 * a device that pushes back (EAGAIN) so writes queue until 'drain' (and a stream write that
 * waits for it when the tap closes instead), and close() from inside a 'frames' listener.
 * None of these may throw out of the event loop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ip, isRoot } from '../helpers/netns';
import type { SystemError } from '../../lib/errors';
import * as tap from '../../lib/tap/tap';
import { ping, run, TapBed, until } from './tap-helpers';

const bed = new TapBed();
afterEach(() => bed.cleanup());

/** A frame to an unknown unicast MAC with an EtherType nobody filters (IEEE local experimental). */
function testFrame(size = 1000): Buffer {
  const f = Buffer.alloc(size);
  Buffer.from([0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x01]).copy(f, 0);
  f.writeUInt16BE(0x88b5, 12);
  return f;
}

// Generous: the VM tier runs this under emulation. No timing is asserted.
describe.skipIf(!isRoot)('frame pump errors', { timeout: 120_000 }, () => {
  it("emits 'close' with EBADFD when the device is deleted under it, and the process lives on", async () => {
    const ns = bed.pool.add('tapdel');
    const t = await bed.open({ netns: ns, name: 'nld0' });
    t.on('frames', () => {}); // reading: the poll callback is what notices
    const closed = new Promise<SystemError | undefined>((resolve) => t.once('close', resolve));
    ip('-n', ns, 'link', 'del', 'nld0');
    const err = await closed;
    expect(err).toBeInstanceOf(Error);
    expect(err!.code).toBe('EBADFD');
    expect(t.closed).toBe(true);
    expect(t.fd).toBe(-1);
    // Writing to the dead tap neither throws nor pretends to succeed.
    expect(t.write(testFrame())).toBe(false);
    expect(t.writeBatch([testFrame(), testFrame()])).toBe(0);
    expect(t.stats.drops).toBe(3);
  });

  it('notices a deleted device on write too when nobody reads', async () => {
    const ns = bed.pool.add('tapdelw');
    const t = await bed.open({ netns: ns, name: 'nld1' });
    ip('-n', ns, 'link', 'set', 'nld1', 'up');
    ip('-n', ns, 'link', 'del', 'nld1');
    const closed = new Promise<SystemError | undefined>((resolve) => t.once('close', resolve));
    expect(t.write(testFrame())).toBe(false);
    expect((await closed)!.code).toBe('EBADFD');
    expect(t.stats.drops).toBe(1);
  });

  it('drops and counts frames written to a link that is down (EIO), without throwing', async () => {
    const ns = bed.pool.add('tapdown');
    const t = await bed.open({ netns: ns, name: 'nldn0' });
    expect(t.write(testFrame())).toBe(true); // returns: waiting for 'drain' would not help
    expect(t.writeBatch([testFrame(), testFrame()])).toBe(0);
    const s = t.stats;
    expect(s.drops).toBe(3);
    expect(s.txErrors).toBe(3);
    expect(s.txFrames).toBe(0);
    expect(s.lastError).toBe('EIO');
    ip('-n', ns, 'link', 'set', 'nldn0', 'up');
    expect(t.write(testFrame())).toBe(true);
    expect(t.stats.txFrames).toBe(1);
    expect(t.closed).toBe(false);
  });

  it("returns false when the device pushes back, queues, then emits 'drain'", async () => {
    const ns = bed.pool.add('tapdrain');
    // A small socket send buffer, and frames held in a slow qdisc behind a bridge: the
    // kernel charges each frame to the TAP until the qdisc sends it, so writes meet EAGAIN.
    const t = await bed.open({ netns: ns, name: 'nlq0', sndbuf: 4096, maxQueueFrames: 30 });
    ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    ip('-n', ns, 'link', 'set', 'v0', 'master', 'br0');
    ip('-n', ns, 'link', 'set', 'nlq0', 'master', 'br0');
    for (const dev of ['br0', 'v0', 'v1', 'nlq0']) ip('-n', ns, 'link', 'set', dev, 'up');
    const tc = await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'v0', 'root', 'tbf', 'rate', '2mbit', 'burst', '1600', 'limit', '100000']);
    expect(tc.stderr).toBe('');

    const results: boolean[] = [];
    for (let i = 0; i < 40; i++) results.push(t.write(testFrame()));
    expect(results[0]).toBe(true);
    expect(results).toContain(false);
    expect(t.writableNeedDrain).toBe(true);
    const queued = t.stats;
    expect(queued.queuedFrames).toBeGreaterThan(0);
    // 40 frames, a queue of 30: whatever neither went out nor fit was dropped and counted.
    expect(queued.txFrames + queued.queuedFrames + queued.drops).toBe(40);

    await new Promise<void>((resolve) => t.once('drain', resolve));
    const after = t.stats;
    expect(t.writableNeedDrain).toBe(false);
    expect(after.queuedFrames).toBe(0);
    expect(after.txFrames).toBe(queued.txFrames + queued.queuedFrames);
  });

  it("fails a stream write waiting for 'drain' when the tap closes first, instead of waiting forever", async () => {
    const ns = bed.pool.add('tapsdrain');
    // As above, but the qdisc lets one frame through and then 1 kbit/s: the queue cannot
    // drain within the test, so only the close can end the wait.
    const t = await bed.open({ netns: ns, name: 'nlq1', sndbuf: 4096, maxQueueFrames: 30 });
    ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    ip('-n', ns, 'link', 'set', 'v0', 'master', 'br0');
    ip('-n', ns, 'link', 'set', 'nlq1', 'master', 'br0');
    for (const dev of ['br0', 'v0', 'v1', 'nlq1']) ip('-n', ns, 'link', 'set', dev, 'up');
    const tc = await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'v0', 'root', 'tbf', 'rate', '1kbit', 'burst', '1600', 'limit', '100000']);
    expect(tc.stderr).toBe('');

    const s = tap.stream(t, { closeTap: false });
    const errored = new Promise<Error>((resolve) => s.once('error', resolve));
    const done: (Error | null | undefined)[] = [];
    for (let i = 0; i < 40; i++) s.write(testFrame(), (err) => done.push(err));
    await until(() => t.writableNeedDrain && s.writableLength > 0); // a write now waits for 'drain'
    t.close();
    const err = await errored;
    expect(err.message).toMatch(/closed before its queued frames were written/);
    await until(() => done.length === 40); // every write callback was called
    expect(done.some((e) => e instanceof Error)).toBe(true);
    expect(s.destroyed).toBe(true);
  });

  it('can be closed from inside a frames listener', async () => {
    const ns = bed.pool.add('tapself');
    const t = await bed.open({ netns: ns, name: 'nls0' });
    ip('-n', ns, 'addr', 'add', '10.203.0.1/24', 'dev', 'nls0');
    ip('-n', ns, 'link', 'set', 'nls0', 'up');
    let batches = 0;
    t.on('frames', (batch) => {
      batches++;
      expect(batch.count).toBeGreaterThan(0);
      t.close();
      t.close(); // twice is fine
    });
    const closed = new Promise<unknown>((resolve) => t.once('close', resolve));
    await ping(ns, '10.203.0.9', 1);
    expect(await closed).toBeUndefined(); // closed by us, not by the device
    expect(batches).toBe(1);
    expect(t.closed).toBe(true);
  });
});
