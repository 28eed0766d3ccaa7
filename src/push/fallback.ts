import type { EventDraft, EventEnvelope } from '../events/envelope.js';
import { Topics } from '../events/topics.js';
import type { CliRegistration } from './store.js';

/** An event pushing gave up on, as the CLI's WebSocket receives it (cliNotifications). */
export type FallbackPayload = { readonly reason: string; readonly event: EventEnvelope };

export function fallbackDraft(registration: CliRegistration, event: EventEnvelope, reason: string): EventDraft<string, FallbackPayload> {
  return { topic: Topics.cli(registration.id), type: 'cli.fallback', correlationId: event.id, priority: event.priority, expiresAt: null, payload: { reason, event } };
}
