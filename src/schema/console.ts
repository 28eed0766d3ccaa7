import { CLIENT_KINDS } from '../auth/client-version.js';
import { hasScope, SCOPES } from '../auth/scopes.js';
import type { InstanceReport } from '../cluster/directory.js';
import type { GatewayHealth, PushEndpointHealth } from '../console/service.js';
import { clusterTraffic, connectionsByKind, type FamilyTraffic, type Traffic } from '../console/stats.js';
import { STATS_INTERVAL } from '../console/input.js';
import { PrincipalKindEnum } from './admin.js';
import { builder } from './builder.js';
import { BreakerStateEnum } from './cli.js';
import type { Context } from './context.js';
import { DeliveryStatsRef, DeploymentStatusRef, GatewayRef, withTimeout } from './gateways.js';
import { ConnectionRef, ServerStatsRef } from './stats.js';

const ClientKindEnum = builder.enumType('ClientKind', {
  description: 'GATEWAY: a gateway key; CLI: named herald-cli or tied to a push registration; BROWSER: its upgrade carried an Origin; SERVICE: anything else.',
  values: CLIENT_KINDS,
});
const EventFamilyEnum = builder.enumType('EventFamily', {
  description: 'Events by what they are about: task changes, gateway events, channel events, and alerts (channel events of type alert.*).',
  values: ['TASKS', 'GATEWAYS', 'CHANNELS', 'ALERTS'] as const,
});

const ClientKindCountRef = builder.objectRef<{ kind: (typeof CLIENT_KINDS)[number]; connections: number }>('ClientKindCount').implement({
  fields: (t) => ({ kind: t.expose('kind', { type: ClientKindEnum }), connections: t.exposeInt('connections') }),
});

const FamilyTrafficRef = builder.objectRef<FamilyTraffic>('FamilyTraffic').implement({
  description: 'One family of events over the last few seconds, cluster-wide.',
  fields: (t) => ({
    family: t.field({ type: EventFamilyEnum, resolve: (f) => f.family as 'TASKS' | 'GATEWAYS' | 'CHANNELS' | 'ALERTS' }),
    publishedPerSecond: t.exposeFloat('publishedPerSecond'),
    deliveredPerSecond: t.exposeFloat('deliveredPerSecond', { description: 'Events handed to subscribers (one per subscriber).' }),
    latencyP50Ms: t.exposeFloat('latencyP50Ms', { nullable: true, description: 'From publish to hand-off to the subscriber transport; null without deliveries in the window.' }),
    latencyP99Ms: t.exposeFloat('latencyP99Ms', { nullable: true }),
  }),
});

const TrafficRef = builder.objectRef<Traffic>('Traffic').implement({
  description:
    'What the cluster moved over the last few seconds (`windowSeconds`, rates per second) and a few totals since each instance started. ' +
    'Latency quantiles come from the buckets of herald_delivery_latency_seconds, summed over the instances.',
  fields: (t) => ({
    windowSeconds: t.exposeFloat('windowSeconds'),
    connectsPerSecond: t.exposeFloat('connectsPerSecond', { description: 'WebSocket connections let in.' }),
    disconnectsPerSecond: t.exposeFloat('disconnectsPerSecond'),
    publishedPerSecond: t.exposeFloat('publishedPerSecond'),
    deliveredPerSecond: t.exposeFloat('deliveredPerSecond'),
    latencyP50Ms: t.exposeFloat('latencyP50Ms', { nullable: true }),
    latencyP99Ms: t.exposeFloat('latencyP99Ms', { nullable: true }),
    families: t.field({ type: [FamilyTrafficRef], resolve: (x) => [...x.families] }),
    rateLimitRefusalsPerSecond: t.exposeFloat('rateLimitRefusalsPerSecond'),
    rateLimitRefusals: t.exposeInt('rateLimitRefusals', { description: 'Operations refused by a rate limit since each instance started.' }),
    slowConsumerDisconnectsPerSecond: t.exposeFloat('slowConsumerDisconnectsPerSecond'),
    slowConsumerDisconnects: t.exposeInt('slowConsumerDisconnects', { description: 'Connections closed for reading too slowly, since each instance started.' }),
    eventsDroppedPerSecond: t.exposeFloat('eventsDroppedPerSecond'),
    eventsDropped: t.exposeInt('eventsDropped', { description: 'Events lost to consumers that fell behind, since each instance started.' }),
  }),
});

const PushEndpointHealthRef = builder.objectRef<PushEndpointHealth>('PushEndpointHealth').implement({
  description: 'A push endpoint as operators see it (its host only: a callback URL may carry a secret).',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { nullable: true }),
    ownerId: t.exposeString('ownerId'),
    host: t.exposeString('host'),
    healthy: t.exposeBoolean('healthy', { nullable: true, description: 'Result of the last health check; null before the first.' }),
    breakerState: t.expose('breakerState', { type: BreakerStateEnum }),
    delivered: t.exposeInt('delivered'),
    failed: t.exposeInt('failed'),
    successRate: t.exposeFloat('successRate', { nullable: true, description: 'delivered / (delivered + failed); null before the first outcome.' }),
    backlog: t.exposeInt('backlog', { description: 'Events read for the endpoint and not yet delivered or given up (at most one read of 100); 0 when caught up.' }),
  }),
});

