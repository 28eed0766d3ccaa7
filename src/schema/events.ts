import type { Principal } from '../auth/principal.js';
import { hasScope } from '../auth/scopes.js';
import type { EventEnvelope } from '../events/envelope.js';
import { headCursor } from '../events/cursor.js';
import { familyWildcard, repoTopic } from '../events/topics.js';
import { badInput, HeraldError } from '../errors.js';
import { validateRepository } from '../store/tasks.js';
import { builder } from './builder.js';
import { PriorityEnum } from './event-options.js';
import { subscribedRepositories } from './guards.js';
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

const MAX_TOPICS = 100;

/** The log topics a caller may read for the topics asked for; refuses any it may not. */
function readableTopics(principal: Principal, topics: readonly string[]): string[] {
  if (topics.length === 0 || topics.length > MAX_TOPICS) throw badInput('topics', `must name 1-${MAX_TOPICS} topics`);
  const repos: string[] = [];
  const out: string[] = [];
  for (const topic of topics) {
    const [family, ...rest] = topic.split(':');
    const name = rest.join(':');
    if (family === 'repo') {
      repos.push(name === '*' ? '*' : validateRepository(name, 'topics'));
    } else if (family === 'gateway' && /^[A-Za-z0-9._-]{1,128}$/.test(name)) {
      const own = principal.kind === 'gateway' && principal.gatewayId === name;
      if (!own && !hasScope(principal, 'gateways:admin')) throw new HeraldError('FORBIDDEN', `Not allowed to read topic ${topic}`, { topic });
      out.push(topic);
    } else {
      throw badInput('topics', `"${topic.slice(0, 80)}" is not a topic (repo:<name>, repo:* or gateway:<id>)`);
    }
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
    resolve: async (_root, { topics, after, limit }, ctx) => {
      if (limit! < 1 || limit! > 1000) throw badInput('limit', 'must be 1-1000');
      const readable = readableTopics(ctx.principal, topics);
      const from = after ? readFrom(after) : null;
      const page = await ctx.services.bus.read(readable, from, limit!);
      if (!page.ok) throw cursorExpired();
      const now = Date.now();
      const events = page.events.filter((e) => e.expiresAt === null || Date.parse(e.expiresAt) > now);
      const last = page.events[page.events.length - 1];
      return { events, cursor: last?.cursor ?? after ?? null, hasMore: page.hasMore };
    },
  }),
}));
