import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { createTask, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient, type TaskEventResult } from './helpers/client.js';
import { decodeCursor } from '../src/events/cursor.js';
import { useHerald } from './helpers/servers.js';

const NO_FILTERS = {};
const FILTERED_TASK_EVENTS = /* GraphQL */ `
  subscription ($repositories: [String!]!, $types: [TaskEventType!], $changedBy: String, $assignee: String, $status: TaskStatus) {
    taskEvents(repositories: $repositories, types: $types, changedBy: $changedBy, assignee: $assignee, status: $status) { id type taskId sequence task { status assignee } }
  }
`;

describe.each(['embedded', 'redis'] as const)('task events over WebSocket (%s)', (mode) => {
  const herald = useHerald({}, { redis: mode === 'redis' });
  let clients: Client[] = [];
  let subscriptions = 0;

  const client = (options: Parameters<typeof wsClient>[1] = {}) => {
    const c = wsClient(herald.wsUrl, options);
    clients.push(c);
    return c;
  };
  /** Subscribes and waits until the server has the subscription live. */
  const subscribe = async (repositories: string[], c = client(), filters: Record<string, unknown> = NO_FILTERS) => {
    const recorder = record<TaskEventResult>(c, filters === NO_FILTERS ? TASK_EVENTS : FILTERED_TASK_EVENTS, { repositories, ...filters });
    subscriptions += 1;
    await waitForSubscriptions(herald.url, subscriptions);
    return recorder;
  };

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    clients = [];
    await waitForSubscriptions(herald.url, 0);
    subscriptions = 0;
  });

  it('delivers a created, updated and deleted task with the whole envelope', async () => {
    const events = await subscribe(['envelope']);
    const task = await createTask(herald.url, 'envelope', 'first');
    await gqlOk(herald.url, `mutation ($id: ID!) { updateTask(id: $id, input: { status: DONE }) { id } }`, { id: task.id });
    await gqlOk(herald.url, `mutation ($id: ID!) { deleteTask(id: $id) { id } }`, { id: task.id });

    const [created, updated, deleted] = await events.waitForCount(3);
    expect(created).toMatchObject({ type: 'CREATED', taskId: task.id, repository: 'envelope', changedBy: 'admin', task: { id: task.id, title: 'first', status: 'TODO' } });
    expect(updated).toMatchObject({ type: 'UPDATED', taskId: task.id, task: { status: 'DONE' } });
    expect(deleted).toMatchObject({ type: 'DELETED', taskId: task.id, task: { id: task.id, status: 'DONE' } });
    expect(new Set([created!.id, updated!.id, deleted!.id]).size).toBe(3);
    expect(updated!.sequence).toBe(created!.sequence + 1);
    expect(deleted!.sequence).toBe(updated!.sequence + 1);
    for (const e of [created!, updated!, deleted!]) {
      expect(Number.isNaN(Date.parse(e.timestamp))).toBe(false);
      expect(decodeCursor(e.cursor)).toMatchObject({ topic: 'repo:envelope', sequence: e.sequence, time: Date.parse(e.timestamp) });
    }
  });

  it('filters task events by change, author, assignee and status', async () => {
    const byChange = await subscribe(['filtered'], client(), { types: ['UPDATED', 'DELETED'] });
    const byAuthor = await subscribe(['filtered'], client(), { changedBy: 'anonymous' });
    const byAssignee = await subscribe(['filtered'], client(), { assignee: 'ana' });
    const byStatus = await subscribe(['filtered'], client(), { status: 'DONE' });
    const task = await createTask(herald.url, 'filtered', 'first');
    await gqlOk(herald.url, 'mutation ($id: ID!) { updateTask(id: $id, input: { assignee: "ana" }) { id } }', { id: task.id });
    await gqlOk(herald.url, 'mutation ($id: ID!) { updateTask(id: $id, input: { status: DONE }) { id } }', { id: task.id }, null);
    await gqlOk(herald.url, 'mutation ($id: ID!) { deleteTask(id: $id) { id } }', { id: task.id });
    // The last event reaches every subscriber that wants it; by then each has all it will get.
    const changes = (r: { values: TaskEventResult[] }) => r.values.map((e) => e.type);
    expect(changes({ values: await byChange.waitForCount(3) })).toEqual(['UPDATED', 'UPDATED', 'DELETED']);
    expect(changes({ values: await byAssignee.waitForCount(3) })).toEqual(['UPDATED', 'UPDATED', 'DELETED']);
    expect(changes({ values: await byStatus.waitForCount(2) })).toEqual(['UPDATED', 'DELETED']);
    expect(changes({ values: await byAuthor.waitForCount(1) })).toEqual(['UPDATED']);
  });

  it('names the anonymous caller in changedBy when no credentials are given (development)', async () => {
    const events = await subscribe(['anon'], client({ connectionParams: {} }));
    await createTask(herald.url, 'anon', 'by nobody', null);
    const [event] = await events.waitForCount(1);
    expect(event!.changedBy).toBe('anonymous');
  });

  it('never delivers events of another repository', async () => {
    const a = await subscribe(['filter-a']);
    const b = await subscribe(['filter-b']);
    await createTask(herald.url, 'filter-b', 'b1');
    await createTask(herald.url, 'filter-a', 'a1');
    await createTask(herald.url, 'filter-b', 'b2');
    await createTask(herald.url, 'filter-a', 'a2');
    // b's last event was published after a's first: once b has both, a has had every chance to see b's.
    await b.waitForCount(2);
    const aEvents = await a.waitForCount(2);
    expect(aEvents.map((e) => e.task!.title)).toEqual(['a1', 'a2']);
    expect(b.values.map((e) => e.task!.title)).toEqual(['b1', 'b2']);
  });

  it('delivers 100 rapid mutations in order with strictly increasing sequence', async () => {
    const events = await subscribe(['order']);
    await Promise.all(Array.from({ length: 100 }, (_, i) => createTask(herald.url, 'order', `t${i}`)));
    const received = await events.waitForCount(100);
    for (let i = 1; i < received.length; i++) expect(received[i]!.sequence).toBe(received[i - 1]!.sequence + 1);
    expect(new Set(received.map((e) => e.task!.title)).size).toBe(100);
  });

  it('fans out every event exactly once to each of 10 clients', async () => {
    const recorders = [];
    for (let i = 0; i < 10; i++) recorders.push(await subscribe(['fanout']));
    for (let i = 0; i < 20; i++) await createTask(herald.url, 'fanout', `f${i}`);
    for (const r of recorders) {
      const got = await r.waitForCount(20);
      expect(got.map((e) => e.task!.title)).toEqual(Array.from({ length: 20 }, (_, i) => `f${i}`));
    }
    // Nothing beyond the 20: a duplicate would have arrived before the next event it was sent with.
    const last = await subscribe(['fanout']);
    await createTask(herald.url, 'fanout', 'marker');
    await last.waitForCount(1);
    for (const r of recorders) {
      const got = await r.waitForCount(21);
      expect(got).toHaveLength(21);
    }
  });

  it('delivers every repository to "*" and several named ones to one subscription', async () => {
    const all = await subscribe(['*']);
    const two = await subscribe(['multi-1', 'multi-2']);
    await createTask(herald.url, 'multi-1', 'm1');
    await createTask(herald.url, 'multi-3', 'm3');
    await createTask(herald.url, 'multi-2', 'm2');
    expect((await all.waitForCount(3)).map((e) => e.repository)).toEqual(['multi-1', 'multi-3', 'multi-2']);
    expect((await two.waitForCount(2)).map((e) => e.repository)).toEqual(['multi-1', 'multi-2']);
    expect(two.values).toHaveLength(2);
  });

  it('refuses a subscription to an invalid repository name or to none', async () => {
    for (const repositories of [['bad name'], []]) {
      const r = record(client(), TASK_EVENTS, { repositories });
      await r.ended;
      expect(JSON.stringify(r.errors)).toContain('BAD_USER_INPUT');
    }
  });

  it('shows connections and subscriptions in stats and connections', async () => {
    const c = client({ connectionParams: { authorization: 'Bearer test-admin-token-0123456789', clientName: 'herald-cli', clientVersion: '1.2.3' } });
    const events = await subscribe(['stats'], c);
    const { stats, connections } = await gqlOk(
      herald.url,
      '{ stats { instanceId mode connections subscriptions eventsPublished eventsDelivered uptimeSeconds } connections { id remoteAddress connectedAt clientName clientVersion principalId subscriptions } }',
    );
    expect(stats.mode).toBe(mode === 'redis' ? 'REDIS' : 'EMBEDDED');
    expect(stats.connections).toBe(1);
    expect(stats.subscriptions).toBe(1);
    expect(connections).toEqual([
      expect.objectContaining({ clientName: 'herald-cli', clientVersion: '1.2.3', principalId: 'admin', subscriptions: 1, remoteAddress: '127.0.0.1' }),
    ]);
    const before = stats.eventsDelivered as number;
    const published = stats.eventsPublished as number;
    await createTask(herald.url, 'stats', 's');
    await events.waitForCount(1);
    const after = await gqlOk(herald.url, '{ stats { eventsPublished eventsDelivered } }');
    expect(after.stats.eventsPublished).toBe(published + 1);
    expect(after.stats.eventsDelivered).toBe(before + 1);
  });
});
