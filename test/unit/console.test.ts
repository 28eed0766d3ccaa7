import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { InstanceReport, TrafficReport } from '../../src/cluster/directory.js';
import { createTrafficMeter } from '../../src/console/meter.js';
import { clusterTraffic, connectionsByKind, quantileMs } from '../../src/console/stats.js';
import { newCounters } from '../../src/cluster/view.js';
import { getSchema } from '../../src/schema/index.js';
import { OPERATIONS } from '../../src/console/web/operations.js';

describe("the console pages' operations", () => {
  it.each(Object.entries(OPERATIONS))('%s is valid against the schema', (_name, document) => {
    expect(validate(getSchema(), parse(document)).map((e) => e.message)).toEqual([]);
  });
});

describe('latency quantiles from histogram buckets', () => {
  it('interpolates inside the bucket holding the rank, as histogram_quantile does', () => {
    // Buckets: <=1ms, <=2.5ms, <=5ms, ... ; 10 in the first, 10 in the second.
    const buckets = [10, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(quantileMs(buckets, 0.5)).toBeCloseTo(1);
    expect(quantileMs(buckets, 0.75)).toBeCloseTo(1.75);
    expect(quantileMs([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], 0.99)).toBe(2500);
    expect(quantileMs(new Array(12).fill(0), 0.5)).toBeNull();
  });
});

const report = (instanceId: string, traffic: Partial<TrafficReport>, byKind: InstanceReport['connectionsByKind'] = {}): InstanceReport => {
  const zero = { TASKS: 0, GATEWAYS: 0, CHANNELS: 0, ALERTS: 0, OTHER: 0 };
  const noLatency = { TASKS: [], GATEWAYS: [], CHANNELS: [], ALERTS: [], OTHER: [] };
  return {
    instanceId,
    mode: 'REDIS',
    startedAt: '2026-01-01T00:00:00.000Z',
    reportedAt: '2026-01-01T00:00:10.000Z',
    subscriptions: 0,
    eventsPublished: 0,
    eventsDelivered: 0,
    gatewayEventsSent: 0,
    gatewaySendFailures: 0,
    slowConsumerDisconnects: 0,
    connections: 0,
    gatewayListeners: {},
    connectionsByKind: byKind,
    traffic: {
      windowSeconds: 5,
      published: zero,
      delivered: zero,
      latency: noLatency,
      connects: 0,
      disconnects: 0,
      rateLimitRefusals: 0,
      slowConsumerDisconnects: 0,
      eventsDropped: 0,
      ...traffic,
    },
  };
};

describe('cluster traffic', () => {
  it("adds the instances' rates and their latency buckets before taking quantiles", () => {
    const zero = { TASKS: 0, GATEWAYS: 0, CHANNELS: 0, ALERTS: 0, OTHER: 0 };
    const a = report('a', { published: { ...zero, TASKS: 10 }, latency: { TASKS: [4, 0, 0], GATEWAYS: [], CHANNELS: [], ALERTS: [], OTHER: [] } }, { CLI: 2 });
    const b = report('b', { windowSeconds: 2, published: { ...zero, TASKS: 4 }, latency: { TASKS: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], GATEWAYS: [], CHANNELS: [], ALERTS: [], OTHER: [] } }, { CLI: 1, BROWSER: 1 });
    const traffic = clusterTraffic([a, b]);
    const tasks = traffic.families.find((f) => f.family === 'TASKS')!;
    expect(tasks.publishedPerSecond).toBe(10 / 5 + 4 / 2);
    // 5 observations: four under 1 ms and one over 2.5 s; p99 lands in the slowest.
    expect(tasks.latencyP99Ms).toBe(2500);
    expect(tasks.latencyP50Ms!).toBeLessThanOrEqual(1);
    expect(connectionsByKind([a, b])).toEqual([
      { kind: 'BROWSER', connections: 1 },
      { kind: 'CLI', connections: 3 },
      { kind: 'GATEWAY', connections: 0 },
      { kind: 'SERVICE', connections: 0 },
    ]);
  });

  it('reads reports of instances that do not send traffic as zero', () => {
    const { traffic: _none, connectionsByKind: _kinds, ...old } = report('old', {});
    expect(clusterTraffic([old]).publishedPerSecond).toBe(0);
    expect(connectionsByKind([old]).every((k) => k.connections === 0)).toBe(true);
  });
});

describe('the traffic meter', () => {
  it('tells alerts from other channel events, and counts deliveries by their latency', () => {
    let now = Date.parse('2026-01-01T00:00:10.000Z');
    const meter = createTrafficMeter(newCounters(), () => now);
    meter.published('channel:alerts', 'alert.raised', 1);
    meter.published('channel:sensors', 'reading', 3);
    meter.published('repo:web', 'task.created', 2);
    meter.delivered({ topic: 'repo:web', type: 'task.created', timestamp: new Date(now - 3).toISOString() }, 'repo', now);
    now += 2_000;
    const r = meter.report();
    expect(r.published).toMatchObject({ ALERTS: 1, CHANNELS: 3, TASKS: 2 });
    expect(r.delivered.TASKS).toBe(1);
    expect(r.latency.TASKS.reduce((n, c) => n + c, 0)).toBe(1);
    expect(r.windowSeconds).toBe(2);
  });
});
