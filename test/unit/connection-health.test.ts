import { describe, expect, it } from 'vitest';
import { createDiagnostics } from '../../src/sessions/diagnostics.js';
import { healthScore, type HealthInput } from '../../src/sessions/health.js';

const fine: HealthInput = { heartbeatRttMs: 5, missedPongs: 0, queuedBytes: 0, maxQueuedBytes: 4 * 1024 * 1024, eventsDropped: 0 };

describe('healthScore', () => {
  it('is 100 for a connection that answers fast, has nothing queued and lost nothing, and before its first pong', () => {
    expect(healthScore(fine)).toBe(100);
    expect(healthScore({ ...fine, heartbeatRttMs: null })).toBe(100);
    // One ping out is the normal state between a ping and its pong.
    expect(healthScore({ ...fine, missedPongs: 1 })).toBe(100);
  });

  it('falls as the round trip grows, never below what RTT alone may take', () => {
    const scores = [100, 300, 1000, 5000, 60_000].map((heartbeatRttMs) => healthScore({ ...fine, heartbeatRttMs }));
    expect(scores).toEqual([100, 89, 76, 60, 60]);
  });

  it('takes 30 per missed pong past the first, and reaches 0 for a peer that stopped answering', () => {
    expect(healthScore({ ...fine, missedPongs: 2 })).toBe(70);
    expect(healthScore({ ...fine, missedPongs: 3 })).toBe(40);
    expect(healthScore({ ...fine, missedPongs: 5 })).toBe(0);
  });

  it('falls with the share of the send queue in use, and with events lost', () => {
    expect(healthScore({ ...fine, queuedBytes: fine.maxQueuedBytes / 2 })).toBe(80);
    expect(healthScore({ ...fine, queuedBytes: fine.maxQueuedBytes * 2 })).toBe(60);
    expect(healthScore({ ...fine, eventsDropped: 1 })).toBe(90);
    expect(healthScore({ ...fine, eventsDropped: 1000 })).toBe(60);
    expect(healthScore({ heartbeatRttMs: 5000, missedPongs: 2, queuedBytes: fine.maxQueuedBytes, maxQueuedBytes: fine.maxQueuedBytes, eventsDropped: 10 })).toBe(0);
  });
});

describe('connection diagnostics', () => {
  const figures = () => ({ remoteAddress: '10.0.0.1', principalId: 'admin', clientName: 'cli', subscriptions: 1, eventsSent: 3, eventsDropped: 0, heartbeatRttMs: 4, healthScore: 100 });

  it('keeps the timeline, last deliveries with latency and pongs, and the close code and reason after close', () => {
    const d = createDiagnostics({ retentionSeconds: 60 });
    d.opened('c1', new Date(), figures);
    d.note('c1', 'SUBSCRIBED', '1: taskEvents');
    const published = new Date(Date.now() - 40).toISOString();
    d.recorderOf('c1')!.push({ id: 'e1', type: 'task.created', topic: 'repo:a', timestamp: published }, Date.now());
    d.pong('c1', 4);
    d.closed('c1', 1013, 'Slow consumer');
    const record = d.get('c1')!;
    expect(record.open).toBe(false);
    expect([record.closeCode, record.closeReason]).toEqual([1013, 'Slow consumer']);
    expect(record.timeline.map((e) => e.kind)).toEqual(['CONNECTED', 'SUBSCRIBED', 'CLOSED']);
    expect(record.deliveries).toHaveLength(1);
    expect(record.deliveries[0]!.latencyMs).toBeGreaterThanOrEqual(40);
    expect(record.pongs.map((p) => p.rttMs)).toEqual([4]);
    // Notes after close are not recorded on the closed record.
    d.note('c1', 'DROPPED', 'late');
    expect(d.get('c1')!.timeline).toHaveLength(3);
  });

  it('bounds each list to its ring, oldest dropped first', () => {
    const d = createDiagnostics({ retentionSeconds: 60, timelineSize: 5, deliveriesSize: 3 });
    d.opened('c1', new Date(), figures);
    for (let i = 0; i < 10; i++) d.note('c1', 'SUBSCRIBED', String(i));
    for (let i = 0; i < 10; i++) d.recorderOf('c1')!.push({ id: `e${i}`, type: 't', topic: 'repo:a', timestamp: new Date().toISOString() }, Date.now());
    const record = d.get('c1')!;
    expect(record.timeline.map((e) => e.detail)).toEqual(['5', '6', '7', '8', '9']);
    expect(record.deliveries.map((e) => e.eventId)).toEqual(['e7', 'e8', 'e9']);
  });

  it('keeps at most maxClosed closed connections, and none past the retention', () => {
    const d = createDiagnostics({ retentionSeconds: 60, maxClosed: 2 });
    for (const id of ['a', 'b', 'c']) {
      d.opened(id, new Date(), figures);
      d.closed(id, 1000, '');
    }
    expect([d.get('a'), d.get('b')?.connectionId, d.get('c')?.connectionId]).toEqual([null, 'b', 'c']);
    const none = createDiagnostics({ retentionSeconds: 0 });
    none.opened('x', new Date(), figures);
    expect(none.get('x')?.open).toBe(true);
    none.closed('x', 1000, '');
    expect(none.retained()).toBe(0);
    expect(none.get('x')).toBeNull();
  });
});
