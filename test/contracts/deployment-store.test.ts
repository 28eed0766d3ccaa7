import { expect, it } from 'vitest';
import type { RecordedDeployment } from '../../src/gateways/acknowledgements.js';
import { createMemoryDeploymentStore } from '../../src/gateways/deployments.memory.js';
import { createRedisDeploymentStore } from '../../src/gateways/deployments.redis.js';
import { newId } from '../../src/ids.js';
import { contract, elapse, redisOnly } from './backends.js';

const deployment = (id: string, correlationId: string | null, gateways: string[]): RecordedDeployment => ({
  id,
  kind: 'DEPLOY',
  correlationId,
  publishedAt: '2026-01-01T00:00:00.000Z',
  targets: gateways.map((gatewayId) => ({ gatewayId, eventId: `${id}-${gatewayId}`, status: 'DELIVERED', acknowledgedAt: null })),
});

contract('DeploymentStore', { memory: () => createMemoryDeploymentStore(), redis: createRedisDeploymentStore }, (make) => {
  it('finds a deployment by id and by correlation id (the latest with it)', async () => {
    const store = await make();
    await store.record(deployment('d1', 'release', ['g1', 'g2']), 60);
    await store.record(deployment('d2', 'release', ['g1']), 60);
    expect(await store.get('d1')).toEqual(deployment('d1', 'release', ['g1', 'g2']));
    expect((await store.get('release'))!.id).toBe('d2');
    expect(await store.get('nothing')).toBeNull();
  });

  it("confirms a gateway's own event once, keeping the first time", async () => {
    const store = await make();
    await store.record(deployment('d1', null, ['g1', 'g2']), 60);
    const first = await store.acknowledge('g1', 'd1-g1', '2026-01-01T00:00:01.000Z');
    expect(first!.targets).toEqual([
      { gatewayId: 'g1', eventId: 'd1-g1', status: 'DELIVERED', acknowledgedAt: '2026-01-01T00:00:01.000Z' },
      { gatewayId: 'g2', eventId: 'd1-g2', status: 'DELIVERED', acknowledgedAt: null },
    ]);
    expect(await store.acknowledge('g1', 'd1-g1', '2026-01-01T00:00:09.000Z')).toEqual(first);
    expect(await store.acknowledge('g2', 'd1-g1', '2026-01-01T00:00:02.000Z')).toBeNull();
    expect(await store.acknowledge('g1', 'unknown', '2026-01-01T00:00:02.000Z')).toBeNull();
    expect(await store.get('d1')).toEqual(first);
  });

  it('forgets a deployment once its time is up', async () => {
    const store = await make();
    await store.record(deployment('d1', 'short', ['g1']), 1);
    await elapse(1_100);
    expect(await store.get('d1')).toBeNull();
    expect(await store.get('short')).toBeNull();
    expect(await store.acknowledge('g1', 'd1-g1', '2026-01-01T00:00:02.000Z')).toBeNull();
    expect(await store.latestFor('g1')).toBeNull();
  });

  it("finds each gateway's latest deployment, with its acknowledgements", async () => {
    const store = await make();
    await store.record(deployment('d1', null, ['g1', 'g2']), 60);
    await store.record(deployment('d2', null, ['g1']), 60);
    await store.acknowledge('g1', 'd2-g1', '2026-01-01T00:00:03.000Z');
    expect((await store.latestFor('g1'))!.targets).toEqual([{ gatewayId: 'g1', eventId: 'd2-g1', status: 'DELIVERED', acknowledgedAt: '2026-01-01T00:00:03.000Z' }]);
    expect((await store.latestFor('g2'))!.id).toBe('d1');
    expect(await store.latestFor('g3')).toBeNull();
    // A deleted gateway's latest deployment is forgotten; the deployment itself stays for the others.
    await store.forgetGateway('g1');
    expect(await store.latestFor('g1')).toBeNull();
    expect((await store.latestFor('g2'))!.id).toBe('d1');
    expect(await store.get('d2')).not.toBeNull();
  });
});

contract('DeploymentStore, events made apart', { memory: () => createMemoryDeploymentStore(), redis: createRedisDeploymentStore }, (make) => {
  it('confirms events whose ids were made minutes apart, and has nothing to confirm for a target that got no event', async () => {
    const store = await make();
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    // One event id per gateway, each 40 s after the one before: ULIDs whose time differs within their first eight characters.
    const ids = ['g1', 'g2', 'g3'].map((_, i) => newId(start + i * 40_000));
    const recorded: RecordedDeployment = {
      id: 'd1',
      kind: 'DEPLOY',
      correlationId: null,
      publishedAt: '2026-01-01T00:00:00.000Z',
      targets: [
        ...ids.map((eventId, i) => ({ gatewayId: `g${i + 1}`, eventId, status: 'DELIVERED' as const, acknowledgedAt: null })),
        { gatewayId: 'g4', eventId: null, status: 'FAILED', acknowledgedAt: null },
      ],
    };
    await store.record(recorded, 60);
    for (const [i, eventId] of ids.entries()) expect((await store.acknowledge(`g${i + 1}`, eventId, '2026-01-01T00:02:00.000Z'))!.id).toBe('d1');
    expect(await store.acknowledge('g4', 'd1-g4', '2026-01-01T00:02:00.000Z')).toBeNull();
    expect((await store.get('d1'))!.targets.map((t) => t.acknowledgedAt)).toEqual(['2026-01-01T00:02:00.000Z', '2026-01-01T00:02:00.000Z', '2026-01-01T00:02:00.000Z', null]);
  });
});

redisOnly('DeploymentStore, records of the previous layout', (redis) => ({ redis, store: createRedisDeploymentStore(redis) }), (make) => {
  it('confirms and finds as the latest a deployment indexed by a key per event and per gateway', async () => {
    const { redis, store } = await make();
    const p = `${redis.keyPrefix}{deployments}:`;
    const target = { gatewayId: 'g1', eventId: 'old-event', status: 'DELIVERED' };
    const meta = { id: 'd0', kind: 'DEPLOY', correlationId: null, publishedAt: '2026-01-01T00:00:00.000Z' };
    await redis.command.hset(`${p}deployment:d0`, 'meta', JSON.stringify(meta), 'g1', JSON.stringify(target));
    await redis.command.set(`${p}deployment-event:old-event`, 'd0', 'EX', 60);
    await redis.command.set(`${p}deployment-gateway:g1`, 'd0', 'EX', 60);
    expect((await store.latestFor('g1'))!.id).toBe('d0');
    const confirmed = await store.acknowledge('g1', 'old-event', '2026-01-01T00:00:05.000Z');
    expect(confirmed!.targets).toEqual([{ ...target, acknowledgedAt: '2026-01-01T00:00:05.000Z' }]);
    // Once the gateway gets a deployment recorded as now, that one is its latest.
    await store.record(deployment('d1', null, ['g1']), 60);
    expect((await store.latestFor('g1'))!.id).toBe('d1');
  });
});
