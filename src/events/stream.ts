import type { EventEnvelope } from './envelope.js';
import { Fifo } from './fifo.js';
import { droppedNotice, shed } from './shedding.js';

/**
 * What a full queue does: `end` the stream (the consumer is dropped as a slow
 * consumer), or `shed` its lowest-priority, oldest events and put a notice of
 * how many in their place (channel subscriptions: one burst of low-priority
 * packets must not cost a dashboard its connection).
 */
export type OverflowPolicy = 'end' | 'shed';

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
  /** While set, a piped stream queues (its consumer cannot take more for now). */
  #paused = false;
  /** Events shed since the consumer last got a notice, and the cursor before the first of them. */
  #shed: { first: EventEnvelope; count: number; resumeFrom: string | null } | undefined;
  /** The cursor of the last event handed on (the one a notice resumes from). */
  #lastCursor: string | null = null;

  constructor(
    private readonly maxQueued: number,
    private readonly onOverflow: (dropped: readonly EventEnvelope[]) => void,
    private readonly accept: ((event: EventEnvelope) => boolean) | undefined,
    /** Called once the stream ended, with the stream (one callback can serve every stream of its owner). */
    private readonly onEnd: (stream: EventStream) => void,
    private readonly overflow: OverflowPolicy = 'end',
  ) {}

  get policy(): OverflowPolicy {
    return this.overflow;
  }

  push(event: EventEnvelope): void {
    if (this.#done || (this.accept && !this.accept(event))) return;
    if (this.#sink && !this.#paused) return this.#hand(event);
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      this.#rejectWaiting = undefined;
      this.#lastCursor = event.cursor;
      waiting({ value: event, done: false });
      return;
    }
    if (this.#queue.size >= this.maxQueued) {
      if (this.overflow === 'end') {
        const dropped = [...this.#queue.take(), event];
        this.end();
        this.onOverflow(dropped);
        return;
      }
      this.#shedSome();
    }
    this.#queue.push(event);
  }

  #shedSome(): void {
    const { kept, dropped } = shed(this.#queue.take());
    for (const event of kept) this.#queue.push(event);
    const first = dropped[0]!;
    // The notice resumes from just before the earliest event lost since the last one.
    this.#shed ??= { first, count: 0, resumeFrom: this.#lastCursor };
    this.#shed.count += dropped.length;
    this.onOverflow(dropped);
  }

  /** The next item for the consumer: a drop notice first, when events were shed since the last. */
  #take(): EventEnvelope {
    const shedNow = this.#shed;
    if (shedNow) {
      this.#shed = undefined;
      return droppedNotice(shedNow.first, shedNow.count, shedNow.resumeFrom);
    }
    const event = this.#queue.shift();
    this.#lastCursor = event.cursor;
    return event;
  }

  #hand(event: EventEnvelope): void {
    this.#lastCursor = event.cursor;
    this.#sink!.next(event);
  }

  /** Holds events in the queue instead of handing them to the sink (whose consumer cannot take more for now). */
  pause(): void {
    if (this.#sink) this.#paused = true;
  }

  /** Hands the sink what was queued while paused (a drop notice first, if events were shed), then events as they come. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // A stream that failed while paused still hands out what it had queued, then the error.
    while ((!this.#done || this.#error) && !this.#paused && (this.#shed || this.#queue.size > 0)) this.#sink!.next(this.#take());
    const failed = this.#error;
    if (failed && !this.#paused) {
      this.#error = undefined;
      toSink(this.#sink!, failed.error);
    }
  }

  next(): Promise<IteratorResult<EventEnvelope>> {
    if (this.#shed || this.#queue.size > 0) return Promise.resolve({ value: this.#take(), done: false });
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
      while (this.#shed || this.#queue.size > 0) sink.next(this.#take());
      const failed = this.#error;
      this.#error = undefined;
      return failed ? toSink(sink, failed.error) : sink.end();
    }
    this.#sink = sink;
    // Ending (or pausing) meanwhile stops this; a pause leaves the rest queued.
    while (!this.#done && !this.#paused && (this.#shed || this.#queue.size > 0)) sink.next(this.#take());
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
    this.onEnd(this);
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
    else if (this.#sink && !this.#paused) toSink(this.#sink, error);
    else this.#error = { error };
    this.onEnd(this);
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
