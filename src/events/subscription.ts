import { badInput, HeraldError } from '../errors.js';
import type { EventBus, LogRead, ReadFrom } from './bus.js';
import { PRIORITY_RANK } from './priority.js';
import { decodeCursorPoint } from './cursor.js';
import type { EventEnvelope } from './envelope.js';
import type { Hub } from './hub.js';
import { ReadPoint, spansTopics, stampCursors } from './read-point.js';
import { CursorExpiredError, ResumedStream } from './resume.js';
import type { OverflowPolicy } from './stream.js';
import { batchesOf, type Batch, type BatchOptions, type createBatcher } from './batches.js';

type Batcher = ReturnType<typeof createBatcher>;

/** Catch-up pages; small enough to keep memory flat, large enough to be quick. */
const PAGE = 500;
/** Events sorted together for a catch-up in priority order. */
export const PRIORITY_CHUNK = 10_000;

/**
 * The order a subscription catches up in: the log's, or the highest priority
 * first (then the log's) within each run of PRIORITY_CHUNK missed events.
 * Live events come in the log's order either way.
 */
export type CatchUpOrder = 'SEQUENCE' | 'PRIORITY';

/** What opening a subscription's stream needs from the instance. */
export type Subscriptions = {
  readonly hub: Hub;
  /** Live batches shared by subscriptions that ask for the same (channelEventBatches). */
  readonly batcher: Batcher;
  readonly bus: EventBus;
  /** Events a stream may hold for a consumer that is not reading; past it the consumer is dropped. */
  readonly maxQueued: number;
  /** Counts events a consumer lost because it fell behind. */
  readonly onDropped: (topic: string, count: number) => void;
};

/** The transport a subscription runs on, so a stream that overflows can end it, or count what it shed. */
export type Consumer = {
  /** Ends the consumer's channel because it cannot keep up; `dropped` events were lost to it. */
  readonly dropSlowConsumer: (dropped: number) => void;
  /** Counts events shed for it (the consumer stays, and gets a notice). */
  readonly countDropped: (dropped: number) => void;
};

export type StreamRequest = {
  readonly topics: readonly string[];
  /** Which events the subscriber wants (type filter, minimum priority). */
  readonly accept?: ((event: EventEnvelope) => boolean) | undefined;
  /** A cursor from an earlier event: first deliver what came after it. */
  readonly after?: string | null | undefined;
  readonly order?: CatchUpOrder | undefined;
  /** What a full queue does: `end` the subscription (slow consumer, the default) or `shed` lowest priority first. */
  readonly overflow?: OverflowPolicy | undefined;
  /**
   * Topics the stream follows without reading or receiving anything on them
   * (nothing is published there), so that the bus can tell that such a
   * stream is open somewhere (see EventBus.listeners).
   */
  readonly presence?: readonly string[] | undefined;
};

/**
 * Opens the event stream behind a subscription, resuming after a cursor when
 * one is given. A consumer that falls more than `maxQueued` behind loses its
 * stream and its connection (slow consumer); what it lost is counted per
 * event family.
 */
export async function openStream(deps: Subscriptions, request: StreamRequest, consumer: Consumer | undefined): Promise<AsyncIterableIterator<EventEnvelope>> {
  const from = request.after ? readFrom(request.after) : undefined;
  // An event past its expiry is never delivered, live or on catch-up.
  const accept = acceptOf(request);
  const live = await deps.hub.open(request.presence?.length ? [...request.topics, ...request.presence] : request.topics, {
    maxQueued: deps.maxQueued,
    accept,
    overflow: request.overflow,
    // A resumed stream stamps its own (below): its catch-up is its alone.
    perTopicCursors: !from && spansTopics(request.topics),
    onOverflow: (dropped) => {
      for (const event of dropped) deps.onDropped(event.topic, 1);
      if (request.overflow === 'shed') consumer?.countDropped(dropped.length);
      else consumer?.dropSlowConsumer(dropped.length);
    },
  });
  if (!from) return live;
  const inOrder = (after: ReadFrom) => deps.bus.read(request.topics, after, PAGE);
  const read = request.order === 'PRIORITY' ? byPriority(inOrder) : inOrder;
  const first = await read(from).catch((err: unknown) => {
    live.end();
    throw err;
  });
  if (!first.ok) {
    live.end();
    throw cursorExpired();
  }
  const resumed = withCursorErrors(new ResumedStream(live, first, from, read, accept));
  return deps.bus.positionsInOrder === false && spansTopics(request.topics) ? stampCursors(resumed, new ReadPoint(from)) : resumed;
}

