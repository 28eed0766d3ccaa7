import WS from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createHeraldClient, TaskEventsDocument, type HeraldClient } from '../src/client/index.js';
import { CREATE_TASK, createTask, gql, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient, type TaskEventResult } from './helpers/client.js';
import { ADMIN_TOKEN, type HeraldProcess } from './helpers/herald.js';
import { TOPOLOGIES } from './helpers/redis-topologies.js';
import { useHerald, useCluster } from './helpers/servers.js';

/** The SDK with a socket the test can cut: its WebSocket class records every socket it opens. */
function resuming(url: string) {
  const sockets: WS[] = [];
  class Tracked extends WS {
    constructor(...args: ConstructorParameters<typeof WS>) {
      super(...args);
      sockets.push(this);
    }
  }
  const client = createHeraldClient({ url, token: ADMIN_TOKEN, webSocketImpl: Tracked, retry: { baseMs: 20, maxMs: 200 } });
  return { client, cut: () => sockets.at(-1)?.terminate() };
}

function collect(client: HeraldClient, repositories: string[]) {
  const events: TaskEventResult[] = [];
  const waiters = new Set<() => void>();
  const sub = client.subscribe(TaskEventsDocument, { repositories }, {
    next: (data) => {
      events.push(data.taskEvents as TaskEventResult);
      for (const w of [...waiters]) w();
    },
  });
  const until = (condition: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (condition()) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
    });
  return { events, dispose: () => sub.unsubscribe(), count: (n: number) => until(() => events.length >= n) };
}

