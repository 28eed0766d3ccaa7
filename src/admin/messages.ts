import type { EventEnvelope } from '../events/envelope.js';
import { Topics } from '../events/topics.js';

/** What operators say to connections: to all of them, or to one. */
export type SystemMessagePayload = { readonly kind: 'BROADCAST' | 'DIRECT'; readonly message: string };
export type SystemMessage = EventEnvelope<string, SystemMessagePayload>;

/** A message for one connection, as systemMessages delivers it; it never travels on the bus. */
export function directMessage(id: string, timestamp: string, connectionId: string, message: string): SystemMessage {
  return Object.freeze({
    id,
    topic: Topics.connection(connectionId),
    type: 'system.direct',
    sequence: 0,
    position: 0,
    cursor: '',
    timestamp,
    correlationId: null,
    priority: 'HIGH',
    expiresAt: null,
    payload: { kind: 'DIRECT' as const, message },
  });
}

/** The topics a systemMessages subscription follows: broadcasts, and over WebSocket its own connection's messages. */
export const systemTopics = (connectionId: string | undefined) => [Topics.system, ...(connectionId ? [Topics.connection(connectionId)] : [])];

// A close frame carries at most 123 bytes of reason; ws throws on more, on the instance that holds the socket.
const MAX_CLOSE_REASON_BYTES = 123;

/** The reason a disconnected client reads: the operator's words, cut whole characters at a time to fit. */
export function closeReason(reason: string | null | undefined): string {
  let text = 'Disconnected by an administrator';
  if (!reason) return text;
  text += ': ';
  for (const char of Array.from(reason).slice(0, 80)) {
    if (Buffer.byteLength(text + char) > MAX_CLOSE_REASON_BYTES) break;
    text += char;
  }
  return text;
}
