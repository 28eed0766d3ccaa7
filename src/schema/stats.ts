import type { ConnectionReport, InstanceReport } from '../cluster/directory.js';
import { builder } from './builder.js';

const ServerModeEnum = builder.enumType('ServerMode', {
  values: { EMBEDDED: { description: 'One process, in-memory backends.' }, REDIS: { description: 'Backends in Redis; instances share events and state.' } },
});

const InstanceStatsRef = builder.objectRef<InstanceReport>('InstanceStats').implement({
  description: 'Counters of one instance since it started.',
  fields: (t) => ({
    instanceId: t.exposeString('instanceId'),
    mode: t.expose('mode', { type: ServerModeEnum }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    reportedAt: t.expose('reportedAt', { type: 'DateTime', description: 'When the instance last reported these figures.' }),
    uptimeSeconds: t.float({ resolve: (s) => (Date.now() - Date.parse(s.startedAt)) / 1000 }),
    connections: t.exposeInt('connections', { description: 'Open WebSocket connections.' }),
    subscriptions: t.exposeInt('subscriptions', { description: 'Active event subscriptions (WebSocket and SSE).' }),
    eventsPublished: t.exposeInt('eventsPublished', { description: 'Events published through this instance.' }),
    eventsDelivered: t.exposeInt('eventsDelivered', { description: 'Events handed to subscribers of this instance.' }),
    gatewayEventsSent: t.exposeInt('gatewayEventsSent', { description: 'Gateway events written to gateway connections.' }),
    gatewaySendFailures: t.exposeInt('gatewaySendFailures', { description: 'Gateway events whose write to a connection failed.' }),
    slowConsumerDisconnects: t.exposeInt('slowConsumerDisconnects', { description: 'Connections closed because they did not read fast enough.' }),
  }),
});

type ClusterStats = { instances: InstanceReport[] };

const ClusterStatsRef = builder.objectRef<ClusterStats>('ClusterStats').implement({
  description: 'Every live instance (one in embedded mode) and their sums.',
  fields: (t) => {
    const sum = (pick: (r: InstanceReport) => number) => (s: ClusterStats) => s.instances.reduce((n, r) => n + pick(r), 0);
    return {
      instances: t.field({ type: [InstanceStatsRef], resolve: (s) => s.instances }),
      connections: t.int({ resolve: sum((r) => r.connections) }),
      subscriptions: t.int({ resolve: sum((r) => r.subscriptions) }),
      eventsPublished: t.int({ resolve: sum((r) => r.eventsPublished) }),
      eventsDelivered: t.int({ resolve: sum((r) => r.eventsDelivered) }),
    };
  },
});

const GatewayTotalsRef = builder.objectRef<{ eventsSent: number; failedDeliveries: number; gateways: number }>('GatewayTotals').implement({
  description: 'Gateway event deliveries summed over every gateway, cluster-wide.',
  fields: (t) => ({
    gateways: t.exposeInt('gateways'),
    eventsSent: t.exposeInt('eventsSent'),
    failedDeliveries: t.exposeInt('failedDeliveries'),
  }),
});

/** This instance's report; a stats update also brings the cluster's, read once for all its fields. */
type ServerStats = { local: InstanceReport; instances?: Promise<InstanceReport[]> };

export const ServerStatsRef = builder.objectRef<ServerStats>('ServerStats').implement({
  description: 'Counters of the instance that answers, and of the whole cluster.',
  fields: (t) => ({
    instanceId: t.string({ resolve: (s) => s.local.instanceId }),
    mode: t.field({ type: ServerModeEnum, resolve: (s) => s.local.mode }),
    startedAt: t.field({ type: 'DateTime', resolve: (s) => s.local.startedAt }),
    uptimeSeconds: t.float({ resolve: (s) => (Date.now() - Date.parse(s.local.startedAt)) / 1000 }),
    connections: t.int({ description: 'Open WebSocket connections of this instance.', resolve: (s) => s.local.connections }),
    subscriptions: t.int({ description: 'Active subscriptions of this instance (WebSocket and SSE).', resolve: (s) => s.local.subscriptions }),
    eventsPublished: t.int({ description: 'Events published through this instance since start.', resolve: (s) => s.local.eventsPublished }),
    eventsDelivered: t.int({ description: 'Events handed to subscribers of this instance since start.', resolve: (s) => s.local.eventsDelivered }),
    slowConsumerDisconnects: t.int({ description: 'Connections this instance closed because they did not read fast enough.', resolve: (s) => s.local.slowConsumerDisconnects }),
    cluster: t.field({ type: ClusterStatsRef, resolve: async (s, _a, ctx) => ({ instances: await (s.instances ?? ctx.services.cluster.instances()) }) }),
    gateways: t.field({ type: GatewayTotalsRef, resolve: (_s, _a, ctx) => ctx.services.gateways.totals() }),
  }),
});

export const ConnectionRef = builder.objectRef<ConnectionReport>('Connection').implement({
  description: 'An open WebSocket connection, on any instance.',
  fields: (t) => ({
    id: t.exposeID('id'),
    instanceId: t.exposeString('instanceId'),
    remoteAddress: t.exposeString('remoteAddress'),
    connectedAt: t.expose('connectedAt', { type: 'DateTime' }),
    lastHeartbeatAt: t.expose('lastHeartbeatAt', { type: 'DateTime', description: 'Last answer to a ping (connect time until the first).' }),
    principalKind: t.exposeString('principalKind', { nullable: true, description: 'admin, anonymous or gateway; null until connection_init was accepted.' }),
    principalId: t.exposeString('principalId', { nullable: true }),
    gatewayId: t.exposeID('gatewayId', { nullable: true }),
    clientName: t.exposeString('clientName', { nullable: true }),
    clientVersion: t.exposeString('clientVersion', { nullable: true }),
    subscriptions: t.exposeInt('subscriptions'),
    eventsSent: t.exposeInt('eventsSent'),
    eventsDropped: t.exposeInt('eventsDropped', { description: 'Events lost to this connection because it fell too far behind.' }),
    heartbeatRttMs: t.exposeInt('heartbeatRttMs', { nullable: true, description: 'Round trip of the last answered ping.' }),
    healthScore: t.int({
      nullable: true,
      description: 'Health 0-100 from heartbeat round trip, unanswered pings, unsent bytes and dropped events (100: fine); null in reports of instances that do not tell.',
      resolve: (c) => c.healthScore ?? null,
    }),
    systemMessages: t.exposeBoolean('systemMessages', { description: 'Whether the connection has a systemMessages subscription, which notifyConnection reaches.' }),
  }),
});

builder.queryFields((t) => ({
  stats: t.field({
    type: ServerStatsRef,
    authScopes: { scope: 'stats:read' },
    resolve: (_root, _args, ctx) => ({ local: ctx.services.cluster.local() }),
  }),
}));
