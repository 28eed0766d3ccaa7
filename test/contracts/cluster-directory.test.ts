import { expect, it } from 'vitest';
import type { ConnectionReport, InstanceReport } from '../../src/cluster/directory.js';
import { createMemoryClusterDirectory } from '../../src/cluster/directory.memory.js';
import { createRedisClusterDirectory } from '../../src/cluster/directory.redis.js';
import { contract, outlive, redisOnly } from './backends.js';

const summary = (instanceId: string, reportedAt = '2026-01-01T00:00:10.000Z', connections = 1): InstanceReport => ({
  instanceId,
  mode: 'REDIS',
  startedAt: '2026-01-01T00:00:00.000Z',
  reportedAt,
  subscriptions: 3,
  eventsPublished: 10,
  eventsDelivered: 25,
  gatewayEventsSent: 4,
  gatewaySendFailures: 1,
  slowConsumerDisconnects: 0,
  connections,
  gatewayListeners: { 'gw-1': 2 },
  cliListeners: { '01CLI': 1 },
});

const connection = (id: string, instanceId: string): ConnectionReport => ({
  id,
  instanceId,
  remoteAddress: '10.0.0.7',
  connectedAt: '2026-01-01T00:00:01.000Z',
  lastHeartbeatAt: '2026-01-01T00:00:09.000Z',
  principalKind: 'gateway',
  principalId: 'gw-1',
  gatewayId: 'gw-1',
  clientName: 'edge',
  clientVersion: '1.4.0',
  subscriptions: 1,
  eventsSent: 4,
  eventsDropped: 0,
  heartbeatRttMs: 3,
  systemMessages: true,
});

const byId = <T extends { instanceId: string }>(list: T[]) => [...list].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
const ttl = 60_000;

contract('ClusterDirectory', { memory: createMemoryClusterDirectory, redis: createRedisClusterDirectory }, (make) => {
  it('knows no instance before one reports', async () => {
    const directory = await make();
    expect(await directory.instances()).toEqual([]);
  });

  it('holds the latest summary an instance reported', async () => {
    const directory = await make();
    await directory.report(summary('i-1'), [connection('c1', 'i-1')], ttl);
    expect(await directory.instances()).toEqual([summary('i-1')]);
    const newer = summary('i-1', '2026-01-01T00:00:20.000Z', 0);
    await directory.report(newer, [], ttl);
    expect(await directory.instances()).toEqual([newer]);
    expect(await directory.instances('i-1')).toEqual([]);
    expect(await directory.instances('i-2')).toEqual([newer]);
  });

  it('drops an instance that was removed', async () => {
    const directory = await make();
    await directory.report(summary('i-1'), [connection('c1', 'i-1')], ttl);
    await directory.remove('i-1');
    expect(await directory.instances()).toEqual([]);
    expect(await directory.connections()).toEqual([]);
  });
});

// The embedded directory keeps no connection lists (the cluster view reads them fresh), and is one instance.
redisOnly('ClusterDirectory', createRedisClusterDirectory, (_make, backend) => {
  it('lists the summaries and connections of every instance, from any instance', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance(), await instance()];
    await a.report(summary('i-a'), [connection('c1', 'i-a'), connection('c2', 'i-a')], ttl);
    await b.report(summary('i-b', undefined, 1), [connection('c3', 'i-b')], ttl);
    for (const directory of [a, b]) {
      expect(byId(await directory.instances())).toEqual([summary('i-a'), summary('i-b', undefined, 1)]);
      expect((await directory.connections()).map((c) => c.id).sort()).toEqual(['c1', 'c2', 'c3']);
    }
    expect(await a.connections()).toContainEqual(connection('c3', 'i-b'));
    await b.report(summary('i-b', '2026-01-01T00:00:20.000Z', 0), [], ttl);
    expect((await a.connections()).map((c) => c.id).sort()).toEqual(['c1', 'c2']);
    await a.remove('i-a');
    expect(await b.instances()).toEqual([summary('i-b', '2026-01-01T00:00:20.000Z', 0)]);
    expect(await b.connections()).toEqual([]);
  });

  it('leaves out the instance asking, when it says which it is', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance(), await instance()];
    await a.report(summary('i-a'), [], ttl);
    await b.report(summary('i-b'), [], ttl);
    expect(await a.instances('i-a')).toEqual([summary('i-b')]);
    expect(await b.instances('i-b')).toEqual([summary('i-a')]);
    await b.remove('i-b');
    expect(await a.instances('i-a')).toEqual([]);
  });

  it('forgets an instance that does not report again within its ttl', async () => {
    const instance = backend.cluster();
    const [live, dying] = [await instance(), await instance()];
    const shortTtl = 300;
    await live.report(summary('i-live'), [connection('c-live', 'i-live')], ttl);
    await dying.report(summary('i-dying'), [connection('c-dying', 'i-dying')], shortTtl);
    expect(byId(await live.instances()).map((s) => s.instanceId)).toEqual(['i-dying', 'i-live']);
    await outlive(shortTtl);
    expect(await live.instances()).toEqual([summary('i-live')]);
    expect(await live.connections()).toEqual([connection('c-live', 'i-live')]);
  });

  it('keeps the connection list it last got while reports come without one, and lets it expire with the summary', async () => {
    const instance = backend.cluster();
    const [reader, reporter] = [await instance(), await instance()];
    await reporter.report(summary('i-r'), [connection('c1', 'i-r')], ttl);
    await reporter.report(summary('i-r', '2026-01-01T00:00:20.000Z', 0), null, ttl);
    expect(await reader.connections()).toEqual([connection('c1', 'i-r')]);
    expect(await reader.instances()).toEqual([summary('i-r', '2026-01-01T00:00:20.000Z', 0)]);
    const shortTtl = 300;
    await reporter.report(summary('i-r'), null, shortTtl);
    await outlive(shortTtl);
    expect(await reader.connections()).toEqual([]);
  });
});
