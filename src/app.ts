import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createAuthenticator } from './auth/authenticator.js';
import { createJwtVerifier } from './auth/jwt.js';
import { ConfigError, type Config } from './config.js';
import { createConsoleAssets } from './console/assets.js';
import { familyOf } from './events/topics.js';
import { createLogger, type Logger } from './log.js';
import { unknownRuleField } from './ratelimit/rules.js';
import { getSchema } from './schema/index.js';
import { rootFieldsOf } from './schema/root-fields.js';
import type { Context } from './schema/context.js';
import { Close, CloseReason } from './sessions/close-codes.js';
import { startRevalidation } from './sessions/revocation.js';
import { startHeartbeat } from './transport/heartbeat.js';
import { createServices } from './services.js';
import { createHttpServer, developmentHosts } from './transport/http-server.js';
import { createWsServer } from './transport/ws-server.js';
import { createHeraldYoga, createMask, GRAPHQL_PATH } from './transport/yoga.js';

export type App = {
  readonly instanceId: string;
  readonly log: Logger;
  /** Listens on the configured host and port (0 = any free port). */
  start(): Promise<{ url: string; port: number }>;
  /** Stops accepting, closes sockets with 1001, ends SSE streams, closes Redis. */
  stop(): Promise<void>;
};

/**
 * Wires the transports (HTTP, WebSocket, SSE) to the services (services.ts,
 * on the backends backends.ts picks) and runs the instance's start and stop.
 * Throws ConfigError for configuration that only the built
 * server can check (rate-limit rules naming fields the schema lacks).
 */
