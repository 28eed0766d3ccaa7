import type { EventEnvelope } from './envelope.js';
import { PRIORITY_RANK } from './priority.js';

/** The event type of the notice a subscriber gets in place of the events it lost. */
export const DROPPED_EVENT_TYPE = 'herald.dropped';

/** What a drop notice says: how many events were dropped, and the cursor that gets them back from the log. */
export type DroppedPayload = { readonly dropped: number; readonly resumeFrom: string | null };

/**
 * Makes room in a full queue by dropping its lowest-priority events, oldest
 * first, a tenth of the queue at a time (so a burst costs one sort, not one
 * scan per event). Returns what is kept, in order, and what was dropped.
 */
export function shed(queued: readonly EventEnvelope[]): { kept: EventEnvelope[]; dropped: EventEnvelope[] } {
  const count = Math.max(1, Math.ceil(queued.length / 10));
  const victims = new Set(
    queued
      .map((event, index) => ({ event, index }))
      .sort((a, b) => PRIORITY_RANK[a.event.priority] - PRIORITY_RANK[b.event.priority] || a.index - b.index)
      .slice(0, count)
      .map((v) => v.index),
  );
  const kept: EventEnvelope[] = [];
  const dropped: EventEnvelope[] = [];
  queued.forEach((event, index) => (victims.has(index) ? dropped : kept).push(event));
  return { kept, dropped };
}

/**
 * The notice that stands where dropped events were: on the topic of the first
 * of them, with the cursor just before it (resuming from it reads the dropped
 * events back from the log, with whatever followed).
 */
export function droppedNotice(first: EventEnvelope, dropped: number, resumeFrom: string | null): EventEnvelope<string, DroppedPayload> {
  return Object.freeze({
    id: `${first.id}-dropped`,
    topic: first.topic,
    type: DROPPED_EVENT_TYPE,
    sequence: 0,
    position: 0,
    cursor: resumeFrom ?? '',
    timestamp: new Date().toISOString(),
    correlationId: null,
    priority: 'HIGH',
    expiresAt: null,
    payload: { dropped, resumeFrom },
  });
}
