import type { Channel, ChannelEventType } from '../channels/model.js';
import type { EventEnvelope } from '../events/envelope.js';
import { atLeast } from '../events/priority.js';
import { both, openBatches } from '../events/subscription.js';
import { Topics } from '../events/topics.js';
import { builder } from './builder.js';
import { EventOrderEnum, PriorityEnum } from './priority.js';
import { subscribe } from './subscribe.js';

const ChannelSourceEnum = builder.enumType('ChannelSource', {
  description: 'Where a channel is defined: built in, CHANNELS_FILE, or live with defineChannel (a later one wins).',
  values: ['BUILT_IN', 'FILE', 'LIVE'] as const,
});

const ChannelEventTypeRef = builder.objectRef<ChannelEventType>('ChannelEventType').implement({
  description: 'An event type a channel declares.',
  fields: (t) => ({
    name: t.exposeString('name'),
    schema: t.field({ type: 'JSON', nullable: true, description: 'The JSON Schema its payload must meet; null: any payload.', resolve: (e) => e.schema }),
    schemaVersion: t.exposeInt('schemaVersion', { nullable: true }),
  }),
});

const ChannelRef = builder.objectRef<Channel>('Channel').implement({
  description: 'A named stream of events, with its own order, log and cursors.',
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    source: t.expose('source', { type: ChannelSourceEnum }),
    retentionCount: t.exposeInt('retentionCount', { nullable: true, description: 'Events kept; null: EVENT_RETENTION_COUNT.' }),
    retentionSeconds: t.exposeInt('retentionSeconds', { nullable: true, description: 'Seconds kept; null: EVENT_RETENTION_SECONDS.' }),
    defaultPriority: t.expose('defaultPriority', { type: PriorityEnum }),
    maxPayloadBytes: t.exposeInt('maxPayloadBytes'),
    batchWindowMs: t.exposeInt('batchWindowMs', { nullable: true }),
    types: t.field({ type: [ChannelEventTypeRef], description: 'The event types it accepts; empty: any type.', resolve: (c) => [...c.types] }),
  }),
});

export const ChannelEventRef = builder.objectRef<EventEnvelope>('ChannelEvent').implement({
  description: 'An event on a channel, in the order they were published to it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    channel: t.string({ resolve: (e) => Topics.channelOf(e.topic) }),
    type: t.exposeString('type'),
    payload: t.field({ type: 'JSON', resolve: (e) => e.payload }),
    priority: t.expose('priority', { type: PriorityEnum }),
    sequence: t.exposeInt('sequence', { description: 'Strictly increasing per channel.' }),
    cursor: t.exposeString('cursor'),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    correlationId: t.exposeString('correlationId', { nullable: true }),
    source: t.string({ nullable: true, resolve: (e) => e.source ?? null }),
    schemaVersion: t.int({ nullable: true, resolve: (e) => e.schemaVersion ?? null }),
  }),
});

const ChannelTypeInput = builder.inputType('ChannelTypeInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    schema: t.field({ type: 'JSON', description: 'A JSON Schema (draft 2020-12 or 07) the payload must meet.' }),
    schemaVersion: t.int(),
  }),
});

const DefineChannelInput = builder.inputType('DefineChannelInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1-64 characters of a-z 0-9 . _ -' }),
    description: t.string(),
    retentionCount: t.int(),
    retentionSeconds: t.int(),
    defaultPriority: t.field({ type: PriorityEnum }),
    maxPayloadBytes: t.int(),
    batchWindowMs: t.int(),
    types: t.field({ type: [ChannelTypeInput] }),
  }),
});

const PublishEventInput = builder.inputType('PublishEventInput', {
  fields: (t) => ({
    channel: t.string({ required: true }),
    type: t.string({ required: true }),
    payload: t.field({ type: 'JSON', required: true }),
    priority: t.field({ type: PriorityEnum, description: "Default: the channel's." }),
    expiresAt: t.field({ type: 'DateTime', description: 'After this instant the event is never delivered.' }),
    ttlSeconds: t.int({ description: 'The same as expiresAt, from now (give one of them).' }),
    correlationId: t.string(),
    idempotencyKey: t.string({ description: 'A repeat within the dedup window returns the first event and publishes nothing (single events only).' }),
    source: t.string({ description: 'Who publishes, as consumers should see it (e.g. sensor-12).' }),
    schemaVersion: t.int(),
  }),
});

