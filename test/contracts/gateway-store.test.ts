import { expect, it } from 'vitest';
import { buildGateway, NO_DELIVERIES, type GatewayKeyRecord } from '../../src/gateways/model.js';
import { createMemoryGatewayStore } from '../../src/gateways/store.memory.js';
import { createRedisGatewayStore } from '../../src/gateways/store.redis.js';
import { contract } from './backends.js';

const created = '2026-01-01T00:00:00.000Z';
const gateway = (id: string) => buildGateway(id, { name: `edge ${id}`, vhosts: ['api.example.com', 'www.example.com'] }, created);
const key = (id: string, gatewayId: string, revokedAt: string | null = null): GatewayKeyRecord => ({
  id,
  gatewayId,
  secretHash: `sha256-of-${id}`,
  createdAt: created,
  revokedAt,
});

contract('GatewayStore', { memory: createMemoryGatewayStore, redis: createRedisGatewayStore }, (make, backend) => {
  it('creates and gets a gateway; an unknown id is null', async () => {
    const store = await make();
    const g = gateway('01GW');
    expect(await store.create(g)).toEqual(g);
    expect(await store.get('01GW')).toEqual(g);
    expect(await store.get('unknown')).toBeNull();
  });

  it('names those of the ids that are no gateway, in the order asked', async () => {
    const store = await make();
    await store.create(gateway('g1'));
    await store.create(gateway('g2'));
    expect(await store.missing(['g1', 'x', 'g2', 'y'])).toEqual(['x', 'y']);
    expect(await store.missing(['g2', 'g1'])).toEqual([]);
    expect(await store.missing([])).toEqual([]);
  });

  it('lists every gateway, in creation order when ids sort by creation', async () => {
    const store = await make();
    expect(await store.list()).toEqual([]);
    const all = ['01A', '01B', '01C'].map(gateway);
    for (const g of all) await store.create(g);
    expect(await store.list()).toEqual(all);
  });

  // Ids are ULIDs: two made in the same millisecond need not sort in the order they were made.
  it('lists gateways sorted by id whatever order they were created in', async () => {
    const store = await make();
    for (const id of ['01C', '01A', '01B']) await store.create(gateway(id));
    expect((await store.list()).map((g) => g.id)).toEqual(['01A', '01B', '01C']);
  });

  it('deletes a gateway with its keys and statistics, leaving other gateways alone; false when there was none', async () => {
    const store = await make();
    await store.create(gateway('gone'));
    await store.create(gateway('kept'));
    await store.addKey(key('k-gone', 'gone'));
    await store.addKey(key('k-kept', 'kept'));
    await store.recordDeliveries(['gone', 'kept'], { ok: true });
    await store.recordDeliveries(['gone', 'kept'], { ok: false, at: created, reason: 'closed' });
    expect(await store.delete('gone')).toBe(true);
    expect(await store.get('gone')).toBeNull();
    expect(await store.getKey('k-gone')).toBeNull();
    expect(await store.deliveryStats('gone')).toEqual(NO_DELIVERIES);
    expect(await store.missing(['gone', 'kept'])).toEqual(['gone']);
    expect((await store.list()).map((g) => g.id)).toEqual(['kept']);
    expect(await store.getKey('k-kept')).toEqual(key('k-kept', 'kept'));
    expect(await store.deliveryStats('kept')).toEqual({ eventsSent: 1, failedDeliveries: 1, lastFailureAt: created, lastFailureReason: 'closed' });
    expect(await store.delete('gone')).toBe(false);
    expect(await store.delete('never')).toBe(false);
  });

  it('gets a key by id; an unknown key is null', async () => {
    const store = await make();
    await store.create(gateway('g'));
    await store.addKey(key('k1', 'g'));
    expect(await store.getKey('k1')).toEqual(key('k1', 'g'));
    expect(await store.getKey('unknown')).toBeNull();
  });

  it('revokes every unrevoked key of a gateway once, counting them; revoking again revokes none', async () => {
    const store = await make();
    await store.create(gateway('g'));
    await store.create(gateway('other'));
    await store.addKey(key('k1', 'g'));
    await store.addKey(key('k2', 'g'));
    await store.addKey(key('k-old', 'g', '2025-12-01T00:00:00.000Z'));
    await store.addKey(key('k-other', 'other'));
    expect(await store.revokeKeys('g', '2026-02-01T00:00:00.000Z')).toBe(2);
    expect(await store.getKey('k1')).toEqual(key('k1', 'g', '2026-02-01T00:00:00.000Z'));
    expect(await store.getKey('k2')).toEqual(key('k2', 'g', '2026-02-01T00:00:00.000Z'));
    // A key revoked before keeps the time it was revoked at; another gateway's keys stay valid.
    expect((await store.getKey('k-old'))?.revokedAt).toBe('2025-12-01T00:00:00.000Z');
    expect((await store.getKey('k-other'))?.revokedAt).toBeNull();
    expect(await store.revokeKeys('g', '2026-03-01T00:00:00.000Z')).toBe(0);
    expect((await store.getKey('k1'))?.revokedAt).toBe('2026-02-01T00:00:00.000Z');
    expect(await store.revokeKeys('no-keys', '2026-03-01T00:00:00.000Z')).toBe(0);
  });

  it('revokes one key of a gateway, leaving its other keys valid; null for a key of another gateway or none', async () => {
    const store = await make();
    await store.create(gateway('g'));
    await store.create(gateway('other'));
    await store.addKey(key('k1', 'g'));
    await store.addKey(key('k2', 'g'));
    await store.addKey(key('k-other', 'other'));
    expect(await store.revokeKey('g', 'k1', '2026-02-01T00:00:00.000Z')).toEqual(key('k1', 'g', '2026-02-01T00:00:00.000Z'));
    expect(await store.getKey('k1')).toEqual(key('k1', 'g', '2026-02-01T00:00:00.000Z'));
    expect((await store.getKey('k2'))?.revokedAt).toBeNull();
    // Revoking again keeps the first time; another gateway's key cannot be revoked through this one.
    expect((await store.revokeKey('g', 'k1', '2026-03-01T00:00:00.000Z'))?.revokedAt).toBe('2026-02-01T00:00:00.000Z');
    expect(await store.revokeKey('g', 'k-other', '2026-03-01T00:00:00.000Z')).toBeNull();
    expect((await store.getKey('k-other'))?.revokedAt).toBeNull();
    expect(await store.revokeKey('g', 'unknown', '2026-03-01T00:00:00.000Z')).toBeNull();
  });

  it("lists a gateway's keys by id, revoked ones too, with the last time each was used", async () => {
    const store = await make();
    await store.create(gateway('g'));
    await store.create(gateway('other'));
    for (const k of [key('k2', 'g'), key('k1', 'g', '2026-01-15T00:00:00.000Z'), key('k-other', 'other')]) await store.addKey(k);
    expect(await store.keys('g')).toEqual([
      { ...key('k1', 'g', '2026-01-15T00:00:00.000Z'), lastUsedAt: null },
      { ...key('k2', 'g'), lastUsedAt: null },
    ]);
    await store.recordKeyUse('k2', '2026-01-20T00:00:00.000Z');
    await store.recordKeyUse('k2', '2026-01-21T00:00:00.000Z');
    await store.recordKeyUse('k-other', '2026-01-22T00:00:00.000Z');
    expect((await store.keys('g')).map((k) => [k.id, k.lastUsedAt])).toEqual([
      ['k1', null],
      ['k2', '2026-01-21T00:00:00.000Z'],
    ]);
    expect(await store.keys('none')).toEqual([]);
  });

  it('records no use of a key that is gone, and forgets the uses of a deleted gateway', async () => {
    const store = await make();
    await store.recordKeyUse('never', '2026-01-20T00:00:00.000Z');
    await store.create(gateway('g'));
    await store.addKey(key('k', 'g'));
    await store.recordKeyUse('k', '2026-01-20T00:00:00.000Z');
    await store.delete('g');
    await store.recordKeyUse('k', '2026-01-21T00:00:00.000Z');
    // The same ids again start with no history.
    await store.create(gateway('g'));
    await store.addKey(key('k', 'g'));
    expect(await store.keys('g')).toEqual([{ ...key('k', 'g'), lastUsedAt: null }]);
  });

  it('numbers the configurations of each gateway 1, 2, 3', async () => {
    const store = await make();
    expect(await store.saveConfig('a', { routes: 1 })).toBe(1);
    expect(await store.saveConfig('a', { routes: 2 })).toBe(2);
    expect(await store.saveConfig('b', { routes: 1 })).toBe(1);
    expect(await store.saveConfig('a', null)).toBe(3);
  });

  it('counts deliveries per gateway and keeps the time and reason of the last failure', async () => {
    const store = await make();
    for (const id of ['a', 'b']) await store.create(gateway(id));
    await store.recordDeliveries(['a', 'b'], { ok: true });
    await store.recordDeliveries(['a', 'b'], { ok: true });
    await store.recordDeliveries(['a'], { ok: false, at: '2026-01-02T00:00:00.000Z', reason: 'timed out' });
    await store.recordDeliveries(['a'], { ok: false, at: '2026-01-03T00:00:00.000Z', reason: 'connection closed' });
    await store.recordDeliveries([], { ok: true });
    expect(await store.deliveryStats('a')).toEqual({
      eventsSent: 2,
      failedDeliveries: 2,
      lastFailureAt: '2026-01-03T00:00:00.000Z',
      lastFailureReason: 'connection closed',
    });
    expect(await store.deliveryStats('b')).toEqual({ eventsSent: 2, failedDeliveries: 0, lastFailureAt: null, lastFailureReason: null });
    // A failure after successes keeps the count of events sent.
    await store.recordDeliveries(['b'], { ok: false, at: '2026-01-04T00:00:00.000Z', reason: 'refused' });
    expect(await store.deliveryStats('b')).toMatchObject({ eventsSent: 2, failedDeliveries: 1, lastFailureReason: 'refused' });
  });

  it('has no deliveries for a gateway it never counted', async () => {
    const store = await make();
    expect(await store.deliveryStats('unknown')).toEqual(NO_DELIVERIES);
  });
  it('shows events sent on every instance once written, and the writing instance at once', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance(), await instance()];
    await a.create(gateway('g'));
    await a.recordDeliveries(['g'], { ok: true });
    await a.recordDeliveries(['g'], { ok: true });
    expect((await a.deliveryStats('g')).eventsSent).toBe(2);
    await a.flush?.();
    expect((await b.deliveryStats('g')).eventsSent).toBe(2);
    expect((await a.deliveryStats('g')).eventsSent).toBe(2);
    await b.recordDeliveries(['g'], { ok: true });
    await b.flush?.();
    expect((await a.deliveryStats('g')).eventsSent).toBe(3);
  });

  it('does not write back events sent to a gateway deleted before they were written', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance(), await instance()];
    await a.create(gateway('gone'));
    await b.recordDeliveries(['gone'], { ok: true });
    expect(await a.delete('gone')).toBe(true);
    await b.flush?.();
    expect(await a.deliveryStats('gone')).toEqual(NO_DELIVERIES);
    await a.create(gateway('gone'));
    expect(await a.deliveryStats('gone')).toEqual(NO_DELIVERIES);
  });
});
