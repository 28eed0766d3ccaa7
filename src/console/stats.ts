import { CLIENT_KINDS, type ClientKind } from '../auth/client-version.js';
import { TRAFFIC_FAMILIES, type InstanceReport, type TrafficFamily } from '../cluster/directory.js';
import { LATENCY_BUCKETS_SECONDS } from '../metrics.js';

export type FamilyTraffic = {
  readonly family: TrafficFamily;
  readonly publishedPerSecond: number;
  readonly deliveredPerSecond: number;
  /** Null while nothing of the family was delivered in the window. */
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
};

/** The cluster's traffic over the last few seconds, and a few totals since each instance started. */
export type Traffic = {
  readonly windowSeconds: number;
  readonly connectsPerSecond: number;
  readonly disconnectsPerSecond: number;
  readonly rateLimitRefusalsPerSecond: number;
  readonly slowConsumerDisconnectsPerSecond: number;
  readonly eventsDroppedPerSecond: number;
  readonly rateLimitRefusals: number;
  readonly slowConsumerDisconnects: number;
  readonly eventsDropped: number;
  readonly publishedPerSecond: number;
  readonly deliveredPerSecond: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly families: readonly FamilyTraffic[];
};

/**
 * The value below which a share `q` of the observations fall, from bucket
 * counts (the last bucket holds everything above the highest bound), by
 * linear interpolation inside the bucket, as Prometheus' histogram_quantile
 * does. Milliseconds; null without observations.
 */
export function quantileMs(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((n, c) => n + c, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i]!;
    if (seen + count >= rank && count > 0) {
      if (i >= LATENCY_BUCKETS_SECONDS.length) return LATENCY_BUCKETS_SECONDS[LATENCY_BUCKETS_SECONDS.length - 1]! * 1000;
      const low = i === 0 ? 0 : LATENCY_BUCKETS_SECONDS[i - 1]!;
      const high = LATENCY_BUCKETS_SECONDS[i]!;
      return (low + ((high - low) * (rank - seen)) / count) * 1000;
    }
    seen += count;
  }
  return null;
}

const addInto = (sum: number[], add: readonly number[]) => {
  for (let i = 0; i < add.length; i++) sum[i] = (sum[i] ?? 0) + add[i]!;
  return sum;
};

/**
 * Sums the instances' reports: each instance's counts over its own window
 * become a rate, and the rates add up; latency buckets add up before
 * quantiles are taken, so p99 is the cluster's, not an average of p99s.
 */
export function clusterTraffic(instances: readonly InstanceReport[]): Traffic {
  const rate = (pick: (r: NonNullable<InstanceReport['traffic']>) => number) =>
    instances.reduce((n, i) => n + (i.traffic ? pick(i.traffic) / i.traffic.windowSeconds : 0), 0);
  const total = (pick: (r: InstanceReport) => number | undefined) => instances.reduce((n, i) => n + (pick(i) ?? 0), 0);
  const latency = (family?: TrafficFamily) => {
    const sum: number[] = [];
    for (const i of instances) for (const f of family ? [family] : TRAFFIC_FAMILIES) if (i.traffic) addInto(sum, i.traffic.latency[f] ?? []);
    return sum;
  };
  const all = latency();
  const families = TRAFFIC_FAMILIES.filter((f) => f !== 'OTHER').map((family): FamilyTraffic => {
    const buckets = latency(family);
    return {
      family,
      publishedPerSecond: round(rate((t) => t.published[family] ?? 0)),
      deliveredPerSecond: round(rate((t) => t.delivered[family] ?? 0)),
      latencyP50Ms: roundOrNull(quantileMs(buckets, 0.5)),
      latencyP99Ms: roundOrNull(quantileMs(buckets, 0.99)),
    };
  });
  const windows = instances.flatMap((i) => (i.traffic ? [i.traffic.windowSeconds] : []));
  return {
    windowSeconds: windows.length === 0 ? 0 : round(Math.max(...windows)),
    connectsPerSecond: round(rate((t) => t.connects)),
    disconnectsPerSecond: round(rate((t) => t.disconnects)),
    rateLimitRefusalsPerSecond: round(rate((t) => t.rateLimitRefusals)),
    slowConsumerDisconnectsPerSecond: round(rate((t) => t.slowConsumerDisconnects)),
    eventsDroppedPerSecond: round(rate((t) => t.eventsDropped)),
    rateLimitRefusals: total((i) => i.rateLimitRefusals),
    slowConsumerDisconnects: total((i) => i.slowConsumerDisconnects),
    eventsDropped: total((i) => i.eventsDropped),
    publishedPerSecond: round(rate((t) => TRAFFIC_FAMILIES.reduce((n, f) => n + (t.published[f] ?? 0), 0))),
    deliveredPerSecond: round(rate((t) => TRAFFIC_FAMILIES.reduce((n, f) => n + (t.delivered[f] ?? 0), 0))),
    latencyP50Ms: roundOrNull(quantileMs(all, 0.5)),
    latencyP99Ms: roundOrNull(quantileMs(all, 0.99)),
    families,
  };
}

/** Open connections by kind of client, over every instance, every kind listed. */
export function connectionsByKind(instances: readonly InstanceReport[]): { kind: ClientKind; connections: number }[] {
  return CLIENT_KINDS.map((kind) => ({ kind, connections: instances.reduce((n, i) => n + (i.connectionsByKind?.[kind] ?? 0), 0) }));
}

const round = (n: number) => Math.round(n * 100) / 100;
const roundOrNull = (n: number | null) => (n === null ? null : round(n));
