import { expect, it } from 'vitest';
import type { RecordedDeployment } from '../../src/gateways/acknowledgements.js';
import { createMemoryDeploymentStore } from '../../src/gateways/deployments.memory.js';
import { createRedisDeploymentStore } from '../../src/gateways/deployments.redis.js';
import { contract, elapse } from './backends.js';

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
  });
});
