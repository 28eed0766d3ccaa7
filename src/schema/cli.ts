import { randomBytes } from 'node:crypto';
import { newId } from '../ids.js';
import type { Principal } from '../auth/principal.js';
import { compareVersions } from '../auth/client-version.js';
import { badInput, HeraldError, notFound } from '../errors.js';
import type { EventEnvelope } from '../events/envelope.js';
import { RefusedUrl, parseCallbackUrl, resolveTarget } from '../push/url-policy.js';
import type { CliRegistration, Delivery, EndpointState } from '../push/store.js';
import { parseId, parseInput } from '../validation/parse.js';
import { deliveriesArgs, registerCliInput } from '../push/input.js';
import { builder } from './builder.js';
import type { Context } from './context.js';
import { EventRef } from './events.js';
import { requireRead } from '../auth/guards.js';
import { ServerStatsRef } from './stats.js';
import { openStream } from './streams.js';

/** Where events a CLI's endpoint did not take go, for its WebSocket. */
export const cliTopic = (registrationId: string) => `channel:cli:${registrationId}`;

export type FallbackPayload = { readonly reason: string; readonly event: EventEnvelope };

const BreakerStateEnum = builder.enumType('BreakerState', { values: ['CLOSED', 'OPEN', 'HALF_OPEN'] as const });
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

type Endpoint = { registration: CliRegistration; state: EndpointState };

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
    breakerState: t.field({ type: BreakerStateEnum, resolve: (e) => e.state.breaker.state }),
    consecutiveFailures: t.int({ resolve: (e) => e.state.breaker.failures }),
    delivered: t.int({ resolve: (e) => e.state.delivered }),
    failed: t.int({ resolve: (e) => e.state.failed }),
    fallback: t.int({ resolve: (e) => e.state.fallback }),
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

const isAdmin = (p: Principal) => p.kind === 'admin' || p.kind === 'anonymous';

/** A registration the caller owns (or any, for the admin); NOT_FOUND otherwise, so ids do not leak. */
async function ownRegistration(ctx: Context, id: string): Promise<CliRegistration> {
  const registration = await ctx.services.cli.store.get(id);
  if (!registration || (!isAdmin(ctx.principal) && registration.ownerId !== ctx.principal.id)) throw notFound('CLI registration', id);
  return registration;
}

builder.queryFields((t) => ({
  cliEndpoints: t.field({
    type: [CliEndpointRef],
    description: 'Push endpoints: every one for the admin, the caller\'s own otherwise.',
    authScopes: { scope: 'cli:register' },
    resolve: async (_r, _a, ctx) => {
      const all = await ctx.services.cli.store.list();
      const visible = isAdmin(ctx.principal) ? all : all.filter((r) => r.ownerId === ctx.principal.id);
      return Promise.all(visible.map(async (registration) => ({ registration, state: await ctx.services.cli.store.state(registration.id) })));
    },
  }),
  deliveries: t.field({
    type: [DeliveryRef],
    description: 'The newest deliveries to a registration.',
    authScopes: { scope: 'cli:register' },
    args: { registrationId: t.arg.id({ required: true }), status: t.arg({ type: DeliveryStatusEnum }), first: t.arg.int({ defaultValue: 50 }) },
    resolve: async (_r, { status, ...args }, ctx) => {
      const { registrationId, first } = parseInput(deliveriesArgs, { ...args, registrationId: String(args.registrationId) });
      const registration = await ownRegistration(ctx, registrationId);
      return ctx.services.cli.store.deliveries(registration.id, status ?? null, first);
    },
  }),
}));

builder.mutationFields((t) => ({
  registerCli: t.field({
    type: CliRegistrationRef,
    authScopes: { scope: 'cli:register' },
    args: { input: t.arg({ type: RegisterCliInput, required: true }) },
    resolve: async (_r, args, ctx) => {
      const input = parseInput(registerCliInput, args.input);
      const { cli, bus } = ctx.services;
      const minimum = cli.minCliVersion;
      if (minimum && (compareVersions(input.clientVersion, minimum) ?? 0) < 0) throw badInput('clientVersion', `herald-cli ${minimum} or newer is required`);
      for (const r of input.repositories) requireRead(ctx.principal, r);
      try {
        await resolveTarget(parseCallbackUrl(input.callbackUrl, cli.urlPolicy), cli.urlPolicy);
      } catch (err) {
        if (err instanceof RefusedUrl) throw new HeraldError('BAD_USER_INPUT', `callbackUrl: ${err.message}`, { field: 'callbackUrl', rule: err.rule });
        throw badInput('callbackUrl', `cannot be resolved: ${(err as Error).message}`);
      }
      const registration: CliRegistration = {
        id: newId(),
        ownerId: ctx.principal.id,
        name: input.name ?? null,
        callbackUrl: input.callbackUrl,
        repositories: [...new Set(input.repositories)],
        secret: randomBytes(32).toString('base64url'),
        clientVersion: input.clientVersion,
        createdAt: new Date().toISOString(),
      };
      // Pushing starts with what is published from now on.
      await cli.store.create(registration, { position: await bus.head(), time: Date.now() });
      ctx.services.audit({ action: 'registerCli', principal: ctx.principal.id, registrationId: registration.id, callbackUrl: registration.callbackUrl });
      cli.poke();
      return registration;
    },
  }),
  deregisterCli: t.boolean({
    authScopes: { scope: 'cli:register' },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, args, ctx) => {
      const registration = await ownRegistration(ctx, parseId(args.id, 'id'));
      const deleted = await ctx.services.cli.store.delete(registration.id);
      ctx.services.audit({ action: 'deregisterCli', principal: ctx.principal.id, registrationId: registration.id });
      ctx.services.cli.poke();
      return deleted;
    },
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
      const named = registrationId ? String(registrationId) : ctx.cliRegistrationId;
      if (!named) throw badInput('registrationId', 'is required unless connection_init named a cliRegistrationId');
      const registration = await ownRegistration(ctx, parseId(named, 'registrationId'));
      return openStream(ctx, { topics: [cliTopic(registration.id)], after }) as never;
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
      failed: t.int({ description: 'Events given up (then handed to the fallback).', resolve: sum((s) => s.failed) }),
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
    resolve: async (_s, _a, ctx) => {
      const { store, isPushing } = ctx.services.cli;
      const registrations = await store.list();
      return { pushing: isPushing(), endpoints: await Promise.all(registrations.map((r) => store.state(r.id))) };
    },
  }),
);