const GatewayHealthRef = builder.objectRef<GatewayHealth>('GatewayHealth').implement({
  fields: (t) => ({
    id: t.id({ resolve: (g) => g.gateway.id }),
    name: t.string({ resolve: (g) => g.gateway.name }),
    gateway: t.field({ type: GatewayRef, resolve: (g) => g.gateway }),
    delivery: t.field({ type: DeliveryStatsRef, resolve: (g, _a, ctx) => ctx.services.gateways.deliveryStats(g.gateway.id) }),
    connections: t.exposeInt('connections', { description: 'Open connections of the gateway, cluster-wide.' }),
    lastHeartbeatAt: t.expose('lastHeartbeatAt', { type: 'DateTime', nullable: true, description: 'The latest heartbeat answer of any of its connections.' }),
    lastDeployment: t.field({
      type: DeploymentStatusRef,
      nullable: true,
      description: 'The latest deployment, undeployment or configuration sent to it, with what each target confirmed, while it is kept.',
      resolve: (g, _a, ctx) => withTimeout(ctx)(g.lastDeployment),
    }),
  }),
});

// A stats update carries the cluster's reports, read once for every field; the `stats` query reads them once per result.
const readInstances = new WeakMap<object, Promise<InstanceReport[]>>();
function instancesOf(stats: { local: InstanceReport; instances?: Promise<InstanceReport[]> }, ctx: Context): Promise<InstanceReport[]> {
  if (stats.instances) return stats.instances;
  let read = readInstances.get(stats);
  if (!read) readInstances.set(stats, (read = ctx.services.cluster.instances()));
  return read;
}

builder.objectFields(ServerStatsRef, (t) => ({
  sampledAt: t.field({ type: 'DateTime', description: 'When these figures were taken.', resolve: (s) => s.local.reportedAt }),
  connectionsByKind: t.field({
    type: [ClientKindCountRef],
    description: 'Open WebSocket connections by kind of client, cluster-wide.',
    resolve: async (s, _a, ctx) => connectionsByKind(await instancesOf(s, ctx)),
  }),
  traffic: t.field({ type: TrafficRef, description: 'Rates and latency over the last few seconds, cluster-wide.', resolve: async (s, _a, ctx) => clusterTraffic(await instancesOf(s, ctx)) }),
  pushEndpoints: t.field({
    type: [PushEndpointHealthRef],
    description: 'Push endpoints, oldest first, with health, breaker, success rate and backlog.',
    args: { first: t.arg.int({ defaultValue: 50 }) },
    resolve: (_s, args, ctx) => ctx.services.console.pushEndpoints(args),
  }),
  gatewayHealth: t.field({
    type: [GatewayHealthRef],
    description: 'Gateways, oldest first, with their connections, last heartbeat and last deployment.',
    args: { first: t.arg.int({ defaultValue: 50 }) },
    resolve: (_s, args, ctx) => ctx.services.console.gatewayHealth(args),
  }),
}));

builder.objectFields(ConnectionRef, (t) => ({
  clientKind: t.field({ type: ClientKindEnum, nullable: true, description: 'Null in reports of instances that do not tell.', resolve: (c) => c.clientKind ?? null }),
}));

const ViewerRef = builder
  .objectRef<{ kind: 'admin' | 'anonymous' | 'gateway' | 'service' | 'user'; id: string; scopes: string[]; console: boolean }>('Viewer')
  .implement({
    description: 'Who the credential of the request is.',
    fields: (t) => ({
      kind: t.expose('kind', { type: PrincipalKindEnum }),
      id: t.exposeString('id'),
      scopes: t.exposeStringList('scopes', { description: 'The scopes it holds (per-channel scopes left out).' }),
      console: t.exposeBoolean('console', { description: "Whether it opens the operators' console (GraphiQL, /dashboard): the admin, or the console scope." }),
    }),
  });

builder.queryFields((t) => ({
  viewer: t.field({
    type: ViewerRef,
    description: 'Who is asking: the principal the credential stands for, its scopes, and whether it opens the console.',
    resolve: (_r, _a, ctx) => ({
      kind: ctx.principal.kind,
      id: ctx.principal.id,
      scopes: SCOPES.filter((scope) => hasScope(ctx.principal, scope)),
      console: hasScope(ctx.principal, 'console'),
    }),
  }),
}));

builder.subscriptionFields((t) => ({
  serverStatsUpdates: t.field({
    type: ServerStatsRef,
    description: `The stats, now and then every intervalMs (${STATS_INTERVAL.minMs}-${STATS_INTERVAL.maxMs}), cluster-wide where the fields are. A subscriber that reads slower gets the newest figures, not a queue. Needs the console scope.`,
    authScopes: { scope: 'console' },
    args: { intervalMs: t.arg.int({ defaultValue: 1000 }) },
    subscribe: (_r, args, ctx) => ctx.services.console.updates(args),
    resolve: (sample) => sample,
  }),
}));
