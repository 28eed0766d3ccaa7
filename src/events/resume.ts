import type { LogRead, ReadFrom } from './bus.js';
import type { EventEnvelope } from './envelope.js';
import { ReadPoint } from './read-point.js';
import type { EventStream } from './stream.js';

/** Raised when events after a cursor are no longer retained. */
export class CursorExpiredError extends Error {
  override name = 'CursorExpiredError';
}

/**
 * A subscription that resumes after a cursor: first the retained events after
 * it, read from the log page by page, then the live stream. The live stream is
 * opened before the log is read, so nothing published meanwhile is missed;
 * live events the log already gave are skipped by their topic's position
 * read, so nothing arrives twice. Per topic: where events of different
 * topics can arrive out of position order, a live event may come after the
 * log gave a later one of another topic.
 */
export class ResumedStream implements AsyncIterableIterator<EventEnvelope> {
  #page: EventEnvelope[];
  #index = 0;
  #hasMore: boolean;
  /** How far the log was read, per topic. */
  readonly #read: ReadPoint;
  #catchingUp = true;

  constructor(
    private readonly live: EventStream,
    first: Extract<LogRead, { ok: true }>,
    from: ReadFrom,
    private readonly readPage: (after: ReadFrom) => Promise<LogRead>,
    /** Which logged events to hand on; live events were filtered by the hub already. */
    private readonly keep: (event: EventEnvelope) => boolean,
  ) {
    this.#page = first.events;
    this.#hasMore = first.hasMore;
    this.#read = new ReadPoint(from);
  }

  async next(): Promise<IteratorResult<EventEnvelope>> {
    while (this.#catchingUp) {
      const event = this.#page[this.#index++];
      if (event) {
        // Pages may come in another order than the log's (order: PRIORITY): the point keeps the furthest.
        this.#read.pass(event);
        if (this.keep(event)) return { value: event, done: false };
        continue;
      }
      if (!this.#hasMore) {
        this.#catchingUp = false;
        this.#page = [];
        break;
      }
      const page = await this.readPage(this.#read.from());
      if (!page.ok) {
        this.live.end();
        throw new CursorExpiredError('events after the cursor are no longer retained');
      }
      this.#page = page.events;
      this.#index = 0;
      this.#hasMore = page.hasMore;
    }
    for (;;) {
      const result = await this.live.next();
      if (result.done || result.value.position > this.#read.after(result.value.topic)) return result;
    }
  }

  return(): Promise<IteratorResult<EventEnvelope>> {
    return this.live.return();
  }

  throw(error?: unknown): Promise<IteratorResult<EventEnvelope>> {
    return this.live.throw(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
