/**
 * A stand-in for a Tap in switch unit tests: `feed()` delivers frames as one batch (arena +
 * offsets, like the native pump), and `writeSpans` records what the switch sent, byte-exact.
 */
import { EventEmitter } from 'node:events';
import { FrameBatch } from '../../lib/tap/frame-batch';
import { SPAN_ZERO_PREFIX } from '../../lib/tap/native-tap';
import type { SwitchDevice } from '../../lib/switch/l2-switch';

export class FakeDevice extends EventEmitter implements SwitchDevice {
  readonly kind = 'tap';
  readonly prefixBytes: number;
  closed = false;
  /** Frames the switch wrote, each with its prefix, as copies. */
  readonly written: Buffer[] = [];
  /** How many frames of each writeSpans call to accept (the rest count as refused). */
  accept = Infinity;
  /** writeSpans calls made (one per batch per port is the contract). */
  calls = 0;

  constructor(
    readonly name: string,
    readonly vnetHdrSize = 0,
  ) {
    super();
    this.prefixBytes = vnetHdrSize;
  }

  writeSpans(buffers: readonly Uint8Array[], spans: Uint32Array, count: number): number {
    this.calls++;
    for (let i = 0; i < count; i++) {
      const which = spans[3 * i] & 0xff;
      const zero = (spans[3 * i] & SPAN_ZERO_PREFIX) !== 0;
      const body = Buffer.from(buffers[which].subarray(spans[3 * i + 1], spans[3 * i + 1] + spans[3 * i + 2]));
      this.written.push(zero ? Buffer.concat([Buffer.alloc(this.vnetHdrSize), body]) : body);
    }
    return Math.min(count, this.accept);
  }

  /** Delivers `frames` (each including this device's prefix) as one batch. */
  feed(frames: Buffer[]): void {
    const arena = Buffer.alloc(frames.reduce((n, f) => n + f.length + 8, 0) + 64);
    const meta = new Uint32Array(2 * frames.length);
    let pos = 0;
    frames.forEach((f, i) => {
      f.copy(arena, pos);
      meta[2 * i] = pos;
      meta[2 * i + 1] = f.length;
      pos += (f.length + 7) & ~7;
    });
    const batch = new FrameBatch(arena, meta, 0, this.vnetHdrSize);
    batch.count = frames.length;
    this.emit('frames', batch);
    arena.fill(0xee); // like the pump reusing its arena: nothing may keep pointing into it
  }

  /** Takes and clears what was written. */
  take(): Buffer[] {
    return this.written.splice(0);
  }
}

/** MAC strings used across the tests. */
export const MAC = {
  a: '02:00:00:00:00:0a',
  b: '02:00:00:00:00:0b',
  c: '02:00:00:00:00:0c',
  bcast: 'ff:ff:ff:ff:ff:ff',
  mcast: '01:00:5e:00:00:01',
  stp: '01:80:c2:00:00:00',
};
