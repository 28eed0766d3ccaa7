import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlOk, wsClient, record } from './helpers/client.js';
import { deploy, registerGateway } from './helpers/gateways.js';
import { useHerald } from './helpers/servers.js';

const EVENTS = 'query ($topics: [String!]!, $limit: Int, $after: String) { events(topics: $topics, limit: $limit, after: $after) { events { topic sequence } cursor hasMore } }';

/** Bytes the redis-server has sent to its clients so far. */
async function bytesSent(redis: Redis): Promise<number> {
  const stats = await redis.info('stats');
  return Number(/total_net_output_bytes:(\d+)/.exec(stats)![1]);
}

describe('reading the log of many topics', () => {
  const herald = useHerald({ CLUSTER_REPORT_INTERVAL_MS: '600000' }, { redis: true });
  let redis: Redis;
  let topics: string[];

  beforeAll(async () => {
    redis = new Redis(herald.redis.url);
    const gateways = [];
    for (let i = 0; i < 100; i += 20) gateways.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => registerGateway(herald.url, `reader-${i + j}`)))));
    const ids = gateways.map((g) => g.gateway.id);
    topics = ids.map((id) => `gateway:${id}`);
    // Ten deployments to all hundred gateways (each a hundred events, one per topic),
    // then a hundred to the first gateway alone: 1100 events, 110 on the first topic.
    for (let i = 0; i < 10; i++) await deploy(herald.url, ids, { revisionId: `all-${i}` });
    for (let i = 0; i < 100; i++) await deploy(herald.url, [ids[0]!], { revisionId: `one-${i}` });
  }, 60_000);
  afterAll(() => redis?.disconnect());

  /** What Redis sent for one `events` read, and what the read returned. */
  async function measured(variables: Record<string, unknown>) {
    const before = await bytesSent(redis);
    const { events } = await gqlOk(herald.url, EVENTS, variables);
    return { bytes: (await bytesSent(redis)) - before, events: events as { events: Array<{ topic: string; sequence: number }>; cursor: string; hasMore: boolean } };
  }

  it('costs about `limit` entries for 100 topics, as it does for one topic', async () => {
    const one = await measured({ topics: [topics[0]], limit: 100 });
    const hundred = await measured({ topics, limit: 100 });
    expect(one.events.events).toHaveLength(100);
    expect(hundred.events.events).toHaveLength(100);
    // The first deployment reached every gateway: one event per topic, in order.
    expect(hundred.events.events.map((e) => e.topic)).toEqual(topics);
    expect(hundred.events.hasMore).toBe(true);
    // One topic reads limit + 1 entries; a hundred at most about twice as many (reading
    // limit + 1 per topic, as before, was more than ten times as many here).
    expect(hundred.bytes).toBeLessThan(2.5 * one.bytes);
  });

  it('pages through 100 topics in position order, every event once', async () => {
    const seen: Array<{ topic: string; sequence: number }> = [];
    let after: string | undefined;
    for (;;) {
      const { events } = await gqlOk(herald.url, EVENTS, { topics, limit: 37, ...(after ? { after } : {}) });
      seen.push(...events.events);
      after = events.cursor;
      if (!events.hasMore) break;
    }
    expect(seen).toHaveLength(1100);
    const perTopic = new Map<string, number[]>();
    for (const e of seen) perTopic.set(e.topic, [...(perTopic.get(e.topic) ?? []), e.sequence]);
    expect(perTopic.get(topics[0]!)).toEqual(Array.from({ length: 110 }, (_, i) => i + 1));
    for (const t of topics.slice(1)) expect(perTopic.get(t)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('refuses a read of more than EVENTS_MAX_TOPICS (100) topics', async () => {
    const { body } = await gql(herald.url, EVENTS, { topics: [...topics, 'repo:one-more'], limit: 10 });
    expect(body.errors![0]).toMatchObject({ message: 'topics: must name 1-100 topics', extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('topic limits as settings', () => {
  const herald = useHerald({ EVENTS_MAX_TOPICS: '3', MAX_TOPICS_PER_SUBSCRIPTION: '2' });

  it('bounds the topics of a read by EVENTS_MAX_TOPICS', async () => {
    expect((await gql(herald.url, EVENTS, { topics: ['repo:a', 'repo:b', 'repo:c'], limit: 10 })).body.errors).toBeUndefined();
    const { body } = await gql(herald.url, EVENTS, { topics: ['repo:a', 'repo:b', 'repo:c', 'repo:d'], limit: 10 });
    expect(body.errors![0]).toMatchObject({ message: 'topics: must name 1-3 topics', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('bounds the repositories of a subscription by MAX_TOPICS_PER_SUBSCRIPTION', async () => {
    const client = wsClient(herald.wsUrl);
    const refused = record(client, 'subscription ($r: [String!]!) { taskEvents(repositories: $r) { id } }', { r: ['a', 'b', 'c'] });
    await refused.ended;
    expect(refused.errors).toEqual([expect.objectContaining({ message: 'repositories: must name 1-2 repositories, or "*"' })]);
    await client.dispose();
  });
});
