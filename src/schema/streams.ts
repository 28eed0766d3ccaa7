import type { ReadFrom } from '../events/bus.js';
import { decodeCursor } from '../events/cursor.js';
import type { EventEnvelope, Priority } from '../events/envelope.js';
import { CursorExpiredError, ResumedStream } from '../events/resume.js';
import { badInput, HeraldError } from '../errors.js';
import type { Context } from './context.js';

export const PRIORITY_RANK: Record<Priority, number> = { LOW: 0, NORMAL: 1, HIGH: 2, CRITICAL: 3 };

/** Catch-up pages; small enough to keep memory flat, large enough to be quick. */
const PAGE = 500;

export type StreamRequest = {
  readonly topics: readonly string[];
  /** Which events the subscriber wants (type filter, minimum priority). */
  readonly accept?: ((event: EventEnvelope) => boolean) | undefined;
  /** A cursor from an earlier event: first deliver what came after it. */
  readonly after?: string | null | undefined;
};

/**
 * Opens the event stream behind a subscription field, resuming after a cursor
 * when one is given. A consumer that falls more than `maxQueuedEvents` behind
 * loses its stream and its connection (slow consumer); what it lost is counted
 * per event family.
 */
export async function openStream(ctx: Context, request: StreamRequest): Promise<AsyncIterableIterator<EventEnvelope>> {
  const from = request.after ? readFrom(request.after) : undefined;
  const live = await ctx.services.hub.open(request.topics, {
    maxQueued: ctx.services.maxQueuedEvents,
    accept: request.accept,
    onOverflow: (dropped) => {
      for (const event of dropped) ctx.services.metrics.dropped(event.topic, 1);
      ctx.channel?.dropSlowConsumer(dropped.length);
    },
  });
  if (!from) return live;
  const read = (after: ReadFrom) => ctx.services.bus.read(request.topics, after, PAGE);
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

/** A filter keeping events at or above a priority. */
export function atLeast(min: Priority | null | undefined): ((e: EventEnvelope) => boolean) | undefined {
  if (!min || min === 'LOW') return undefined;
  const rank = PRIORITY_RANK[min];
  return (e) => PRIORITY_RANK[e.priority] >= rank;
}

export function both(a?: (e: EventEnvelope) => boolean, b?: (e: EventEnvelope) => boolean) {
  return a && b ? (e: EventEnvelope) => a(e) && b(e) : (a ?? b);
}
