import type { EventEnvelope } from './envelope.js';

/**
 * One consumer's view of its topics: an async iterator over a bounded queue.
 * Hand-written rather than an async generator because `push` runs once per
 * event per consumer on the hot path and must not allocate a promise unless
 * the consumer is waiting.
 */
export class EventStream implements AsyncIterableIterator<EventEnvelope> {
  #queue: EventEnvelope[] = [];
  #head = 0;
  #waiting: ((result: IteratorResult<EventEnvelope>) => void) | undefined;
  #done = false;

  constructor(
    private readonly maxQueued: number,
    private readonly onOverflow: (dropped: readonly EventEnvelope[]) => void,
    private readonly accept: ((event: EventEnvelope) => boolean) | undefined,
    private readonly onEnd: () => void,
  ) {}

  push(event: EventEnvelope): void {
    if (this.#done || (this.accept && !this.accept(event))) return;
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting({ value: event, done: false });
      return;
    }
    if (this.#queue.length - this.#head >= this.maxQueued) {
      const dropped = [...this.#queue.slice(this.#head), event];
      this.end();
      this.onOverflow(dropped);
      return;
    }
    this.#queue.push(event);
  }

  next(): Promise<IteratorResult<EventEnvelope>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head++]!;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** Drops whatever is queued, for a consumer that only wants to know that something arrived. */
  clear(): void {
    this.#queue = [];
    this.#head = 0;
  }

  get ended(): boolean {
    return this.#done;
  }

  /** Ends the stream: a waiting consumer sees `done`, queued events are dropped. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#queue = [];
    this.#head = 0;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
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