export function buildApp(config: Config, logger?: Logger): App {
  const instanceId = config.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = logger ?? createLogger(config.logLevel, instanceId);
  const unknownField = config.rateLimitsFile && unknownRuleField(config.rateLimitsFile, config.rateLimits, rootFieldsOf(getSchema()));
  if (unknownField) throw new ConfigError(`Invalid configuration: ${unknownField}`);

  let adminToken = config.adminToken;
  if (!adminToken) {
    adminToken = randomBytes(24).toString('base64url');
    log.warn({ adminToken }, 'HERALD_ADMIN_TOKEN is not set; generated an admin token for this development run');
  }

  const { services, backends, redis, control, onControl, channelRegistry, counters, metrics, traffic, bus, hub, registry, diagnostics, auditRefusal, cluster, credentialCheck, gateways, refusals, rateLimits, push, sampler, thresholds, consoleService } = createServices(config, instanceId, log);

  const authenticator = createAuthenticator({
    adminToken,
    allowAnonymous: config.mode === 'development',
    gateways: backends.gateways,
    apiKeys: backends.apiKeys,
    jwt: config.jwt && createJwtVerifier(config.jwt),
  });
  const mask = createMask(log);
  const yoga = createHeraldYoga({
    services,
    authenticator,
    production: config.mode === 'production',
    isReady: () => bus.isReady() && (redis?.isReady() ?? true),
    corsOrigins: config.corsOrigins,
    queryLimits: config.queryLimits,
    protection: config.protection,
    rateLimiter: rateLimits,
    trustProxy: config.trustProxy,
    audit: auditRefusal,
    onDelivered: (event, context) => {
      counters.delivered++;
      // Runs once per event per subscriber: the family and the clock are read once and shared.
      const family = familyOf(event.topic);
      const at = Date.now();
      metrics.delivered(event, family, at);
      traffic.delivered(event, family, at);
      (context as Context).deliveries?.push(event, at);
    },
    mask,
    sessions: { registry, maxSessions: config.ws.maxConnections, maxPerPrincipal: config.ws.maxConnectionsPerPrincipal },
    consoleAssets: createConsoleAssets(),
    directPost: config.directPost,
    tls: config.tls !== null,
    log,
  });
  const ws = createWsServer({
    yoga,
    authenticator,
    registry,
    counters,
    metrics,
    onChange: () => cluster.changed(),
    onGatewaySendFailure: (gatewayId, reason) => void gateways.recordSendFailure(gatewayId, 'unknown', reason),
    diagnostics,
    limits: {
      maxPayloadBytes: config.ws.maxPayloadBytes,
      maxConnections: config.ws.maxConnections,
      maxConnectionsPerPrincipal: config.ws.maxConnectionsPerPrincipal,
      maxSubscriptionsPerConnection: config.ws.maxSubscriptionsPerConnection,
      maxBufferedBytes: config.ws.maxBufferedBytes,
      connectionInitTimeoutMs: config.ws.connectionInitTimeoutMs,
      attemptsPerMinute: config.ws.rateLimitPerMinute,
      authenticatedAttemptsPerMinute: config.ws.authenticatedRateLimitPerMinute,
    },
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    audit: auditRefusal,
    minCliVersion: config.minCliVersion,
    heartbeatIntervalMs: config.ws.heartbeatIntervalMs,
    perMessageDeflate: config.ws.perMessageDeflate,
    mask,
    log,
  });
  const server = createHttpServer(yoga, ws, { allowedHosts: config.mode === 'development' ? developmentHosts(config.host) : null, tls: config.tls });

  let stopHeartbeat = () => {};
  let revalidation: { stop(): void } | undefined;
  let channelRefresh: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;

  return {
    instanceId,
    log,
    async start() {
      // Start serving with Redis up when it can be had; otherwise /ready says 503 until it is
      // (the connections log the outage once, and keep trying).
      if (redis) await redis.whenReady(3_000);
      server.listen(config.port, config.host);
      await once(server, 'listening');
      stopHeartbeat = startHeartbeat(registry, config.ws.heartbeatIntervalMs, config.ws.heartbeatTimeoutMs);
      await control.listen(onControl);
      // In embedded mode every revocation reaches every session directly; with Redis a command can be missed.
      if (redis) {
        revalidation = startRevalidation({
          registry,
          store: backends.revocations,
          check: credentialCheck,
          intervalMs: config.revocationCheckIntervalMs,
          log,
        });
      }
      traffic.start();
      cluster.start();
      rateLimits.start();
      await channelRegistry.reload().catch((err: Error) => log.warn({ component: 'channels', err: err.message }, 'could not read live channels; the periodic reload will retry'));
      channelRefresh = setInterval(() => void channelRegistry.reload().catch(() => {}), config.clusterReportIntervalMs);
      channelRefresh.unref();
      push.start();
      thresholds.start();
      const { port } = server.address() as AddressInfo;
      const url = `${config.tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}${GRAPHQL_PATH}`;
      log.info({ url, mode: redis ? 'redis' : 'embedded', env: config.mode }, 'herald listening');
      return { url, port };
    },
    stop() {
      return (stopping ??= shutdown());
    },
  };

  async function shutdown() {
    // Finish a little before main.ts's hard deadline so the exit is a clean 0.
    const deadline = Date.now() + config.shutdownTimeoutMs - 1_500;
    log.info('shutting down');
    stopHeartbeat();
    revalidation?.stop();
    clearInterval(channelRefresh);
    rateLimits.stop();
    refusals.stop();
    traffic.stop();
    consoleService.stop();
    await thresholds.stop();
    sampler.stop();
    await push.stop();
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    // 1001 without `complete` first: graphql-ws clients then resubscribe elsewhere.
    ws.closeAll(Close.GoingAway, CloseReason.shutdown);
    await hub.close(); // ends SSE streams cleanly
    await yoga.dispose();
    server.closeIdleConnections();
    await waitUntil(() => registry.size('websocket') === 0, deadline - 1_000);
    for (const connection of registry.of('websocket')) connection.terminate();
    server.closeAllConnections();
    await ws.close();
    await Promise.race([serverClosed, delay(Math.max(0, deadline - Date.now()))]);
    await cluster.stop();
    // Events sent that were counted and not written yet (gateways/store.redis.ts).
    await backends.gateways.flush?.().catch(() => {});
    await bus.close();
    await redis?.close();
    log.info('stopped');
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

async function waitUntil(condition: () => boolean, deadline: number) {
  while (!condition() && Date.now() < deadline) await delay(20);
}
