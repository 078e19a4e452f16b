/**
 * The native frame pump's memory safety, on real TAP devices (root only):
 *
 * - the read loop's bound: frames start on 8-byte boundaries, so an arena that is not a
 *   multiple of 8 once let the position pass the end and the next read() write past the arena
 *   (the unsigned `arenaLen - pos` wrapped). An arena of 2·maxFrame + 3 filled with frames near
 *   the maximum is the case that did it; under `npm run test:asan` a write past the end aborts.
 * - the buffers the pump lends to JS (arena, meta, stats) cannot be transferred away from it,
 *   and even a forced detach only makes the pump lend new ones: later frames still arrive.
 * - sizes are validated by the library (ValidationError naming the option) and by the addon.
 *
 * Frames are written into one TAP, forwarded by a bridge inside a throwaway namespace, and read
 * from a second TAP: the kernel hands them over exactly as written, one frame per read().
 */
import { execFileSync } from 'node:child_process';
import { MessageChannel } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { ip, isRoot, NetnsPool } from '../helpers/netns';
import { ValidationError } from '../../lib/errors';
import * as tap from '../../lib/tap/tap';
import type { Tap } from '../../lib/tap/tap-device';
import type { FrameBatch } from '../../lib/tap/frame-batch';
import { IFF, nativeTap, PUMP_EVENT, STAT, type NativeFramePump } from '../../lib/tap/native-tap';

const pool = new NetnsPool();
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0).reverse()) c();
  pool.cleanup();
});

const ETHERTYPE = 0x88b5; // IEEE local experimental: nothing in the kernel consumes it

/** A frame of `size` bytes to an unknown unicast MAC (the bridge floods it), numbered `seq`. */
function frame(seq: number, size: number): Buffer {
  const f = Buffer.alloc(size);
  Buffer.from([0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x01]).copy(f, 0);
  f.writeUInt16BE(ETHERTYPE, 12);
  f.writeUInt32BE(seq, 14);
  for (let i = 18; i < size; i++) f[i] = (seq * 31 + i) & 0xff;
  return f;
}

