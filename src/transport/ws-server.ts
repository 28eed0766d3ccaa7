import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { handleProtocols, makeServer, type Context as WsContext } from 'graphql-ws';
import { ulid } from 'ulid';
import { WebSocket, WebSocketServer } from 'ws';
import { bearerToken, type Authenticator } from '../auth/authenticator.js';
import type { Logger } from '../log.js';
import { Close, CloseReason } from './close-codes.js';
import type { ConnectionMatch } from '../events/control.js';
import type { Counters } from './cluster-view.js';
import type { Connection, ConnectionRegistry } from './connection-registry.js';
import type { HeraldYoga } from './yoga.js';

/** What a client may put in `connection_init`. Unknown keys are ignored. */
type ConnectionParams = {
  apiKey?: unknown;
  authorization?: unknown;
  token?: unknown;
  clientName?: unknown;
  clientVersion?: unknown;
};

type Extra = { readonly connection: Connection; readonly request: IncomingMessage };

type RootValue = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

/** Where gateways connect; only gateway keys are accepted there. */
export const GATEWAY_WS_PATH = '/api/internal/v1/ws/gateways/connect';

export type WsServerOptions = {
  yoga: HeraldYoga;
  counters: Counters;
  /** Called when connections or their subscriptions change, for the cluster report. */
  onChange: () => void;
  onGatewaySendFailure: (gatewayId: string, reason: string) => void;
  authenticator: Authenticator;
  registry: ConnectionRegistry;
  maxPayloadBytes: number;
  maxConnections: number;
  maxBufferedBytes: number;
  heartbeatIntervalMs: number;
  perMessageDeflate: boolean;
  log: Logger;
};

export type WsServer = {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every connection with a code and reason, without completing its subscriptions first. */
  closeAll(code: number, reason: string): void;
  /** Closes the connections a control command names; returns how many. */
  closeMatching(match: ConnectionMatch, code: number, reason: string): number;
  close(): Promise<void>;
};

/**
 * graphql-ws (graphql-transport-ws protocol) on `ws`, with every operation run
 * through Yoga's envelop pipeline, so plugins hold for HTTP and WebSocket alike.
 * This file owns the sockets: admission, credentials, heartbeat bookkeeping,
 * write backpressure; graphql-ws owns the protocol.
 */
