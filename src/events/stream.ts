import type { EventEnvelope } from './envelope.js';
import { Fifo } from './fifo.js';

/** Where a piped stream hands its events, as they arrive. */
export type EventSink = {
  readonly next: (event: EventEnvelope) => void;
  readonly end: () => void;
  /** The stream failed (see `fail`); a sink without it hears `end`. */
  readonly error?: (error: unknown) => void;
};

/**
 * One consumer's view of its topics: an async iterator over a bounded queue,
 * or, once piped, a direct hand-off to a sink. Hand-written rather than an
 * async generator because `push` runs once per event per consumer on the hot
 * path and must not allocate a promise unless the consumer is waiting.
 */
export class EventStream implements AsyncIterableIterator<EventEnvelope> {
  #queue = new Fifo<EventEnvelope>();
  #waiting: ((result: IteratorResult<EventEnvelope>) => void) | undefined;
  #rejectWaiting: ((error: unknown) => void) | undefined;
  #done = false;
  /** Why the stream failed, until a consumer has been told. */
  #error: { readonly error: unknown } | undefined;
  #sink: EventSink | undefined;

  constructor(
    private readonly maxQueued: number,
    private readonly onOverflow: (dropped: readonly EventEnvelope[]) => void,
    private readonly accept: ((event: EventEnvelope) => boolean) | undefined,
    private readonly onEnd: () => void,
  ) {}

  push(event: EventEnvelope): void {
    if (this.#done || (this.accept && !this.accept(event))) return;
    if (this.#sink) return this.#sink.next(event);
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      this.#rejectWaiting = undefined;
      waiting({ value: event, done: false });
      return;
    }
    if (this.#queue.size >= this.maxQueued) {
      const dropped = [...this.#queue.take(), event];
      this.end();
      this.onOverflow(dropped);
      return;
    }
    this.#queue.push(event);
  }

  next(): Promise<IteratorResult<EventEnvelope>> {
    if (this.#queue.size > 0) return Promise.resolve({ value: this.#queue.shift(), done: false });
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
   * From now on hands every event to the sink as it arrives, with no queue
   * and no promise in between (events already queued go first). The sink's
   * consumer bounds its own backlog; `end` is called once the stream ends.
   */
  pipe(sink: EventSink): void {
    if (this.#sink || this.#waiting) throw new Error('the stream already has a consumer');
    if (this.#done) {
      for (const event of this.#queue.take()) sink.next(event);
      const failed = this.#error;
      this.#error = undefined;
      return failed ? toSink(sink, failed.error) : sink.end();
    }
    const queued = this.#queue.take();
    this.#sink = sink;
    // Ending meanwhile calls the sink's `end` itself.
    for (const event of queued) {
      if (this.#done) return;
      sink.next(event);
    }
  }

  /** Drops whatever is queued, for a consumer that only wants to know that something arrived. */
  clear(): void {
    this.#queue.clear();
  }

  get ended(): boolean {
    return this.#done;
  }

  /** Ends the stream: a waiting consumer sees `done`, queued events are dropped. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#queue.clear();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    this.#rejectWaiting = undefined;
    waiting?.({ value: undefined, done: true });
    this.#sink?.end();
    this.onEnd();
  }

  /**
   * Ends the stream with an error: the events already queued are still
   * handed out, then the consumer's next read rejects with it (a sink hears
   * `error`). For a stream that cannot go on without skipping events.
   */
  fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    const reject = this.#rejectWaiting;
    this.#waiting = undefined;
    this.#rejectWaiting = undefined;
    if (reject) reject(error);
    else if (this.#sink) toSink(this.#sink, error);
    else this.#error = { error };
    this.onEnd();
  }

  return(): Promise<IteratorResult<EventEnvelope>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<EventEnvelope>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

function toSink(sink: EventSink, error: unknown): void {
  if (sink.error) sink.error(error);
  else sink.end();
}
