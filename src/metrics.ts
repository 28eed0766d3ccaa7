import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PrincipalKind } from './auth/principal.js';
import { familyOf, type TopicFamily } from './events/topics.js';
import { FamilyHistogram } from './family-histogram.js';

/**
 * Prometheus metrics, all prefixed `herald_`. What is counted per delivery is
 * kept in plain numbers and arrays (no label hashing per call) and read out
 * when the registry is.
 */
export type Metrics = ReturnType<typeof createMetrics>;

/** Every metric's name, defined once: the console's figures (console/figures.ts) and tests refer to them by these. */
export const METRIC = {
  connectionsOpen: 'herald_connections_open',
  connectionAttemptsTotal: 'herald_connection_attempts_total',
  connectionRejectionsTotal: 'herald_connection_rejections_total',
  subscriptionsActive: 'herald_subscriptions_active',
  eventsPublishedTotal: 'herald_events_published_total',
  eventsDeliveredTotal: 'herald_events_delivered_total',
  eventsDroppedTotal: 'herald_events_dropped_total',
  deliveryLatencySeconds: 'herald_delivery_latency_seconds',
  heartbeatRttSeconds: 'herald_heartbeat_rtt_seconds',
  slowConsumerDisconnectsTotal: 'herald_slow_consumer_disconnects_total',
  rateLimitedTotal: 'herald_rate_limited_total',
  ratelimitFallbacksTotal: 'herald_ratelimit_fallbacks_total',
  ratelimitDegraded: 'herald_ratelimit_degraded',
  ratelimitInstances: 'herald_ratelimit_instances',
  httpRequestsTotal: 'herald_http_requests_total',
  httpDirectRequestsTotal: 'herald_http_direct_requests_total',
  connectionsAcceptedTotal: 'herald_connections_accepted_total',
  connectionsClosedTotal: 'herald_connections_closed_total',
  pushAttemptsTotal: 'herald_push_attempts_total',
  pushDeliveriesTotal: 'herald_push_deliveries_total',
  pushAttemptDurationSeconds: 'herald_push_attempt_duration_seconds',
  pushBreakers: 'herald_push_breakers',
  pushBacklogEvents: 'herald_push_backlog_events',
  gatewayEventsSentTotal: 'herald_gateway_events_sent_total',
  gatewayDeliveryFailuresTotal: 'herald_gateway_delivery_failures_total',
  alertChangesTotal: 'herald_alert_changes_total',
  alertThresholdsCrossed: 'herald_alert_thresholds_crossed',
  gatewayDisconnectedSeconds: 'herald_gateway_disconnected_seconds',
  sseStreamsOpen: 'herald_sse_streams_open',
  redisUp: 'herald_redis_up',
  connectionsByClient: 'herald_connections_by_client',
} as const;

