import { newId } from '../ids.js';
import { badInput, HeraldError } from '../errors.js';
import { assertPublishable } from '../events/draft.js';
import type { TargetResult } from '../gateways/service.js';
import type { ConnectionReport } from '../cluster/directory.js';
import type { Gateway, GatewayDeliveryStats } from '../gateways/store.js';
import { parseId, parseInput } from '../validation/parse.js';
import {
  deployApiRevisionInput,
  registerGatewayInput,
  undeployApiInput,
  updateGatewayConfigInput,
} from '../gateways/input.js';
import { builder } from './builder.js';
import type { Context } from './context.js';
import { gatewayEventDraft, gatewayEventDrafts, GatewayEventRef, GatewayEventTypeEnum, gatewayTopic, wireTypeOf } from './gateway-events.js';
import { requireScope } from '../auth/guards.js';
import { ConnectionRef } from './stats.js';
import type { EventEnvelope } from '../events/envelope.js';
import { SHARED_ACROSS_BATCH } from './shared-results.js';
import { PriorityEnum } from './priority.js';
import { idempotent } from '../idempotency/idempotent.js';
import { atLeast, both, openStream } from './streams.js';

// One read of the cluster's connections per operation, however many gateways it lists.
const connectionsByContext = new WeakMap<Context, Promise<ConnectionReport[]>>();
function gatewayConnections(ctx: Context, gatewayId: string) {
  let all = connectionsByContext.get(ctx);
  if (!all) connectionsByContext.set(ctx, (all = ctx.services.cluster.connections()));
  return all.then((connections) => connections.filter((c) => c.gatewayId === gatewayId));
}

const DeliveryStatsRef = builder.objectRef<GatewayDeliveryStats>('GatewayDeliveryStats').implement({
  description: 'How events for a gateway fared, cluster-wide.',
  fields: (t) => ({
    eventsSent: t.exposeInt('eventsSent', { description: 'Events published while at least one connection of the gateway listened.' }),
    failedDeliveries: t.exposeInt('failedDeliveries', { description: 'Events that reached no connection, or whose write failed.' }),
    lastFailureAt: t.expose('lastFailureAt', { type: 'DateTime', nullable: true }),
    lastFailureReason: t.exposeString('lastFailureReason', { nullable: true, description: '`no active connection`, `send failed: ...` or `publish failed: ...`.' }),
  }),
});