describe('resume after a cursor (embedded)', () => {
  const herald = useHerald({ EVENT_RETENTION_COUNT: '50' });
  // Each test counts its own subscriptions: wait until the last test's are gone.
  afterEach(() => waitForSubscriptions(herald.url, 0));

  it('gets every event missed while its socket was cut, once, in order, while events keep flowing', async () => {
    const { client, cut } = resuming(herald.url);
    const got = collect(client, ['flow']);
    await waitForSubscriptions(herald.url, 1);
    let published = 0;
    const publish = async (n: number) => {
      for (let i = 0; i < n; i++) await createTask(herald.url, 'flow', `f${published++}`);
    };
    await publish(5);
    await got.count(5);
    cut();
    await publish(10); // published while the client is away or reconnecting
    await got.count(15);
    cut();
    await Promise.all([publish(10), got.count(25)]);
    expect(got.events.map((e) => e.task!.title)).toEqual(Array.from({ length: 25 }, (_, i) => `f${i}`));
    expect(got.events.map((e) => e.sequence)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    got.dispose();
    await client.dispose();
  });

  it('replays what came after a saved cursor, across several repositories, then goes live', async () => {
    const first = await createTask(herald.url, 'multi-a', 'a1');
    void first;
    const c = wsClient(herald.wsUrl);
    const live = record<TaskEventResult>(c, TASK_EVENTS, { repositories: ['multi-a', 'multi-b'] });
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'multi-b', 'b1');
    const [seen] = await live.waitForCount(1);
    live.dispose();
    await createTask(herald.url, 'multi-a', 'a2');
    await createTask(herald.url, 'multi-c', 'c1');
    await createTask(herald.url, 'multi-b', 'b2');

    const resumed = record<TaskEventResult>(c, TASK_EVENTS, { repositories: ['multi-a', 'multi-b'], after: seen!.cursor });
    await resumed.waitForCount(2);
    await createTask(herald.url, 'multi-a', 'a3');
    expect((await resumed.waitForCount(3)).map((e) => e.task!.title)).toEqual(['a2', 'b2', 'a3']);
    await c.dispose();
  });

  it('answers a cursor older than retention with CURSOR_EXPIRED and ends the subscription', async () => {
    const c = wsClient(herald.wsUrl);
    const early = record<TaskEventResult>(c, TASK_EVENTS, { repositories: ['short'] });
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'short', 'first');
    const [first] = await early.waitForCount(1);
    early.dispose();
    for (let i = 0; i < 60; i++) await createTask(herald.url, 'short', `n${i}`);
    const late = record(c, TASK_EVENTS, { repositories: ['short'], after: first!.cursor });
    await late.ended;
    expect(late.values).toEqual([]);
    expect(late.errors).toEqual([expect.objectContaining({ extensions: { code: 'CURSOR_EXPIRED' } })]);
    const bad = record(c, TASK_EVENTS, { repositories: ['short'], after: 'not-a-cursor' });
    await bad.ended;
    expect(bad.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }) })]);
    await c.dispose();
  });

  it('skips expired events in catch-up and honours minPriority', async () => {
    const c = wsClient(herald.wsUrl);
    const marker = record<TaskEventResult>(c, TASK_EVENTS, { repositories: ['prio'] });
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'prio', 'start');
    const [start] = await marker.waitForCount(1);
    marker.dispose();
    const soon = new Date(Date.now() + 300).toISOString();
    const make = (title: string, extra: Record<string, unknown>) => gqlOk(herald.url, CREATE_TASK, { input: { repository: 'prio', title, ...extra } });
    await make('low', { priority: 'LOW' });
    await make('high', { priority: 'HIGH' });
    await make('fleeting', { priority: 'CRITICAL', expiresAt: soon });
    await new Promise((resolve) => setTimeout(resolve, 400)); // let "fleeting" expire before catching up
    const high = record<TaskEventResult>(c, TASK_EVENTS, { repositories: ['prio'], after: start!.cursor, minPriority: 'HIGH' });
    await high.waitForCount(1);
    await make('critical', { priority: 'CRITICAL' });
    expect((await high.waitForCount(2)).map((e) => e.task!.title)).toEqual(['high', 'critical']);
    await c.dispose();
  });

  it('pages through the log with events(topics, after, limit): in order, no overlap', async () => {
    for (let i = 0; i < 7; i++) await createTask(herald.url, `page-${i % 2}`, `p${i}`);
    const titles: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const data = await gqlOk(herald.url, 'query ($after: String) { events(topics: ["repo:page-0", "repo:page-1"], after: $after, limit: 3) { events { type topic sequence payload } cursor hasMore } }', { after });
      titles.push(...data.events.events.map((e: { payload: { task: { title: string } } }) => e.payload.task.title));
      after = data.events.cursor;
      if (!data.events.hasMore) break;
    }
    expect(titles).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    const refused = await gql(herald.url, '{ events(topics: ["nonsense"]) { hasMore } }');
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('resumes over SSE with after', async () => {
    await createTask(herald.url, 'sse-resume', 's1');
    const { events } = await gqlOk(herald.url, '{ events(topics: ["repo:sse-resume"]) { events { cursor } } }');
    await createTask(herald.url, 'sse-resume', 's2');
    const query = encodeURIComponent(`subscription { taskEvents(repositories: ["sse-resume"], after: "${events.events[0].cursor}") { task { title } } }`);
    const response = await fetch(`${herald.url}?query=${query}`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${ADMIN_TOKEN}` } });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('"s2"')) text += (await reader.read()).value ?? '';
    await reader.cancel();
    expect(text).not.toContain('"s1"');
  });
});

describe.each(TOPOLOGIES)('resume and idempotency across instances (%s)', (topology) => {
  const cluster = useCluster(2, {}, topology);
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];

  it('resumes on another instance with the cursor from the first', async () => {
    const onA = wsClient(a.wsUrl);
    const first = record<TaskEventResult>(onA, TASK_EVENTS, { repositories: ['moving'] });
    await waitForSubscriptions(a.url, 1);
    await createTask(a.url, 'moving', 'm1');
    const [seen] = await first.waitForCount(1);
    await onA.dispose();
    await createTask(a.url, 'moving', 'm2');
    await createTask(b.url, 'moving', 'm3');
    const onB = wsClient(b.wsUrl);
    const resumed = record<TaskEventResult>(onB, TASK_EVENTS, { repositories: ['moving'], after: seen!.cursor });
    expect((await resumed.waitForCount(2)).map((e) => [e.task!.title, e.sequence])).toEqual([['m2', 2], ['m3', 3]]);
    await onB.dispose();
  });

  it('returns the first result for a repeated idempotency key on another instance and publishes once', async () => {
    const input = { repository: 'once', title: 'only once', idempotencyKey: 'create-once-1' };
    const fromA = await gqlOk(a.url, CREATE_TASK, { input });
    const fromB = await gqlOk(b.url, CREATE_TASK, { input });
    expect(fromB.createTask).toEqual(fromA.createTask);
    const { tasks } = await gqlOk(a.url, '{ tasks(repository: "once") { id } }');
    expect(tasks).toEqual([{ id: fromA.createTask.id }]);
    const { events } = await gqlOk(b.url, '{ events(topics: ["repo:once"]) { events { id } } }');
    expect(events.events).toHaveLength(1);
  });
});