/** GraphQL hands enums and dates over as they are; the room checks everything else. */
const plain = (input: Record<string, unknown>) => Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));

builder.queryFields((t) => ({
  channels: t.field({
    type: [ChannelRef],
    description: 'The channels the caller may read (every channel for the admin).',
    resolve: (_r, _a, ctx) => ctx.services.channels.list(ctx.principal),
  }),
}));

builder.mutationFields((t) => ({
  defineChannel: t.field({
    type: ChannelRef,
    description: 'Defines a channel, or replaces the live definition of one, on every instance; it outlives restarts in Redis mode.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: DefineChannelInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.channels.define(ctx.principal, plain(input)),
  }),
  deleteChannel: t.boolean({
    description: "Drops a channel's live definition (the file's or the built-in one applies again); false when there was none.",
    authScopes: { admin: true },
    args: { name: t.arg.string({ required: true }) },
    resolve: (_r, { name }, ctx) => ctx.services.channels.delete(ctx.principal, name),
  }),
  publishEvent: t.field({
    type: ChannelEventRef,
    description: 'Publishes one event on a channel (needs channel:<name>:publish).',
    args: { input: t.arg({ type: PublishEventInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.channels.publish(ctx.principal, plain(input)),
  }),
  publishEvents: t.field({
    type: [ChannelEventRef],
    description: 'Publishes up to 1000 events in one step: all of them or, when any is refused, none (the error names each bad one by index).',
    args: { inputs: t.arg({ type: [PublishEventInput], required: true }), idempotencyKey: t.arg.string() },
    resolve: (_r, { inputs, idempotencyKey }, ctx) => ctx.services.channels.publishMany(ctx.principal, { inputs: inputs.map(plain), idempotencyKey }),
  }),
}));

builder.subscriptionFields((t) => ({
  channelEvents: t.field({
    type: ChannelEventRef,
    description: 'Events of the given channels, in order per channel. "*" means every channel the caller may read.',
    args: {
      channels: t.arg.stringList({ required: true }),
      after: t.arg.string({ description: 'The cursor of the last event received: first deliver every retained event after it.' }),
      minPriority: t.arg({ type: PriorityEnum }),
      types: t.arg.stringList({ description: 'Only events of these types.' }),
      where: t.arg({ type: 'JSON', description: 'Only events whose payload has these top-level values: { "severity": ["high", "critical"], "sensorId": "s-12" }.' }),
      order: t.arg({ type: EventOrderEnum, description: 'The order of the catch-up after `after` (default SEQUENCE).' }),
    },
    subscribe: (_r, args, ctx) => {
      const { topics, accept } = ctx.services.channels.subscription(ctx.principal, args);
      // A consumer that cannot keep up loses its lowest-priority events first, and is told how many (type herald.dropped).
      return subscribe(ctx, { topics, after: args.after, order: args.order ?? 'SEQUENCE', accept: both(accept, atLeast(args.minPriority)), overflow: 'shed' }) as never;
    },
    resolve: (event) => event as never,
  }),
  channelEventBatches: t.field({
    type: [ChannelEventRef],
    description:
      'The events of channelEvents, gathered into frames: every event that arrived within `maxDelayMs` of the first of a frame, at most `maxBatch` a frame. For high-rate channels, where one frame per event would cost the client more than the data. Subscriptions with the same arguments share their frames.',
    args: {
      channels: t.arg.stringList({ required: true }),
      maxBatch: t.arg.int({ defaultValue: 100 }),
      maxDelayMs: t.arg.int({ description: "Default: the channel's batchWindowMs (of the first channel named), else 50." }),
      after: t.arg.string(),
      minPriority: t.arg({ type: PriorityEnum }),
      types: t.arg.stringList(),
      where: t.arg({ type: 'JSON' }),
    },
    subscribe: (_r, args, ctx) => {
      const { topics, accept, key } = ctx.services.channels.subscription(ctx.principal, args);
      const batch = ctx.services.channels.batchOptions(args.channels, args.maxBatch, args.maxDelayMs);
      const request = { topics, after: args.after, accept: both(accept, atLeast(args.minPriority)), key: `${key}|${args.minPriority ?? ''}` };
      return openBatches(ctx.services.subscriptions, request, batch, ctx.channel) as never;
    },
    resolve: (batch) => batch as never,
  }),
}));
