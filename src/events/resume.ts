import type { LogRead, ReadFrom } from './bus.js';
import type { EventEnvelope } from './envelope.js';
import type { EventStream } from './stream.js';

/** Raised when events after a cursor are no longer retained. */
export class CursorExpiredError extends Error {
  override name = 'CursorExpiredError';
}

/**
 * A subscription that resumes after a cursor: first the retained events after
 * it, read from the log page by page, then the live stream. The live stream is
 * opened before the log is read, so nothing published meanwhile is missed;
 * live events the log already gave are skipped by position, so nothing
 * arrives twice.
 */
export class ResumedStream implements AsyncIterableIterator<EventEnvelope> {
  #page: EventEnvelope[];
  #index = 0;
  #hasMore: boolean;
  #last: ReadFrom;
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
    this.#last = from;
  }

  async next(): Promise<IteratorResult<EventEnvelope>> {
    while (this.#catchingUp) {
      const event = this.#page[this.#index++];
      if (event) {
        // The furthest position read: pages may come in another order than the log's (order: PRIORITY).
        if (event.position > this.#last.position) this.#last = { position: event.position, time: Date.parse(event.timestamp) };
        if (this.keep(event)) return { value: event, done: false };
        continue;
      }
      if (!this.#hasMore) {
        this.#catchingUp = false;
        this.#page = [];
        break;
      }
      const page = await this.readPage(this.#last);
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
      if (result.done || result.value.position > this.#last.position) return result;
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
