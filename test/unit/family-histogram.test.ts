import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FamilyHistogram } from '../../src/family-histogram.js';

describe('the per-family histogram', () => {
  it('prints exactly what a prom-client histogram prints for the same observations', async () => {
    const bounds = [0.001, 0.01, 0.1, 1];
    const families = ['repo', 'gateway'];
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new FamilyHistogram('x_seconds', 'Some latency', 'family', bounds, families, ours);
    const reference = new Histogram({ name: 'x_seconds', help: 'Some latency', labelNames: ['family'], buckets: bounds, registers: [theirs] });
    for (const family of families) reference.zero({ family });
    const observations: Array<[string, number]> = [
      ['repo', 0.0005],
      ['repo', 0.001],
      ['repo', 0.05],
      ['gateway', 2],
      ['repo', 0.7],
      ['gateway', 0.01],
    ];
    for (const [family, value] of observations) {
      histogram.observe(family, value);
      reference.observe({ family }, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('x_seconds_bucket{le="0.001",family="repo"} 2');
  });

  it('ignores a family it was not made for', async () => {
    const registry = new Registry();
    const histogram = new FamilyHistogram('y_seconds', 'h', 'family', [1], ['repo'], registry);
    histogram.observe('elsewhere', 0.5);
    expect(await registry.metrics()).not.toContain('elsewhere');
  });
});
