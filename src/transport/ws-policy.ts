import { bearerToken, type Authenticator } from '../auth/authenticator.js';
import { clientVersionProblem } from '../auth/client-version.js';
import type { RefusalReason } from '../auth/principal.js';
import type { Counters } from '../cluster/view.js';
import { BackendUnavailableError } from '../errors.js';
import type { Consumer } from '../events/subscription.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { Close, CloseReason, Closings, type Closing } from '../sessions/close-codes.js';
import type { Diagnostics } from '../sessions/diagnostics.js';
import type { Connection, TransportSessions } from './connection.js';

/** What a client may put in `connection_init`. Unknown keys are ignored. */
export type ConnectionParams = {
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
export type Handshake = {
  readonly authorization: string | undefined;
  readonly gatewayPath: boolean;
  /** The upgrade carried an Origin header: a browser page, which is never asked for a CLI version. */
  readonly browser: boolean;
  readonly clientName: string | undefined;
  readonly clientVersion: string | undefined;
};

/** What `connection_ack` carries to a client that was let in. */
export type Acknowledgement = { connectionId: string; gatewayId?: string; heartbeatIntervalMs: number };

const REFUSALS: Record<RefusalReason | 'notGateway', Closing> = {
  missing: { code: Close.Unauthorized, reason: CloseReason.credentialsRequired },
  invalid: { code: Close.Unauthorized, reason: CloseReason.invalidCredentials },
  revoked: Closings.keyRevoked,
  expired: Closings.tokenExpired,
  notGateway: { code: Close.Unauthorized, reason: CloseReason.gatewayKeyRequired },
};

export type ConnectionPolicy = ReturnType<typeof createConnectionPolicy>;

/**
 * Who may hold a WebSocket and on what terms: credentials at
 * `connection_init`, the client version, sessions per principal (the
 * registry ends the connection when its token expires), and dropping a
 * consumer that cannot keep up. It decides and closes; the socket adapter
 * and graphql-ws carry it out.
 */
export function createConnectionPolicy(options: {
  authenticator: Authenticator;
  registry: TransportSessions;
  counters: Counters;
  metrics: Metrics;
  maxConnectionsPerPrincipal: number;
  minCliVersion: string | undefined;
  heartbeatIntervalMs: number;
  onChange: () => void;
  diagnostics: Diagnostics;
  log: Logger;
}) {
  const { authenticator, registry, metrics, diagnostics, log } = options;
  const consumers = new WeakMap<Connection, Consumer>();
  /** Connections let in, so that a close is counted only for those counted in. */
  const accepted = new WeakSet<Connection>();

  /** Closes at once and tells graphql-ws not to acknowledge (its own 4403 close then finds the socket closing). */
  const refuse = (connection: Connection, { code, reason }: Closing | { code: number; reason: string }): false => {
    connection.close(code, reason);
    return false;
  };

  function dropSlow(connection: Connection, dropped: number) {
    connection.eventsDropped += dropped;
    if (connection.subscriptions.size === 0 && dropped === 0) return;
    diagnostics.note(connection.id, 'SLOW_CONSUMER', dropped > 0 ? `${dropped} event(s) dropped` : `over ${connection.queuedBytes()} unsent bytes`);
    options.counters.slowConsumerDisconnects++;
    metrics.slowConsumer();
    log.warn({ connectionId: connection.id, principal: connection.principal?.id, dropped }, 'slow consumer disconnected');
    connection.close(Close.TryAgainLater, CloseReason.slowConsumer);
  }

  return {
    /** Lets the connection in (the acknowledgement) or closes it with the reason (false). */
    async authenticate(connection: Connection, handshake: Handshake, params: ConnectionParams): Promise<Acknowledgement | false> {
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
        return refuse(connection, { code: Close.TryAgainLater, reason: CloseReason.backendUnavailable });
      }
      const refusal = !result.ok ? REFUSALS[result.reason] : !handshake.gatewayPath || result.principal.kind === 'gateway' ? undefined : REFUSALS[token ? 'notGateway' : 'missing'];
      if (refusal || !result.ok) {
        const why = !result.ok ? result.reason : 'notGateway';
        metrics.connectionRejected(why);
        log.warn(
          { audit: true, transport: 'ws', connectionId: connection.id, ip: connection.remoteAddress, principal: !result.ok ? result.principalId : undefined, reason: why, detail: !result.ok ? result.detail : undefined },
          'authentication failed',
        );
        return refuse(connection, refusal!);
      }
      const principal = result.principal;
      connection.clientName = text(params.clientName)?.slice(0, 100) ?? handshake.clientName ?? null;
      connection.clientVersion = text(params.clientVersion)?.slice(0, 50) ?? handshake.clientVersion ?? null;
      connection.cliRegistrationId = text(params.cliRegistrationId)?.slice(0, 64) ?? null;
      const outdated = clientVersionProblem(
        { name: connection.clientName, version: connection.clientVersion, browser: handshake.browser, gateway: handshake.gatewayPath || principal.kind === 'gateway' },
        options.minCliVersion,
      );
      if (outdated) {
        metrics.connectionRejected('client_version');
        return refuse(connection, { code: Close.BadRequest, reason: outdated });
      }
      if (registry.authenticate(connection, principal) > options.maxConnectionsPerPrincipal) {
        metrics.connectionRejected('principal_limit');
        log.warn({ connectionId: connection.id, principal: principal.id }, 'connection refused: principal at its connection limit');
        return refuse(connection, { code: Close.TryAgainLater, reason: `${CloseReason.principalFull} (${options.maxConnectionsPerPrincipal})` });
      }
      metrics.connectionOpened(principal.kind);
      options.counters.connectionsOpened++;
      metrics.connectionAccepted();
      accepted.add(connection);
      log.info({ connectionId: connection.id, principal: principal.id, clientName: connection.clientName }, 'connection accepted');
      diagnostics.note(connection.id, 'AUTHENTICATED', principal.id);
      options.onChange();
      const gatewayId = principal.kind === 'gateway' ? { gatewayId: principal.gatewayId } : {};
      return { connectionId: connection.id, ...gatewayId, heartbeatIntervalMs: options.heartbeatIntervalMs };
    },

    /** Drops a connection whose unsent backlog or event queue passed its bound; `dropped` events were lost to it. */
    dropSlow,

    /** The connection as its subscriptions' streams see it, so an overflowing stream can drop it. */
    consumerOf(connection: Connection): Consumer {
      let consumer = consumers.get(connection);
      if (!consumer) consumers.set(connection, (consumer = new ConnectionConsumer(connection, dropSlow, diagnostics)));
      return consumer;
    },

    /** Forgets a connection that closed. */
    closed(connection: Connection) {
      // Only a connection that was let in was counted open: one refused at its limit closes uncounted.
      if (!accepted.delete(connection) || !connection.principal) return;
      metrics.connectionClosed(connection.principal.kind);
      options.counters.connectionsClosed++;
      metrics.connectionEnded();
    },
  };
}

/** A connection as its streams see it: an object, not a pair of closures, as every open connection has one. */
class ConnectionConsumer implements Consumer {
  constructor(
    private readonly connection: Connection,
    private readonly dropSlow: (connection: Connection, dropped: number) => void,
    private readonly diagnostics: Diagnostics,
  ) {}
  dropSlowConsumer(dropped: number): void {
    this.dropSlow(this.connection, dropped);
  }
  countDropped(dropped: number): void {
    this.connection.eventsDropped += dropped;
    this.diagnostics.note(this.connection.id, 'DROPPED', `${dropped} event(s)`);
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
