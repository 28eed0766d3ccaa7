import { HeraldError } from '../errors.js';
import { parseId } from '../input.js';
import type { ConnectionDiagnostics, DeliveryRecord, DiagnosticsEntry, PongRecord } from '../sessions/diagnostics.js';
import { builder } from './builder.js';

const DiagnosticsKindEnum = builder.enumType('ConnectionEventKind', {
  values: ['CONNECTED', 'AUTHENTICATED', 'SUBSCRIBED', 'UNSUBSCRIBED', 'DROPPED', 'SLOW_CONSUMER', 'CLOSED'] as const,
});

const EntryRef = builder.objectRef<DiagnosticsEntry>('ConnectionEvent').implement({
  description: 'One step in a connection\'s life.',
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    kind: t.expose('kind', { type: DiagnosticsKindEnum }),
    detail: t.exposeString('detail', { nullable: true, description: 'The address (CONNECTED), principal (AUTHENTICATED), "<id>: <operation>" (SUBSCRIBED), events lost (DROPPED) or "<code> <reason>" (CLOSED).' }),
  }),
});

const DeliveryRef = builder.objectRef<DeliveryRecord>('ConnectionDelivery').implement({
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime', description: 'When it was handed to the connection.' }),
    eventId: t.exposeID('eventId'),
    type: t.exposeString('type'),
    topic: t.exposeString('topic'),
    latencyMs: t.exposeInt('latencyMs', { description: 'From publish to hand-off.' }),
  }),
});

const PongRef = builder.objectRef<PongRecord>('ConnectionPong').implement({
  fields: (t) => ({ at: t.expose('at', { type: 'DateTime' }), rttMs: t.exposeInt('rttMs') }),
});

const DiagnosticsRef = builder.objectRef<ConnectionDiagnostics & { instanceId: string }>('ConnectionDiagnostics').implement({
  description: 'What happened on one WebSocket connection, open or closed within DIAGNOSTICS_RETENTION_SECONDS, as the instance that held it recorded it.',
  fields: (t) => ({
    connectionId: t.exposeID('connectionId'),
    instanceId: t.exposeString('instanceId'),
    open: t.exposeBoolean('open'),
    remoteAddress: t.exposeString('remoteAddress'),
    principalId: t.exposeString('principalId', { nullable: true }),
    clientName: t.exposeString('clientName', { nullable: true }),
    connectedAt: t.expose('connectedAt', { type: 'DateTime' }),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true }),
    closeCode: t.exposeInt('closeCode', { nullable: true }),
    closeReason: t.exposeString('closeReason', { nullable: true }),
    healthScore: t.exposeInt('healthScore', { description: 'Now, or when it closed (see Connection.healthScore).' }),
    heartbeatRttMs: t.exposeInt('heartbeatRttMs', { nullable: true }),
    subscriptions: t.exposeInt('subscriptions'),
    eventsSent: t.exposeInt('eventsSent'),
    eventsDropped: t.exposeInt('eventsDropped'),
    timeline: t.field({ type: [EntryRef], description: 'Oldest first; the last 50 steps.', resolve: (d) => [...d.timeline] }),
    deliveries: t.field({ type: [DeliveryRef], description: 'The last 20 events handed to it, oldest first.', resolve: (d) => [...d.deliveries] }),
    pongs: t.field({ type: [PongRef], description: 'The last 10 answered pings, oldest first.', resolve: (d) => [...d.pongs] }),
  }),
});

builder.queryFields((t) => ({
  connectionDiagnostics: t.field({
    type: DiagnosticsRef,
    nullable: true,
    description:
      'The timeline of a connection of this instance, open or closed within DIAGNOSTICS_RETENTION_SECONDS; null when unknown. ' +
      'Diagnostics are kept per instance: for an open connection of another instance the error names that instance (extensions.instanceId).',
    authScopes: { scope: 'stats:read' },
    args: { connectionId: t.arg.id({ required: true }) },
    resolve: async (_r, args, ctx) => {
      const id = parseId(args.connectionId, 'connectionId');
      const here = ctx.services.diagnostics.get(id);
      const instanceId = ctx.services.cluster.local().instanceId;
      if (here) return { ...here, instanceId };
      const elsewhere = (await ctx.services.cluster.connections()).find((c) => c.id === id && c.instanceId !== instanceId);
      if (elsewhere) {
        throw new HeraldError('NOT_FOUND', `Connection ${id} is held by instance ${elsewhere.instanceId}; its diagnostics are kept there`, { id, instanceId: elsewhere.instanceId });
      }
      return null;
    },
  }),
}));
