import type { Priority } from '../events/envelope.js';
import { PRIORITIES } from '../input.js';
import { builder } from './builder.js';

/** Options a publisher may set on the event its mutation produces. */
export const PriorityEnum = builder.enumType('Priority', { values: PRIORITIES });

export type EventOptions = { priority: Priority; expiresAt: string | null };

/** Reads `priority` and `expiresAt` from a mutation input that passed validation. */
export function eventOptions(input: { priority?: Priority | null; expiresAt?: Date | null }): EventOptions {
  return { priority: input.priority ?? 'NORMAL', expiresAt: input.expiresAt?.toISOString() ?? null };
}
