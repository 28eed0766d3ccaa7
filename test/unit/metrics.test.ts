import { describe, expect, it } from 'vitest';
import { createMetrics, METRIC } from '../../src/metrics.js';

describe('delivery metrics', () => {
  it('count by the family they are given and measure latency at the delivery time they are given', async () => {
    const metrics = createMetrics();
    const timestamp = '2026-01-01T00:00:00.000Z';
    metrics.delivered({ topic: 'repo:web', timestamp }, 'repo', Date.parse(timestamp) + 300);
    metrics.delivered({ topic: 'local:x', timestamp }, undefined, Date.parse(timestamp) + 300);

    const delivered = await metrics.registry.getSingleMetric(METRIC.eventsDeliveredTotal)!.get();
    const count = (family: string) => delivered.values.find((v) => v.labels.family === family)?.value;
    expect([count('repo'), count('other')]).toEqual([1, 1]);

    const latency = await metrics.registry.getSingleMetric(METRIC.deliveryLatencySeconds)!.get();
    // A histogram's values name their series (_sum, _count, _bucket).
    const series = latency.values as ReadonlyArray<{ metricName?: string; labels: Record<string, string | number>; value: number }>;
    const repo = (suffix: string, le?: number) =>
      series.find((v) => v.metricName === `${METRIC.deliveryLatencySeconds}${suffix}` && v.labels.family === 'repo' && v.labels.le === le)?.value;
    expect(repo('_sum')).toBeCloseTo(0.3, 6);
    // 300 ms lies above the 0.25 s bound and within the 0.5 s one.
    expect([repo('_bucket', 0.25), repo('_bucket', 0.5)]).toEqual([0, 1]);
  });
});
