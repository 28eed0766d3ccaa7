import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PrincipalKind } from './auth/principal.js';
import { familyOf } from './events/topics.js';

/**
 * Prometheus metrics, all prefixed `herald_`. Label children are bound once
 * per family or kind, so the per-delivery cost is one histogram observation.
 */
export type Metrics = ReturnType<typeof createMetrics>;

/** Bounds of herald_delivery_latency_seconds' buckets; the console's latency figures use the same. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'herald_' });
  const r = { registers: [registry] };

  const connectionsOpen = new Gauge({ ...r, name: 'herald_connections_open', help: 'Open WebSocket connections by principal kind', labelNames: ['kind'] });
  const attempts = new Counter({ ...r, name: 'herald_connection_attempts_total', help: 'WebSocket upgrade attempts' });
  const rejections = new Counter({ ...r, name: 'herald_connection_rejections_total', help: 'Refused WebSocket connections by reason', labelNames: ['reason'] });
  const subscriptions = new Gauge({ ...r, name: 'herald_subscriptions_active', help: 'Active WebSocket subscriptions' });
  const published = new Counter({ ...r, name: 'herald_events_published_total', help: 'Events published through this instance', labelNames: ['family'] });
  const delivered = new Counter({ ...r, name: 'herald_events_delivered_total', help: 'Events handed to subscribers', labelNames: ['family'] });
  const dropped = new Counter({ ...r, name: 'herald_events_dropped_total', help: 'Events not delivered because a consumer fell behind', labelNames: ['family'] });
  const latency = new Histogram({
    ...r,
    name: 'herald_delivery_latency_seconds',
    help: 'From publish to hand-off to the subscriber transport',
    labelNames: ['family'],
    buckets: [...LATENCY_BUCKETS_SECONDS],
  });
  const rtt = new Histogram({
    ...r,
    name: 'herald_heartbeat_rtt_seconds',
    help: 'WebSocket ping to pong round trip',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  });
  const slow = new Counter({ ...r, name: 'herald_slow_consumer_disconnects_total', help: 'Connections closed because they did not read fast enough' });
  const rateLimited = new Counter({ ...r, name: 'herald_rate_limited_total', help: 'Operations refused by a rate limit, by field', labelNames: ['field'] });
  const rateFallbacks = new Counter({ ...r, name: 'herald_ratelimit_fallbacks_total', help: 'Times rate limits fell back to local windows because Redis was unavailable' });
  const rateDegraded = new Gauge({ ...r, name: 'herald_ratelimit_degraded', help: '1 while rate limits are enforced locally (Redis unavailable), else 0' });
  const rateInstances = new Gauge({ ...r, name: 'herald_ratelimit_instances', help: 'Instances a rate limit is shared among when enforced locally' });
  const http = new Counter({ ...r, name: 'herald_http_requests_total', help: 'GraphQL HTTP requests by operation and status', labelNames: ['operation', 'status'] });
  const httpBy = new Map<string, { inc(): void }>();
  const httpDirect = new Counter({ ...r, name: 'herald_http_direct_requests_total', help: 'GraphQL POSTs answered by the direct path, without the Fetch API layer' });

  const families = ['repo', 'gateway', 'channel', 'other'] as const;
  const bound = <T extends { labels(...v: string[]): unknown }>(metric: T) =>
    Object.fromEntries(families.map((f) => [f, metric.labels(f)])) as Record<(typeof families)[number], ReturnType<T['labels']>>;
  const deliveredBy = bound(delivered) as Record<string, Counter>;
  const latencyBy = bound(latency) as Record<string, Histogram>;
  const family = (topic: string) => familyOf(topic) ?? 'other';
  // Events of one batch share their timestamp, and a fanned-out event is the
  // same object for every subscriber: one remembered parse covers both.
  let lastTimestamp = '';
  let lastAt = 0;

  return {
    registry,
    connectionAttempt: () => attempts.inc(),
    connectionRejected: (reason: string) => rejections.inc({ reason }),
    connectionOpened: (kind: PrincipalKind) => connectionsOpen.inc({ kind }),
    connectionClosed: (kind: PrincipalKind) => connectionsOpen.dec({ kind }),
    subscriptionOpened: () => subscriptions.inc(),
    subscriptionClosed: () => subscriptions.dec(),
    /** `count` events of the topic's family (one batch shares a family). */
    published: (topic: string, count = 1) => published.inc({ family: family(topic) }, count),
    /** Called once per event per subscriber; a run of deliveries with one timestamp parses it once. */
    delivered(event: { topic: string; timestamp: string }) {
      const f = family(event.topic);
      deliveredBy[f]!.inc();
      if (event.timestamp !== lastTimestamp) {
        lastTimestamp = event.timestamp;
        lastAt = Date.parse(lastTimestamp);
      }
      latencyBy[f]!.observe((Date.now() - lastAt) / 1000);
    },
    dropped: (topic: string, count: number) => dropped.inc({ family: family(topic) }, count),
    heartbeatRtt: (ms: number) => rtt.observe(ms / 1000),
    slowConsumer: () => slow.inc(),
    httpRequest(operation: string, status: number) {
      const key = `${status} ${operation}`;
      let child = httpBy.get(key);
      // Bounded: operation labels are (use-metrics.ts), statuses are few.
      if (!child) httpBy.set(key, (child = http.labels(operation, String(status))));
      child.inc();
    },
    httpDirect: () => httpDirect.inc(),
    rateLimited: (field: string) => rateLimited.inc({ field }),
    rateLimitInstances: (count: number) => rateInstances.set(count),
    rateLimitDegraded(degraded: boolean) {
      if (degraded) rateFallbacks.inc();
      rateDegraded.set(degraded ? 1 : 0);
    },
  };
}
