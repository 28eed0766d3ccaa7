import { requireScope } from '../auth/guards.js';
import type { Principal } from '../auth/principal.js';
import type { ConnectionReport } from '../cluster/directory.js';
import { badInput, HeraldError } from '../errors.js';
import type { EventEnvelope } from '../events/envelope.js';
import { atLeast } from '../events/priority.js';
import { both } from '../events/subscription.js';
import { Topics } from '../events/topics.js';
import type { RecordedDeployment, RecordedTarget } from '../gateways/acknowledgements.js';
import type { ConfigUpdate, Deployment, Undeployment } from '../gateways/deployments.js';
import { wireTypeOf } from '../gateways/events.js';
import { registerGatewayInput } from '../gateways/input.js';
import type { Gateway, GatewayDeliveryStats, GatewayKeyUse } from '../gateways/model.js';
import type { TargetResult } from '../gateways/service.js';
import { parseId, parseInput } from '../input.js';
import { builder } from './builder.js';
import type { Context } from './context.js';
import { GatewayEventRef, GatewayEventTypeEnum } from './gateway-events.js';
import { PriorityEnum } from './priority.js';
import { SHARED_ACROSS_BATCH } from './shared-results.js';
import { ConnectionRef } from './stats.js';
import { subscribe } from './subscribe.js';

/** The gateway whose events a subscription follows: a gateway its own, anyone else the one named (with gateways:admin). */
function followedGateway(principal: Principal, requested: string | number | null | undefined): string {
  if (principal.kind === 'gateway') {
    if (requested && String(requested) !== principal.gatewayId) throw new HeraldError('FORBIDDEN', 'A gateway may only subscribe to its own events');
    return principal.gatewayId;
  }
  requireScope(principal, 'gateways:admin');
  if (!requested) throw badInput('gatewayId', 'is required unless the caller is a gateway');
  return parseId(requested, 'gatewayId');
}

// One read of the cluster's connections per operation, however many gateways it lists.
const connectionsByContext = new WeakMap<Context, Promise<ConnectionReport[]>>();
function gatewayConnections(ctx: Context, gatewayId: string) {
  let all = connectionsByContext.get(ctx);
  if (!all) connectionsByContext.set(ctx, (all = ctx.services.cluster.connections()));
  return all.then((connections) => connections.filter((c) => c.gatewayId === gatewayId));
}

export const DeliveryStatsRef = builder.objectRef<GatewayDeliveryStats>('GatewayDeliveryStats').implement({
  description: 'How events for a gateway fared, cluster-wide.',
  fields: (t) => ({
    eventsSent: t.exposeInt('eventsSent', { description: 'Events published while at least one connection of the gateway listened.' }),
    failedDeliveries: t.exposeInt('failedDeliveries', { description: 'Events that reached no connection, or whose write failed.' }),
    lastFailureAt: t.expose('lastFailureAt', { type: 'DateTime', nullable: true }),
    lastFailureReason: t.exposeString('lastFailureReason', { nullable: true, description: '`no active connection`, `send failed: ...` or `publish failed: ...`.' }),
  }),
});

export const GatewayRef = builder.objectRef<Gateway>('Gateway').implement({
  description: 'An API gateway that receives deploy, undeploy and configuration events.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    vhosts: t.exposeStringList('vhosts'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    connected: t.boolean({ resolve: async (g, _a, ctx) => (await gatewayConnections(ctx, g.id)).length > 0 }),
    connections: t.field({ type: [ConnectionRef], resolve: (g, _a, ctx) => gatewayConnections(ctx, g.id) }),
    delivery: t.field({ type: DeliveryStatsRef, resolve: (g, _a, ctx) => ctx.services.gateways.deliveryStats(g.id) }),
  }),
});

const GatewayRegistrationRef = builder.objectRef<{ gateway: Gateway; apiKey: string; keyId: string }>('GatewayRegistration').implement({
  fields: (t) => ({
    gateway: t.field({ type: GatewayRef, resolve: (r) => r.gateway }),
    apiKey: t.exposeString('apiKey', { description: 'Shown once; only a hash is stored.' }),
    keyId: t.exposeID('keyId', { description: 'The id of this key, for `gatewayKeys` and `revokeGatewayKey(keyId:)`.' }),
  }),
});

