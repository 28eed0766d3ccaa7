import type { EventEnvelope } from '../events/envelope.js';
import type { FallbackPayload } from '../push/fallback.js';
import type { Endpoint } from '../push/registrations.js';
import type { CliRegistration, Delivery, EndpointState } from '../push/store.js';
import { builder } from './builder.js';
import { EventRef } from './events.js';
import { ServerStatsRef } from './stats.js';
import { subscribe } from './subscribe.js';

export const BreakerStateEnum = builder.enumType('BreakerState', { values: ['CLOSED', 'OPEN', 'HALF_OPEN'] as const });
const DeliveryStatusEnum = builder.enumType('DeliveryStatus', { values: ['PENDING', 'DELIVERED', 'RETRYING', 'FAILED', 'FALLBACK'] as const });

const CliRegistrationRef = builder.objectRef<CliRegistration>('CliRegistration').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { nullable: true }),
    callbackUrl: t.exposeString('callbackUrl'),
    repositories: t.exposeStringList('repositories'),
    clientVersion: t.exposeString('clientVersion'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    secret: t.exposeString('secret', { description: 'Signs every delivery (X-Herald-Signature). Shown only here, at registration.' }),
  }),
});

const CliEndpointRef = builder.objectRef<Endpoint>('CliEndpoint').implement({
  description: 'A registered push endpoint and how it is doing.',
  fields: (t) => ({
    id: t.id({ resolve: (e) => e.registration.id }),
    ownerId: t.string({ resolve: (e) => e.registration.ownerId }),
    name: t.string({ nullable: true, resolve: (e) => e.registration.name }),
    callbackUrl: t.string({ resolve: (e) => e.registration.callbackUrl }),
    repositories: t.stringList({ resolve: (e) => [...e.registration.repositories] }),
    clientVersion: t.string({ resolve: (e) => e.registration.clientVersion }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.registration.createdAt }),
    healthy: t.boolean({ nullable: true, description: 'Result of the last health check; null before the first.', resolve: (e) => e.state.healthy }),
    lastHealthCheckAt: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.state.lastHealthCheckAt }),
    lastHealthError: t.string({
      nullable: true,
      description: 'Why the last health check failed (HTTP 404, connection refused, timeout, ...); null when it succeeded or none ran yet.',
      // Older instances stored no such field.
      resolve: (e) => e.state.lastHealthError ?? null,
    }),
    breakerState: t.field({ type: BreakerStateEnum, resolve: (e) => e.state.breaker.state }),
    consecutiveFailures: t.int({ resolve: (e) => e.state.breaker.failures }),
    delivered: t.int({ resolve: (e) => e.state.delivered }),
    failed: t.int({ resolve: (e) => e.state.failed }),
    fallback: t.int({ description: 'Events given up and taken by a live cliNotifications subscription.', resolve: (e) => e.state.fallback }),
    notificationSubscriptions: t.int({
      description: 'Live cliNotifications subscriptions of this registration, cluster-wide, as the instances last reported them: with none, an event given up is FAILED.',
      resolve: (e, _a, ctx) => ctx.services.cluster.cliListeners(e.registration.id),
    }),
  }),
});

const DeliveryRef = builder.objectRef<Delivery>('Delivery').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: 'X-Herald-Delivery of the requests.' }),
    eventId: t.exposeID('eventId'),
    eventType: t.exposeString('eventType'),
    status: t.expose('status', { type: DeliveryStatusEnum }),
    attempts: t.exposeInt('attempts'),
    lastError: t.exposeString('lastError', { nullable: true }),
    firstAttemptAt: t.expose('firstAttemptAt', { type: 'DateTime', nullable: true }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    latencyMs: t.exposeInt('latencyMs', { nullable: true, description: 'From the first attempt to the 2xx.' }),
  }),
});

