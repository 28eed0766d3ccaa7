import type { ReadFrom } from './bus.js';
import type { EventEnvelope } from './envelope.js';
import { encodeTopicsCursor } from './cursor.js';

/**
 * Topics a read point names at most. Past it, the topic advanced least
 * lately folds into the base: its position becomes the base, which every
 * topic not named is read after. That is exact unless an event of a topic
 * not named is still on its way with a lower position by then, which would
 * take a publish overtaken by this many topics' events.
 */
export const MAX_CURSOR_TOPICS = 32;

/**
 * How far a reader of several topics got, per topic: where events of
 * different topics can arrive out of position order (a Redis Cluster, see
 * EventBus.positionsInOrder), the position of the newest event read says
 * nothing of a topic whose older event is still on its way. A topic's own
 * events arrive in order, so a position per topic is exact. Topics with no
 * event read past the base are not named.
 */
export class ReadPoint {
  #base: number;
  #time: number;
  /** Topics read past the base, the one advanced least lately first. */
  readonly #topics = new Map<string, number>();

  constructor(from: ReadFrom) {
    this.#base = from.position;
    this.#time = from.time;
    for (const [topic, position] of Object.entries(from.topics ?? {})) if (position > this.#base) this.#topics.set(topic, position);
  }

  /** The position a read of the topic goes on after. */
  after(topic: string): number {
    return this.#topics.get(topic) ?? this.#base;
  }

  /** Moves past an event of the topic; false when the point was past it already. */
  advance(topic: string, position: number, time: number): boolean {
    const at = this.#topics.get(topic);
    if (position <= (at ?? this.#base)) return false;
    if (at !== undefined) this.#topics.delete(topic);
    this.#topics.set(topic, position);
    if (time > this.#time) this.#time = time;
    if (this.#topics.size > MAX_CURSOR_TOPICS) this.#fold();
    return true;
  }

  /** Moves past an event (see advance). */
  pass(event: Pick<EventEnvelope, 'topic' | 'position' | 'timestamp'>): boolean {
    return this.advance(event.topic, event.position, Date.parse(event.timestamp));
  }

  /** Moves past the event and gives it the point's cursor: a copy, frozen like the event it copies. */
  stamp(event: EventEnvelope): EventEnvelope {
    this.pass(event);
    return Object.freeze({ ...event, cursor: this.cursor() });
  }

  /** Where a read goes on from. */
  from(): ReadFrom {
    return this.#topics.size === 0 ? { position: this.#base, time: this.#time } : { position: this.#base, time: this.#time, topics: Object.fromEntries(this.#topics) };
  }

  /** The point as a cursor a client resumes from. */
  cursor(): string {
    return encodeTopicsCursor(this.#base, this.#time, this.#topics);
  }

  #fold(): void {
    const [oldest, position] = this.#topics.entries().next().value!;
    this.#topics.delete(oldest);
    if (position <= this.#base) return;
    this.#base = position;
    for (const [topic, at] of this.#topics) if (at <= this.#base) this.#topics.delete(topic);
  }
}

/** Whether a read of these topics can need a read point: several topics, or a family's wildcard. */
export const spansTopics = (topics: readonly string[]) => topics.length > 1 || topics.some((t) => t.endsWith(':*'));

/**
 * Gives each event a stream hands on the cursor of a read point moved past
 * it: what a client resuming from that cursor has been handed, per topic.
 * Copies are frozen like the events they copy.
 */
export function stampCursors(source: AsyncIterableIterator<EventEnvelope>, point: ReadPoint): AsyncIterableIterator<EventEnvelope> {
  const stamp = (result: IteratorResult<EventEnvelope>): IteratorResult<EventEnvelope> => (result.done ? result : { value: point.stamp(result.value), done: false });
  return {
    next: () => source.next().then(stamp),
    return: () => source.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    throw: (e) => source.throw?.(e) ?? Promise.reject(e),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * One read point for the fresh streams of the same topics on an instance.
 * The hub hands each of them every event of those topics in the same order,
 * so one point says how far each got, and each event is stamped once: the
 * streams share its copy, and so its execution. A stream that joins later
 * shares it too: a topic's position there is the last event the hub handed
 * on, so what a read after it gives is what the stream had yet to be handed.
 */
export class SharedStamp {
  users = 0;
  #last: EventEnvelope | undefined;
  #stamped: EventEnvelope | undefined;

  constructor(private readonly point: ReadPoint) {}

  stamp(event: EventEnvelope): EventEnvelope {
    if (event !== this.#last) {
      this.#last = event;
      this.#stamped = this.point.stamp(event);
    }
    return this.#stamped!;
  }
}

/** The read point past one more event: per topic (from `from`) where `perTopic`, else the event's own position. */
export function pastEvent(from: ReadFrom | null, event: EventEnvelope, perTopic: boolean): ReadFrom {
  const time = Date.parse(event.timestamp);
  if (!perTopic) return { position: event.position, time };
  const point = new ReadPoint(from ?? { position: 0, time });
  point.pass(event);
  return point.from();
}