const GatewayKeyRef = builder.objectRef<GatewayKeyUse>('GatewayKey').implement({
  description: 'A key of a gateway. The secret is never shown again after it was issued.',
  fields: (t) => ({
    id: t.exposeID('id'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'When the key last authenticated, to about a minute; null if never.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const DeliveryStatusEnum = builder.enumType('GatewayDeliveryStatus', {
  values: {
    DELIVERED: { description: 'Published while connections of the gateway listened (see `connections`).' },
    NO_CONNECTION: { description: 'Published, but no connection of the gateway listened.' },
    FAILED: { description: 'Not published; see `reason`.' },
    ACKNOWLEDGED: { description: 'The gateway confirmed it applied the event (acknowledgeGatewayEvent); only in `deployment`.' },
  },
});

const GatewayDeliveryRef = builder.objectRef<TargetResult>('GatewayDelivery').implement({
  description: 'What became of an event for one target gateway.',
  fields: (t) => ({
    gatewayId: t.exposeID('gatewayId'),
    status: t.expose('status', { type: DeliveryStatusEnum }),
    connections: t.exposeInt('connections', { description: 'Connections of the gateway that were listening.' }),
    reason: t.exposeString('reason', { nullable: true }),
    eventId: t.exposeID('eventId', { nullable: true }),
  }),
});

const DeploymentRef = builder.objectRef<Deployment>('Deployment').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The deployment id the gateways receive.' }),
    apiId: t.exposeID('apiId'),
    revisionId: t.exposeID('revisionId'),
    vhost: t.exposeString('vhost'),
    correlationId: t.exposeString('correlationId', { nullable: true }),
    targets: t.field({ type: [GatewayDeliveryRef], resolve: (d) => d.targets }),
  }),
});

const UndeploymentRef = builder.objectRef<Undeployment>('Undeployment').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    apiId: t.exposeID('apiId'),
    correlationId: t.exposeString('correlationId', { nullable: true }),
    targets: t.field({ type: [GatewayDeliveryRef], resolve: (d) => d.targets }),
  }),
});

const ConfigUpdateRef = builder.objectRef<ConfigUpdate>('GatewayConfigUpdate').implement({
  fields: (t) => ({
    gatewayId: t.exposeID('gatewayId'),
    version: t.exposeInt('version'),
    correlationId: t.exposeString('correlationId', { nullable: true }),
    targets: t.field({ type: [GatewayDeliveryRef], resolve: (d) => d.targets }),
  }),
});

const RegisterGatewayInput = builder.inputType('RegisterGatewayInput', {
  fields: (t) => ({ name: t.string({ required: true }), vhosts: t.stringList() }),
});

const DeployApiRevisionInput = builder.inputType('DeployApiRevisionInput', {
  fields: (t) => ({
    apiId: t.id({ required: true }),
    revisionId: t.id({ required: true }),
    vhost: t.string({ required: true }),
    gatewayIds: t.idList({ required: true }),
    correlationId: t.string(),
  }),
});

const UndeployApiInput = builder.inputType('UndeployApiInput', {
  fields: (t) => ({ apiId: t.id({ required: true }), gatewayIds: t.idList({ required: true }), correlationId: t.string() }),
});

const UpdateGatewayConfigInput = builder.inputType('UpdateGatewayConfigInput', {
  fields: (t) => ({ gatewayId: t.id({ required: true }), config: t.field({ type: 'JSON', required: true }), correlationId: t.string() }),
});

