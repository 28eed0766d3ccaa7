import { PRINCIPAL_KINDS } from '../auth/principal.js';
import { systemTopics, type SystemMessage } from '../admin/messages.js';
import { Close } from '../sessions/close-codes.js';
import { builder } from './builder.js';
import { ConnectionRef } from './stats.js';
import { subscribe } from './subscribe.js';

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

export const PrincipalKindEnum = builder.enumType('PrincipalKind', { values: PRINCIPAL_KINDS });

const ConnectionFilter = builder.inputType('ConnectionFilter', {
  fields: (t) => ({
    kind: t.field({ type: PrincipalKindEnum }),
    principalId: t.string(),
    clientName: t.string(),
  }),
});

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
    resolve: (_root, args, ctx) => ctx.services.admin.connections({ ...args, after: args.after == null ? args.after : String(args.after) }),
  }),
}));

builder.mutationFields((t) => ({
  disconnect: t.boolean({
    description: `Closes a connection on whichever instance holds it, with close code ${Close.Disconnected} and the reason. False when no instance reports it.`,
    authScopes: { admin: true },
    args: { connectionId: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: (_root, args, ctx) => ctx.services.admin.disconnect(ctx.principal, { ...args, connectionId: String(args.connectionId) }),
  }),
  notifyConnection: t.boolean({
    description: 'Sends a message to one connection (its systemMessages subscriptions). False when no instance reports a systemMessages subscription on that connection.',
    authScopes: { admin: true },
    args: { connectionId: t.arg.id({ required: true }), message: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.admin.notify(ctx.principal, { ...args, connectionId: String(args.connectionId) }),
  }),
  broadcast: t.boolean({
    description: 'Sends a message to every systemMessages subscription on every instance.',
    authScopes: { admin: true },
    args: { message: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.admin.broadcast(ctx.principal, args),
  }),
}));

builder.subscriptionFields((t) => ({
  systemMessages: t.field({
    type: SystemMessageRef,
    description: 'Messages from the operators: broadcasts, and over WebSocket the messages sent to this connection.',
    subscribe: (_root, _args, ctx) => subscribe(ctx, { topics: systemTopics(ctx.connectionId) }) as never,
    resolve: (event) => event as never,
  }),
}));
