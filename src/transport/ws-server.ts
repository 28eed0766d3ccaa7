import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { handleProtocols, makeServer, type Context as WsContext } from 'graphql-ws';
import { isAsyncIterable } from 'graphql-yoga';
import { WebSocket, WebSocketServer } from 'ws';
import { bearerToken, type Authenticator } from '../auth/authenticator.js';
import { clientVersionProblem } from '../auth/client-version.js';
import type { Principal, RefusalReason } from '../auth/principal.js';
import type { ConnectionMatch } from '../events/control.js';
import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { admit, createAttemptLimiter, createOriginCheck } from './admission.js';
import { Close, CloseReason } from '../sessions/close-codes.js';
import type { Counters } from '../cluster/view.js';
import type { Connection, ConnectionRegistry } from './connection-registry.js';
import { clientIp } from './client-ip.js';
import { createConnection } from './ws-connection.js';
import { deliverDirectly } from './ws-direct-delivery.js';
import { takeResultStream } from './use-shared-execution.js';
import type { HeraldYoga } from './yoga.js';

/** What a client may put in `connection_init`. Unknown keys are ignored. */
type ConnectionParams = {
  apiKey?: unknown;
  authorization?: unknown;
  token?: unknown;
  clientName?: unknown;
  clientVersion?: unknown;
  cliRegistrationId?: unknown;
};

/**
 * What `connection_init` may fall back on from the upgrade request. Copied out
 * because holding the request would keep it (headers, stream state) alive for
 * as long as the connection lives.
 */
type Handshake = {
  readonly authorization: string | undefined;
  readonly gatewayPath: boolean;
  readonly clientName: string | undefined;
  readonly clientVersion: string | undefined;
};

type Extra = { readonly connection: Connection; readonly handshake: Handshake; readonly send: (data: string) => void };

type RootValue = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

/** Where gateways connect; only gateway keys are accepted there. */
export const GATEWAY_WS_PATH = '/api/internal/v1/ws/gateways/connect';