builder.queryFields((t) => ({
  gateways: t.field({
    type: [GatewayRef],
    authScopes: { scope: 'gateways:admin' },
    resolve: (_r, _a, ctx) => ctx.services.gateways.list(),
  }),
  gateway: t.field({
    type: GatewayRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { scope: 'gateways:admin' },
    resolve: (_r, args, ctx) => ctx.services.gateways.get(parseId(args.id, 'id')),
  }),
  gatewayKeys: t.field({
    type: [GatewayKeyRef],
    description: 'Every key of the gateway, revoked ones too, oldest first.',
    args: { gatewayId: t.arg.id({ required: true }) },
    authScopes: { scope: 'gateways:admin' },
    resolve: (_r, args, ctx) => ctx.services.gateways.keys(parseId(args.gatewayId, 'gatewayId')),
  }),
}));

builder.mutationFields((t) => ({
  registerGateway: t.field({
    type: GatewayRegistrationRef,
    args: { input: t.arg({ type: RegisterGatewayInput, required: true }) },
    authScopes: { scope: 'gateways:admin' },
    resolve: (_r, { input }, ctx) => ctx.services.gateways.register(parseInput(registerGatewayInput, input)),
  }),
  rotateGatewayKey: t.field({
    type: GatewayRegistrationRef,
    description: 'Issues another key (its id in `keyId`); earlier keys stay valid until revoked.',
    args: { gatewayId: t.arg.id({ required: true }) },
    authScopes: { scope: 'gateways:admin' },
    resolve: (_r, args, ctx) => ctx.services.gateways.rotateKey(parseId(args.gatewayId, 'gatewayId')),
  }),
  revokeGatewayKey: t.field({
    type: GatewayRef,
    description:
      'Revokes one key of the gateway (`keyId`) and ends the sessions made with it (WebSockets close with 4403) on every instance; without `keyId`, every key of the gateway and all its sessions.',
    args: { gatewayId: t.arg.id({ required: true }), keyId: t.arg.id({ description: 'The key to revoke; all of them when left out.' }) },
    authScopes: { scope: 'gateways:admin' },
    resolve: (_r, args, ctx) =>
      ctx.services.gateways.revokeKeys(parseId(args.gatewayId, 'gatewayId'), args.keyId === null || args.keyId === undefined ? undefined : parseId(args.keyId, 'keyId')),
  }),
  deleteGateway: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    authScopes: { scope: 'gateways:admin' },
    resolve: (_r, args, ctx) => ctx.services.gateways.delete(parseId(args.id, 'id')),
  }),
  deployApiRevision: t.field({
    type: DeploymentRef,
    authScopes: { scope: 'deploy:write' },
    args: { input: t.arg({ type: DeployApiRevisionInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.deployments.deploy(ctx.principal, { ...input, apiId: String(input.apiId), revisionId: String(input.revisionId), gatewayIds: input.gatewayIds.map(String) }),
  }),
  undeployApi: t.field({
    type: UndeploymentRef,
    authScopes: { scope: 'deploy:write' },
    args: { input: t.arg({ type: UndeployApiInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.deployments.undeploy(ctx.principal, { ...input, apiId: String(input.apiId), gatewayIds: input.gatewayIds.map(String) }),
  }),
  updateGatewayConfig: t.field({
    type: ConfigUpdateRef,
    authScopes: { scope: 'deploy:write' },
    args: { input: t.arg({ type: UpdateGatewayConfigInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.deployments.updateConfig(ctx.principal, { ...input, gatewayId: String(input.gatewayId) }),
  }),
}));

builder.subscriptionFields((t) => ({
  gatewayEvents: t.field({
    type: GatewayEventRef,
    // A deployment's events for many gateways are executed once (schema/shared-results.ts).
    extensions: { [SHARED_ACROSS_BATCH]: true },
    description: 'Events for one gateway, in the order they were made. A gateway gets its own; an admin names one with `gatewayId`.',
    args: {
      types: t.arg({ type: [GatewayEventTypeEnum] }),
      gatewayId: t.arg.id(),
      after: t.arg.string({ description: 'The cursor of the last event received: first deliver every retained event after it.' }),
      minPriority: t.arg({ type: PriorityEnum }),
    },
    subscribe: (_r, args, ctx) => {
      const gatewayId = followedGateway(ctx.principal, args.gatewayId);
      const wanted = args.types?.length ? new Set(args.types.map(wireTypeOf)) : undefined;
      const ofType = wanted && ((event: EventEnvelope) => wanted.has(event.type));
      // The gateway's own streams mark that it listens (what a deployment reports as DELIVERED); an admin watching does not.
      const presence = ctx.principal.kind === 'gateway' ? [Topics.gatewayPresence(gatewayId)] : undefined;
      return subscribe(ctx, { topics: [Topics.gateway(gatewayId)], presence, after: args.after, accept: both(ofType, atLeast(args.minPriority)) }) as never;
    },
    resolve: (event) => event as never,
  }),
}));

const DeploymentKindEnum = builder.enumType('DeploymentKind', { values: ['DEPLOY', 'UNDEPLOY', 'CONFIG'] as const });

type TargetView = RecordedTarget & { readonly publishedAt: string; readonly timeoutMs: number };

const DeploymentTargetRef = builder.objectRef<TargetView>('DeploymentTarget').implement({
  description: 'One gateway of a deployment: how delivery went when it was published, and whether the gateway confirmed it.',
  fields: (t) => ({
    gatewayId: t.exposeID('gatewayId'),
    eventId: t.exposeID('eventId', { nullable: true }),
    status: t.field({
      type: DeliveryStatusEnum,
      description: 'ACKNOWLEDGED once the gateway confirmed the event; otherwise how delivery went at publish time.',
      resolve: (target) => (target.acknowledgedAt !== null ? 'ACKNOWLEDGED' : target.status),
    }),
    acknowledgedAt: t.expose('acknowledgedAt', { type: 'DateTime', nullable: true }),
    overdue: t.boolean({
      description: 'Not confirmed within GATEWAY_ACK_TIMEOUT_MS of publishing (false while the time is not up).',
      resolve: (target) => target.acknowledgedAt === null && target.eventId !== null && Date.now() - Date.parse(target.publishedAt) > target.timeoutMs,
    }),
  }),
});

export const DeploymentStatusRef = builder.objectRef<RecordedDeployment & { readonly timeoutMs: number }>('DeploymentStatus').implement({
  description: 'A deployment as its gateways confirmed it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.expose('kind', { type: DeploymentKindEnum }),
    correlationId: t.exposeString('correlationId', { nullable: true }),
    publishedAt: t.expose('publishedAt', { type: 'DateTime' }),
    targets: t.field({ type: [DeploymentTargetRef], resolve: (d) => d.targets.map((target) => ({ ...target, publishedAt: d.publishedAt, timeoutMs: d.timeoutMs })) }),
    acknowledged: t.int({ description: 'Targets that confirmed.', resolve: (d) => d.targets.filter((x) => x.acknowledgedAt !== null).length }),
  }),
});

export const withTimeout = (ctx: Context) => (d: RecordedDeployment | null) => d && { ...d, timeoutMs: ctx.services.acknowledgements.timeoutMs };

builder.queryFields((t) => ({
  deployment: t.field({
    type: DeploymentStatusRef,
    nullable: true,
    description: 'A deployment by its correlation id (the latest with it) or its id, with what each target confirmed; kept as long as its events.',
    authScopes: { scope: 'gateways:admin' },
    args: { correlationId: t.arg.string({ required: true, description: 'The correlationId given to the deployment, or its id.' }) },
    resolve: async (_r, args, ctx) => withTimeout(ctx)(await ctx.services.acknowledgements.get(args.correlationId)),
  }),
}));

builder.mutationFields((t) => ({
  acknowledgeGatewayEvent: t.field({
    type: DeploymentStatusRef,
    description: 'A gateway confirms it applied one of its events (its id); the deployment that sent it then shows the target ACKNOWLEDGED. A repeat keeps the first time.',
    args: { eventId: t.arg.id({ required: true }) },
    resolve: async (_r, args, ctx) => withTimeout(ctx)(await ctx.services.acknowledgements.acknowledge(ctx.principal, args.eventId))!,
  }),
}));
