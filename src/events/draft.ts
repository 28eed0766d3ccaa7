import { newId } from '../ids.js';
import { HeraldError } from '../errors.js';
import { encodeCursor } from './cursor.js';
import { MAX_EVENT_BYTES, type EventDraft, type EventEnvelope } from './envelope.js';

/** The part of an envelope that is known before a sequence is assigned. */
export type SealedDraft = Omit<EventDraft, 'id' | 'timestamp' | 'source' | 'schemaVersion'> & { id: string; timestamp: string; source?: string; schemaVersion?: number };

/** A sealed draft as a bus takes it: its timestamp in ms, and its payload serialized. */
export type SealedEvent = { readonly sealed: SealedDraft; readonly time: number; readonly payloadJson: string | undefined };

export function seal(draft: EventDraft): SealedDraft {
  return sealAll([draft])[0]!.sealed;
}

/** Serializes an envelope without its sequence and cursor, refusing events over the size limit. */
export function serializeSealed(sealed: SealedDraft): string {
  return checked(serialize(sealed, JSON.stringify(sealed.payload)));
}

/** The same text as serializeSealed, for an event sealAll already checked. */
export const serializeSealedEvent = ({ sealed, payloadJson }: SealedEvent): string => serialize(sealed, payloadJson);

/**
 * Seals drafts made together (one deployment's events for many gateways),
 * refusing all of them if any is over the size limit, so a bus publishes all
 * or none. They share one timestamp, and a payload object they share is
 * serialized once.
 */
export function sealAll(drafts: readonly EventDraft[]): SealedEvent[] {
  const now = Date.now();
  const timestamp = new Date(now).toISOString();
  let lastPayload: unknown;
  let payloadJson: string | undefined;
  let payloadBytes = 0;
  return drafts.map((draft, i) => {
    const sealed: SealedDraft = {
      id: draft.id ?? newId(),
      topic: draft.topic,
      type: draft.type,
      timestamp: draft.timestamp ?? timestamp,
      correlationId: draft.correlationId,
      priority: draft.priority,
      expiresAt: draft.expiresAt,
      payload: draft.payload,
    };
    // Only events that have them carry them, so every other event keeps its shape and size.
    if (draft.source != null) sealed.source = draft.source;
    if (draft.schemaVersion != null) sealed.schemaVersion = draft.schemaVersion;
    if (i === 0 || draft.payload !== lastPayload) {
      lastPayload = draft.payload;
      payloadJson = JSON.stringify(draft.payload);
      payloadBytes = payloadJson === undefined ? 0 : Buffer.byteLength(payloadJson);
    }
    // Serialized only when an upper bound of its size comes near the limit: a
    // header character takes at most 6 bytes once escaped, its field names and
    // punctuation less than 200.
    const headerChars =
      sealed.id.length + sealed.topic.length + sealed.type.length + sealed.timestamp.length + (sealed.correlationId?.length ?? 0) + (sealed.expiresAt?.length ?? 0) + (sealed.source?.length ?? 0) + 24;
    if (payloadBytes + 6 * headerChars + 200 > MAX_EVENT_BYTES) checked(serialize(sealed, payloadJson));
    return { sealed, time: draft.timestamp === undefined ? now : Date.parse(draft.timestamp), payloadJson };
  });
}

/**
 * Each event's text (as serializeSealedEvent makes it) in two parts: what is
 * its own (`{"id":…,"topic":…,`) and the rest, which events made together
 * (one deployment to many gateways) share. `rest` is '' where it is the
 * previous event's: a batch carries it once.
 */
export function splitSerialized(events: readonly SealedEvent[]): Array<{ readonly own: string; readonly rest: string }> {
  let previous: SealedEvent | undefined;
  return events.map((event) => {
    const { sealed } = event;
    const own = `{"id":${JSON.stringify(sealed.id)},"topic":${JSON.stringify(sealed.topic)},`;
    const same = previous !== undefined && sharesRest(previous, event);
    previous = event;
    return { own, rest: same ? '' : serializeSealedEvent(event).slice(own.length) };
  });
}

/** Whether two events differ in id and topic at most (a shared payload is serialized once, so its text is the same string). */
function sharesRest(a: SealedEvent, b: SealedEvent): boolean {
  const x = a.sealed;
  const y = b.sealed;
  return (
    a.payloadJson === b.payloadJson &&
    x.type === y.type &&
    x.timestamp === y.timestamp &&
    x.correlationId === y.correlationId &&
    x.priority === y.priority &&
    x.expiresAt === y.expiresAt &&
    x.source === y.source &&
    x.schemaVersion === y.schemaVersion
  );
}

/**
 * The envelope of a published event: `fields` are a sealed draft's (or what
 * the events of a batch message share), `time` its timestamp in ms. Written
 * out rather than spread, the same way everywhere, so every envelope is made
 * alike and cheaply: this runs once per event published and per event an
 * instance hears.
 */
export function envelopeOf(
  id: string,
  topic: string,
  fields: Omit<SealedDraft, 'id' | 'topic' | 'source' | 'schemaVersion'> & { readonly source?: string | null; readonly schemaVersion?: number | null },
  sequence: number,
  position: number,
  time: number,
): EventEnvelope {
  const event: { -readonly [K in keyof EventEnvelope]: EventEnvelope[K] } = {
    id,
    topic,
    type: fields.type,
    timestamp: fields.timestamp,
    correlationId: fields.correlationId,
    priority: fields.priority,
    expiresAt: fields.expiresAt,
    payload: fields.payload,
    sequence,
    position,
    cursor: encodeCursor(topic, sequence, position, time),
  };
  if (fields.source !== undefined) event.source = fields.source;
  if (fields.schemaVersion !== undefined) event.schemaVersion = fields.schemaVersion;
  return Object.freeze(event);
}

/** Throws BAD_USER_INPUT when the event could not be published (too large). */
export function assertPublishable(draft: EventDraft): void {
  sealAll([draft]);
}

/** The same text as JSON.stringify of the envelope's fields, with the payload already serialized. */
function serialize(sealed: SealedDraft, payloadJson: string | undefined): string {
  const head = JSON.stringify({
    id: sealed.id,
    topic: sealed.topic,
    type: sealed.type,
    timestamp: sealed.timestamp,
    correlationId: sealed.correlationId,
    priority: sealed.priority,
    expiresAt: sealed.expiresAt,
    source: sealed.source,
    schemaVersion: sealed.schemaVersion,
  });
  if (payloadJson === undefined) return head;
  return `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"payload":${payloadJson}}`;
}

function checked(json: string): string {
  if (Buffer.byteLength(json) > MAX_EVENT_BYTES) throw new HeraldError('BAD_USER_INPUT', `event is larger than ${MAX_EVENT_BYTES} bytes`);
  return json;
}