const GatewayRef = builder.objectRef<Gateway>('Gateway').implement({
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

const GatewayRegistrationRef = builder.objectRef<{ gateway: Gateway; apiKey: string }>('GatewayRegistration').implement({
  fields: (t) => ({
    gateway: t.field({ type: GatewayRef, resolve: (r) => r.gateway }),
    apiKey: t.exposeString('apiKey', { description: 'Shown once; only a hash is stored.' }),
  }),
});

const DeliveryStatusEnum = builder.enumType('GatewayDeliveryStatus', {
  values: {
    DELIVERED: { description: 'Published while connections of the gateway listened (see `connections`).' },
    NO_CONNECTION: { description: 'Published, but no connection of the gateway listened.' },
    FAILED: { description: 'Not published; see `reason`.' },
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

type Dispatch = { correlationId: string | null; targets: TargetResult[] };
type Deployment = Dispatch & { id: string; apiId: string; revisionId: string; vhost: string };
type Undeployment = Dispatch & { id: string; apiId: string };
type ConfigUpdate = Dispatch & { gatewayId: string; version: number };

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

/** deployApiRevision, shared with the REST route; the input is validated here, for both. */
export async function deployApiRevision(ctx: Context, request: unknown): Promise<Deployment> {
  requireScope(ctx.principal, 'deploy:write'); // also reached from REST, outside the field's authScopes
  const input = parseInput(deployApiRevisionInput, request);
  const correlationId = input.correlationId ?? null;
  const vhost = input.vhost;
  const targets = await ctx.services.gateways.validateTargets(input.gatewayIds);
  // A correlationId is also the idempotency key: a retried deployment is not sent twice.
  return idempotent(ctx, 'deployApiRevision', correlationId, async () => {
    const id = newId();
    const payload = { apiId: input.apiId, revisionId: input.revisionId, vhost, deploymentId: id };
    const results = await ctx.services.gateways.dispatch(targets, gatewayEventDrafts('API_DEPLOYED', payload, correlationId));
    return { id, apiId: payload.apiId, revisionId: payload.revisionId, vhost, correlationId, targets: results };
  });
}

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
    description: 'Issues another key; earlier keys stay valid until revoked.',
    args: { gatewayId: t.arg.id({ required: true }) },
    authScopes: { scope: 'gateways:admin' },
    resolve: (_r, args, ctx) => ctx.services.gateways.rotateKey(parseId(args.gatewayId, 'gatewayId')),
  }),
  revokeGatewayKey: t.field({
    type: GatewayRef,
    description: "Revokes every key of the gateway and closes its connections (4403) on every instance.",
    args: { gatewayId: t.arg.id({ required: true }) },
    authScopes: { scope: 'gateways:admin' },
    resolve: (_r, args, ctx) => ctx.services.gateways.revokeKeys(parseId(args.gatewayId, 'gatewayId')),
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
      deployApiRevision(ctx, { ...input, apiId: String(input.apiId), revisionId: String(input.revisionId), gatewayIds: input.gatewayIds.map(String) }),
  }),
  undeployApi: t.field({
    type: UndeploymentRef,
    authScopes: { scope: 'deploy:write' },
    args: { input: t.arg({ type: UndeployApiInput, required: true }) },
    resolve: async (_r, args, ctx) => {
      const input = parseInput(undeployApiInput, { ...args.input, apiId: String(args.input.apiId), gatewayIds: args.input.gatewayIds.map(String) });
      const correlationId = input.correlationId ?? null;
      const targets = await ctx.services.gateways.validateTargets(input.gatewayIds);
      return idempotent(ctx, 'undeployApi', correlationId, async () => {
        const id = newId();
        const payload = { apiId: input.apiId, deploymentId: id };
        const results = await ctx.services.gateways.dispatch(targets, gatewayEventDrafts('API_UNDEPLOYED', payload, correlationId));
        return { id, apiId: payload.apiId, correlationId, targets: results };
      });
    },
  }),
  updateGatewayConfig: t.field({
    type: ConfigUpdateRef,
    authScopes: { scope: 'deploy:write' },
    args: { input: t.arg({ type: UpdateGatewayConfigInput, required: true }) },
    resolve: async (_r, args, ctx) => {
      const input = parseInput(updateGatewayConfigInput, { ...args.input, gatewayId: String(args.input.gatewayId) });
      const correlationId = input.correlationId ?? null;
      const [gatewayId] = await ctx.services.gateways.validateTargets([input.gatewayId]);
      // Checked before a version is taken, so a refused config leaves no trace.
      assertPublishable(gatewayEventDraft('GATEWAY_CONFIG_UPDATED', gatewayId!, { version: 1, config: input.config }, correlationId));
      return idempotent(ctx, 'updateGatewayConfig', correlationId, async () => {
        const version = await ctx.services.gateways.saveConfig(gatewayId!, input.config);
        const draft = gatewayEventDraft('GATEWAY_CONFIG_UPDATED', gatewayId!, { version, config: input.config }, correlationId);
        const targets = await ctx.services.gateways.dispatch([gatewayId!], () => draft);
        return { gatewayId: gatewayId!, version, correlationId, targets };
      });
    },
  }),
}));

builder.subscriptionFields((t) => ({
  gatewayEvents: t.field({
    type: GatewayEventRef,
    // A deployment's events for many gateways are executed once (src/events/shared-results.ts).
    extensions: { [SHARED_ACROSS_BATCH]: true },
    description: 'Events for one gateway, in the order they were made. A gateway gets its own; an admin names one with `gatewayId`.',
    args: {
      types: t.arg({ type: [GatewayEventTypeEnum] }),
      gatewayId: t.arg.id(),
      after: t.arg.string({ description: 'The cursor of the last event received: first deliver every retained event after it.' }),
      minPriority: t.arg({ type: PriorityEnum }),
    },
    subscribe: (_r, args, ctx) => {
      const principal = ctx.principal;
      let gatewayId: string;
      if (principal.kind === 'gateway') {
        if (args.gatewayId && String(args.gatewayId) !== principal.gatewayId) {
          throw new HeraldError('FORBIDDEN', 'A gateway may only subscribe to its own events');
        }
        gatewayId = principal.gatewayId;
      } else {
        requireScope(principal, 'gateways:admin');
        if (!args.gatewayId) throw badInput('gatewayId', 'is required unless the caller is a gateway');
        gatewayId = parseId(args.gatewayId, 'gatewayId');
      }
      const wanted = args.types?.length ? new Set(args.types.map(wireTypeOf)) : undefined;
      const ofType = wanted && ((event: EventEnvelope) => wanted.has(event.type));
      return openStream(ctx, { topics: [gatewayTopic(gatewayId)], after: args.after, accept: both(ofType, atLeast(args.minPriority)) }) as never;
    },
    resolve: (event) => event as never,
  }),
}));
