import { z } from '../zod.js';
import { MAX_EVENT_BYTES, PAYLOAD_LIMITS } from '../events/envelope.js';
import { priority } from '../events/input.js';
import { CHANNEL_NAME_PATTERN, CHANNEL_NAME_RULE } from '../events/topics.js';
import { expiresAt, jsonValue, key, LIMITS, line, list, notFinite, typeError } from '../input.js';
import type { ChannelDefinition } from './model.js';

export const channelName = z
  .string({ error: 'must be a string' })
  .regex(CHANNEL_NAME_PATTERN, CHANNEL_NAME_RULE);

/** `threat.detected`, `flow.summary`: what kind of event, as consumers switch on it. */
export const eventTypeName = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z][a-z0-9._-]{0,99}$/, 'must be 1-100 characters of a-z 0-9 . _ - starting with a letter');

/** An integer field; Infinity (from YAML) is refused as a fraction would be. */
const wholeNumber = () => z.number(notFinite('must be a whole number')).int('must be a whole number');

const MAX_TYPES = 100;
const MAX_SCHEMA_BYTES = 64 * 1024;
const schemaVersion = z.number(typeError('must be a whole number')).int('must be a whole number').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1000000');

const typeDefinition = z
  .object({
    name: eventTypeName,
    schema: jsonValue({ maxBytes: MAX_SCHEMA_BYTES, maxDepth: 20 })
      .refine((value) => value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value)), 'must be a JSON Schema object')
      .nullish(),
    schemaVersion: schemaVersion.nullish(),
  })
  .strict();

/** A channel as CHANNELS_FILE and `defineChannel` describe it; absent fields take the defaults. */
export const channelDefinitionInput = z
  .object({
    name: channelName,
    description: line(500).nullish(),
    retentionCount: wholeNumber().min(1, 'must be at least 1').max(10_000_000, 'must be at most 10000000').nullish(),
    retentionSeconds: wholeNumber().min(1, 'must be at least 1').max(366 * 86_400, 'must be at most a year').nullish(),
    defaultPriority: priority.nullish(),
    maxPayloadBytes: wholeNumber().min(1, 'must be at least 1').max(MAX_EVENT_BYTES, `must be at most ${MAX_EVENT_BYTES}`).nullish(),
    batchWindowMs: wholeNumber().min(1, 'must be at least 1').max(10_000, 'must be at most 10000').nullish(),
    types: z
      .array(typeDefinition)
      .max(MAX_TYPES, `must list at most ${MAX_TYPES} types`)
      .nullish()
      .refine((types) => !types || new Set(types.map((t) => t.name)).size === types.length, 'must not name a type twice'),
  })
  .strict();

export type ChannelDefinitionInput = z.output<typeof channelDefinitionInput>;

/** The default payload bound of a channel that names none. */
const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

/** A definition that passed validation, with the defaults filled in. */
export function definitionOf(input: ChannelDefinitionInput): ChannelDefinition {
  return {
    name: input.name,
    description: input.description ?? null,
    retentionCount: input.retentionCount ?? null,
    retentionSeconds: input.retentionSeconds ?? null,
    defaultPriority: input.defaultPriority ?? 'NORMAL',
    maxPayloadBytes: input.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    batchWindowMs: input.batchWindowMs ?? null,
    types: (input.types ?? []).map((t) => ({ name: t.name, schema: (t.schema as Record<string, unknown> | null | undefined) ?? null, schemaVersion: t.schemaVersion ?? null })),
  };
}

/** An instant as GraphQL hands it (a Date) or as JSON does (an ISO-8601 string). */
const instant = z.preprocess((value) => (typeof value === 'string' ? new Date(value) : value), z.date({ error: (issue) => (issue.input === undefined || issue.input instanceof Date ? undefined : 'must be an ISO-8601 date-time') }));

const MAX_TTL_SECONDS = LIMITS.expiryMs / 1000;

/** One event to publish on a channel. The channel may instead come from the path (REST). */
export const publishEventInput = z
  .object({
    channel: channelName,
    type: eventTypeName,
    payload: jsonValue(PAYLOAD_LIMITS).refine((value) => value !== undefined, 'is required'),
    priority: priority.nullish(),
    expiresAt: instant.pipe(expiresAt).nullish(),
    ttlSeconds: wholeNumber().min(1, 'must be at least 1').max(MAX_TTL_SECONDS, 'must be at most a year').nullish(),
    correlationId: key.nullish(),
    idempotencyKey: key.nullish(),
    source: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces').nullish(),
    schemaVersion: schemaVersion.nullish(),
  })
  .refine((input) => input.expiresAt == null || input.ttlSeconds == null, { message: 'give expiresAt or ttlSeconds, not both', path: ['ttlSeconds'] });

export type PublishEventInput = z.output<typeof publishEventInput>;

export const MAX_BATCH = 1000;

/** A batch of events: one round trip, all or none. */
export const publishEventsInput = z.object({
  inputs: z.array(z.unknown(), typeError('must be a list')).min(1, `must hold 1-${MAX_BATCH} events`).max(MAX_BATCH, `must hold 1-${MAX_BATCH} events`),
  idempotencyKey: key.nullish(),
});

const MAX_CHANNELS_PER_SUBSCRIPTION = 100;

/** The channels a subscription follows: names, or "*" for every channel the caller may read. */
export const channelList = list(
  z.string(typeError('must be a list of strings')).refine((value) => value === '*' || CHANNEL_NAME_PATTERN.test(value), CHANNEL_NAME_RULE),
  MAX_CHANNELS_PER_SUBSCRIPTION,
  `must name 1-${MAX_CHANNELS_PER_SUBSCRIPTION} channels, or "*"`,
);

export const channelEventsArgs = z.object({
  channels: channelList,
  types: z.array(eventTypeName).max(MAX_TYPES, `must name at most ${MAX_TYPES} types`).nullish(),
});

/** How channelEventBatches gathers frames. */
export const batchArgs = z.object({
  maxBatch: wholeNumber().min(1, 'must be 1-1000').max(1000, 'must be 1-1000'),
  maxDelayMs: wholeNumber().min(1, 'must be 1-10000').max(10_000, 'must be 1-10000'),
});
