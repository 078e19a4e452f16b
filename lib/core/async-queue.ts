/**
 * The queue behind a `for await` over notifications, for any family: values wait here until
 * the loop asks for them. `onFull` / `onDrain` let the owner stop and restart reading its
 * socket (at the high-water mark, and at half of it), so a slow consumer leaves messages in the
 * kernel's buffer (which reports overflow as ENOBUFS) instead of growing memory without bound.
 */

/** Hooks of an AsyncQueue. */
export interface AsyncQueueOptions {
  /** Values that may wait unread before `onFull` is called. */
  highWaterMark: number;
  /** The queue reached the high-water mark: stop reading. */
  onFull?: () => void;
  /** The queue was read down to half the mark after being full: read again. */
  onDrain?: () => void;
  /** The loop was left early (break, return, throw in its body). */
  onReturn?: () => void;
}

/** An async iterator over pushed values; ends with `end()` (after what is queued) or `close()`. */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (err: Error) => void } | undefined;
  private done = false;
  private error: Error | undefined;
  private full = false;

  constructor(private readonly opts: AsyncQueueOptions) {}

  /** Values waiting to be read. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** True from reaching the high-water mark until read down to half of it. */
  get isFull(): boolean {
    return this.full;
  }

  /** True once ended or closed: pushes are ignored. */
  get ended(): boolean {
    return this.done;
  }

  /** Queues a value, or hands it straight to a waiting loop. */
  push(value: T): void {
    if (this.done) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value, done: false });
      return;
    }
    this.items.push(value);
    if (!this.full && this.length >= this.opts.highWaterMark) {
      this.full = true;
      this.opts.onFull?.();
    }
  }

  /** No more values: the loop ends after the queued ones, throwing `err` then if given. */
  end(err?: Error): void {
    if (this.done) return;
    this.done = true;
    this.error = err;
    if (this.waiter && this.length === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      this.error = undefined;
      if (err) w.reject(err);
      else w.resolve({ value: undefined, done: true });
    }
  }

  /** Ends now, dropping what is queued; a waiting loop finishes. */
  close(): void {
    this.items = [];
    this.head = 0;
    this.error = undefined;
    this.end();
  }

  /** The next queued item; waits while none is queued; done once the queue ended. */
  next(): Promise<IteratorResult<T>> {
    if (this.length > 0) {
      const value = this.items[this.head]!;
      this.items[this.head++] = undefined as T;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (this.full && this.length <= Math.floor(this.opts.highWaterMark / 2)) {
        this.full = false;
        this.opts.onDrain?.();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.done) {
      if (this.error) {
        const err = this.error;
        this.error = undefined;
        return Promise.reject(err);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Leaving the loop early closes the queue and tells its owner. */
  return(): Promise<IteratorResult<T>> {
    this.close();
    this.opts.onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** `for await (const x of queue)`: the queue is its own iterator. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}
