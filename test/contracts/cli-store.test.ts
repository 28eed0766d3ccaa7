import { expect, it } from 'vitest';
import { Deposed } from '../../src/push/leader.js';
import { redisLeadership } from '../../src/push/leader.redis.js';
import { createMemoryCliStore } from '../../src/push/store.memory.js';
import { createRedisCliStore } from '../../src/push/store.redis.js';
import { KEPT_DELIVERIES, NEW_ENDPOINT, type CliRegistration, type Delivery, type DeliveryStatus } from '../../src/push/store.js';
import { contract, redisOnly } from './backends.js';

const registration = (id: string): CliRegistration => ({
  id,
  ownerId: 'user-1',
  name: null,
  callbackUrl: 'http://127.0.0.1:9000/herald',
  repositories: ['acme/web', 'acme/api'],
  secret: `secret-of-${id}`,
  clientVersion: '2.1.0',
  createdAt: '2026-01-01T00:00:00.000Z',
});
const start = { position: 40, time: 1_767_225_600_000 };
const later = { position: 41, time: 1_767_225_601_000 };

const delivery = (id: string, registrationId: string, status: DeliveryStatus = 'DELIVERED', attempts = 1): Delivery => ({
  id,
  registrationId,
  eventId: `event-${id}`,
  eventType: 'TASK_CREATED',
  status,
  attempts,
  lastError: status === 'DELIVERED' ? null : 'HTTP 503',
  firstAttemptAt: '2026-01-01T00:00:01.000Z',
  deliveredAt: status === 'DELIVERED' ? '2026-01-01T00:00:01.020Z' : null,
  latencyMs: status === 'DELIVERED' ? 20 : null,
});

