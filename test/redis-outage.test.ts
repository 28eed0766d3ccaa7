import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_TASK, createTask, gql, gqlOk, record, TASK_EVENTS, waitForStatus, waitForSubscriptions, wsClient, type TaskEventResult } from './helpers/client.js';
import { startHerald, type Herald } from './helpers/herald.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

describe('Redis stops and comes back on the same port', () => {
  let redis: RedisServer;
  let herald: Herald;
  let client: Client;

  beforeAll(async () => {
    redis = await startRedis();
    herald = await startHerald({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await client?.dispose();
    await herald?.stop();
    await redis?.stop();
  });

  it('keeps serving, reports not ready, refuses mutations clearly, and resumes delivery on its own', async () => {
    const closes: number[] = [];
    client = wsClient(herald.wsUrl, { on: { closed: (e) => closes.push((e as { code: number }).code) } });
    const events = record<TaskEventResult>(client, TASK_EVENTS, { repositories: ['outage'] });
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'outage', 'before');
    await events.waitForCount(1);
    await waitForStatus(`${herald.origin}/ready`, 200);

    await redis.stop();
    await waitForStatus(`${herald.origin}/ready`, 503);
    expect((await fetch(`${herald.origin}/health`)).status).toBe(200);

    const refused = await gql(herald.url, CREATE_TASK, { input: { repository: 'outage', title: 'during' } });
    expect(refused.status).toBe(200);
    expect(refused.body.errors![0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(JSON.stringify(refused.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|writeable/);

    // The subscriber's socket stays open through the outage.
    const { stats } = await gqlOk(herald.url, '{ stats { connections subscriptions } }');
    expect(stats).toEqual({ connections: 1, subscriptions: 1 });

    await redis.restart();
    await waitForStatus(`${herald.origin}/ready`, 200);
    await createTask(herald.url, 'outage', 'after');
    const received = await events.waitForCount(2);
    expect(received.map((e) => e.task!.title)).toEqual(['before', 'after']);
    expect(closes).toEqual([]);
  });
});
