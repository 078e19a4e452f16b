/**
 * A Node stream over a Tap, for code that speaks streams (`pipeline`, `stream.compose` …).
 * Object mode: every chunk is one frame (a copy when read). Slower than the 'frames' event
 * — a copy and a stream call per frame — and meant for convenience, not for switching.
 */
import type { Duplex } from 'node:stream';
import { ValidationError } from '../errors';
import type { FrameBatch } from './frame-batch';
import type { Tap } from './tap-device';

/** Options of {@link stream}. */
export interface TapStreamOptions {
  /** Frames buffered on the readable side before the tap is paused (default 256). */
  highWaterMark?: number;
  /** Close the tap when the stream is destroyed (default true). Ending the writable side leaves it open. */
  closeTap?: boolean;
}

/**
 * Wraps `tap` in a Duplex: reading yields frames, writing sends them ('drain' from the tap
 * becomes the stream's backpressure). The stream ends when the tap closes.
 */
export function stream(tap: Tap, opts: TapStreamOptions = {}): Duplex {
  if (tap === null || typeof tap !== 'object' || typeof (tap as Tap).writeBatch !== 'function') {
    throw new ValidationError('tap', 'must be a Tap');
  }
  const closeTap = opts.closeTap !== false;
  const onFrames = (batch: FrameBatch): void => {
    let more = true;
    for (let i = 0; i < batch.count; i++) more = duplex.push(batch.copy(i));
    if (!more) tap.pause();
  };
  const onClose = (): void => {
    tap.off('frames', onFrames);
    duplex.push(null);
  };
  const sendOrWait = (frames: Buffer[], cb: (err?: Error | null) => void): void => {
    if (tap.closed) {
      cb(new Error(`tap ${tap.name} is closed`));
      return;
    }
    tap.writeBatch(frames);
    if (tap.closed) {
      // The device went away during the write (its 'close' follows on the next tick).
      cb(new Error(`tap ${tap.name} closed while writing`));
    } else if (tap.writableNeedDrain) {
      // Wait for 'drain' — or 'close', which would otherwise leave the write pending forever:
      // a closed tap drops its queue and never drains.
      const settle = (err?: Error): void => {
        tap.off('drain', onDrain);
        tap.off('close', onTapClose);
        cb(err);
      };
      const onDrain = (): void => settle();
      const onTapClose = (): void => settle(new Error(`tap ${tap.name} closed before its queued frames were written`));
      tap.once('drain', onDrain);
      tap.once('close', onTapClose);
    } else {
      cb();
    }
  };
  // node:stream is loaded on first use, not with the package.
  const { Duplex: DuplexClass } = require('node:stream') as typeof import('node:stream');
  const duplex = new DuplexClass({
    objectMode: true,
    highWaterMark: opts.highWaterMark ?? 256,
    read() {
      if (tap.isPaused()) tap.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      sendOrWait([chunk], cb);
    },
    writev(chunks, cb) {
      sendOrWait(
        chunks.map((c) => c.chunk as Buffer),
        cb,
      );
    },
    destroy(err, cb) {
      tap.off('frames', onFrames);
      tap.off('close', onClose);
      if (closeTap) tap.close();
      cb(err);
    },
  });
  tap.on('frames', onFrames);
  tap.once('close', onClose);
  return duplex;
}
