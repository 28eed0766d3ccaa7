import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { createAuthenticator } from './auth/authenticator.js';
import type { Config } from './config.js';
import type { EventBus } from './events/bus.js';
import { createMemoryBus } from './events/bus.memory.js';
import { createRedisBus } from './events/bus.redis.js';
import { createHub } from './events/hub.js';
import { createLogger, type Logger } from './log.js';
import { createRedisConnections, type RedisConnections } from './redis/connections.js';
import type { Services } from './schema/context.js';
import type { ClusterDirectory } from './cluster/directory.js';
import { createMemoryClusterDirectory } from './cluster/directory.memory.js';
import { createRedisClusterDirectory } from './cluster/directory.redis.js';
import type { GatewayStore } from './gateways/store.js';
import { createMemoryGatewayStore } from './gateways/store.memory.js';
import { createRedisGatewayStore } from './gateways/store.redis.js';
import { createMemoryControlChannel, createRedisControlChannel, type ControlChannel } from './events/control.js';
import { createGatewayService } from './gateways/service.js';
import { createJwtVerifier } from './auth/jwt.js';
import { createMetrics } from './metrics.js';
import { connectionTopic, directMessage } from './schema/admin.js';
import type { ApiKeyStore } from './auth/api-keys.js';
import { createPushDispatcher } from './push/dispatcher.js';
import { alwaysLeader, redisLeadership } from './push/leader.js';
import { cliTopic } from './schema/cli.js';
import type { CliStore } from './push/store.js';
import { createMemoryCliStore } from './push/store.memory.js';
import { createRedisCliStore } from './push/store.redis.js';
import { createMemoryIdempotencyStore, type IdempotencyStore } from './idempotency/store.js';
import { createRedisIdempotencyStore } from './idempotency/store.redis.js';
import { createMemoryApiKeyStore } from './auth/api-keys.memory.js';
import { createRedisApiKeyStore } from './auth/api-keys.redis.js';
import { createClusterView, type Counters } from './cluster/view.js';
import type { TaskStore } from './tasks/store.js';
import { createMemoryTaskStore } from './tasks/store.memory.js';
import { createRedisTaskStore } from './tasks/store.redis.js';
import { Close, CloseReason } from './sessions/close-codes.js';
import { createConnectionRegistry } from './transport/connection-registry.js';
import { startHeartbeat } from './transport/heartbeat.js';
import { createHttpServer } from './transport/http-server.js';
import { createRateLimiter } from './ratelimit/limiter.js';
import { createRefusalAudit } from './ratelimit/refusal-audit.js';
import { createRedisWindows } from './ratelimit/windows.redis.js';
import { createMemoryRateLimitStore } from './ratelimit/store.js';
import { createRedisRateLimitStore } from './ratelimit/store.redis.js';
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