contract('CliStore', { memory: createMemoryCliStore, redis: createRedisCliStore }, (make) => {
  it('creates, gets and lists registrations; an unknown id is null', async () => {
    const store = await make();
    expect(await store.list()).toEqual([]);
    expect(await store.create(registration('01A'), start)).toEqual(registration('01A'));
    await store.create(registration('01B'), start);
    expect(await store.get('01A')).toEqual(registration('01A'));
    expect(await store.get('unknown')).toBeNull();
    expect(await store.list()).toEqual([registration('01A'), registration('01B')]);
  });

  // Ids are ULIDs: two made in the same millisecond need not sort in the order they were made.
  it('lists registrations sorted by id whatever order they were created in', async () => {
    const store = await make();
    for (const id of ['01C', '01A', '01B']) await store.create(registration(id), start);
    expect((await store.list()).map((r) => r.id)).toEqual(['01A', '01B', '01C']);
  });

  it('creates a registration only while its owner holds fewer than the limit', async () => {
    const store = await make();
    const owned = (id: string, ownerId: string) => ({ ...registration(id), ownerId });
    expect(await store.create(owned('a1', 'ana'), start, 2)).toEqual(owned('a1', 'ana'));
    expect(await store.create(owned('b1', 'bo'), start, 2)).toEqual(owned('b1', 'bo'));
    expect(await store.create(owned('a2', 'ana'), start, 2)).toEqual(owned('a2', 'ana'));
    expect(await store.create(owned('a3', 'ana'), start, 2)).toBeNull();
    expect(await store.get('a3')).toBeNull();
    expect(await store.cursor('a3')).toBeNull();
    expect((await store.list()).map((r) => r.id)).toEqual(['a1', 'a2', 'b1']);
    // Others are counted apart; deleting frees a place; no limit, no count.
    expect(await store.create(owned('b2', 'bo'), start, 2)).not.toBeNull();
    await store.delete('a1');
    expect(await store.create(owned('a3', 'ana'), start, 2)).not.toBeNull();
    expect(await store.create(owned('a4', 'ana'), start)).not.toBeNull();
  });

  it('lets only the limit through when an owner creates many at once', async () => {
    const store = await make();
    const made = await Promise.all(Array.from({ length: 8 }, (_, i) => store.create({ ...registration(`r${i}`), ownerId: 'burst' }, start, 3)));
    expect(made.filter(Boolean)).toHaveLength(3);
    expect(await store.list()).toHaveLength(3);
  });

  it('resumes from the cursor it was created with until the cursor is set', async () => {
    const store = await make();
    await store.create(registration('r'), start);
    expect(await store.cursor('r')).toEqual(start);
    await store.setCursor('r', later);
    expect(await store.cursor('r')).toEqual(later);
    expect(await store.cursor('unknown')).toBeNull();
  });

  it('deletes a registration with its cursor, state and deliveries; false when there was none', async () => {
    const store = await make();
    await store.create(registration('r'), start);
    await store.create(registration('kept'), start);
    await store.recordDelivery(delivery('d1', 'r'), { state: { delivered: 1 }, cursor: later });
    expect(await store.delete('r')).toBe(true);
    expect(await store.get('r')).toBeNull();
    expect(await store.cursor('r')).toBeNull();
    expect(await store.state('r')).toEqual(NEW_ENDPOINT);
    expect(await store.deliveries('r', null, 10)).toEqual([]);
    expect((await store.list()).map((x) => x.id)).toEqual(['kept']);
    expect(await store.delete('r')).toBe(false);
    // Setting the cursor of a deleted registration brings nothing back.
    await store.setCursor('r', later);
    expect(await store.cursor('r')).toBeNull();
  });

  it("deletes every registration of one owner with their cursors, states and deliveries, and no one else's", async () => {
    const store = await make();
    const own = (id: string, ownerId: string): CliRegistration => ({ ...registration(id), ownerId });
    for (const r of [own('a2', 'key:K1'), own('b', 'key:K2'), own('a1', 'key:K1')]) await store.create(r, start);
    await store.recordDelivery(delivery('d1', 'a1'), { state: { delivered: 1 }, cursor: later });
    await store.recordDelivery(delivery('d2', 'b'), { state: { delivered: 1 }, cursor: later });
    expect(await store.deleteByOwner('key:K1')).toEqual(['a1', 'a2']);
    expect((await store.list()).map((r) => r.id)).toEqual(['b']);
    expect(await store.get('a1')).toBeNull();
    expect(await store.cursor('a1')).toBeNull();
    expect(await store.state('a1')).toEqual(NEW_ENDPOINT);
    expect(await store.deliveries('a1', null, 10)).toEqual([]);
    expect(await store.deliveries('b', null, 10)).toHaveLength(1);
    expect(await store.cursor('b')).toEqual(later);
    expect(await store.deleteByOwner('key:K1')).toEqual([]);
    expect(await store.deleteByOwner('nobody')).toEqual([]);
  });

  it('starts a new endpoint state, and sets the fields given keeping the others', async () => {
    const store = await make();
    await store.create(registration('r'), start);
    expect(await store.state('r')).toEqual(NEW_ENDPOINT);
    await store.updateState('r', { healthy: true, lastHealthCheckAt: '2026-01-01T00:01:00.000Z' });
    await store.updateState('r', { breaker: { state: 'OPEN', failures: 5, openedAt: 1_767_225_660_000 }, failed: 5 });
    await store.updateState('r', { unreachableSince: 1_767_225_670_000, healthy: false });
    expect(await store.state('r')).toEqual({
      ...NEW_ENDPOINT,
      healthy: false,
      lastHealthCheckAt: '2026-01-01T00:01:00.000Z',
      breaker: { state: 'OPEN', failures: 5, openedAt: 1_767_225_660_000 },
      failed: 5,
      unreachableSince: 1_767_225_670_000,
    });
    // No state is kept for a registration that does not exist.
    await store.updateState('unknown', { healthy: true });
    expect(await store.state('unknown')).toEqual(NEW_ENDPOINT);
  });

  it('lists deliveries newest first; recording one again moves it to the front without a copy', async () => {
    const store = await make();
    await store.create(registration('r'), start);
    for (const id of ['d1', 'd2', 'd3']) await store.recordDelivery(delivery(id, 'r', 'RETRYING'));
    expect((await store.deliveries('r', null, 10)).map((d) => d.id)).toEqual(['d3', 'd2', 'd1']);
    const retried = delivery('d1', 'r', 'DELIVERED', 2);
    await store.recordDelivery(retried);
    expect(await store.deliveries('r', null, 10)).toEqual([retried, delivery('d3', 'r', 'RETRYING'), delivery('d2', 'r', 'RETRYING')]);
  });

  it(`keeps the newest ${KEPT_DELIVERIES} deliveries of each registration`, async () => {
    const store = await make();
    await store.create(registration('busy'), start);
    await store.create(registration('quiet'), start);
    await store.recordDelivery(delivery('q1', 'quiet'));
    const total = KEPT_DELIVERIES + 2;
    for (let i = 0; i < total; i++) await store.recordDelivery(delivery(`d${i}`, 'busy'));
    const kept = await store.deliveries('busy', null, total);
    expect(kept).toHaveLength(KEPT_DELIVERIES);
    expect(kept[0]!.id).toBe(`d${total - 1}`);
    expect(kept.at(-1)!.id).toBe('d2');
    // Recording a dropped delivery again keeps it as the newest, still within the bound.
    await store.recordDelivery(delivery('d0', 'busy', 'FAILED'));
    const after = await store.deliveries('busy', null, total);
    expect(after.map((d) => d.id).slice(0, 2)).toEqual(['d0', `d${total - 1}`]);
    expect(after).toHaveLength(KEPT_DELIVERIES);
    expect(after.at(-1)!.id).toBe('d3');
    expect((await store.deliveries('quiet', null, 10)).map((d) => d.id)).toEqual(['q1']);
  });

  it('writes the endpoint state change and the cursor together with the delivery', async () => {
    const store = await make();
    await store.create(registration('r'), start);
    await store.updateState('r', { healthy: true });
    await store.recordDelivery(delivery('d1', 'r', 'RETRYING'), { state: { breaker: { state: 'CLOSED', failures: 1, openedAt: null } } });
    expect(await store.cursor('r')).toEqual(start);
    await store.recordDelivery(delivery('d1', 'r'), { state: { delivered: 1, breaker: NEW_ENDPOINT.breaker }, cursor: later });
    expect(await store.state('r')).toEqual({ ...NEW_ENDPOINT, healthy: true, delivered: 1 });
    expect(await store.cursor('r')).toEqual(later);
    // Without progress only the delivery is written.
    await store.recordDelivery(delivery('d2', 'r'));
    expect(await store.state('r')).toEqual({ ...NEW_ENDPOINT, healthy: true, delivered: 1 });
    expect(await store.cursor('r')).toEqual(later);
  });

  it('records nothing for a registration that was deleted', async () => {
    const store = await make();
    await store.create(registration('r'), start);
    await store.delete('r');
    await store.recordDelivery(delivery('d1', 'r'), { state: { delivered: 1 }, cursor: later });
    expect(await store.deliveries('r', null, 10)).toEqual([]);
    expect(await store.state('r')).toEqual(NEW_ENDPOINT);
    expect(await store.cursor('r')).toBeNull();
    expect(await store.get('r')).toBeNull();
  });

  it('reads one delivery by its id; null for one it does not keep', async () => {
    const store = await make();
    await store.create(registration('r'), start);
    await store.recordDelivery(delivery('d1', 'r', 'RETRYING', 2));
    expect(await store.delivery('r', 'd1')).toEqual(delivery('d1', 'r', 'RETRYING', 2));
    expect(await store.delivery('r', 'd2')).toBeNull();
    expect(await store.delivery('other', 'd1')).toBeNull();
  });

  it('filters deliveries by status and returns at most the first n', async () => {
    const store = await make();
    await store.create(registration('r'), start);
    await store.create(registration('other'), start);
    const statuses: DeliveryStatus[] = ['DELIVERED', 'FAILED', 'DELIVERED', 'RETRYING', 'DELIVERED'];
    for (const [i, status] of statuses.entries()) await store.recordDelivery(delivery(`d${i}`, 'r', status));
    await store.recordDelivery(delivery('x', 'other', 'FAILED'));
    const ids = async (status: DeliveryStatus | null, first: number) => (await store.deliveries('r', status, first)).map((d) => d.id);
    expect(await ids('DELIVERED', 10)).toEqual(['d4', 'd2', 'd0']);
    expect(await ids('DELIVERED', 2)).toEqual(['d4', 'd2']);
    expect(await ids('FAILED', 10)).toEqual(['d1']);
    expect(await ids('FALLBACK', 10)).toEqual([]);
    expect(await ids(null, 3)).toEqual(['d4', 'd3', 'd2']);
    expect(await store.deliveries('unknown', null, 10)).toEqual([]);
  });
});

