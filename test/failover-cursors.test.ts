import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CREATE_TASK, gql, gqlOk, pushedTaskTitles, record, sseTaskTitles, TASK_EVENTS, taskTitles, waitForStatus, waitForSubscriptions, wsClient, type TaskEventResult } from './helpers/client.js';
import { spawnHerald, type HeraldProcess } from './helpers/herald.js';
import { startReceiver } from './helpers/receiver.js';
import { startSentinels, type SentinelDeployment } from './helpers/redis-topologies.js';
import { resumeTaskEvents } from './helpers/resume.js';
import { openSse } from './helpers/sse.js';
import { until } from './helpers/wait.js';

const REGISTER = 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }';
const POLL = 'query ($t: [String!]!, $after: String) { events(topics: $t, after: $after, limit: 100) { events { payload } cursor } }';

type Poll = { events: Array<{ payload: { task: { title: string } } }>; cursor: string | null };

/**
 * Redis replicates asynchronously: a primary that dies can take with it
 * events it acknowledged, which subscribers already received, with their
 * cursors. The replica that takes over goes on from what it had copied. A
 * cursor handed out for a lost event must still resume before every event
 * published after the failover, on every transport: the new events must not
 * be taken for ones the cursor already passed. Here the replica is stopped
 * and cut off before two events, so that the failover surely loses them.
 */
describe('cursors of events a Sentinel failover lost', () => {
  let sentinels: SentinelDeployment | undefined;
  const instances: HeraldProcess[] = [];

  afterAll(async () => {
    sentinels?.replica.resume();
    await Promise.all(instances.map((i) => i.stop()));
    await sentinels?.stop();
  });

  /** Publishes once Redis takes it: a publish refused while the replica is promoted is tried again. */
  const publish = async (h: HeraldProcess, repository: string, title: string) => {
    await until(
      async () => {
        const reply = await gql(h.url, CREATE_TASK, { input: { repository, title } });
        return reply.status === 200 && !reply.body.errors ? 'ok' : String(reply.body.errors?.[0]?.extensions?.code);
      },
      (outcome) => outcome === 'ok',
      `${title} to be published`,
      30_000,
    );
  };

  it('resume before every event published after it: on WebSocket and SSE, when polling, and when pushing', async () => {
    sentinels = await startSentinels();
    const env = { ...sentinels.env, PUSH_LEADER_TTL_MS: '1000' };
    const [a, b] = await Promise.all([spawnHerald(env), spawnHerald(env)]);
    instances.push(a, b);
    await Promise.all([waitForStatus(`${a.origin}/ready`, 200), waitForStatus(`${b.origin}/ready`, 200)]);
    // Two repositories, so that every reader follows several topics: a cursor names how far it got in both.
    const [one, two] = ['lost-cursors-1', 'lost-cursors-2'];
    const repositories = [one, two];
    const topics = repositories.map((r) => `repo:${r}`);

    const receiver = await startReceiver();
    await gqlOk(a.url, REGISTER, { input: { callbackUrl: receiver.url, repositories, clientVersion: '1.0.0' } });
    const pushing = async (h: HeraldProcess) => (await gqlOk(h.url, '{ stats { push { pushing } } }')).stats.push.pushing as boolean;
    await until(() => Promise.all([a, b].map(pushing)), (p) => p.filter(Boolean).length === 1, 'one instance to push', 30_000);
    const pushed = () => pushedTaskTitles(receiver.delivered());

    const live = record(wsClient(a.url.replace('http', 'ws')), TASK_EVENTS, { repositories });
    const sse = await openSse(b.url, TASK_EVENTS, { repositories });
    await Promise.all([waitForSubscriptions(a.url, 1), waitForSubscriptions(b.url, 1)]);
    const start = (await gqlOk(a.url, '{ eventsCursor }')).eventsCursor as string;

    // Copied to the replica before it is cut off.
    await publish(a, one, 'kept');
    const primary = new Redis({ port: await sentinels.primaryPort(), host: '127.0.0.1' });
    try {
      expect(await primary.call('WAIT', 1, 5000)).toBe(1);
      // The replica stops and the primary drops it: what comes next is acknowledged and delivered, never copied.
      sentinels.replica.pause();
      await primary.call('CLIENT', 'KILL', 'TYPE', 'replica');
    } finally {
      primary.disconnect();
    }
    await publish(b, two, 'lost-1');
    await publish(a, one, 'lost-2');

    // Every reader got the two and holds the cursor of the last.
    const liveCursor = (await live.waitForCount(3))[2]!.cursor;
    const sseCursor = ((await sse.waitForCount(3))[2]!.data!.taskEvents as TaskEventResult).cursor;
    const polled = (await gqlOk(b.url, POLL, { t: topics, after: start })).events as Poll;
    expect(polled.events.map((e) => e.payload.task.title)).toEqual(['kept', 'lost-1', 'lost-2']);
    await receiver.until(() => pushed().length >= 3);

    // The primary dies; the replica, without the two, takes over.
    const before = await sentinels.primaryPort();
    await sentinels.primary.kill();
    sentinels.replica.resume();
    await until(() => sentinels!.primaryPort(), (port) => port !== before, 'the sentinels to name the promoted replica', 30_000);
    await Promise.all([waitForStatus(`${a.origin}/ready`, 200), waitForStatus(`${b.origin}/ready`, 200)]);
    await publish(b, one, 'after-1');
    await publish(a, two, 'after-2');
    const log = (await gqlOk(a.url, POLL, { t: topics })).events as Poll;
    expect(log.events.map((e) => e.payload.task.title), 'the failover lost the two').toEqual(['kept', 'after-1', 'after-2']);

    const everything = ['kept', 'lost-1', 'lost-2', 'after-1', 'after-2'];

    // Resumed from the cursors of the lost event: every later event, none before.
    const resumed = await resumeTaskEvents(repositories, { url: b.url, after: liveCursor }, { url: a.url, after: sseCursor });
    expect(await resumed.until('after-2')).toEqual([
      ['after-1', 'after-2'],
      ['after-1', 'after-2'],
    ]);

    // Polling on from the page's cursor.
    const next = (await gqlOk(a.url, POLL, { t: topics, after: polled.cursor })).events as Poll;
    expect(next.events.map((e) => e.payload.task.title)).toEqual(['after-1', 'after-2']);

    // Live: each event once.
    await live.waitFor((events) => taskTitles(events).includes('after-2'));
    await sse.waitFor((values) => sseTaskTitles(values).includes('after-2'));
    expect([taskTitles(live.values), sseTaskTitles(sse.values)]).toEqual([everything, everything]);

    // Pushed: each event, in order. The failover may also have lost the push progress stored after the
    // last copy, and then what followed is sent again, under the same delivery id (see docs/push.md).
    await receiver.until(() => pushed().includes('after-2'));
    const byDelivery = new Map<string, string>();
    for (const p of receiver.delivered()) {
      const [title] = pushedTaskTitles([p]) as [string];
      expect(byDelivery.get(String(p.headers['x-herald-delivery'])) ?? title, 'one delivery id, one event').toBe(title);
      byDelivery.set(String(p.headers['x-herald-delivery']), title);
    }
    expect([...byDelivery.values()]).toEqual(everything);

    expect([live.errors, resumed.overWs.errors]).toEqual([[], []]);
    live.dispose();
    await resumed.close();
    sse.close();
    await receiver.close();
  }, 120_000);
});