export function createWsServer(options: WsServerOptions): WsServer {
  const { yoga, authenticator, registry, log } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    perMessageDeflate: options.perMessageDeflate,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });

  const protocol = makeServer<ConnectionParams, Extra>({
    connectionInitWaitTimeout: 3_000,
    onConnect: (ctx) => authenticate(ctx),
    onSubscribe: async (ctx, _id, payload) => {
      const { connection } = ctx.extra;
      const enveloped = yoga.getEnveloped({ principal: connection.principal!, channel: channelOf(connection) });
      let document;
      try {
        document = enveloped.parse(payload.query);
      } catch (err) {
        // A throw here would close the whole socket; a syntax error is the client's, per operation.
        return [err instanceof GraphQLError ? err : new GraphQLError('Could not parse the document')];
      }
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) return [...errors];
      return {
        schema: enveloped.schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: await enveloped.contextFactory(),
        rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } satisfies RootValue,
      };
    },
    execute: (args) => (args.rootValue as RootValue).execute(args) as never,
    subscribe: (args) => (args.rootValue as RootValue).subscribe(args) as never,
    onOperation: (ctx, id, _payload, _args, result) => {
      if (result && typeof result === 'object' && Symbol.asyncIterator in result) {
        ctx.extra.connection.subscriptions.add(id);
        options.onChange();
      }
    },
    onNext: (ctx) => {
      const { connection } = ctx.extra;
      connection.eventsSent++;
      if (connection.principal?.kind === 'gateway') options.counters.gatewayEventsSent++;
    },
    onComplete: (ctx, id) => {
      if (ctx.extra.connection.subscriptions.delete(id)) options.onChange();
    },
  });

  async function authenticate(ctx: WsContext<ConnectionParams, Extra>) {
    const { connection, request } = ctx.extra;
    const params = ctx.connectionParams ?? {};
    const credential = text(params.apiKey) ?? text(params.authorization) ?? text(params.token) ?? request.headers.authorization;
    const token = credential && /^bearer\s/i.test(credential) ? bearerToken(credential) : credential;
    const gatewayPath = pathOf(request) === GATEWAY_WS_PATH;
    const result = await authenticator.authenticate(token);
    const refusal = !result.ok
      ? REFUSALS[result.reason]
      : !gatewayPath || result.principal.kind === 'gateway'
        ? undefined
        : token
          ? REFUSALS.notGateway
          : REFUSALS.missing;
    if (refusal) {
      const gatewayId = !result.ok ? result.gatewayId : undefined;
      log.warn(
        { audit: true, transport: 'ws', connectionId: connection.id, ip: connection.remoteAddress, gatewayId, reason: refusal.reason },
        'authentication failed',
      );
      connection.close(refusal.code, refusal.reason);
      return false;
    }
    if (!result.ok) return false; // unreachable: every refusal is handled above
    connection.principal = result.principal;
    connection.clientName = text(params.clientName)?.slice(0, 100) ?? header(request, 'x-client-name') ?? null;
    connection.clientVersion = text(params.clientVersion)?.slice(0, 50) ?? header(request, 'x-version') ?? null;
    log.info({ connectionId: connection.id, principal: result.principal.id, clientName: connection.clientName }, 'connection accepted');
    options.onChange();
    const gatewayId = result.principal.kind === 'gateway' ? { gatewayId: result.principal.gatewayId } : {};
    return { connectionId: connection.id, ...gatewayId, heartbeatIntervalMs: options.heartbeatIntervalMs };
  }

  const channels = new WeakMap<Connection, { dropSlowConsumer: () => void }>();
  const channelOf = (connection: Connection) => {
    let channel = channels.get(connection);
    if (!channel) {
      channel = { dropSlowConsumer: () => connection.close(Close.TryAgainLater, CloseReason.slowConsumer) };
      channels.set(connection, channel);
    }
    return channel;
  };

  function accept(socket: WebSocket, request: IncomingMessage) {
    const connection = track(socket, request);
    if (registry.size() >= options.maxConnections) {
      log.warn({ ip: connection.remoteAddress }, 'connection refused: instance at its connection limit');
      socket.close(Close.TryAgainLater, CloseReason.serverFull);
      return;
    }
    registry.add(connection);
    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        // Not awaiting the write keeps one slow client from stalling its own
        // event stream while its kernel buffer drains; instead a client whose
        // unsent backlog passes the limit is dropped.
        send: (data) => {
          if (socket.readyState !== WebSocket.OPEN) return;
          // Only gateway writes are tracked one by one (their failures are reported per gateway).
          socket.send(data, connection.principal?.kind === 'gateway' ? connection.onGatewaySent : undefined);
          if (socket.bufferedAmount > options.maxBufferedBytes) connection.close(Close.TryAgainLater, CloseReason.slowConsumer);
        },
        close: (code, reason) => connection.close(code ?? Close.InternalError, reason ?? ""),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((err: unknown) => {
              log.error({ connectionId: connection.id, err }, 'failed to handle a message');
              connection.close(Close.InternalError, CloseReason.internal);
            });
          }),
      },
      { connection, request },
    );
    socket.once('close', (code, reason) => {
      registry.remove(connection);
      options.onChange();
      log.info({ connectionId: connection.id, code, reason: String(reason) }, 'connection closed');
      void closed(code, String(reason));
    });
  }

  function track(socket: WebSocket, request: IncomingMessage): Connection {
    const now = new Date();
    const connection: Connection = {
      id: ulid(),
      remoteAddress: request.socket.remoteAddress ?? 'unknown',
      connectedAt: now,
      lastHeartbeatAt: now,
      principal: null,
      clientName: null,
      clientVersion: null,
      subscriptions: new Set(),
      eventsSent: 0,
      onGatewaySent: (err) => {
        if (!err || connection.principal?.kind !== 'gateway') return;
        options.counters.gatewaySendFailures++;
        options.onGatewaySendFailure(connection.principal.gatewayId, `send failed: ${err.message}`);
      },
      close: (code, reason) => {
        if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, reason);
      },
      ping: () => socket.ping(),
      terminate: () => socket.terminate(),
    };
    socket.on('pong', () => {
      connection.lastHeartbeatAt = new Date();
    });
    socket.on('error', (err) => log.debug({ connectionId: connection.id, err: err.message }, 'socket error'));
    return connection;
  }

  return {
    handleUpgrade(request, socket, head) {
      wss.handleUpgrade(request, socket, head, (ws) => accept(ws, request));
    },
    closeAll(code, reason) {
      for (const connection of registry.all()) connection.close(code, reason);
    },
    closeMatching(match, code, reason) {
      const targets = 'gatewayId' in match ? registry.ofGateway(match.gatewayId) : [registry.get(match.connectionId)].filter((c) => c !== undefined);
      for (const connection of targets) connection.close(code, reason);
      return targets.length;
    },
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}

const REFUSALS = {
  missing: { code: Close.Unauthorized, reason: 'Unauthorized: credentials required' },
  invalid: { code: Close.Unauthorized, reason: 'Unauthorized: invalid credentials' },
  revoked: { code: Close.Forbidden, reason: 'Forbidden: key revoked' },
  notGateway: { code: Close.Unauthorized, reason: 'Unauthorized: a gateway key is required' },
} as const;

const pathOf = (request: IncomingMessage) => (request.url ?? '/').split('?', 1)[0];

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value.slice(0, 100) : undefined;
}
