import type { Client } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import { createTask, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient, type TaskEventResult } from './helpers/client.js';
import type { HeraldProcess } from './helpers/herald.js';
import { channelSubscribers, TOPOLOGIES } from './helpers/redis-topologies.js';
import { useCluster } from './helpers/servers.js';

describe.each(TOPOLOGIES)('two server processes on one Redis (%s)', (topology) => {
  const clients: Client[] = [];

  const cluster = useCluster(2, {}, topology);
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
  });

  it('are two instances in Redis mode', async () => {
    const [sa, sb] = await Promise.all([gqlOk(a.url, '{ stats { instanceId mode } }'), gqlOk(b.url, '{ stats { instanceId mode } }')]);
    expect(sa.stats).toEqual({ instanceId: 'a', mode: 'REDIS' });
    expect(sb.stats).toEqual({ instanceId: 'b', mode: 'REDIS' });
  });

  it('delivers a mutation made on one instance to a subscriber on the other, and both read the task', async () => {
    const client = wsClient(a.wsUrl);
    clients.push(client);
    const events = record<TaskEventResult>(client, TASK_EVENTS, { repositories: ['cross'] });
    await waitForSubscriptions(a.url, 1);

    const task = await createTask(b.url, 'cross', 'made on b');
    const [event] = await events.waitForCount(1);
    expect(event).toMatchObject({ type: 'CREATED', taskId: task.id, repository: 'cross', task: { title: 'made on b' } });

    for (const server of [a, b]) {
      const { task: read } = await gqlOk(server.url, `query ($id: ID!) { task(id: $id) { id title } }`, { id: task.id });
      expect(read).toEqual({ id: task.id, title: 'made on b' });
    }
    events.dispose();
    await waitForSubscriptions(a.url, 0);
  });

  it('holds one Redis subscription per topic per instance, however many clients listen', async () => {
    const many = Array.from({ length: 25 }, () => wsClient(a.wsUrl));
    clients.push(...many);
    const recorders = many.map((c) => record<TaskEventResult>(c, TASK_EVENTS, { repositories: ['crowd'] }));
    await waitForSubscriptions(a.url, 25);
    const channel = 'herald:ev:{repo:crowd}';
    expect(await channelSubscribers(cluster.deployment, channel)).toBe(1);

    await createTask(b.url, 'crowd', 'to all');
    for (const r of recorders) expect((await r.waitForCount(1))[0]!.task!.title).toBe('to all');

    for (const r of recorders) r.dispose();
    await waitForSubscriptions(a.url, 0);
    expect(await channelSubscribers(cluster.deployment, channel)).toBe(0);
  });

  it('shows subscribers on both instances one order for concurrent publishers on both', async () => {
    const onA = wsClient(a.wsUrl);
    const onB = wsClient(b.wsUrl);
    clients.push(onA, onB);
    const seenOnA = record<TaskEventResult>(onA, TASK_EVENTS, { repositories: ['shared-order'] });
    const seenOnB = record<TaskEventResult>(onB, TASK_EVENTS, { repositories: ['*'] });
    await Promise.all([waitForSubscriptions(a.url, 1), waitForSubscriptions(b.url, 1)]);

    const total = 100;
    await Promise.all(Array.from({ length: total }, (_, i) => createTask(i % 2 ? a.url : b.url, 'shared-order', `n${i}`)));
    const [fromA, fromB] = await Promise.all([seenOnA.waitForCount(total), seenOnB.waitForCount(total)]);
    const sequences = fromA.map((e) => e.sequence);
    expect(sequences).toEqual(Array.from({ length: total }, (_, i) => sequences[0]! + i));
    expect(fromB.map((e) => e.id)).toEqual(fromA.map((e) => e.id));
  });
});
