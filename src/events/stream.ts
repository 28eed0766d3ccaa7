import { BoundedStream, type Sink } from './bounded-stream.js';
import type { EventEnvelope } from './envelope.js';
import { droppedNotice, shed } from './shedding.js';

/**
 * What a full queue does: `end` the stream (the consumer is dropped as a slow
 * consumer), or `shed` its lowest-priority, oldest events and put a notice of
 * how many in their place (channel subscriptions: one burst of low-priority
 * packets must not cost a dashboard its connection).
 */
export type OverflowPolicy = 'end' | 'shed';

/** Where a piped stream hands its events, as they arrive. */
export type EventSink = Sink<EventEnvelope>;

/**
 * One consumer's view of its topics (see BoundedStream for how it is read),
 * keeping only what `accept` lets through. On overflow it ends, or, with the
 * `shed` policy, drops its lowest-priority, oldest events and hands the
 * consumer a notice of how many in their place.
 */
export class EventStream extends BoundedStream<EventEnvelope> {
  /** Events shed since the consumer last got a notice, and the cursor before the first of them. */
  #shed: { first: EventEnvelope; count: number; resumeFrom: string | null } | undefined;
  /** The cursor of the last event handed on (the one a notice resumes from). */
  #lastCursor: string | null = null;

  constructor(
    maxQueued: number,
    onOverflow: (dropped: readonly EventEnvelope[]) => void,
    accept: ((event: EventEnvelope) => boolean) | undefined,
    /** Called once the stream ended, with the stream. */
    onEnd: (stream: EventStream) => void,
    private readonly overflow: OverflowPolicy = 'end',
  ) {
    // Only EventStreams end this stream, so its callback is handed one.
    super(maxQueued, onOverflow, accept, onEnd as (stream: BoundedStream<EventEnvelope>) => void);
  }

  get policy(): OverflowPolicy {
    return this.overflow;
  }

  protected override full(event: EventEnvelope): boolean {
    if (this.overflow === 'end') return super.full(event);
    const { kept, dropped } = shed(this.queue.take());
    for (const e of kept) this.queue.push(e);
    const first = dropped[0]!;
    // The notice resumes from just before the earliest event lost since the last one.
    this.#shed ??= { first, count: 0, resumeFrom: this.#lastCursor };
    this.#shed.count += dropped.length;
    this.onOverflow(dropped);
    return true;
  }

  protected override pending(): boolean {
    return this.#shed !== undefined || this.queue.size > 0;
  }

  /** A drop notice first, when events were shed since the last one. */
  protected override take(): EventEnvelope {
    const shedNow = this.#shed;
    if (shedNow) {
      this.#shed = undefined;
      return droppedNotice(shedNow.first, shedNow.count, shedNow.resumeFrom);
    }
    return super.take();
  }

  protected override handed(event: EventEnvelope): void {
    this.#lastCursor = event.cursor;
  }
}
