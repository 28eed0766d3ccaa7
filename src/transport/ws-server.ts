import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GraphQLError } from 'graphql';
import { handleProtocols } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Authenticator } from '../auth/authenticator.js';
import type { Counters } from '../cluster/view.js';
import type { Audit, Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { Close, CloseReason } from '../sessions/close-codes.js';
import type { Diagnostics } from '../sessions/diagnostics.js';
import { checkOrigin, createAdmission, createOriginCheck, isSameOrigin, type Ticket } from './admission.js';
import { clientIp } from './client-ip.js';
import type { Connection, TransportSessions } from './connection.js';
import { createConnectionPolicy } from './ws-policy.js';
import { createProtocol, readMessage } from './ws-protocol.js';
import { adaptSocket, type SocketConnection, type SocketOptions } from './ws-socket.js';
import type { HeraldYoga } from './yoga.js';

/** Where gateways connect; only gateway keys are accepted there. */
export const GATEWAY_WS_PATH = '/api/internal/v1/ws/gateways/connect';

export type WsServerOptions = {
  yoga: HeraldYoga;
  authenticator: Authenticator;
  /** Every session of this instance: the connection limit counts SSE subscriptions too. */
  registry: TransportSessions;
  counters: Counters;
  metrics: Metrics;
  /** Called when connections or their subscriptions change, for the cluster report. */
  onChange: () => void;
  onGatewaySendFailure: (gatewayId: string, reason: string) => void;
  /** Each connection's timeline, kept a while after it closed (connectionDiagnostics). */
  diagnostics: Diagnostics;
  limits: {
    maxPayloadBytes: number;
    maxConnections: number;
    maxConnectionsPerPrincipal: number;
    maxSubscriptionsPerConnection: number;
    maxBufferedBytes: number;
    connectionInitTimeoutMs: number;
    /** Connection attempts per address and minute that do not authenticate. */
    attemptsPerMinute: number;
    /** Authenticated connections per address and minute. */
    authenticatedAttemptsPerMinute: number;
  };
  corsOrigins: readonly string[];
  /** Reverse proxies in front of Herald whose X-Forwarded-For is believed (TRUST_PROXY). */
  trustProxy: number;
  /** Writes an `audit` line for a refusal: who, from where, why. */
  audit: Audit;
  minCliVersion: string | undefined;
  heartbeatIntervalMs: number;
  perMessageDeflate: false | { readonly thresholdBytes: number };
  /** From createMask: how an error that ends a subscription is shown to the client. */
  mask: (error: unknown) => GraphQLError;
  log: Logger;
};

export type WsServer = {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every connection with a code and reason, without completing its subscriptions first. */
  closeAll(code: number, reason: string): void;
  close(): Promise<void>;
};

/**
 * graphql-ws (graphql-transport-ws protocol) on `ws`, with every operation run
 * through Yoga's envelop pipeline, so plugins hold for HTTP and WebSocket alike.
 * The one exception: subscription results are written as they arrive (see
 * ws-direct-delivery.ts), so a plugin's per-event hook (onSubscribeResult's
 * onNext) does not see them; error masking, the only such hook in use, is
 * applied where the results are made.
 * This file wires the parts: admission at the upgrade, the connection
 * policy (ws-policy.ts: credentials, limits, expiry), the socket adapter
 * (ws-socket.ts: writes and backpressure) and graphql-ws, which owns the
 * protocol.
 */
export function createWsServer(options: WsServerOptions): WsServer {
  const { yoga, registry, limits, metrics, diagnostics, log } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxPayloadBytes,
    perMessageDeflate: deflateOptions(options.perMessageDeflate),
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const originAllowed = createOriginCheck(options.corsOrigins);
  const admission = createAdmission({ anonymousPerMinute: limits.attemptsPerMinute, authenticatedPerMinute: limits.authenticatedAttemptsPerMinute });
  /** Each connection's attempt, until it authenticated or closed. */
  const tickets = new WeakMap<Connection, Ticket>();
  const policy = createConnectionPolicy({
    authenticator: options.authenticator,
    registry,
    counters: options.counters,
    metrics,
    maxConnectionsPerPrincipal: limits.maxConnectionsPerPrincipal,
    minCliVersion: options.minCliVersion,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    onChange: options.onChange,
    diagnostics,
    log,
  });

  const protocol = createProtocol({
    yoga,
    policy,
    maxSubscriptionsPerConnection: limits.maxSubscriptionsPerConnection,
    connectionInitTimeoutMs: limits.connectionInitTimeoutMs,
    counters: options.counters,
    metrics,
    onChange: options.onChange,
    mask: options.mask,
    diagnostics,
    onAuthenticated(connection) {
      const ticket = tickets.get(connection);
      if (!ticket) return undefined;
      tickets.delete(connection);
      const refusal = admission.authenticated(ticket, connection.principal?.kind === 'anonymous');
      if (!refusal) return undefined;
      metrics.connectionRejected('attempt_rate');
      options.audit({ action: 'connection-rate-limited', transport: 'ws', ip: connection.remoteAddress, principal: connection.principal?.id, connectionId: connection.id, reason: refusal.reason });
      return { code: Close.TryAgainLater, reason: refusal.reason };
    },
  });

  // One set of socket callbacks for every connection (they are handed the connection), not a set per socket.
  const socketOptions: SocketOptions = {
    maxBufferedBytes: limits.maxBufferedBytes,
    onSlow: (c) => policy.dropSlow(c, 0),
    // Only gateway writes are tracked one by one: their failures are reported per gateway.
    tracked: (c) => c.principal?.kind === 'gateway',
    onSendFailure: (c, err) => {
      if (c.principal?.kind !== 'gateway') return;
      options.counters.gatewaySendFailures++;
      metrics.gatewayDeliveryFailed('send_failed');
      log.error({ connectionId: c.id, gatewayId: c.principal.gatewayId, err: err.message }, 'gateway send failed');
      options.onGatewaySendFailure(c.principal.gatewayId, `send failed: ${err.message}`);
    },
    onPong: (c, rttMs) => diagnostics.pong(c.id, rttMs),
    onError: (c, err) => {
      // ws refuses the frame and closes with 1009; the close event alone may only see 1006.
      if ((err as Error & { code?: string }).code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return;
      options.audit({ action: 'size-refused', transport: 'ws', ip: c.remoteAddress, principal: c.principal?.id, connectionId: c.id, reason: `message over ${limits.maxPayloadBytes} bytes` });
    },
    metrics,
    log,
  };

  function accept(socket: WebSocket, request: IncomingMessage, ip: string, ticket: Ticket, release: () => void) {
    // From here the WebSocket's close frees the attempt's place (below).
    request.socket.removeListener('close', release);
    const connection = adaptSocket(socket, request.socket, ip, socketOptions);
    connection.browser = request.headers.origin !== undefined;
    if (registry.size() >= limits.maxConnections || ticket.evicted) {
      admission.closed(ticket);
      metrics.connectionRejected(ticket.evicted ? 'attempt_rate' : 'instance_limit');
      if (!ticket.evicted) log.warn({ ip }, 'connection refused: instance at its connection limit');
      socket.close(Close.TryAgainLater, ticket.evicted ? CloseReason.tooManyWaiting : CloseReason.serverFull);
      return;
    }
    // Only an attempt waiting for credentials (over its address's budget) can be closed for too many waiting.
    if (ticket.chargedAt === null) {
      ticket.close = () => {
        metrics.connectionRejected('attempt_rate');
        options.audit({ action: 'connection-rate-limited', transport: 'ws', ip, connectionId: connection.id, reason: CloseReason.tooManyWaiting });
        connection.close(Close.TryAgainLater, CloseReason.tooManyWaiting);
      };
    }
    tickets.set(connection, ticket);
    registry.add(connection);
    diagnostics.opened(connection.id, connection.connectedAt, () => ({
      remoteAddress: connection.remoteAddress,
      principalId: connection.principal?.id ?? null,
      clientName: connection.clientName,
      subscriptions: connection.subscriptions.size,
      eventsSent: connection.eventsSent,
      eventsDropped: connection.eventsDropped,
      heartbeatRttMs: connection.heartbeatRttMs,
      healthScore: connection.health(),
    }));
    const closed = protocol.opened(new ProtocolSocket(socket, connection, log), {
      connection,
      handshake: {
        authorization: request.headers.authorization,
        gatewayPath: pathOf(request) === GATEWAY_WS_PATH,
        browser: connection.browser,
        clientName: header(request, 'x-client-name'),
        // X-Version is the header's earlier name, still read.
        clientVersion: header(request, 'x-herald-version') ?? header(request, 'x-version'),
      },
    });
    // `on`, not `once`: the socket closes once, and `once` keeps a wrapper and its state (about 180 bytes) for the connection's life.
    socket.on('close', (code, reason) => {
      admission.closed(ticket);
      registry.remove(connection);
      diagnostics.closed(connection.id, code, String(reason));
      policy.closed(connection);
      options.onChange();
      log.info({ connectionId: connection.id, code, reason: String(reason) }, 'connection closed');
      closed(code, String(reason)).catch((err: unknown) => log.error({ component: 'transport', connectionId: connection.id, err }, 'failed to end the operations of a closed connection'));
    });
  }

  /**
   * Frees the attempt's place also when the handshake fails and no connection
   * is made; removed once the connection is made, whose close then frees it.
   * A function of its own: a listener made in handleUpgrade would share its
   * scope with `request`, and keep the request, its headers and their strings
   * alive as long as the socket (about 1.5 KB a connection).
   */
  function releaseOnClose(socket: Duplex, ticket: Ticket): () => void {
    const release = () => admission.closed(ticket);
    socket.on('close', release);
    return release;
  }

  return {
    handleUpgrade(request, socket, head) {
      metrics.connectionAttempt();
      const ip = clientIp(request.socket.remoteAddress, request.headers['x-forwarded-for'], options.trustProxy);
      // Herald's own pages (the dashboard, GraphiQL) connect from the origin they were served from.
      const refusal = checkOrigin(request.headers.origin, (origin) => originAllowed(origin) || isSameOrigin(origin, request.headers.host));
      if (refusal) {
        metrics.connectionRejected('origin');
        options.audit({ action: 'cors-refused', transport: 'ws', ip, origin: request.headers.origin, reason: refusal.reason });
        const body = `${refusal.reason}\n`;
        socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      // Never refused here for its address: see createAdmission.
      const ticket = admission.upgrade(ip);
      const release = releaseOnClose(socket, ticket);
      wss.handleUpgrade(request, socket, head, (ws) => accept(ws, request, ip, ticket, release));
    },
    closeAll(code, reason) {
      for (const connection of registry.of('websocket')) connection.close(code, reason);
    },
    close: () => {
      admission.stop();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * The socket as graphql-ws sees it. An object of its own, not one of
 * closures: every connection holds it for its life.
 */
class ProtocolSocket {
  constructor(
    private readonly socket: WebSocket,
    private readonly connection: SocketConnection,
    private readonly log: Logger,
  ) {}
  get protocol(): string {
    return this.socket.protocol;
  }
  send(data: string): void {
    this.connection.send(data);
  }
  close(code?: number, reason?: string): void {
    this.connection.close(code ?? Close.InternalError, reason ?? '');
  }
  onMessage(handle: (data: string) => Promise<void>): void {
    this.socket.on('message', (data) => this.#received(handle, String(data)));
  }
  #received(handle: (data: string) => Promise<void>, data: string): void {
    // graphql-ws takes a parsed message as well as text (see readMessage).
    handle(readMessage(data) as string).catch((err: unknown) => {
      this.log.error({ connectionId: this.connection.id, err }, 'failed to handle a message');
      this.connection.close(Close.InternalError, CloseReason.internal);
    });
  }
}

const pathOf = (request: IncomingMessage) => (request.url ?? '/').split('?', 1)[0];

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value.slice(0, 100) : undefined;
}

/**
 * permessage-deflate, when offered: small messages go out as they are (below
 * the threshold compression costs more than it saves), and each connection's
 * compression memory is bounded: no context kept between messages and a
 * 1 KB window (2^10) with a small zlib memory level, about 10 KB per
 * connection while a message is compressed, instead of the 300 KB or so of
 * zlib's defaults held for the connection's life. The decompressor of a
 * client that compresses what it sends is kept too, with the window the
 * client chose: ws bounds that window (clientMaxWindowBits) only by refusing
 * the handshake of clients that do not offer the parameter, so it is left.
 */
function deflateOptions(setting: false | { readonly thresholdBytes: number }) {
  if (!setting) return false;
  return {
    threshold: setting.thresholdBytes,
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    zlibDeflateOptions: { memLevel: 4, level: 6 },
    // Compressions run on libuv's thread pool: a few at a time keep one busy connection from queueing the rest.
    concurrencyLimit: 4,
  };
}
