import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_TASK, createTask, gql, gqlOk, record, sseTaskTitles, TASK_EVENTS, taskTitles, waitForStatus, waitForSubscriptions, wsClient, type Recorder, type TaskEventResult } from './helpers/client.js';
import { ADMIN_TOKEN, spawnHerald, startHerald, type Herald, type HeraldProcess } from './helpers/herald.js';
import { openRaw } from './helpers/raw-ws.js';
import { serviceKey } from './helpers/tokens.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { openSse } from './helpers/sse.js';
import { until } from './helpers/wait.js';

describe('Redis stops and comes back on the same port', () => {
  let redis: RedisServer;
  let herald: Herald;
  let client: Client;
  let serviceKeyMadeBefore: string | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    herald = await startHerald({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await client?.dispose();
    await herald?.stop();
    await redis?.stop();
  });

  it('keeps serving, reports not ready, refuses mutations with 503, and resumes delivery on its own', async () => {
    const closes: number[] = [];
    client = wsClient(herald.wsUrl, { on: { closed: (e) => closes.push((e as { code: number }).code) } });
    const events = record<TaskEventResult>(client, TASK_EVENTS, { repositories: ['outage'] });
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'outage', 'before');
    await events.waitForCount(1);
    await waitForStatus(`${herald.origin}/ready`, 200);
    serviceKeyMadeBefore = (await serviceKey(herald.url, ['stats:read'])).secret;

    await redis.stop();
    await waitForStatus(`${herald.origin}/ready`, 503);
    expect((await fetch(`${herald.origin}/health`)).status).toBe(200);

    const refused = await gql(herald.url, CREATE_TASK, { input: { repository: 'outage', title: 'during' } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.errors![0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(JSON.stringify(refused.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|writeable|http/);

    // Keys live in Redis: one that cannot be checked is a retryable refusal, never a final one.
    const key = serviceKeyMadeBefore!;
    const byKey = await gql(herald.url, '{ stats { instanceId } }', {}, key);
    expect(byKey.status).toBe(503);
    expect(byKey.body.errors![0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    const rest = await fetch(`${herald.origin}/api/v1/apis/orders/deploy-revision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ revisionId: 'r1', vhost: 'api.example.com', gatewayIds: ['gw-1'] }),
    });
    expect(rest.status).toBe(503);
    expect(await rest.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    const socket = await openRaw(herald.wsUrl);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } });
    expect(await socket.closed).toEqual({ code: 1013, reason: expect.stringMatching(/retry/) });

    // The subscriber's socket stays open through the outage.
    const { stats } = await gqlOk(herald.url, '{ stats { connections subscriptions } }');
    expect(stats).toEqual({ connections: 1, subscriptions: 1 });

    await redis.restart();
    await waitForStatus(`${herald.origin}/ready`, 200);
    await createTask(herald.url, 'outage', 'after');
    const received = await events.waitForCount(2);
    expect(received.map((e) => e.task!.title)).toEqual(['before', 'after']);
    expect(closes).toEqual([]);

    // Redis came back empty (no persistence): a cursor from before still resumes before what its new log holds,
    // because positions go on past the old ones, on WebSocket, SSE and polling alike.
    const cursor = received[0]!.cursor;
    const resumedClient = wsClient(herald.wsUrl);
    const resumed = record<TaskEventResult>(resumedClient, TASK_EVENTS, { repositories: ['outage'], after: cursor });
    const sse = await openSse(herald.url, TASK_EVENTS, { repositories: ['outage'], after: cursor });
    const polled = await gqlOk(herald.url, 'query ($after: String) { events(topics: ["repo:outage"], after: $after) { events { payload } } }', { after: cursor });
    expect([
      taskTitles(await resumed.waitForCount(1)),
      sseTaskTitles(await sse.waitForCount(1)),
      (polled.events.events as Array<{ payload: { task: { title: string } } }>).map((e) => e.payload.task.title),
    ]).toEqual([['after'], ['after'], ['after']]);
    sse.close();
    await resumedClient.dispose();
  });
});

/**
 * Server processes as an operator runs them, with Redis going away under
 * them. None may exit, and none may log an unhandled rejection: the process
 * guard would keep it alive, but each one is a path that lost track of an error.
 */
/** How long an outage lasts in these tests: long enough for Redis clients to give up on queued commands. */
const OUTAGE_MS = 3_000;

/** The property under test is a span of time: the instance answers throughout it. */
async function expectServingThrough(herald: HeraldProcess, ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    expect((await fetch(`${herald.origin}/health`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('an instance never dies because Redis is away', () => {
  const spawned: HeraldProcess[] = [];
  /** The instances of the running test. */
  let current: HeraldProcess[] = [];
  const servers: RedisServer[] = [];
  const clients: Client[] = [];

  async function instance(redis: RedisServer) {
    const herald = await spawnHerald({ REDIS_URL: redis.url });
    spawned.push(herald);
    current.push(herald);
    return herald;
  }
  async function redisServer(options?: { running?: boolean; persistent?: boolean }) {
    const redis = await startRedis(options);
    servers.push(redis);
    return redis;
  }
  function subscriber(herald: Herald, repository: string): { client: Client; events: Recorder<TaskEventResult> } {
    const client = wsClient(herald.wsUrl);
    clients.push(client);
    return { client, events: record<TaskEventResult>(client, TASK_EVENTS, { repositories: [repository] }) };
  }

  afterEach(() => {
    const checked = current;
    current = [];
    for (const herald of checked) {
      expect(herald.logs.filter((l) => l.msg === 'unhandled rejection')).toEqual([]);
      expect(herald.child.exitCode).toBeNull();
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await Promise.all(spawned.map((h) => h.stop()));
    await Promise.all(servers.map((r) => r.stop()));
  });

  it('ends SSE and WebSocket subscriptions while Redis is stopped, and keeps its other clients', async () => {
    const redis = await redisServer();
    const herald = await instance(redis);
    // The ending subscriptions are the only ones on their topics, so ending them unsubscribes in Redis.
    const stays = subscriber(herald, 'kept');
    const ends = subscriber(herald, 'gone-ws');
    const sseStays = await openSse(herald.url, TASK_EVENTS, { repositories: ['kept'] });
    const sseEnds = await openSse(herald.url, TASK_EVENTS, { repositories: ['gone-sse'] });
    await waitForSubscriptions(herald.url, 4);
    await Promise.all(['kept', 'gone-ws', 'gone-sse'].map((r) => createTask(herald.url, r, 'before')));
    await Promise.all([stays.events.waitForCount(1), ends.events.waitForCount(1), sseStays.waitForCount(1), sseEnds.waitForCount(1)]);

    await redis.stop();
    await waitForStatus(`${herald.origin}/ready`, 503);
    ends.events.dispose();
    sseEnds.close();
    await waitForSubscriptions(herald.url, 2);
    await expectServingThrough(herald, OUTAGE_MS);

    await redis.restart();
    await waitForStatus(`${herald.origin}/ready`, 200);
    await createTask(herald.url, 'kept', 'after');
    const [ws, sse] = await Promise.all([stays.events.waitForCount(2), sseStays.waitForCount(2)]);
    expect(ws.map((e) => e.task!.title)).toEqual(['before', 'after']);
    expect(sse.map((v) => (v.data!.taskEvents as TaskEventResult).task!.title)).toEqual(['before', 'after']);
    const { stats } = await gqlOk(herald.url, '{ stats { connections subscriptions } }');
    // The client that completed its only subscription closed its socket (graphql-ws `lazy`); the other stays.
    expect(stats).toEqual({ connections: 1, subscriptions: 2 });
    sseStays.close();
  });

  it('starts while Redis is unreachable, says so once, and serves as soon as Redis answers', async () => {
    const redis = await redisServer({ running: false });
    const herald = await instance(redis);
    expect((await fetch(`${herald.origin}/health`)).status).toBe(200);
    expect((await fetch(`${herald.origin}/ready`)).status).toBe(503);
    const refused = await gql(herald.url, CREATE_TASK, { input: { repository: 'late', title: 'too early' } });
    expect(refused.status).toBe(503);
    expect(refused.body.errors![0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    const warnings = herald.logs.filter((l) => l.level === 40 && l.component === 'redis');
    expect(warnings).toHaveLength(1);
    expect(herald.logs.filter((l) => l.level >= 50)).toEqual([]);

    await redis.restart();
    await waitForStatus(`${herald.origin}/ready`, 200);
    const { events } = subscriber(herald, 'late');
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'late', 'round trip');
    expect((await events.waitForCount(1))[0]!.task!.title).toBe('round trip');
  });

  it('survives Redis stopped and restarted three times under a publisher and five subscribers', async () => {
    const redis = await redisServer({ persistent: true });
    const herald = await instance(redis);
    const repos = ['cycle-0', 'cycle-1', 'cycle-2', 'cycle-3', 'cycle-4'];
    const client = wsClient(herald.wsUrl);
    clients.push(client);
    // Per subscriber, its subscriptions in order: one more each time it came back.
    const follow = (repository: string, after?: string) => record<TaskEventResult>(client, TASK_EVENTS, { repositories: [repository], ...(after ? { after } : {}) });
    const subscriptions = repos.map((r) => [follow(r)]);
    const received = (i: number) => subscriptions[i]!.flatMap((s) => s.values);
    await waitForSubscriptions(herald.url, 5);
    let publishing = true;
    let published = 0;
    const publisher = (async () => {
      while (publishing) {
        const { status } = await gql(herald.url, CREATE_TASK, { input: { repository: repos[published % repos.length], title: `t${published}` } });
        if (status === 200) published++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    for (let cycle = 0; cycle < 3; cycle++) {
      await redis.pause();
      await waitForStatus(`${herald.origin}/ready`, 503);
      // A client leaves during the outage, and comes back after it with its cursor.
      subscriptions[cycle]!.at(-1)!.dispose();
      await waitForSubscriptions(herald.url, 4);
      await expectServingThrough(herald, OUTAGE_MS);
      await redis.restart();
      await waitForStatus(`${herald.origin}/ready`, 200);
      const counts = repos.map((_, i) => received(i).length);
      subscriptions[cycle]!.push(follow(repos[cycle]!, received(cycle).at(-1)?.cursor));
      await waitForSubscriptions(herald.url, 5);
      // Delivery is back for everyone: each subscriber gets events published after the restart.
      for (const i of repos.keys()) await until(() => received(i).length, (n) => n > counts[i]!, `events on ${repos[i]} after restart ${cycle + 1}`);
    }
    publishing = false;
    await publisher;
    await Promise.all(repos.map((r) => createTask(herald.url, r, 'last')));
    for (const i of repos.keys()) {
      await until(() => received(i).at(-1)?.task?.title, (title) => title === 'last', `the last event of ${repos[i]}`);
      const sequences = received(i).map((e) => e.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      expect(new Set(sequences).size).toBe(sequences.length);
    }
  });
});
