import type { Principal } from '../auth/principal.js';
import { hasScope } from '../auth/scopes.js';
import type { EventEnvelope } from '../events/envelope.js';
import { headCursor } from '../events/cursor.js';
import { familyWildcard, repoTopic } from '../events/topics.js';
import { HeraldError } from '../errors.js';
import { eventsArgs, type TopicRequest } from '../validation/events.js';
import { parseInput } from '../validation/parse.js';
import { builder } from './builder.js';
import { PriorityEnum } from './priority.js';
import { subscribedRepositories } from '../auth/guards.js';
import { cursorExpired, readFrom } from './streams.js';

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
    payload: t.field({ type: 'JSON', resolve: (e) => e.payload }),
  }),
});

type Page = { events: EventEnvelope[]; cursor: string | null; hasMore: boolean };

const EventPageRef = builder.objectRef<Page>('EventPage').implement({
  fields: (t) => ({
    events: t.field({ type: [EventRef], resolve: (p) => p.events }),
    cursor: t.exposeString('cursor', { nullable: true, description: 'Pass as `after` for the next page: the last event\'s cursor, or the `after` given when the page is empty.' }),
    hasMore: t.exposeBoolean('hasMore'),
  }),
});

/** The log topics a caller may read for the topics asked for; refuses any it may not. */
function readableTopics(principal: Principal, topics: readonly TopicRequest[]): string[] {
  const repos: string[] = [];
  const out: string[] = [];
  for (const { family, name } of topics) {
    if (family === 'repo') {
      repos.push(name);
      continue;
    }
    const topic = `${family}:${name}`;
    const own = principal.kind === 'gateway' && principal.gatewayId === name;
    if (!own && !hasScope(principal, 'gateways:admin')) throw new HeraldError('FORBIDDEN', `Not allowed to read topic ${topic}`, { topic });
    out.push(topic);
  }
  if (repos.length > 0) {
    const covered = subscribedRepositories(principal, repos);
    out.push(...(covered === '*' ? [familyWildcard('repo')] : covered.map(repoTopic)));
  }
  return out;
}

builder.queryFields((t) => ({
  eventsCursor: t.string({
    description: 'A cursor for this moment: a subscription with `after:` it gets every event published from now on, also across reconnects.',
    resolve: async (_root, _args, ctx) => headCursor(await ctx.services.bus.head(), Date.now()),
  }),
  events: t.field({
    type: EventPageRef,
    description: 'Retained events of the topics after a cursor, oldest first. Without `after`, from the oldest retained event.',
    args: {
      topics: t.arg.stringList({ required: true }),
      after: t.arg.string(),
      limit: t.arg.int({ defaultValue: 100 }),
    },
    resolve: async (_root, { after, ...args }, ctx) => {
      const { topics, limit } = parseInput(eventsArgs, args);
      const readable = readableTopics(ctx.principal, topics);
      const from = after ? readFrom(after) : null;
      const page = await ctx.services.bus.read(readable, from, limit);
      if (!page.ok) throw cursorExpired();
      const now = Date.now();
      const events = page.events.filter((e) => e.expiresAt === null || Date.parse(e.expiresAt) > now);
      const last = page.events[page.events.length - 1];
      return { events, cursor: last?.cursor ?? after ?? null, hasMore: page.hasMore };
    },
  }),
}));
