/**
 * The one shape every event has, whatever its family. `sequence` and `cursor`
 * are assigned when the event is published (see bus.ts), never by the caller.
 */
export type Priority = 'LOW' | 'NORMAL' | 'HIGH' | 'CRITICAL';

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
  readonly payload: TPayload;
};

/** What a publisher hands to the bus: everything but the parts the bus assigns. */
export type EventDraft<TType extends string = string, TPayload = unknown> = Omit<
  EventEnvelope<TType, TPayload>,
  'id' | 'sequence' | 'position' | 'cursor' | 'timestamp'
> & { readonly id?: string; readonly timestamp?: string };

/** Largest serialized event the bus accepts. */
export const MAX_EVENT_BYTES = 1024 * 1024;
