/**
 * The queue behind one `for await (const ev of mon)`: events wait here until the loop asks
 * for them. The monitor reads the socket only while every queue is below its high-water
 * mark, so a slow consumer leaves notifications in the kernel's buffer (and, if that
 * overflows, gets an honest 'resync') instead of growing memory without bound.
 */
import type { MonitorEvent } from './events';

/** An async iterator over monitor events. */
export class EventQueue implements AsyncIterableIterator<MonitorEvent> {
  private items: MonitorEvent[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<MonitorEvent>) => void; reject: (err: Error) => void } | undefined;
  private ended = false;
  private error: Error | undefined;

  /**
   * @param onReturn called when the loop is left early (break, return, throw in the body)
   * @param onDrain called when the queue has been read down to half the mark
   */
  constructor(
    private readonly highWaterMark: number,
    private readonly onReturn: (q: EventQueue) => void,
    private readonly onDrain: () => void,
  ) {}

  /** Events waiting to be read. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** True while the queue holds at least the high-water mark. */
  get full(): boolean {
    return this.length >= this.highWaterMark;
  }

  push(ev: MonitorEvent): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: ev, done: false });
      return;
    }
    this.items.push(ev);
  }

  /** No more events: the loop ends after the queued ones (or throws `err` after them). */
  end(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    if (this.waiter && this.length === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      if (err) w.reject(err);
      else w.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<MonitorEvent>> {
    if (this.length > 0) {
      const value = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as MonitorEvent;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (this.length === Math.floor(this.highWaterMark / 2)) this.onDrain();
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      if (this.error) {
        const err = this.error;
        this.error = undefined;
        return Promise.reject(err);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Leaving the loop early closes the monitor, as leaving a stream's loop destroys it. */
  return(): Promise<IteratorResult<MonitorEvent>> {
    this.items = [];
    this.head = 0;
    this.end();
    this.onReturn(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
