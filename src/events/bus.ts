import type { EventDraft, EventEnvelope } from './envelope.js';

export type EventListener = (event: EventEnvelope) => void;

/**
 * Publishes events and delivers them to listeners of their topic. Publishing
 * assigns `id`, `timestamp`, `sequence` and `cursor` in one step with the
 * delivery, so every instance sees a topic's events in sequence order.
 *
 * Subscribing is per topic (or family wildcard such as `repo:*`); callers are
 * expected to share one bus subscription per topic (see hub.ts).
 */
export interface EventBus {
  publish(draft: EventDraft): Promise<EventEnvelope>;
  /** Resolves once the subscription is live; the returned function ends it. */
  subscribe(topic: string, listener: EventListener): Promise<() => void>;
  /** False while the backend cannot be reached. */
  isReady(): boolean;
  close(): Promise<void>;
}
