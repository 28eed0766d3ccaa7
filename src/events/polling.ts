import type { EventBus } from './bus.js';
import { headCursor } from './cursor.js';
import type { EventEnvelope } from './envelope.js';
import { ReadPoint, spansTopics } from './read-point.js';
import { cursorExpired, readFrom } from './subscription.js';

/**
 * Polling, for clients that cannot hold a connection: the same log that
 * subscriptions resume from, a page at a time. Who may read which topics is
 * decided before (auth/guards.ts).
 */
export type Page = { readonly events: EventEnvelope[]; readonly cursor: string | null; readonly hasMore: boolean };

/** A cursor for this moment: resuming from it gives every event published from now on. */
export async function cursorNow(bus: EventBus): Promise<string> {
  return headCursor(await bus.head(), Date.now());
}

/**
 * Retained events of the topics after the cursor, oldest first; expired
 * events are left out. The page's cursor is its last event's, or where that
 * cannot say how far the page got, a cursor per topic (read-point.ts).
 */
export async function readPage(bus: EventBus, topics: readonly string[], after: string | null | undefined, limit: number): Promise<Page> {
  const from = after ? readFrom(after) : null;
  const page = await bus.read(topics, from, limit);
  if (!page.ok) throw cursorExpired();
  const now = Date.now();
  const events = page.events.filter((e) => e.expiresAt === null || Date.parse(e.expiresAt) > now);
  const last = page.events[page.events.length - 1];
  if (!last) return { events, cursor: after ?? null, hasMore: page.hasMore };
  if (bus.positionsInOrder !== false || !spansTopics(topics)) return { events, cursor: last.cursor, hasMore: page.hasMore };
  // Per topic: an event of another topic with a lower position may not be in the log yet (see ReadPoint).
  // Without a cursor the page began at the oldest retained: topics not in it are read on from its start.
  const point = new ReadPoint(from ?? { position: page.events[0]!.position - 1, time: Date.parse(page.events[0]!.timestamp) });
  for (const e of page.events) point.pass(e);
  return { events, cursor: point.cursor(), hasMore: page.hasMore };
}
