import { builder } from './builder.js';
import type { ConnectionView, InstanceStats } from './context.js';

const ServerModeEnum = builder.enumType('ServerMode', {
  values: { EMBEDDED: { description: 'One process, in-memory backends.' }, REDIS: { description: 'Backends in Redis; instances share events and state.' } },
});

const ServerStatsRef = builder.objectRef<InstanceStats>('ServerStats').implement({
  description: 'Counters of the instance that answers.',
  fields: (t) => ({
    instanceId: t.exposeString('instanceId'),
    mode: t.expose('mode', { type: ServerModeEnum }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    uptimeSeconds: t.float({ resolve: (s) => (Date.now() - s.startedAt.getTime()) / 1000 }),
    connections: t.exposeInt('connections', { description: 'Open WebSocket connections.' }),
    subscriptions: t.exposeInt('subscriptions', { description: 'Active event subscriptions (WebSocket and SSE).' }),
    eventsPublished: t.exposeInt('eventsPublished', { description: 'Events published through this instance since start.' }),
    eventsDelivered: t.exposeInt('eventsDelivered', { description: 'Events handed to subscribers of this instance since start.' }),
  }),
});

const ConnectionRef = builder.objectRef<ConnectionView>('Connection').implement({
  description: 'An open WebSocket connection.',
  fields: (t) => ({
    id: t.exposeID('id'),
    remoteAddress: t.exposeString('remoteAddress'),
    connectedAt: t.expose('connectedAt', { type: 'DateTime' }),
    lastHeartbeatAt: t.expose('lastHeartbeatAt', { type: 'DateTime' }),
    principalId: t.exposeString('principalId', { nullable: true, description: 'Null until connection_init was accepted.' }),
    clientName: t.exposeString('clientName', { nullable: true }),
    clientVersion: t.exposeString('clientVersion', { nullable: true }),
    subscriptions: t.exposeInt('subscriptions'),
  }),
});

builder.queryFields((t) => ({
  stats: t.field({ type: ServerStatsRef, resolve: (_root, _args, ctx) => ctx.services.stats.instance() }),
  connections: t.field({ type: [ConnectionRef], resolve: (_root, _args, ctx) => ctx.services.stats.connections() }),
}));
