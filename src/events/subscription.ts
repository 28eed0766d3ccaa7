import { badInput, HeraldError } from '../errors.js';
import type { EventBus, ReadFrom } from './bus.js';
import { decodeCursor } from './cursor.js';
import type { EventEnvelope } from './envelope.js';
import type { Hub } from './hub.js';
import { CursorExpiredError, ResumedStream } from './resume.js';

/** Catch-up pages; small enough to keep memory flat, large enough to be quick. */
const PAGE = 500;

/** What opening a subscription's stream needs from the instance. */
export type Subscriptions = {
  readonly hub: Hub;
  readonly bus: EventBus;
  /** Events a stream may hold for a consumer that is not reading; past it the consumer is dropped. */
  readonly maxQueued: number;
  /** Counts events a consumer lost because it fell behind. */
  readonly onDropped: (topic: string, count: number) => void;
};

/** The transport a subscription runs on, so a stream that overflows can end it. */
export type Consumer = {
  /** Ends the consumer's channel because it cannot keep up; `dropped` events were lost to it. */
  readonly dropSlowConsumer: (dropped: number) => void;
};

export type StreamRequest = {
  readonly topics: readonly string[];
  /** Which events the subscriber wants (type filter, minimum priority). */
  readonly accept?: ((event: EventEnvelope) => boolean) | undefined;
  /** A cursor from an earlier event: first deliver what came after it. */
  readonly after?: string | null | undefined;
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
  const live = await deps.hub.open(request.presence?.length ? [...request.topics, ...request.presence] : request.topics, {
    maxQueued: deps.maxQueued,
    accept: request.accept,
    onOverflow: (dropped) => {
      for (const event of dropped) deps.onDropped(event.topic, 1);
      consumer?.dropSlowConsumer(dropped.length);
    },
  });
  if (!from) return live;
  const read = (after: ReadFrom) => deps.bus.read(request.topics, after, PAGE);
  const first = await read(from).catch((err: unknown) => {
    live.end();
    throw err;
  });
  if (!first.ok) {
    live.end();
    throw cursorExpired();
  }
  const now = Date.now();
  // Catch-up skips events that expired while the subscriber was away.
  const keep = (e: EventEnvelope) => (request.accept?.(e) ?? true) && (e.expiresAt === null || Date.parse(e.expiresAt) > now);
  return withCursorErrors(new ResumedStream(live, first, from, read, keep));
}

export function readFrom(cursor: string): ReadFrom {
  const decoded = decodeCursor(cursor);
  if (!decoded) throw badInput('after', 'is not a cursor Herald issued');
  return { position: decoded.position, time: decoded.time };
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