export type WsServerOptions = {
  yoga: HeraldYoga;
  authenticator: Authenticator;
  registry: ConnectionRegistry;
  counters: Counters;
  metrics: Metrics;
  /** Called when connections or their subscriptions change, for the cluster report. */
  onChange: () => void;
  onGatewaySendFailure: (gatewayId: string, reason: string) => void;
  limits: {
    maxPayloadBytes: number;
    maxConnections: number;
    maxConnectionsPerPrincipal: number;
    maxSubscriptionsPerConnection: number;
    maxBufferedBytes: number;
    connectionInitTimeoutMs: number;
    attemptsPerMinute: number;
  };
  corsOrigins: readonly string[];
  /** Reverse proxies in front of Herald whose X-Forwarded-For is believed (TRUST_PROXY). */
  trustProxy: number;
  /** Writes an `audit` line for a refusal: who, from where, why. */
  audit: (entry: Record<string, unknown> & { action: string }) => void;
  minCliVersion: string | undefined;
  heartbeatIntervalMs: number;
  perMessageDeflate: boolean;
  /** From createMask: how an error that ends a subscription is shown to the client. */
  mask: (error: unknown) => GraphQLError;
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

const REFUSALS: Record<RefusalReason | 'notGateway', { code: number; reason: string }> = {
  missing: { code: Close.Unauthorized, reason: 'Unauthorized: credentials required' },
  invalid: { code: Close.Unauthorized, reason: 'Unauthorized: invalid credentials' },
  revoked: { code: Close.Forbidden, reason: 'Forbidden: key revoked' },
  expired: { code: Close.Forbidden, reason: 'Forbidden: token expired' },
  notGateway: { code: Close.Unauthorized, reason: 'Unauthorized: a gateway key is required' },
};

/**
 * graphql-ws (graphql-transport-ws protocol) on `ws`, with every operation run
 * through Yoga's envelop pipeline, so plugins hold for HTTP and WebSocket alike.
 * The one exception: subscription results are written as they arrive (see
 * ws-direct-delivery.ts), so a plugin's per-event hook (onSubscribeResult's
 * onNext) does not see them; error masking, the only such hook in use, is
 * applied where the results are made.
 * This file owns the sockets: admission, credentials, limits, heartbeat
 * bookkeeping and write backpressure; graphql-ws owns the protocol.
 */
export function createWsServer(options: WsServerOptions): WsServer {
  const { yoga, authenticator, registry, limits, metrics, log } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxPayloadBytes,
    perMessageDeflate: options.perMessageDeflate,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const originAllowed = createOriginCheck(options.corsOrigins);
  const limiter = createAttemptLimiter(limits.attemptsPerMinute);
  const expiryTimers = new Map<Connection, NodeJS.Timeout>();
  const maxHeldBytes = Math.min(64 * 1024, limits.maxBufferedBytes / 2);

  const protocol = makeServer<ConnectionParams, Extra>({
    connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
    onConnect: (ctx) => authenticate(ctx),
    onSubscribe: async (ctx, _id, payload) => {
      const { connection } = ctx.extra;
      // graphql-ws has already reserved this id, so the count includes this operation.
      if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
        return [new GraphQLError(`Too many operations on this connection (at most ${limits.maxSubscriptionsPerConnection})`, { extensions: { code: 'LIMIT_EXCEEDED' } })];
      }
      const enveloped = yoga.getEnveloped({
        principal: connection.principal!,
        channel: channelOf(connection),
        connectionId: connection.id,
        cliRegistrationId: connection.cliRegistrationId,
        clientIp: connection.remoteAddress,
      });
      let document;
      try {
        document = enveloped.parse(payload.query);
      } catch (err) {
        // A throw here would close the whole socket; a syntax error is the client's, per operation.
        return [err instanceof GraphQLError ? err : new GraphQLError('Could not parse the document')];
      }
      let errors;
      try {
        errors = enveloped.validate(enveloped.schema, document);
      } catch (err) {
        // Validation rules (query limits) may throw; that too is this operation's error, not the socket's.
        return [err instanceof GraphQLError ? err : new GraphQLError('Could not validate the document')];
      }
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
    onOperation: (ctx, id, _payload, args, result) => {
      if (!isAsyncIterable(result)) return;
      const { connection, send } = ctx.extra;
      connection.subscriptions.add(id);
      metrics.subscriptionOpened();
      options.onChange();
      const results = takeResultStream(args.contextValue);
      // The client may have completed the operation while it started: graphql-ws then ends it unread.
      if (!results || !(id in ctx.subscriptions)) return;
      return deliverDirectly({
        id,
        results,
        pipeline: result,
        write: (text) => {
          counted(connection);
          send(text);
        },
        mask: options.mask,
      });
    },
    onNext: (ctx, _id, _payload, _args, result) => {
      counted(ctx.extra.connection);
      return withoutHttpExtensions(result);
    },
    onComplete: (ctx, id) => {
      if (ctx.extra.connection.subscriptions.delete(id)) {
        metrics.subscriptionClosed();
        options.onChange();
      }
    },
  });

  function counted(connection: Connection) {
    connection.eventsSent++;
    if (connection.principal?.kind === 'gateway') options.counters.gatewayEventsSent++;
  }

  async function authenticate(ctx: WsContext<ConnectionParams, Extra>) {
    const { connection, handshake } = ctx.extra;
    const params = ctx.connectionParams ?? {};
    const credential = text(params.apiKey) ?? text(params.authorization) ?? text(params.token) ?? handshake.authorization;
    const token = credential && /^bearer\s/i.test(credential) ? bearerToken(credential) : credential;
    let result;
    try {
      result = await authenticator.authenticate(token);
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
      // Retryable, unlike the 4500 a throw would become: a gateway fleet reconnecting through a Redis blip comes back on its own.
      metrics.connectionRejected('backend_unavailable');
      log.warn({ component: 'auth', connectionId: connection.id, ip: connection.remoteAddress }, 'cannot check credentials while redis is away');
      return refuse(connection, Close.TryAgainLater, CloseReason.backendUnavailable);
    }
    const { gatewayPath } = handshake;
    const refusal = !result.ok
      ? REFUSALS[result.reason]
      : !gatewayPath || result.principal.kind === 'gateway'
        ? undefined
        : REFUSALS[token ? 'notGateway' : 'missing'];
    if (refusal || !result.ok) {
      const why = !result.ok ? result.reason : 'notGateway';
      metrics.connectionRejected(why);
      log.warn(
        { audit: true, transport: 'ws', connectionId: connection.id, ip: connection.remoteAddress, principal: !result.ok ? result.principalId : undefined, reason: why, detail: !result.ok ? result.detail : undefined },
        'authentication failed',
      );
      return refuse(connection, refusal!.code, refusal!.reason);
    }
    const principal = result.principal;
    connection.clientName = text(params.clientName)?.slice(0, 100) ?? handshake.clientName ?? null;
    connection.clientVersion = text(params.clientVersion)?.slice(0, 50) ?? handshake.clientVersion ?? null;
    connection.cliRegistrationId = text(params.cliRegistrationId)?.slice(0, 64) ?? null;
    const outdated = clientVersionProblem(connection.clientName, connection.clientVersion, options.minCliVersion);
    if (outdated) {
      metrics.connectionRejected('client_version');
      return refuse(connection, Close.BadRequest, outdated);
    }
    if (registry.authenticate(connection, principal) > limits.maxConnectionsPerPrincipal) {
      metrics.connectionRejected('principal_limit');
      log.warn({ connectionId: connection.id, principal: principal.id }, 'connection refused: principal at its connection limit');
      return refuse(connection, Close.TryAgainLater, `${CloseReason.principalFull} (${limits.maxConnectionsPerPrincipal})`);
    }
    scheduleExpiry(connection, principal);
    metrics.connectionOpened(principal.kind);
    log.info({ connectionId: connection.id, principal: principal.id, clientName: connection.clientName }, 'connection accepted');
    options.onChange();
    const gatewayId = principal.kind === 'gateway' ? { gatewayId: principal.gatewayId } : {};
    return { connectionId: connection.id, ...gatewayId, heartbeatIntervalMs: options.heartbeatIntervalMs };
  }

  /** Closes at once and tells graphql-ws not to acknowledge (its own 4403 close then finds the socket closing). */
  function refuse(connection: Connection, code: number, reason: string): false {
    connection.close(code, reason);
    return false;
  }

  /** A user's token stops being good when it expires, also on an open socket. */
  function scheduleExpiry(connection: Connection, principal: Principal) {
    if (principal.kind !== 'user' || principal.expiresAt === null) return;
    const delay = Math.min(principal.expiresAt - Date.now(), 2 ** 31 - 1);
    expiryTimers.set(
      connection,
      setTimeout(() => {
        log.info({ audit: true, connectionId: connection.id, principal: principal.id }, 'token expired; closing the connection');
        connection.close(REFUSALS.expired.code, REFUSALS.expired.reason);
      }, Math.max(0, delay)),
    );
  }

  const channels = new WeakMap<Connection, { dropSlowConsumer: (dropped: number) => void }>();
  const channelOf = (connection: Connection) => {
    let channel = channels.get(connection);
    if (!channel) {
      channel = { dropSlowConsumer: (dropped) => dropSlow(connection, dropped) };
      channels.set(connection, channel);
    }
    return channel;
  };

  function dropSlow(connection: Connection, dropped: number) {
    connection.eventsDropped += dropped;
    if (connection.subscriptions.size === 0 && dropped === 0) return;
    options.counters.slowConsumerDisconnects++;
    metrics.slowConsumer();
    log.warn({ connectionId: connection.id, principal: connection.principal?.id, dropped }, 'slow consumer disconnected');
    connection.close(Close.TryAgainLater, CloseReason.slowConsumer);
  }

  function accept(socket: WebSocket, request: IncomingMessage, ip: string) {
    const connection = createConnection(socket, ip, { metrics, log });
    if (registry.size() >= limits.maxConnections) {
      metrics.connectionRejected('instance_limit');
      log.warn({ ip: connection.remoteAddress }, 'connection refused: instance at its connection limit');
      socket.close(Close.TryAgainLater, CloseReason.serverFull);
      return;
    }
    registry.add(connection);
    let slow = false;
    const onGatewaySent = (err?: Error | null) => {
      if (!err || connection.principal?.kind !== 'gateway') return;
      options.counters.gatewaySendFailures++;
      log.error({ connectionId: connection.id, gatewayId: connection.principal.gatewayId, err: err.message }, 'gateway send failed');
      options.onGatewaySendFailure(connection.principal.gatewayId, `send failed: ${err.message}`);
    };
    // Writes made while a fan-out runs are held and go out back to back once
    // it is done: spread among the work that produces them, each costs about
    // twice as much, the reader being woken for every one. Held bytes are
    // bounded, so that a long catch-up is not taken for a slow consumer.
    const raw = request.socket;
    let held = false;
    const release = () => {
      if (!held) return;
      held = false;
      raw.uncork();
    };
    // Not awaiting the write keeps one slow client from stalling its own
    // event stream while its kernel buffer drains; instead a client whose
    // unsent backlog passes the limit is dropped.
    const send = (data: string) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      if (!held) {
        held = true;
        raw.cork();
        process.nextTick(release);
      }
      // Only gateway writes are tracked one by one (their failures are reported per gateway).
      socket.send(data, connection.principal?.kind === 'gateway' ? onGatewaySent : undefined);
      if (raw.writableLength > maxHeldBytes) release();
      if (!slow && socket.bufferedAmount > limits.maxBufferedBytes) {
        slow = true;
        dropSlow(connection, 0);
      }
    };
    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        send,
        close: (code, reason) => connection.close(code ?? Close.InternalError, reason ?? ''),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((err: unknown) => {
              log.error({ connectionId: connection.id, err }, 'failed to handle a message');
              connection.close(Close.InternalError, CloseReason.internal);
            });
          }),
      },
      {
        connection,
        send,
        handshake: {
          authorization: request.headers.authorization,
          gatewayPath: pathOf(request) === GATEWAY_WS_PATH,
          clientName: header(request, 'x-client-name'),
          clientVersion: header(request, 'x-version'),
        },
      },
    );
    socket.on('error', (err: Error & { code?: string }) => {
      // ws refuses the frame and closes with 1009; the close event alone may only see 1006.
      if (err.code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return;
      options.audit({ action: 'size-refused', transport: 'ws', ip, principal: connection.principal?.id, connectionId: connection.id, reason: `message over ${limits.maxPayloadBytes} bytes` });
    });
    socket.once('close', (code, reason) => {
      registry.remove(connection);
      clearTimeout(expiryTimers.get(connection));
      expiryTimers.delete(connection);
      if (connection.principal) metrics.connectionClosed(connection.principal.kind);
      options.onChange();
      log.info({ connectionId: connection.id, code, reason: String(reason) }, 'connection closed');
      closed(code, String(reason)).catch((err: unknown) => log.error({ component: 'transport', connectionId: connection.id, err }, 'failed to end the operations of a closed connection'));
    });
  }

  return {
    handleUpgrade(request, socket, head) {
      metrics.connectionAttempt();
      const ip = clientIp(request.socket.remoteAddress, request.headers['x-forwarded-for'], options.trustProxy);
      const refusal = admit(request, ip, { originAllowed, limiter });
      if (refusal) {
        metrics.connectionRejected(refusal.status === 403 ? 'origin' : 'attempt_rate');
        options.audit({ action: refusal.status === 403 ? 'cors-refused' : 'connection-rate-limited', transport: 'ws', ip, origin: request.headers.origin, reason: refusal.reason });
        const retry = refusal.retryAfterSeconds ? `Retry-After: ${refusal.retryAfterSeconds}\r\n` : '';
        const body = `${refusal.reason}\n`;
        socket.end(
          `HTTP/1.1 ${refusal.status} ${refusal.status === 403 ? 'Forbidden' : 'Too Many Requests'}\r\n${retry}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => accept(ws, request, ip));
    },
    closeAll(code, reason) {
      for (const connection of registry.all()) connection.close(code, reason);
    },
    closeMatching(match, code, reason) {
      const targets = 'principalId' in match ? registry.ofPrincipal(match.principalId) : [registry.get(match.connectionId)].filter((c): c is Connection => c !== undefined);
      for (const connection of targets) connection.close(code, reason);
      return targets.length;
    },
    close: () => {
      limiter.stop();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** `extensions.http` tells Yoga an HTTP status; over WebSocket it means nothing and is left out. */
function withoutHttpExtensions<T extends { errors?: readonly GraphQLError[] }>(result: T): T {
  if (!result.errors?.some((e) => e.extensions?.http)) return result;
  return {
    ...result,
    errors: result.errors.map((e) => {
      if (!e.extensions?.http) return e;
      const { http: _http, ...extensions } = e.extensions;
      return { ...e.toJSON(), extensions } as unknown as GraphQLError;
    }),
  };
}

const pathOf = (request: IncomingMessage) => (request.url ?? '/').split('?', 1)[0];

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value.slice(0, 100) : undefined;
}
