import { Fifo } from './fifo.js';

/** Where a piped stream hands its items, as they arrive. */
export type Sink<T> = {
  readonly next: (item: T) => void;
  readonly end: () => void;
  /** The stream failed (see `fail`); a sink without it hears `end`. */
  readonly error?: (error: unknown) => void;
};

/**
 * One consumer's items (events, or batches of them): an async iterator over a
 * bounded queue, or, once piped, a direct hand-off to a sink. Hand-written
 * rather than an async generator because `push` runs once per item per
 * consumer on the hot path and must not allocate a promise unless the
 * consumer is waiting.
 *
 * A full queue ends the stream and hands what it held to `onOverflow`;
 * EventStream (stream.ts) can shed instead, through the hooks below.
 */
export class BoundedStream<T> implements AsyncIterableIterator<T> {
  protected readonly queue = new Fifo<T>();
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #rejectWaiting: ((error: unknown) => void) | undefined;
  #done = false;
  /** Why the stream failed, until a consumer has been told. */
  #error: { readonly error: unknown } | undefined;
  #sink: Sink<T> | undefined;
  /** While set, a piped stream queues (its consumer cannot take more for now). */
  #paused = false;

  constructor(
    private readonly maxQueued: number,
    protected readonly onOverflow: (dropped: readonly T[]) => void,
    private readonly accept: ((item: T) => boolean) | undefined,
    /** Called once the stream ended, with the stream (one callback can serve every stream of its owner). */
    private readonly onEnd: (stream: BoundedStream<T>) => void,
  ) {}

  push(item: T): void {
    if (this.#done || (this.accept && !this.accept(item))) return;
    if (this.#sink && !this.#paused) {
      this.handed(item);
      this.#sink.next(item);
      return;
    }
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      this.#rejectWaiting = undefined;
      this.handed(item);
      waiting({ value: item, done: false });
      return;
    }
    if (this.queue.size >= this.maxQueued && !this.full(item)) return;
    this.queue.push(item);
  }

  /**
   * The queue is full as `item` arrives: ends the stream and hands over what
   * it held and `item`. Returns whether `item` is to be queued after all (a
   * subclass that makes room).
   */
  protected full(item: T): boolean {
    const dropped = [...this.queue.take(), item];
    this.end();
    this.onOverflow(dropped);
    return false;
  }

  /** Whether something waits to be handed out. */
  protected pending(): boolean {
    return this.queue.size > 0;
  }

  /** The next item for the consumer; only called when `pending()`. */
  protected take(): T {
    const item = this.queue.shift();
    this.handed(item);
    return item;
  }

  /** Called with each item as it goes to the consumer. */
  protected handed(_item: T): void {}

  /** Holds items in the queue instead of handing them to the sink (whose consumer cannot take more for now). */
  pause(): void {
    if (this.#sink) this.#paused = true;
  }

  /** Hands the sink what was queued while paused, then items as they come. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // A stream that failed while paused still hands out what it had queued, then the error.
    while ((!this.#done || this.#error) && !this.#paused && this.pending()) this.#sink!.next(this.take());
    const failed = this.#error;
    if (failed && !this.#paused) {
      this.#error = undefined;
      toSink(this.#sink!, failed.error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.pending()) return Promise.resolve({ value: this.take(), done: false });
    if (this.#done) {
      const failed = this.#error;
      this.#error = undefined;
      return failed ? Promise.reject(failed.error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#rejectWaiting = reject;
    });
  }

  /**
   * From now on hands every item to the sink as it arrives, with no queue
   * and no promise in between (items already queued go first). The sink's
   * consumer bounds its own backlog; `end` is called once the stream ends.
   */
  pipe(sink: Sink<T>): void {
    if (this.#sink || this.#waiting) throw new Error('the stream already has a consumer');
    if (this.#done) {
      while (this.pending()) sink.next(this.take());
      const failed = this.#error;
      this.#error = undefined;
      return failed ? toSink(sink, failed.error) : sink.end();
    }
    this.#sink = sink;
    // Ending (or pausing) meanwhile stops this; a pause leaves the rest queued.
    while (!this.#done && !this.#paused && this.pending()) sink.next(this.take());
  }

  /** Drops whatever is queued, for a consumer that only wants to know that something arrived. */
  clear(): void {
    this.queue.clear();
  }

  get ended(): boolean {
    return this.#done;
  }

  /** Ends the stream: a waiting consumer sees `done`, queued items are dropped. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.queue.clear();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    this.#rejectWaiting = undefined;
    waiting?.({ value: undefined, done: true });
    this.#sink?.end();
    this.onEnd(this);
  }

  /**
   * Ends the stream with an error: the items already queued are still
   * handed out, then the consumer's next read rejects with it (a sink hears
   * `error`). For a stream that cannot go on without skipping items.
   */
  fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    const reject = this.#rejectWaiting;
    this.#waiting = undefined;
    this.#rejectWaiting = undefined;
    if (reject) reject(error);
    else if (this.#sink && !this.#paused) toSink(this.#sink, error);
    else this.#error = { error };
    this.onEnd(this);
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

function toSink<T>(sink: Sink<T>, error: unknown): void {
  if (sink.error) sink.error(error);
  else sink.end();
}