/** How many packets the qdisc of `dev` has handed to the device (tc is the oracle). */
function qdiscSent(ns: string, dev: string): number {
  const q = JSON.parse(execFileSync('tc', ['-n', ns, '-s', '-j', 'qdisc', 'show', 'dev', dev], { encoding: 'utf8' })) as { packets?: number }[];
  return q.reduce((sum, x) => sum + (x.packets ?? 0), 0);
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

/**
 * A namespace with IPv6 off (nothing but our frames on the wire), a bridge, and a TAP `nlpa0`
 * to write into (opened with the library). The caller attaches its reading TAP `nlpb0`.
 */
async function bed(): Promise<{ ns: string; writer: Tap; bridge: () => void }> {
  const ns = pool.add('pump');
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  const writer = await tap.open({ netns: ns, name: 'nlpa0' });
  closers.push(() => writer.close());
  ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', ns, 'link', 'set', 'nlpa0', 'master', 'br0');
  const bridge = (): void => {
    ip('-n', ns, 'link', 'set', 'nlpb0', 'master', 'br0');
    for (const dev of ['br0', 'nlpa0', 'nlpb0']) ip('-n', ns, 'link', 'set', dev, 'up');
  };
  return { ns, writer, bridge };
}

describe.skipIf(!isRoot)('frame pump memory safety', { timeout: 60_000 }, () => {
  it('keeps every read inside an arena of 2·maxFrame + 3 filled with near-maximum frames', async () => {
    const { ns, writer, bridge } = await bed();
    const t = nativeTap();
    const { fd } = await t.tapOpenTun('nlpb0', IFF.TAP | IFF.NO_PI, false, { path: `/run/netns/${ns}` });
    // 1514 = a full Ethernet frame at MTU 1500; 1514 ≡ 2 (mod 8), so a 1512-byte frame ends at
    // 1512 and leaves 3031 − 1512 = 1519 ≥ maxFrame: the pump reads a 1514-byte frame there and
    // lands at 3032, one past the end. Before the fix the next read went to arena + 3032.
    const maxFrame = 1514;
    const arenaBytes = 2 * maxFrame + 3;
    const got: { offset: number; data: Buffer }[] = [];
    let arenaLen = 0;
    let bad = '';
    let pump!: NativeFramePump;
    const onEvent = (kind: number, n: number): void => {
      if (kind !== PUMP_EVENT.frames) return;
      const { arena, meta } = pump.buffers();
      arenaLen = arena.length;
      for (let i = 0; i < n; i++) {
        const off = meta[2 * i];
        const len = meta[2 * i + 1];
        if (off % 8 !== 0 || off + len > arena.length) bad ||= `frame at ${off}+${len} in an arena of ${arena.length}`;
        got.push({ offset: off, data: Buffer.from(arena.subarray(off, off + len)) });
      }
    };
    try {
      pump = new t.FramePump(fd, { maxFrame, arenaBytes, batchFrames: 64, maxQueueFrames: 16, maxQueueBytes: 1 << 20, prefixBytes: 0 }, onEvent);
    } catch (err) {
      t.tapCloseFd(fd);
      throw err;
    }
    closers.push(() => pump.close());
    pump.pause();
    pump.start();
    bridge();

    // Queue every frame in the kernel before the pump reads, so they come in one wakeup. A
    // stray frame from the kernel would shift the layout: then the round is repeated.
    const sizes = [1512, 1514, 1514, 1513, 1505, 1514, 1512, 1514, 1514, 1511, 1514, 1514];
    const ours = (g: { data: Buffer }) => g.data.length >= 18 && g.data.readUInt16BE(12) === ETHERTYPE;
    let sentTotal = 0;
    let crossed = false;
    for (let round = 0; round < 5 && !crossed; round++) {
      const sent = sizes.map((s, i) => frame(round * 100 + i, s));
      const from = got.length;
      pump.pause();
      const before = qdiscSent(ns, 'nlpb0');
      expect(writer.writeBatch(sent)).toBe(sent.length);
      sentTotal += sent.length;
      await until(() => qdiscSent(ns, 'nlpb0') - before >= sent.length);
      pump.resume();
      await until(() => got.slice(from).filter(ours).length >= sent.length || bad !== '');
      expect(bad).toBe('');
      expect(got.slice(from).filter(ours).map((g) => g.data)).toEqual(sent);
      // The boundary case happened: a frame whose 8-byte-rounded end lies past the arena's end.
      crossed = got.slice(from).some((g) => g.offset + 8 * Math.ceil(g.data.length / 8) > arenaBytes);
    }
    expect(crossed).toBe(true);
    expect(arenaLen).toBe(arenaBytes);
    const stats = pump.buffers().stats;
    expect(stats[STAT.rxFrames]).toBe(got.length);
    expect(got.filter(ours).length).toBe(sentTotal);
    expect(stats[STAT.rxErrors]).toBe(0);
  });

  it('rejects arena sizes in the library (ValidationError) and in the addon (RangeError naming the option)', async () => {
    for (const arenaBytes of [1000, 2 * 65568 - 1, 2 * 65568 + 0.5, 2 ** 31, -1, Number.NaN]) {
      const err = await tap.open({ arenaBytes }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, String(arenaBytes)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('arenaBytes');
    }
    // The addon checks on its own (a caller that skipped the library's validation); the fd
    // stays the caller's when the constructor throws.
    const t = nativeTap();
    const cases: [Record<string, number>, string][] = [
      [{ maxFrame: 1514, arenaBytes: 1513 }, 'arenaBytes'],
      [{ maxFrame: 1514, arenaBytes: 1514.5 }, 'arenaBytes'],
      [{ maxFrame: 1514, arenaBytes: 2 ** 31 }, 'arenaBytes'],
      [{ maxFrame: 0 }, 'maxFrame'],
      [{ batchFrames: 0 }, 'batchFrames'],
      [{ prefixBytes: 65 }, 'prefixBytes'],
    ];
    for (const [opts, field] of cases) {
      let err: unknown;
      try {
        new t.FramePump(0, opts, () => {}).close();
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).toBeInstanceOf(RangeError);
      expect((err as Error).message.startsWith(`${field} must be an integer`)).toBe(true);
    }
  });

  it('keeps its buffers out of reach of transfer and detach: later frames still arrive intact', async () => {
    const { ns, writer, bridge } = await bed();
    const reader = await tap.open({ netns: ns, name: 'nlpb0' });
    closers.push(() => reader.close());
    bridge();
    // A forced detach, as ArrayBuffer.prototype.transfer() does on Node ≥ 21.
    setFlagsFromString('--allow-natives-syntax');
    const forceDetach = new Function('ab', '%ArrayBufferDetach(ab)') as (ab: ArrayBuffer) => void;

    const received: Buffer[] = [];
    const outcomes: string[] = [];
    const batches = new Set<FrameBatch>();
    reader.on('frames', (batch: FrameBatch) => {
      batches.add(batch);
      for (const f of batch) if (f.length >= 18 && f.readUInt16BE(12) === ETHERTYPE) received.push(Buffer.from(f));
      if (outcomes.length > 0) return;
      // 1. structuredClone with a transfer list: Node copies or throws, never detaches ours.
      const arenaAb = batch.buffer.buffer as ArrayBuffer;
      try {
        const clone = structuredClone(arenaAb, { transfer: [arenaAb] });
        outcomes.push(`clone:${clone.byteLength}`);
      } catch (e) {
        outcomes.push(`clone threw ${(e as Error).name}`);
      }
      expect(batch.buffer.length).toBeGreaterThan(0);
      // 2. postMessage with a transfer list, for the meta array too.
      const ch = new MessageChannel();
      try {
        ch.port1.postMessage(batch.meta, [batch.meta.buffer as ArrayBuffer]);
        outcomes.push('post');
      } catch (e) {
        outcomes.push(`post threw ${(e as Error).name}`);
      }
      ch.port1.close();
      expect(batch.meta.length).toBeGreaterThan(0);
      // 3. Detach them anyway: the pump must not write into memory it no longer owns with JS,
      // and must lend new buffers so the next batches are readable.
      forceDetach(batch.buffer.buffer as ArrayBuffer);
      forceDetach(batch.meta.buffer as ArrayBuffer);
      expect(batch.buffer.buffer.byteLength).toBe(0);
    });

    writer.writeBatch([frame(0, 1000)]);
    await until(() => received.length >= 1);
    expect(outcomes.length).toBe(2);
    const later = [1, 2, 3, 4, 5].map((i) => frame(i, 200 + 250 * i));
    for (const f of later) writer.write(f);
    await until(() => received.length >= 1 + later.length);
    expect(received.slice(1)).toEqual(later);
    expect(batches.size).toBeGreaterThan(1); // a new FrameBatch over the newly lent buffers
    expect(reader.stats.rxFrames).toBeGreaterThanOrEqual(1 + later.length); // stats kept counting
    expect(reader.closed).toBe(false);
  });
});