const CliNotificationRef = builder.objectRef<EventEnvelope<string, FallbackPayload>>('CliNotification').implement({
  description: 'An event the CLI endpoint did not take (given up, or its circuit breaker is open).',
  fields: (t) => ({
    id: t.exposeID('id'),
    reason: t.string({ resolve: (n) => n.payload.reason }),
    event: t.field({ type: EventRef, resolve: (n) => n.payload.event }),
    cursor: t.exposeString('cursor'),
  }),
});

const RegisterCliInput = builder.inputType('RegisterCliInput', {
  fields: (t) => ({
    callbackUrl: t.string({ required: true }),
    repositories: t.stringList({ required: true }),
    clientVersion: t.string({ required: true }),
    name: t.string(),
  }),
});

builder.queryFields((t) => ({
  cliEndpoints: t.field({
    type: [CliEndpointRef],
    description: 'Push endpoints: every one for the admin, the caller\'s own otherwise.',
    authScopes: { scope: 'cli:register' },
    resolve: (_r, _a, ctx) => ctx.services.push.endpoints(ctx.principal),
  }),
  deliveries: t.field({
    type: [DeliveryRef],
    description: 'The newest deliveries to a registration.',
    authScopes: { scope: 'cli:register' },
    args: { registrationId: t.arg.id({ required: true }), status: t.arg({ type: DeliveryStatusEnum }), first: t.arg.int({ defaultValue: 50 }) },
    resolve: (_r, { status, ...args }, ctx) => ctx.services.push.deliveries(ctx.principal, status ?? null, { ...args, registrationId: String(args.registrationId) }),
  }),
}));

builder.mutationFields((t) => ({
  registerCli: t.field({
    type: CliRegistrationRef,
    authScopes: { scope: 'cli:register' },
    args: { input: t.arg({ type: RegisterCliInput, required: true }) },
    resolve: (_r, args, ctx) => ctx.services.push.register(ctx.principal, args.input),
  }),
  deregisterCli: t.boolean({
    authScopes: { scope: 'cli:register' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => ctx.services.push.deregister(ctx.principal, args.id),
  }),
}));

builder.subscriptionFields((t) => ({
  cliNotifications: t.field({
    type: CliNotificationRef,
    description: 'Events pushing could not deliver to this registration, so a CLI holding a WebSocket still gets them.',
    authScopes: { scope: 'cli:register' },
    args: {
      registrationId: t.arg.id({ description: 'Defaults to the cliRegistrationId the connection named in connection_init.' }),
      after: t.arg.string(),
    },
    subscribe: async (_r, { registrationId, after }, ctx) => {
      const topic = await ctx.services.push.notificationTopic(ctx.principal, registrationId, ctx.cliRegistrationId);
      return subscribe(ctx, { topics: [topic], after }) as never;
    },
    resolve: (n) => n as never,
  }),
}));

const PushStatsRef = builder.objectRef<{ pushing: boolean; endpoints: EndpointState[] }>('PushStats').implement({
  description: 'Pushes to CLI endpoints, cluster-wide.',
  fields: (t) => {
    const sum = (pick: (s: EndpointState) => number) => (p: { endpoints: EndpointState[] }) => p.endpoints.reduce((n, s) => n + pick(s), 0);
    return {
      pushing: t.exposeBoolean('pushing', { description: 'Whether the instance that answers is the one pushing (one instance pushes at a time).' }),
      endpoints: t.int({ resolve: (p) => p.endpoints.length }),
      delivered: t.int({ resolve: sum((s) => s.delivered) }),
      failed: t.int({ description: 'Events given up, whether or not a cliNotifications subscription took them.', resolve: sum((s) => s.failed) }),
      successRate: t.float({
        nullable: true,
        description: 'Delivered / (delivered + failed); null before any.',
        resolve: (p) => {
          const delivered = sum((s) => s.delivered)(p);
          const total = delivered + sum((s) => s.failed)(p);
          return total === 0 ? null : delivered / total;
        },
      }),
    };
  },
});

builder.objectField(ServerStatsRef, 'push', (t) =>
  t.field({
    type: PushStatsRef,
    resolve: (_s, _a, ctx) => ctx.services.push.stats(),
  }),
);