/** Bounds of herald_delivery_latency_seconds' buckets; the console's latency figures use the same. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'herald_' });
  const r = { registers: [registry] };
  // Every label value is known up front, so each series shows (at 0) before its first event.
  const zeroed = <T extends { inc(labels: Record<string, string>, value: number): void }>(metric: T, label: string, values: readonly string[]) => {
    for (const value of values) metric.inc({ [label]: value }, 0);
    return metric;
  };

  const connectionsOpen = new Gauge({ ...r, name: METRIC.connectionsOpen, help: 'Open WebSocket connections by principal kind', labelNames: ['kind'] });
  const attempts = new Counter({ ...r, name: METRIC.connectionAttemptsTotal, help: 'WebSocket upgrade attempts' });
  const rejections = new Counter({ ...r, name: METRIC.connectionRejectionsTotal, help: 'Refused WebSocket connections by reason', labelNames: ['reason'] });
  const subscriptions = new Gauge({ ...r, name: METRIC.subscriptionsActive, help: 'Active WebSocket subscriptions' });
  const published = new Counter({ ...r, name: METRIC.eventsPublishedTotal, help: 'Events published through this instance', labelNames: ['family'] });
  const families = ['repo', 'gateway', 'channel', 'other'] as const;
  // Counted once per delivery: kept as plain numbers and handed to the counter when it is read.
  const deliveredSince: Record<string, number> = Object.fromEntries(families.map((f) => [f, 0]));
  const delivered = new Counter({
    ...r,
    name: METRIC.eventsDeliveredTotal,
    help: 'Events handed to subscribers',
    labelNames: ['family'],
    collect() {
      for (const f of families) {
        this.inc({ family: f }, deliveredSince[f]!);
        deliveredSince[f] = 0;
      }
    },
  });
  const dropped = new Counter({ ...r, name: METRIC.eventsDroppedTotal, help: 'Events not delivered because a consumer fell behind', labelNames: ['family'] });
  const latency = new FamilyHistogram(METRIC.deliveryLatencySeconds, 'From publish to hand-off to the subscriber transport', 'family', LATENCY_BUCKETS_SECONDS, families, registry);
  const rtt = new Histogram({
    ...r,
    name: METRIC.heartbeatRttSeconds,
    help: 'WebSocket ping to pong round trip',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  });
  const slow = new Counter({ ...r, name: METRIC.slowConsumerDisconnectsTotal, help: 'Connections closed because they did not read fast enough' });
  const rateLimited = new Counter({ ...r, name: METRIC.rateLimitedTotal, help: 'Operations refused by a rate limit, by field', labelNames: ['field'] });
  const rateFallbacks = new Counter({ ...r, name: METRIC.ratelimitFallbacksTotal, help: 'Times rate limits fell back to local windows because Redis was unavailable' });
  const rateDegraded = new Gauge({ ...r, name: METRIC.ratelimitDegraded, help: '1 while rate limits are enforced locally (Redis unavailable), else 0' });
  const rateInstances = new Gauge({ ...r, name: METRIC.ratelimitInstances, help: 'Instances a rate limit is shared among when enforced locally' });
  const http = new Counter({ ...r, name: METRIC.httpRequestsTotal, help: 'GraphQL HTTP requests by operation and status', labelNames: ['operation', 'status'] });
  const accepted = new Counter({ ...r, name: METRIC.connectionsAcceptedTotal, help: 'WebSocket connections let in (connection_init accepted)' });
  const closed = new Counter({ ...r, name: METRIC.connectionsClosedTotal, help: 'Accepted WebSocket connections that closed' });
  const pushAttempts = new Counter({ ...r, name: METRIC.pushAttemptsTotal, help: 'HTTP push attempts to CLI endpoints by outcome (delivered, failed)', labelNames: ['outcome'] });
  const pushDeliveries = new Counter({
    ...r,
    name: METRIC.pushDeliveriesTotal,
    help: 'Events pushed to CLI endpoints by final outcome (delivered; fallback: given up and handed to the WebSocket; failed)',
    labelNames: ['outcome'],
  });
  const pushDuration = new Histogram({ ...r, name: METRIC.pushAttemptDurationSeconds, help: 'Duration of one HTTP push attempt', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
  const pushBacklog = new Gauge({ ...r, name: METRIC.pushBacklogEvents, help: 'Events read for push endpoints and not yet delivered or given up, summed over the endpoints this instance pushes to' });
  const pushBreakers = new Gauge({ ...r, name: METRIC.pushBreakers, help: 'Push endpoints this instance pushes to, by circuit-breaker state', labelNames: ['state'] });
  const gatewaySent = new Counter({ ...r, name: METRIC.gatewayEventsSentTotal, help: 'Gateway events written to gateway connections' });
  const gatewayFailures = new Counter({
    ...r,
    name: METRIC.gatewayDeliveryFailuresTotal,
    help: 'Gateway events that reached no connection (no_connection), whose write failed (send_failed) or that were not published (publish_failed)',
    labelNames: ['reason'],
  });
  const alertChanges = new Counter({ ...r, name: METRIC.alertChangesTotal, help: 'Alerts raised, acknowledged and resolved through this instance', labelNames: ['state'] });
  const thresholds = new Gauge({ ...r, name: METRIC.alertThresholdsCrossed, help: '1 while a watched threshold is crossed on this instance (its alert raised), else 0', labelNames: ['threshold'] });
  const gatewayDisconnected = new Gauge({ ...r, name: METRIC.gatewayDisconnectedSeconds, help: 'Longest time a registered gateway has had no connection, cluster-wide, as this instance sees it' });
  zeroed(pushAttempts, 'outcome', ['delivered', 'failed']);
  zeroed(pushDeliveries, 'outcome', ['delivered', 'fallback', 'failed']);
  zeroed(gatewayFailures, 'reason', ['no_connection', 'send_failed', 'publish_failed']);
  zeroed(alertChanges, 'state', ['raised', 'acknowledged', 'resolved']);
  for (const state of ['closed', 'open', 'half_open']) pushBreakers.set({ state }, 0);
  /** Figures read when scraped, from the functions `observeGauges` hands in. */
  const read = { sseStreams: () => 0, redisUp: () => 1, connectionsByClient: (): Readonly<Record<string, number>> => ({}) };
  new Gauge({
    ...r,
    name: METRIC.sseStreamsOpen,
    help: 'Open SSE subscriptions',
    collect() {
      this.set(read.sseStreams());
    },
  });
  new Gauge({
    ...r,
    name: METRIC.redisUp,
    help: '1 while Redis answers (always 1 in embedded mode), else 0',
    collect() {
      this.set(read.redisUp());
    },
  });
  new Gauge({
    ...r,
    name: METRIC.connectionsByClient,
    help: 'Open WebSocket connections by kind of client (browser, cli, gateway, service)',
    labelNames: ['client'],
    collect() {
      this.reset();
      for (const [client, n] of Object.entries(read.connectionsByClient())) this.set({ client }, n);
    },
  });
  /** Plain running totals, for the alert thresholds (alerts/sampler.ts) to take rates of without reading the registry. */
  const totals = { httpRequests: 0, httpErrors: 0, pushAttempts: 0, pushFailures: 0 };
  const httpBy = new Map<string, { inc(): void }>();
  const httpDirect = new Counter({ ...r, name: METRIC.httpDirectRequestsTotal, help: 'GraphQL POSTs answered by the direct path, without the Fetch API layer' });

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
    /**
     * Called once per event per subscriber, with the topic's family and the
     * time of delivery, which the caller works out once for every meter; a run
     * of deliveries with one timestamp parses it once.
     */
    delivered(event: { topic: string; timestamp: string }, topicFamily: TopicFamily | undefined, at: number) {
      const f = topicFamily ?? 'other';
      deliveredSince[f]!++;
      if (event.timestamp !== lastTimestamp) {
        lastTimestamp = event.timestamp;
        lastAt = Date.parse(lastTimestamp);
      }
      latency.observe(f, (at - lastAt) / 1000);
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
      totals.httpRequests++;
      if (status >= 500) totals.httpErrors++;
    },
    totals: totals as Readonly<typeof totals>,
    connectionAccepted: () => accepted.inc(),
    connectionEnded: () => closed.inc(),
    push: {
      attempt(delivered: boolean, seconds: number) {
        pushAttempts.inc({ outcome: delivered ? 'delivered' : 'failed' });
        pushDuration.observe(seconds);
        totals.pushAttempts++;
        if (!delivered) totals.pushFailures++;
      },
      outcome: (outcome: 'delivered' | 'fallback' | 'failed') => pushDeliveries.inc({ outcome }),
      backlog: (delta: number) => pushBacklog.inc(delta),
      breaker(from: string | null, to: string | null) {
        if (from) pushBreakers.dec({ state: from.toLowerCase() });
        if (to) pushBreakers.inc({ state: to.toLowerCase() });
      },
    },
    gatewayEventSent: () => gatewaySent.inc(),
    gatewayDeliveryFailed: (reason: 'no_connection' | 'send_failed' | 'publish_failed', count = 1) => gatewayFailures.inc({ reason }, count),
    alertChanged: (state: 'raised' | 'acknowledged' | 'resolved') => alertChanges.inc({ state }),
    thresholdCrossed: (threshold: string, crossed: boolean) => thresholds.set({ threshold }, crossed ? 1 : 0),
    gatewayDisconnectedSeconds: (seconds: number) => gatewayDisconnected.set(seconds),
    /** Hands in what the gauges read when scraped. */
    observeGauges(sources: Partial<typeof read>) {
      Object.assign(read, sources);
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
