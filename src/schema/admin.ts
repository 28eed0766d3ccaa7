import { newId } from '../ids.js';
import type { EventEnvelope } from '../events/envelope.js';
import { localTopic } from '../events/hub.js';
import type { ConnectionReport } from '../cluster/directory.js';
import { broadcastArgs, connectionsArgs, disconnectArgs, notifyConnectionArgs, PRINCIPAL_KINDS } from '../admin/input.js';
import { parseInput } from '../validation/parse.js';
import { builder } from './builder.js';
import { ConnectionRef } from './stats.js';
import { openStream } from './streams.js';

/**
 * Operating on connections anywhere in the cluster: list them, close one,
 * message one or all. Commands travel on the control channel (one instance
 * holds the connection); broadcasts on the event bus.
 */
export const SYSTEM_TOPIC = 'channel:system';
export const connectionTopic = (connectionId: string) => localTopic(`connection:${connectionId}`);
export const DISCONNECT_CODE = 4000;

export type SystemMessagePayload = { readonly kind: 'BROADCAST' | 'DIRECT'; readonly message: string };
type SystemMessage = EventEnvelope<string, SystemMessagePayload>;

/** A message for one connection, as systemMessages delivers it; it never travels on the bus. */
export function directMessage(id: string, timestamp: string, connectionId: string, message: string): SystemMessage {
  return Object.freeze({
    id,
    topic: connectionTopic(connectionId),
    type: 'system.direct',
    sequence: 0,
    position: 0,
    cursor: '',
    timestamp,
    correlationId: null,
    priority: 'HIGH',
    expiresAt: null,
    payload: { kind: 'DIRECT' as const, message },
  });
}

const SystemMessageKind = builder.enumType('SystemMessageKind', {
  values: { BROADCAST: { description: 'Sent to every connection.' }, DIRECT: { description: 'Sent to this connection only.' } },
});

const SystemMessageRef = builder.objectRef<SystemMessage>('SystemMessage').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: SystemMessageKind, resolve: (m) => m.payload.kind }),
    message: t.string({ resolve: (m) => m.payload.message }),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
  }),
});

const PrincipalKindEnum = builder.enumType('PrincipalKind', { values: PRINCIPAL_KINDS });

const ConnectionFilter = builder.inputType('ConnectionFilter', {
  fields: (t) => ({
    kind: t.field({ type: PrincipalKindEnum }),
    principalId: t.string(),
    clientName: t.string(),
  }),
});

// A close frame carries at most 123 bytes of reason; ws throws on more, on the instance that holds the socket.
const MAX_CLOSE_REASON_BYTES = 123;

/** The reason a disconnected client reads: the operator's words, cut whole characters at a time to fit. */
export function closeReason(reason: string | null | undefined): string {
  let text = 'Disconnected by an administrator';
  if (!reason) return text;
  text += ': ';
  for (const char of Array.from(reason).slice(0, 80)) {
    if (Buffer.byteLength(text + char) > MAX_CLOSE_REASON_BYTES) break;
    text += char;
  }
  return text;
}

builder.queryFields((t) => ({
  connections: t.field({
    type: [ConnectionRef],
    description: 'Open WebSocket connections of every live instance, oldest first. Page with `after` (the last id seen).',
    authScopes: { scope: 'stats:read' },
    args: {
      filter: t.arg({ type: ConnectionFilter }),
      first: t.arg.int({ defaultValue: 100 }),
      after: t.arg.id(),
    },
    resolve: async (_root, args, ctx) => {
      const { filter, first, after } = parseInput(connectionsArgs, { ...args, after: args.after == null ? args.after : String(args.after) });
      const matches = (c: ConnectionReport) =>
        (!filter?.kind || c.principalKind === filter.kind) &&
        (!filter?.principalId || c.principalId === filter.principalId) &&
        (!filter?.clientName || c.clientName === filter.clientName) &&
        (!after || c.id > after);
      const all = await ctx.services.cluster.connections();
      return all.filter(matches).sort((a, b) => (a.id < b.id ? -1 : 1)).slice(0, first);
    },
  }),
}));

builder.mutationFields((t) => ({
  disconnect: t.boolean({
    description: `Closes a connection on whichever instance holds it, with close code ${DISCONNECT_CODE} and the reason. False when no instance reports it.`,
    authScopes: { admin: true },
    args: { connectionId: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const { connectionId: id, reason } = parseInput(disconnectArgs, { ...args, connectionId: String(args.connectionId) });
      const known = (await ctx.services.cluster.connections()).some((c) => c.id === id);
      await ctx.services.control.send({ kind: 'close-connections', match: { connectionId: id }, code: DISCONNECT_CODE, reason: closeReason(reason) });
      ctx.services.audit({ action: 'disconnect', principal: ctx.principal.id, connectionId: id, reason: reason ?? null });
      return known;
    },
  }),
  notifyConnection: t.boolean({
    description: 'Sends a message to one connection (its systemMessages subscriptions). False when no instance reports it.',
    authScopes: { admin: true },
    args: { connectionId: t.arg.id({ required: true }), message: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const { connectionId: id, message } = parseInput(notifyConnectionArgs, { ...args, connectionId: String(args.connectionId) });
      const known = (await ctx.services.cluster.connections()).some((c) => c.id === id);
      await ctx.services.control.send({ kind: 'notify', connectionId: id, id: newId(), message, timestamp: new Date().toISOString() });
      ctx.services.audit({ action: 'notifyConnection', principal: ctx.principal.id, connectionId: id });
      return known;
    },
  }),
  broadcast: t.boolean({
    description: 'Sends a message to every systemMessages subscription on every instance.',
    authScopes: { admin: true },
    args: { message: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const { message } = parseInput(broadcastArgs, args);
      await ctx.services.bus.publish({
        topic: SYSTEM_TOPIC,
        type: 'system.broadcast',
        correlationId: null,
        priority: 'HIGH',
        expiresAt: null,
        payload: { kind: 'BROADCAST', message } satisfies SystemMessagePayload,
      });
      ctx.services.audit({ action: 'broadcast', principal: ctx.principal.id });
      return true;
    },
  }),
}));

builder.subscriptionFields((t) => ({
  systemMessages: t.field({
    type: SystemMessageRef,
    description: 'Messages from the operators: broadcasts, and over WebSocket the messages sent to this connection.',
    subscribe: (_root, _args, ctx) => {
      const topics = [SYSTEM_TOPIC, ...(ctx.connectionId ? [connectionTopic(ctx.connectionId)] : [])];
      return openStream(ctx, { topics }) as never;
    },
    resolve: (event) => event as never,
  }),
}));