/** Wires the parts together; the only place that chooses between memory and Redis backends. */
export function buildApp(config: Config, logger?: Logger): App {
  const instanceId = config.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = logger ?? createLogger(config.logLevel, instanceId);

  let adminToken = config.adminToken;
  if (!adminToken) {
    adminToken = randomBytes(24).toString('base64url');
    log.warn({ adminToken }, 'HERALD_ADMIN_TOKEN is not set; generated an admin token for this development run');
  }

  const redis: RedisConnections | null = config.redis ? createRedisConnections(config.redis.url, config.redis.keyPrefix, log) : null;
  const tasks: TaskStore = redis ? createRedisTaskStore(redis) : createMemoryTaskStore();
  const gatewayStore: GatewayStore = redis ? createRedisGatewayStore(redis) : createMemoryGatewayStore();
  const retention = { count: config.events.retentionCount, seconds: config.events.retentionSeconds };
  const bus: EventBus = redis ? createRedisBus(redis, log, retention) : createMemoryBus(retention);
  const idempotency: IdempotencyStore = redis ? createRedisIdempotencyStore(redis) : createMemoryIdempotencyStore({ log });
  const control: ControlChannel = redis ? createRedisControlChannel(redis, log) : createMemoryControlChannel();
  const directory: ClusterDirectory = redis ? createRedisClusterDirectory(redis) : createMemoryClusterDirectory();
  const hub = createHub(bus);
  const registry = createConnectionRegistry();
  const cliStore: CliStore = redis ? createRedisCliStore(redis) : createMemoryCliStore();
  const apiKeys: ApiKeyStore = redis ? createRedisApiKeyStore(redis) : createMemoryApiKeyStore();
  const counters: Counters = { published: 0, delivered: 0, gatewayEventsSent: 0, gatewaySendFailures: 0, slowConsumerDisconnects: 0 };
  const metrics = createMetrics();
  const audit = log.child({ audit: true });
  const auditRefusal = (entry: Record<string, unknown> & { action: string }) => audit.warn(entry, entry.action);

  const cluster = createClusterView({
    instanceId,
    mode: redis ? 'REDIS' : 'EMBEDDED',
    startedAt: new Date(),
    registry,
    directory,
    counters,
    subscriptions: () => hub.streamCount(),
    intervalMs: config.clusterReportIntervalMs,
    log,
  });
  const gateways = createGatewayService({
    store: gatewayStore,
    bus,
    control,
    subscribers: (gatewayIds) => cluster.gatewaySubscribers(gatewayIds),
    countPublished: (topic, count) => {
      counters.published += count;
      metrics.published(topic, count);
    },
    log,
  });

  const refusals = createRefusalAudit(auditRefusal);
  const rateLimits = createRateLimiter({
    store: redis ? createRedisRateLimitStore(redis) : createMemoryRateLimitStore(),
    fileRules: config.rateLimits,
    shared: redis ? createRedisWindows(redis, instanceId) : null,
    sharedReady: () => redis?.command.status === 'ready',
    // The directory itself, not the cluster view: the view answers with this instance alone while Redis is away.
    liveInstances: async () => (await directory.instances()).length,
    announce: () => control.send({ kind: 'rate-limits-changed' }),
    onRefused: (client, field) => {
      metrics.rateLimited(field);
      refusals.record(client, field);
    },
    onFallback: (degraded) => metrics.rateLimitDegraded(degraded),
    onInstances: (count) => metrics.rateLimitInstances(count),
    refreshMs: config.clusterReportIntervalMs,
    log: log.child({ component: 'ratelimit' }),
  });

  const services: Services = {
    tasks,
    bus,
    hub,
    gateways,
    cluster,
    counters,
    apiKeys,
    control,
    metrics,
    audit: (entry) => audit.info(entry, entry.action),
    maxQueuedEvents: config.ws.maxQueuedEvents,
    idempotency,
    dedupWindowSeconds: config.events.dedupWindowSeconds,
    rateLimits,
    cli: { store: cliStore, urlPolicy: config.push.urlPolicy, minCliVersion: config.minCliVersion, poke: () => push.poke(), isPushing: () => push.isPushing() },
  };
  const push = createPushDispatcher({
    bus,
    hub,
    store: cliStore,
    settings: config.push,
    log: log.child({ component: 'push' }),
    leadership: redis ? redisLeadership(redis, instanceId, config.push.leaderTtlMs) : alwaysLeader(),
    audit: (entry) => audit.info({ principal: 'herald', ...entry }, entry.action),
    fallback: async (registration, event, reason) => {
      await bus.publish({ topic: cliTopic(registration.id), type: 'cli.fallback', correlationId: event.id, priority: event.priority, expiresAt: null, payload: { reason, event } });
    },
  });
  const authenticator = createAuthenticator({
    adminToken,
    allowAnonymous: config.mode === 'development',
    gateways: gatewayStore,
    apiKeys,
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
    onDelivered: (event) => {
      counters.delivered++;
      metrics.delivered(event);
    },
    mask,
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
    limits: {
      maxPayloadBytes: config.ws.maxPayloadBytes,
      maxConnections: config.ws.maxConnections,
      maxConnectionsPerPrincipal: config.ws.maxConnectionsPerPrincipal,
      maxSubscriptionsPerConnection: config.ws.maxSubscriptionsPerConnection,
      maxBufferedBytes: config.ws.maxBufferedBytes,
      connectionInitTimeoutMs: config.ws.connectionInitTimeoutMs,
      attemptsPerMinute: config.ws.rateLimitPerMinute,
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
  const server = createHttpServer(yoga, ws);
  let stopHeartbeat = () => {};
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
      await control.listen((command) => {
        if (command.kind === 'rate-limits-changed') {
          rateLimits.reload().catch((err: Error) => log.warn({ err: err.message }, 'could not reload rate limits; the periodic reload will retry'));
          return;
        }
        if (command.kind === 'notify') {
          const { connectionId, id, message, timestamp } = command;
          hub.inject(connectionTopic(connectionId), directMessage(id, timestamp, connectionId, message));
          return;
        }
        const closed = ws.closeMatching(command.match, command.code, command.reason);
        if (closed > 0) log.info({ match: command.match, closed, code: command.code }, 'closed connections on request');
      });
      cluster.start();
      rateLimits.start();
      push.start();
      const { port } = server.address() as AddressInfo;
      const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}${GRAPHQL_PATH}`;
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
    rateLimits.stop();
    refusals.stop();
    await push.stop();
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    // 1001 without `complete` first: graphql-ws clients then resubscribe elsewhere.
    ws.closeAll(Close.GoingAway, CloseReason.shutdown);
    await hub.close(); // ends SSE streams cleanly
    await yoga.dispose();
    server.closeIdleConnections();
    await waitUntil(() => registry.size() === 0, deadline - 1_000);
    for (const connection of registry.all()) connection.terminate();
    server.closeAllConnections();
    await ws.close();
    await Promise.race([serverClosed, delay(Math.max(0, deadline - Date.now()))]);
    await cluster.stop();
    await bus.close();
    await redis?.close();
    log.info('stopped');
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

async function waitUntil(condition: () => boolean, deadline: number) {
  while (!condition() && Date.now() < deadline) await delay(20);
}
