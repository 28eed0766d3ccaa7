import { z } from '../zod.js';
import { pageSize, REPOSITORY_PATTERN, REPOSITORY_RULE, typeError } from '../input.js';
import { PRIORITIES, type Priority } from './priority.js';
import { CHANNEL_NAME_PATTERN } from './topics.js';

/** The priority a publisher gives an event. */
export const priority = z.enum(PRIORITIES);

/** What a publisher may set on the event its change produces. */
export type PublishOptions = { readonly priority: Priority; readonly expiresAt: string | null };

/** Reads `priority` and `expiresAt` from input that passed validation. */
export function publishOptions(input: { priority?: Priority | null; expiresAt?: Date | null }): PublishOptions {
  return { priority: input.priority ?? 'NORMAL', expiresAt: input.expiresAt?.toISOString() ?? null };
}

/** The most topics a read may name by default (EVENTS_MAX_TOPICS). */
export const MAX_READ_TOPICS = 100;
// Narrower than an identifier: no ':' inside a topic's name part.
const GATEWAY_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A topic a poller may name, taken apart; who may read it is decided after. */
export type TopicRequest = { readonly family: 'repo' | 'gateway' | 'channel'; readonly name: string };

const notATopic = (topic: string) => `"${topic.slice(0, 80)}" is not a topic (repo:<name>, repo:*, gateway:<id>, channel:<name> or channel:*)`;

const topic = z.string(typeError('must be a list of strings')).transform((value, ctx): TopicRequest => {
  const colon = value.indexOf(':');
  const family = colon < 0 ? value : value.slice(0, colon);
  const name = colon < 0 ? '' : value.slice(colon + 1);
  if (family === 'repo') {
    if (name === '*' || REPOSITORY_PATTERN.test(name)) return { family, name };
    ctx.addIssue({ code: 'custom', message: REPOSITORY_RULE });
    return z.NEVER;
  }
  if (family === 'gateway' && GATEWAY_ID.test(name)) return { family, name };
  if (family === 'channel' && (name === '*' || CHANNEL_NAME_PATTERN.test(name))) return { family, name };
  ctx.addIssue({ code: 'custom', message: notATopic(value) });
  return z.NEVER;
});

/** `events(topics, limit)` naming at most `maxTopics` topics; the cursor is checked where it is decoded. */
export const eventsArgs = (maxTopics = MAX_READ_TOPICS) =>
  z.object({
    limit: pageSize,
    topics: z
      .array(topic, typeError('must be a list of strings'))
      .min(1, `must name 1-${maxTopics} topics`)
      .max(maxTopics, `must name 1-${maxTopics} topics`),
  });