/**
 * The frames of a batching subscription: without a cursor, live batches shared
 * with every subscription of the same `key` (same events, gathered the same
 * way); after a cursor, the subscriber's own catch-up and live events,
 * gathered the same way.
 */
export async function openBatches(deps: Subscriptions, request: StreamRequest & { readonly key: string }, batch: BatchOptions, consumer: Consumer | undefined): Promise<AsyncIterableIterator<Batch>> {
  if (request.after) return batchesOf(await openStream(deps, request, consumer), batch);
  const accept = acceptOf(request);
  return deps.batcher.open(`${request.key}|${batch.maxBatch}|${batch.maxDelayMs}`, request.topics, accept, batch, (dropped) => {
    deps.onDropped(request.topics[0] ?? 'other', dropped);
    consumer?.dropSlowConsumer(dropped);
  });
}

/** Whether the event may still be delivered. The last event's verdict is kept: fan-out asks once per subscriber. */
const notExpired = (() => {
  let last: EventEnvelope | undefined;
  let verdict = true;
  return (e: EventEnvelope): boolean => {
    if (e.expiresAt === null) return true;
    if (e !== last) {
      last = e;
      verdict = Date.parse(e.expiresAt) > Date.now();
    }
    return verdict;
  };
})();

/** Reads up to PRIORITY_CHUNK events in log order and hands them on highest priority first (then by position). */
function byPriority(read: (after: ReadFrom) => Promise<LogRead>) {
  return async (after: ReadFrom): Promise<LogRead> => {
    const events: EventEnvelope[] = [];
    const point = new ReadPoint(after);
    let hasMore = true;
    while (hasMore && events.length < PRIORITY_CHUNK) {
      const page = await read(point.from());
      if (!page.ok) return page;
      events.push(...page.events);
      hasMore = page.hasMore;
      if (page.events.length === 0) break;
      for (const e of page.events) point.pass(e);
    }
    events.sort((a, b) => PRIORITY_RANK[b.priority] - PRIORITY_RANK[a.priority] || a.position - b.position);
    return { ok: true, events, hasMore };
  };
}

export function readFrom(cursor: string): ReadFrom {
  const decoded = decodeCursorPoint(cursor);
  if (!decoded) throw badInput('after', 'is not a cursor Herald issued');
  return decoded;
}

export const cursorExpired = () =>
  new HeraldError('CURSOR_EXPIRED', 'Events after this cursor are no longer retained: fetch the current state and subscribe without `after`');

/** Turns a cursor that expires during catch-up into the same error a client gets at the start. */
function withCursorErrors(stream: ResumedStream): AsyncIterableIterator<EventEnvelope> {
  return {
    next: () =>
      stream.next().catch((err: unknown) => {
        throw err instanceof CursorExpiredError ? cursorExpired() : err;
      }),
    return: () => stream.return(),
    throw: (e) => stream.throw(e),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Both filters, either one, or none. */
export function both(a?: (e: EventEnvelope) => boolean, b?: (e: EventEnvelope) => boolean) {
  return a && b ? (e: EventEnvelope) => a(e) && b(e) : (a ?? b);
}

/** What a subscription lets through: events not expired that its own filter, if any, keeps. */
function acceptOf(request: { readonly accept?: ((event: EventEnvelope) => boolean) | undefined }): (event: EventEnvelope) => boolean {
  const own = request.accept;
  return own ? (e) => notExpired(e) && own(e) : notExpired;
}
