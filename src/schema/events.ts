import { readableTopics } from '../auth/guards.js';
import type { EventEnvelope } from '../events/envelope.js';
import { eventsArgs } from '../events/input.js';
import { cursorNow, readPage, type Page } from '../events/polling.js';
import { parseInput } from '../input.js';
import { builder } from './builder.js';
import { PriorityEnum } from './priority.js';

/**
 * Polling, for clients that cannot hold a connection: the same log that
 * subscriptions resume from, a page at a time, with the same authorization.
 */
export const EventRef = builder.objectRef<EventEnvelope>('Event').implement({
  description: 'Any event, as the log keeps it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.exposeString('type', { description: 'The wire type, e.g. task.created or api.deployed.' }),
    topic: t.exposeString('topic'),
    sequence: t.exposeInt('sequence'),
    cursor: t.exposeString('cursor'),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
    priority: t.expose('priority', { type: PriorityEnum }),
    correlationId: t.exposeString('correlationId', { nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    source: t.string({ nullable: true, resolve: (e) => e.source ?? null }),
    schemaVersion: t.int({ nullable: true, resolve: (e) => e.schemaVersion ?? null }),
    payload: t.field({ type: 'JSON', resolve: (e) => e.payload }),
  }),
});

const EventPageRef = builder.objectRef<Page>('EventPage').implement({
  fields: (t) => ({
    events: t.field({ type: [EventRef], resolve: (p) => p.events }),
    cursor: t.exposeString('cursor', { nullable: true, description: 'Pass as `after` for the next page: the last event\'s cursor, or the `after` given when the page is empty.' }),
    hasMore: t.exposeBoolean('hasMore'),
  }),
});

builder.queryFields((t) => ({
  eventsCursor: t.string({
    description: 'A cursor for this moment: a subscription with `after:` it gets every event published from now on, also across reconnects.',
    resolve: (_root, _args, ctx) => cursorNow(ctx.services.bus),
  }),
  events: t.field({
    type: EventPageRef,
    description: 'Retained events of the topics after a cursor, oldest first. Without `after`, from the oldest retained event.',
    args: {
      topics: t.arg.stringList({ required: true }),
      after: t.arg.string(),
      limit: t.arg.int({ defaultValue: 100 }),
    },
    resolve: (_root, { after, ...args }, ctx) => {
      const { topics, limit } = parseInput(eventsArgs(ctx.services.reads.maxTopics), args);
      return readPage(ctx.services.bus, readableTopics(ctx.principal, topics), after, limit);
    },
  }),
}));
