import { newId } from '../ids.js';
import { HeraldError } from '../errors.js';
import { MAX_EVENT_BYTES, type EventDraft } from './envelope.js';

/** The part of an envelope that is known before a sequence is assigned. */
export type SealedDraft = Omit<EventDraft, 'id' | 'timestamp'> & { id: string; timestamp: string };

export function seal(draft: EventDraft): SealedDraft {
  return { ...draft, id: draft.id ?? newId(), timestamp: draft.timestamp ?? new Date().toISOString() };
}

/** Serializes an envelope without its sequence and cursor, refusing events over the size limit. */
export function serializeSealed(sealed: SealedDraft): string {
  const json = JSON.stringify({
    id: sealed.id,
    topic: sealed.topic,
    type: sealed.type,
    timestamp: sealed.timestamp,
    correlationId: sealed.correlationId,
    priority: sealed.priority,
    expiresAt: sealed.expiresAt,
    payload: sealed.payload,
  });
  if (Buffer.byteLength(json) > MAX_EVENT_BYTES) {
    throw new HeraldError('BAD_USER_INPUT', `event is larger than ${MAX_EVENT_BYTES} bytes`);
  }
  return json;
}

/** Throws BAD_USER_INPUT when the event could not be published (too large). */
export function assertPublishable(draft: EventDraft): void {
  serializeSealed(seal(draft));
}
