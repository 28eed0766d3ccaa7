import type { Registry } from 'prom-client';

type Value = { readonly metricName: string; readonly labels: Record<string, string | number>; readonly value: number };

/**
 * A Prometheus histogram with one series per topic family, observed once per
 * delivery. prom-client's Histogram hashes its labels on every observation,
 * which at a delivery each is a cost that grows with the fan-out; here an
 * observation is a bucket search and three additions into arrays, and the
 * registry prints it as it prints its own histograms.
 */
export class FamilyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, { readonly buckets: Float64Array; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelName: string,
    /** Upper bounds, ascending. */
    readonly bounds: readonly number[],
    families: readonly string[],
    registry: Registry,
  ) {
    for (const family of families) this.#series.set(family, { buckets: new Float64Array(bounds.length), sum: 0, count: 0 });
    registry.registerMetric(this as never);
  }

  observe(family: string, value: number): void {
    const series = this.#series.get(family);
    if (!series) return;
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        series.buckets[i]!++;
        break;
      }
    }
    series.sum += value;
    series.count++;
  }

  /** What the registry prints: cumulative buckets, +Inf, sum and count per family. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Value[] } {
    const values: Value[] = [];
    for (const [family, { buckets, sum, count }] of this.#series) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += buckets[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, [this.labelName]: family }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', [this.labelName]: family }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels: { [this.labelName]: family }, value: sum });
      values.push({ metricName: `${this.name}_count`, labels: { [this.labelName]: family }, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
