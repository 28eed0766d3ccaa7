import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, gqlOk, pushedTaskTitles, record, TASK_EVENTS, taskTitles, waitForSubscriptions, wsClient, type TaskEventResult } from './helpers/client.js';
import { spawnHerald, type HeraldProcess } from './helpers/herald.js';
import { startReceiver } from './helpers/receiver.js';
import { cutClusterNodes } from './helpers/redis-cutter.js';
import { startRedisCluster, type RedisClusterDeployment } from './helpers/redis-topologies.js';
import { resumeTaskEvents } from './helpers/resume.js';
import { openSse } from './helpers/sse.js';
import { until } from './helpers/wait.js';

const REGISTER = 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }';
const POLL = 'query ($t: [String!]!, $after: String) { events(topics: $t, after: $after, limit: 100) { events { id topic } cursor } }';

type Poll = { events: Array<{ id: string; topic: string }>; cursor: string | null };

/**
 * On a Redis Cluster a publish takes its position before its topic's shard
 * appends it, so an event of one topic can reach readers before an event of
 * another topic with a lower position. Here one publisher is slow to append
 * (its script held back on its way to the shard) while another publishes to
 * a second topic, and every reader of both topics sees the later position
 * first. A WebSocket and an SSE subscriber, a poller and a push endpoint must
 * each end with both events, once: live, resuming from the cursor they had
 * before the late one arrived, and reading on from it.
 */
describe('cursors over several topics of a Redis Cluster', () => {
  let deployment: RedisClusterDeployment;
  let cutters: Awaited<ReturnType<typeof cutClusterNodes>>;
  const instances: HeraldProcess[] = [];

  beforeAll(async () => {
    deployment = await startRedisCluster();
    cutters = await cutClusterNodes(deployment.nodes.map((n) => n.port));
  }, 60_000);

  afterAll(async () => {
    for (const instance of instances) instance.kill('SIGKILL');
    await Promise.all(instances.map((i) => i.exited));
    await cutters?.close();
    await deployment?.stop();
  });

  const spawn = async () => {
    const instance = await spawnHerald({ REDIS_CLUSTER_NODES: cutters.seeds.map((s) => `${s.host}:${s.port}`).join(','), PUSH_LEADER_TTL_MS: '1000' });
    instances.push(instance);
    return instance;
  };

  it('gives every reader the earlier position that arrived late: live, on resume, when polling and pushing', async () => {
    const run = Math.random().toString(36).slice(2, 8);
    const slow = `slow-${run}`;
    const fast = `fast-${run}`;
    const repositories = [slow, fast];
    const topics = repositories.map((r) => `repo:${r}`);
    const [b, c] = [await spawn(), await spawn()];

    // Push is led by b or c: the slow publisher, started after, is held back on its way to one shard.
    const receiver = await startReceiver();
    await gqlOk(b.url, REGISTER, { input: { callbackUrl: receiver.url, repositories, clientVersion: '1.0.0' } });
    const pushing = async (server: HeraldProcess) => (await gqlOk(server.url, '{ stats { push { pushing } } }')).stats.push.pushing as boolean;
    await until(() => Promise.all([b, c].map(pushing)), (p) => p.filter(Boolean).length === 1, 'one instance to push', 30_000);
    const a = await spawn();

    const live = record(wsClient(c.url.replace('http', 'ws')), TASK_EVENTS, { repositories });
    const sse = await openSse(c.url, TASK_EVENTS, { repositories });
    await waitForSubscriptions(c.url, 2);
    const start = (await gqlOk(b.url, '{ eventsCursor }')).eventsCursor as string;

    // a takes the lower position, b the higher one and appends first.
    const held = cutters.hold(`log:{repo:${slow}}`);
    const late = createTask(a.url, slow, 'late');
    await held.caught;
    await createTask(b.url, fast, 'early');

    const [first] = await live.waitForCount(1);
    const [sseFirst] = await sse.waitForCount(1);
    const sseCursor = (sseFirst!.data!.taskEvents as TaskEventResult).cursor;
    const polled = (await gqlOk(b.url, POLL, { t: topics, after: start })).events as Poll;
    expect([first!.task!.title, polled.events.map((e) => e.topic)]).toEqual(['early', [`repo:${fast}`]]);
    await receiver.until(() => receiver.delivered().length >= 1);

    held.release();
    await late;
    // Live: the late one still arrives.
    expect(taskTitles(await live.waitForCount(2))).toEqual(['early', 'late']);

    // Resumed from the cursor held before it arrived: the late one, then what comes next, nothing twice.
    const resumed = await resumeTaskEvents(repositories, { url: b.url, after: first!.cursor }, { url: b.url, after: sseCursor });
    await waitForSubscriptions(b.url, 2);
    await createTask(b.url, fast, 'next');
    expect(await resumed.until('next')).toEqual([
      ['late', 'next'],
      ['late', 'next'],
    ]);

    // Polling on from the page's cursor.
    const next = (await gqlOk(b.url, POLL, { t: topics, after: polled.cursor })).events as Poll;
    expect(next.events.map((e) => e.topic)).toEqual([`repo:${slow}`, `repo:${fast}`]);

    // Pushed: each once.
    const pushed = () => pushedTaskTitles(receiver.delivered());
    await receiver.until(() => pushed().includes('next'));
    expect(pushed()).toEqual(['early', 'late', 'next']);

    expect([live.errors, resumed.overWs.errors]).toEqual([[], []]);
    live.dispose();
    await resumed.close();
    sse.close();
    await receiver.close();
  }, 90_000);
});
