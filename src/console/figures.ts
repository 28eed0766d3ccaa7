import { METRIC } from '../metrics.js';

/**
 * Every value the dashboard shows from serverStatsUpdates, by its path under
 * the field, and the Prometheus metric that carries the same figure, so
 * what an operator reads on the dashboard can be graphed and alerted on too.
 * What is not a figure (names, ids, times, one item's detail) says why.
 * A test reads the dashboard's operations and checks every path is here
 * and every metric named is exposed.
 */
export type Figure = { readonly metric: string } | { readonly notAFigure: string };

const metric = (name: string): Figure => ({ metric: name });
const label = (why: string): Figure => ({ notAFigure: why });

export const DASHBOARD_FIGURES: Readonly<Record<string, Figure>> = {
  instanceId: label('identity'),
  sampledAt: label('time of the sample'),
  mode: label('deployment mode'),
  'cluster.connections': metric(METRIC.connectionsOpen),
  'cluster.subscriptions': metric(METRIC.subscriptionsActive),
  'cluster.instances.instanceId': label('identity'),
  'cluster.instances.connections': metric(METRIC.connectionsOpen),
  'cluster.instances.subscriptions': metric(METRIC.subscriptionsActive),
  'cluster.instances.reportedAt': label('time of the report'),
  'connectionsByKind.kind': label('the label of herald_connections_by_client'),
  'connectionsByKind.connections': metric(METRIC.connectionsByClient),
  'traffic.windowSeconds': label('the window the rates are taken over'),
  'traffic.connectsPerSecond': metric(METRIC.connectionsAcceptedTotal),
  'traffic.disconnectsPerSecond': metric(METRIC.connectionsClosedTotal),
  'traffic.publishedPerSecond': metric(METRIC.eventsPublishedTotal),
  'traffic.deliveredPerSecond': metric(METRIC.eventsDeliveredTotal),
  'traffic.latencyP50Ms': metric(METRIC.deliveryLatencySeconds),
  'traffic.latencyP99Ms': metric(METRIC.deliveryLatencySeconds),
  'traffic.rateLimitRefusalsPerSecond': metric(METRIC.rateLimitedTotal),
  'traffic.rateLimitRefusals': metric(METRIC.rateLimitedTotal),
  'traffic.slowConsumerDisconnectsPerSecond': metric(METRIC.slowConsumerDisconnectsTotal),
  'traffic.slowConsumerDisconnects': metric(METRIC.slowConsumerDisconnectsTotal),
  'traffic.eventsDroppedPerSecond': metric(METRIC.eventsDroppedTotal),
  'traffic.eventsDropped': metric(METRIC.eventsDroppedTotal),
  'traffic.families.family': label('the `family` label of the event metrics'),
  'traffic.families.publishedPerSecond': metric(METRIC.eventsPublishedTotal),
  'traffic.families.deliveredPerSecond': metric(METRIC.eventsDeliveredTotal),
  'traffic.families.latencyP50Ms': metric(METRIC.deliveryLatencySeconds),
  'traffic.families.latencyP99Ms': metric(METRIC.deliveryLatencySeconds),
  'pushEndpoints.id': label('identity'),
  'pushEndpoints.name': label('identity'),
  'pushEndpoints.host': label('identity'),
  'pushEndpoints.healthy': label("one endpoint's last health check (per endpoint would be a label per registration); failures show in herald_push_attempts_total"),
  'pushEndpoints.breakerState': metric(METRIC.pushBreakers),
  'pushEndpoints.delivered': metric(METRIC.pushDeliveriesTotal),
  'pushEndpoints.failed': metric(METRIC.pushDeliveriesTotal),
  'pushEndpoints.successRate': metric(METRIC.pushAttemptsTotal),
  'pushEndpoints.backlog': metric(METRIC.pushBacklogEvents),
  'gatewayHealth.id': label('identity'),
  'gatewayHealth.name': label('identity'),
  'gatewayHealth.connections': metric(METRIC.connectionsOpen),
  'gatewayHealth.lastHeartbeatAt': label('a time; disconnected gateways show in herald_gateway_disconnected_seconds'),
  'gatewayHealth.delivery.eventsSent': metric(METRIC.gatewayEventsSentTotal),
  'gatewayHealth.delivery.failedDeliveries': metric(METRIC.gatewayDeliveryFailuresTotal),
  'gatewayHealth.delivery.lastFailureAt': label('a time'),
  'gatewayHealth.delivery.lastFailureReason': label('text; reasons are the `reason` label of herald_gateway_delivery_failures_total'),
  'gatewayHealth.lastDeployment.kind': label("one deployment's detail"),
  'gatewayHealth.lastDeployment.correlationId': label("one deployment's detail"),
  'gatewayHealth.lastDeployment.publishedAt': label("one deployment's detail"),
  'gatewayHealth.lastDeployment.acknowledged': label("one deployment's detail"),
  'gatewayHealth.lastDeployment.targets.overdue': label("one deployment's detail"),
};
