import type { Priority } from '../events/envelope.js';
import { badInput } from '../errors.js';
import { builder } from './builder.js';

/** Options a publisher may set on the event its mutation produces. */
export const PriorityEnum = builder.enumType('Priority', { values: ['LOW', 'NORMAL', 'HIGH', 'CRITICAL'] as const });

export const MAX_EXPIRY_MS = 366 * 24 * 3600 * 1000;

export type EventOptions = { priority: Priority; expiresAt: string | null };

/** Reads `priority` and `expiresAt` from a mutation input. */
export function eventOptions(input: { priority?: Priority | null; expiresAt?: Date | null }): EventOptions {
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt && (expiresAt.getTime() <= Date.now() || expiresAt.getTime() > Date.now() + MAX_EXPIRY_MS)) {
    throw badInput('expiresAt', 'must be in the future, at most a year ahead');
  }
  return { priority: input.priority ?? 'NORMAL', expiresAt: expiresAt?.toISOString() ?? null };
}
