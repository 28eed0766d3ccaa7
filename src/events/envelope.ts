/**
 * The one shape every event has, whatever its family. `sequence` and `cursor`
 * are assigned when the event is published (see bus.ts), never by the caller.
 */
import type { Priority } from './priority.js';

export type { Priority };

export type EventEnvelope<TType extends string = string, TPayload = unknown> = {
  readonly id: string;
  readonly topic: string;
  readonly type: TType;
  readonly sequence: number;
  /** Place in the order of every event published (all topics); what cursors resume from. */
  readonly position: number;
  readonly cursor: string;
  readonly timestamp: string;
  readonly correlationId: string | null;
  readonly priority: Priority;
  readonly expiresAt: string | null;
  /** Who published it, as the publisher names itself (channel events); absent when not given. */
  readonly source?: string | null;
  /** The version of the payload's schema, for consumers that evolve with it (channel events); absent when not given. */
  readonly schemaVersion?: number | null;
  readonly payload: TPayload;
};

/** What a publisher hands to the bus: everything but the parts the bus assigns. */
export type EventDraft<TType extends string = string, TPayload = unknown> = Omit<
  EventEnvelope<TType, TPayload>,
  'id' | 'sequence' | 'position' | 'cursor' | 'timestamp'
> & { readonly id?: string; readonly timestamp?: string };

/** Largest serialized event the bus accepts. */
export const MAX_EVENT_BYTES = 1024 * 1024;

/**
 * Bounds for free-form JSON that travels inside an event (a gateway
 * configuration, a channel payload): never more than an event can carry, and
 * nested no deeper than real data needs (a dozen levels at most).
 */
export const PAYLOAD_LIMITS = { maxBytes: MAX_EVENT_BYTES, maxDepth: 20 } as const;