redisOnly('CliStore fencing', (redis, instanceId: string) => ({ store: createRedisCliStore(redis), leadership: redisLeadership(redis, instanceId, 30_000) }), (_make, backend) => {
  it('refuses every progress write of a lead that another has followed, and changes nothing', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance('instance-a'), await instance('instance-b')];
    const old = (await a.leadership.claim())!;
    await a.store.create(registration('r'), start);
    await a.store.recordDelivery(delivery('d1', 'r', 'RETRYING'), { state: { failed: 1 }, fence: old });
    await a.leadership.release();
    const current = (await b.leadership.claim())!;
    expect(current).toBeGreaterThan(old);

    await expect(a.store.recordDelivery(delivery('d1', 'r'), { state: { delivered: 1 }, cursor: later, fence: old })).rejects.toBeInstanceOf(Deposed);
    await expect(a.store.setCursor('r', later, old)).rejects.toBeInstanceOf(Deposed);
    await expect(a.store.updateState('r', { healthy: false }, old)).rejects.toBeInstanceOf(Deposed);
    expect(await b.store.cursor('r')).toEqual(start);
    expect(await b.store.state('r')).toEqual({ ...NEW_ENDPOINT, failed: 1 });
    expect(await b.store.delivery('r', 'd1')).toEqual(delivery('d1', 'r', 'RETRYING'));

    // The current lead's writes go through, from any connection.
    await a.store.recordDelivery(delivery('d1', 'r'), { state: { delivered: 1 }, cursor: later, fence: current });
    expect(await b.store.cursor('r')).toEqual(later);
    expect(await b.store.delivery('r', 'd1')).toEqual(delivery('d1', 'r'));
    await b.store.setCursor('r', start, current);
    await b.store.updateState('r', { healthy: true }, current);
    expect(await b.store.cursor('r')).toEqual(start);
    expect((await b.store.state('r')).healthy).toBe(true);
  });
});
