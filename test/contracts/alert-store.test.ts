import { expect, it } from 'vitest';
import { createMemoryAlertStore } from '../../src/alerts/store.memory.js';
import { createRedisAlertStore } from '../../src/alerts/store.redis.js';
import type { AlertCandidate, AlertQuery } from '../../src/alerts/store.js';
import { contract, redisOnly } from './backends.js';

const candidate = (id: string, extra: Partial<AlertCandidate> = {}): AlertCandidate => ({
  id,
  channel: 'alerts',
  severity: 'HIGH',
  title: `alert ${id}`,
  details: { list: [], nested: { empty: {} }, big: 12345678901234 },
  source: 'sensor-1',
  dedupKey: null,
  raisedAt: '2026-01-01T00:00:00.000Z',
  raisedBy: 'key:k1',
  ...extra,
});

const every: AlertQuery = { status: null, severity: null, channels: '*', first: 100, after: null };

contract('AlertStore', { memory: createMemoryAlertStore, redis: createRedisAlertStore }, (make) => {
  it('opens an alert, keeping its details exactly as given', async () => {
    const store = await make();
    const { alert, repeated } = await store.raise(candidate('01A'));
    expect(repeated).toBe(false);
    expect(alert).toMatchObject({ id: '01A', status: 'OPEN', count: 1, lastRaisedAt: '2026-01-01T00:00:00.000Z', acknowledgedAt: null, resolvedAt: null });
    expect(alert.details).toEqual({ list: [], nested: { empty: {} }, big: 12345678901234 });
    expect(await store.get('01A')).toEqual(alert);
    expect(await store.get('nope')).toBeNull();
  });

  it('counts a repeat of an unresolved dedupKey on the alert it names, per channel', async () => {
    const store = await make();
    await store.raise(candidate('01A', { dedupKey: 'disk-full' }));
    const again = await store.raise(candidate('01B', { dedupKey: 'disk-full', raisedAt: '2026-01-01T00:05:00.000Z' }));
    expect(again).toMatchObject({ repeated: true, alert: { id: '01A', count: 2, raisedAt: '2026-01-01T00:00:00.000Z', lastRaisedAt: '2026-01-01T00:05:00.000Z' } });
    expect((await store.raise(candidate('01C', { dedupKey: 'disk-full', channel: 'system' }))).alert.id).toBe('01C');
    expect((await store.list(every)).map((a) => a.id)).toEqual(['01C', '01A']);
  });

  it('acknowledges once, and leaves a resolved alert as it is', async () => {
    const store = await make();
    await store.raise(candidate('01A'));
    const first = await store.acknowledge('01A', 'user:ana', 'on it', '2026-01-01T01:00:00.000Z');
    expect(first).toMatchObject({ changed: true, alert: { status: 'ACKNOWLEDGED', acknowledgedBy: 'user:ana', acknowledgeNote: 'on it', acknowledgedAt: '2026-01-01T01:00:00.000Z' } });
    const second = await store.acknowledge('01A', 'user:bo', null, '2026-01-01T02:00:00.000Z');
    expect(second).toEqual({ changed: false, alert: first!.alert });
    const resolved = await store.resolve('01A', 'user:bo', 'fixed', '2026-01-01T03:00:00.000Z');
    expect(resolved).toMatchObject({ changed: true, alert: { status: 'RESOLVED', resolvedBy: 'user:bo', resolveNote: 'fixed', acknowledgedBy: 'user:ana' } });
    expect(await store.acknowledge('01A', 'user:cy', null, '2026-01-01T04:00:00.000Z')).toEqual({ changed: false, alert: resolved!.alert });
    expect(await store.resolve('01A', 'user:cy', null, '2026-01-01T04:00:00.000Z')).toEqual({ changed: false, alert: resolved!.alert });
    expect(await store.acknowledge('nope', 'x', null, '2026-01-01T00:00:00.000Z')).toBeNull();
    expect(await store.resolve('nope', 'x', null, '2026-01-01T00:00:00.000Z')).toBeNull();
  });

  it('opens a new alert for a dedupKey whose alert was resolved', async () => {
    const store = await make();
    await store.raise(candidate('01A', { dedupKey: 'k' }));
    await store.resolve('01A', 'admin', null, '2026-01-01T01:00:00.000Z');
    expect(await store.raise(candidate('01B', { dedupKey: 'k' }))).toMatchObject({ repeated: false, alert: { id: '01B', count: 1 } });
  });

  it('lists newest first, by status, severity and channel, a page at a time', async () => {
    const store = await make();
    await store.raise(candidate('01A', { severity: 'LOW' }));
    await store.raise(candidate('01B', { channel: 'system' }));
    await store.raise(candidate('01C'));
    await store.raise(candidate('01D', { severity: 'CRITICAL' }));
    await store.acknowledge('01C', 'admin', null, '2026-01-01T01:00:00.000Z');
    const ids = async (query: Partial<AlertQuery>) => (await store.list({ ...every, ...query })).map((a) => a.id);
    expect(await ids({})).toEqual(['01D', '01C', '01B', '01A']);
    expect(await ids({ status: 'OPEN' })).toEqual(['01D', '01B', '01A']);
    expect(await ids({ severity: 'HIGH' })).toEqual(['01C', '01B']);
    expect(await ids({ channels: ['alerts'] })).toEqual(['01D', '01C', '01A']);
    expect(await ids({ first: 2 })).toEqual(['01D', '01C']);
    expect(await ids({ first: 2, after: '01C' })).toEqual(['01B', '01A']);
  });
});

redisOnly('AlertStore', createRedisAlertStore, (_make, backend) => {
  it('counts repeats raised at once on two instances on one alert', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance(), await instance()];
    const raised = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).raise(candidate(`01${String(i).padStart(2, '0')}`, { dedupKey: 'storm' }))));
    expect(raised.filter((r) => !r.repeated)).toHaveLength(1);
    const [alert] = await a.list(every);
    expect(alert).toMatchObject({ count: 20 });
  });
});
