import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBus } from '../src/events/bus.redis.js';
import type { EventDraft } from '../src/events/envelope.js';
import { createRedisConnections, type RedisConnections } from '../src/redis/connections.js';
import { startRedisCutter, type RedisCutter } from './helpers/redis-cutter.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

const silent = pino({ level: 'silent' });
const draft = (topic: string, n: number): EventDraft => ({ topic, type: 't', correlationId: null, priority: 'NORMAL', expiresAt: null, payload: { n } });

/**
 * A publish whose connection drops between sending the script and reading
 * its reply: Redis may have run it. Whichever it did, the event is logged
 * once and the publisher gets its numbers — never a second copy from a blind
 * resend, never an error for an event that was published.
 */
describe('a publish cut off from its reply', () => {
  let redis: RedisServer;
  let cutter: RedisCutter;
  let connections: RedisConnections;
  let admin: Redis;
  const prefix = 'outcome:';

  beforeAll(async () => {
    redis = await startRedis();
    cutter = await startRedisCutter(redis.url);
    connections = createRedisConnections({ kind: 'single', url: cutter.url }, prefix, silent);
    expect(await connections.whenReady(5_000)).toBe(true);
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await connections?.close();
    await cutter?.close();
    await redis?.stop();
  });

  /** The ids of a topic's log, oldest first, read straight from Redis. */
  const logged = async (topic: string) =>
    ((await admin.xrange(`${prefix}log:{${topic}}`, '-', '+')) as Array<[string, string[]]>).map(([, fields]) => (JSON.parse(fields[1]!) as { id: string }).id);

  it('after Redis ran it: the publisher gets the logged event, which is in the log once', async () => {
    const bus = createRedisBus(connections, silent);
    await bus.publish(draft('repo:cut-after', 0));
    const cut = cutter.arm('repo:cut-after', 'after');
    const published = bus.publish(draft('repo:cut-after', 1));
    await cut;
    const event = await published;
    expect(event.sequence).toBe(2);
    expect(await logged('repo:cut-after')).toEqual([expect.any(String), event.id]);
    expect((await bus.publish(draft('repo:cut-after', 2))).sequence).toBe(3);
  });

  it('before Redis saw it: it is published once the connection is back', async () => {
    const bus = createRedisBus(connections, silent);
    const cut = cutter.arm('repo:cut-before', 'before');
    const published = bus.publish(draft('repo:cut-before', 1));
    await cut;
    const event = await published;
    expect(event.sequence).toBe(1);
    expect(await logged('repo:cut-before')).toEqual([event.id]);
  });

  it('a batch over several topics, after Redis ran it: every event logged once, numbered as the log numbers it', async () => {
    const bus = createRedisBus(connections, silent);
    const cut = cutter.arm('repo:cut-batch-b', 'after');
    const published = bus.publishAll([draft('repo:cut-batch-a', 1), draft('repo:cut-batch-b', 2), draft('repo:cut-batch-a', 3)]);
    await cut;
    const events = await published;
    expect(events.map((e) => [e.topic, e.sequence])).toEqual([
      ['repo:cut-batch-a', 1],
      ['repo:cut-batch-b', 1],
      ['repo:cut-batch-a', 2],
    ]);
    expect(events[1]!.position).toBe(events[0]!.position + 1);
    expect(await logged('repo:cut-batch-a')).toEqual([events[0]!.id, events[2]!.id]);
    expect(await logged('repo:cut-batch-b')).toEqual([events[1]!.id]);
  });
});
