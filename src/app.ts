import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createAdminService } from './admin/service.js';
import { directMessage } from './admin/messages.js';
import { createAuthenticator, createCredentialCheck } from './auth/authenticator.js';
import { createJwtVerifier } from './auth/jwt.js';
import { createApiKeyService } from './auth/keys.js';
import { createBackends } from './backends.js';
import { createSampler } from './alerts/sampler.js';
import { createAlertService } from './alerts/service.js';
import { createThresholdWatch } from './alerts/watch.js';
import { createChannelRegistry } from './channels/registry.js';
import { createChannelService } from './channels/service.js';
import { createClusterView, newCounters } from './cluster/view.js';
import { ConfigError, type Config } from './config.js';
import { createConsoleAssets } from './console/assets.js';
import { createTrafficMeter } from './console/meter.js';
import { createConsoleService } from './console/service.js';
import type { ControlCommand } from './events/control.js';
import { countingBus } from './events/counting.js';
import { createBatcher } from './events/batches.js';
import { createHub } from './events/hub.js';
import { Topics } from './events/topics.js';
import { createAcknowledgements } from './gateways/acknowledgements.js';
import { createDeployments } from './gateways/deployments.js';
import { createGatewayService } from './gateways/service.js';
import { createIdempotency } from './idempotency/idempotent.js';
import { createLogger, type AuditEntry, type Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { createPushDispatcher } from './push/dispatcher.js';
import { fallbackDraft } from './push/fallback.js';
import { createPushRegistrations } from './push/registrations.js';
import { createRateLimiter } from './ratelimit/limiter.js';
import { createRefusalAudit } from './ratelimit/refusal-audit.js';
import { unknownRuleField } from './ratelimit/rules.js';
import { getSchema } from './schema/index.js';
import { rootFieldsOf } from './schema/root-fields.js';
import type { Context, Services } from './schema/context.js';
import { Close, CloseReason, type CloseCode } from './sessions/close-codes.js';
import { createDiagnostics } from './sessions/diagnostics.js';
import { createSessionRegistry } from './sessions/registry.js';
import { createSessionEnder, startRevalidation } from './sessions/revocation.js';
import { createTaskService } from './tasks/service.js';
import type { TransportSession } from './transport/connection.js';
import { startHeartbeat } from './transport/heartbeat.js';
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
 * Wires the rooms together: backends (memory or Redis, chosen in
 * backends.ts), the services the GraphQL face and the REST routes call, and
 * the transports. Throws ConfigError for configuration that only the built
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

  // The event log asks the channels how long to keep their events; the registry reads its store from the backends.
  const backends = createBackends(config, instanceId, log, (topic) => channelRegistry.retentionOf(topic));
  const channelRegistry = createChannelRegistry({
    store: backends.channels,
    fileChannels: config.channels,
    retention: { count: config.events.retentionCount, seconds: config.events.retentionSeconds },
    log,
  });
  const { redis, control, directory } = backends;
  const counters = newCounters();
  const metrics = createMetrics();
  const traffic = createTrafficMeter(counters);
  // Every publish on this instance goes through here, so every one is counted.
  const bus = countingBus(backends.bus, (topic, events, type) => {
    counters.published += events;
    metrics.published(topic, events);
    traffic.published(topic, type, events);
  });
  const hub = createHub(bus, log);
  const batcher = createBatcher(hub, { maxQueuedBatches: 100 });
  const registry = createSessionRegistry<TransportSession>(log);
  const diagnostics = createDiagnostics({ retentionSeconds: config.diagnosticsRetentionSeconds });
  const auditLog = log.child({ audit: true });
  const audit = (entry: AuditEntry) => auditLog.info(entry, entry.action);
  const auditRefusal = (entry: AuditEntry) => auditLog.warn(entry, entry.action);

  const cluster = createClusterView({
    instanceId,
    mode: redis ? 'REDIS' : 'EMBEDDED',
    startedAt: new Date(),
    connections: () => registry.of('websocket'),
    hearsSystemMessages: (connectionId) => hub.follows(Topics.connection(connectionId)),
    connectionCount: () => registry.size('websocket'),
    directory,
    counters,
    // A group of batch subscribers reads one stream: counted as its members.
    subscriptions: () => hub.streamCount() - batcher.groups() + batcher.members(),
    cliListeners: () => new Map([...hub.listeners(Topics.cliPrefix)].map(([topic, n]) => [Topics.registrationIdOf(topic), n])),
    traffic: () => traffic.report(),
    intervalMs: config.clusterReportIntervalMs,
    log,
  });
  // Deployments are kept as long as their events are, for gateways to confirm them.
  const acknowledgements = createAcknowledgements({ store: backends.deployments, ttlSeconds: config.events.retentionSeconds, timeoutMs: config.gatewayAckTimeoutMs });
  const idempotency = createIdempotency({ store: backends.idempotency, windowSeconds: config.events.dedupWindowSeconds, log });
  // Revoking a key or deleting a gateway ends its sessions on every transport, everywhere.
  const endSessions = createSessionEnder({ control, store: backends.revocations, deregisterPush: (ownerId) => backends.cli.deleteByOwner(ownerId), log });
  const credentialCheck = createCredentialCheck({ gateways: backends.gateways, apiKeys: backends.apiKeys });
  const gateways = createGatewayService({
    store: backends.gateways,
    bus,
    endSessions,
    subscribers: (ids) => cluster.gatewaySubscribers(ids),
    onUndelivered: (reason, count) => metrics.gatewayDeliveryFailed(reason, count),
    log,
  });

  const refusals = createRefusalAudit(auditRefusal);
  const rateLimits = createRateLimiter({
    store: backends.rateLimitRules,
    fileRules: config.rateLimits,
    shared: backends.rateLimitWindows,
    sharedReady: () => redis?.command.status === 'ready',
    // The directory itself, not the cluster view: the view answers with this instance alone while Redis is away.
    liveInstances: async () => (await directory.instances()).length,
    announce: () => control.send({ kind: 'rate-limits-changed' }),
    onRefused: (client, field) => {
      counters.rateLimitRefusals++;
      metrics.rateLimited(field);
      refusals.record(client, field);
    },
    onFallback: (degraded) => metrics.rateLimitDegraded(degraded),
    onInstances: (count) => metrics.rateLimitInstances(count),
    refreshMs: config.clusterReportIntervalMs,
    log: log.child({ component: 'ratelimit' }),
  });

  const push = createPushDispatcher({
    bus,
    hub,
    store: backends.cli,
    settings: config.push,
    log: log.child({ component: 'push' }),
    leadership: backends.leadership,
    observe: metrics.push,
    audit: (entry) => audit({ principal: 'herald', ...entry }),
    fallback: async (registration, event, reason) => {
      await bus.publish(fallbackDraft(registration, event, reason));
      return (await cluster.cliListeners(registration.id)) > 0;
    },
  });

  const pushRegistrations = createPushRegistrations({
    store: backends.cli,
    bus,
    urlPolicy: config.push.urlPolicy,
    minCliVersion: config.minCliVersion,
    maxPerOwner: config.push.maxRegistrationsPerOwner,
    poke: () => push.poke(),
    isPushing: () => push.isPushing(),
    credentialCheck,
    audit,
  });
  const alerts = createAlertService({ store: backends.alerts, registry: channelRegistry, bus, audit, onChange: (state) => metrics.alertChanged(state) });
  const sampler = createSampler({
    totals: () => ({ ...metrics.totals, slowConsumerDisconnects: counters.slowConsumerDisconnects }),
    heartbeatRtts: function* () {
      for (const c of registry.of('websocket')) yield c.heartbeatRttMs;
    },
    async gateways() {
      const [all, connections] = await Promise.all([gateways.list(), cluster.connections()]);
      return { registered: all.map((g) => g.id), connected: new Set(connections.flatMap((c) => (c.gatewayId ? [c.gatewayId] : []))) };
    },
    redisReady: redis ? () => redis.isReady() : null,
  });
  const thresholds = createThresholdWatch({
    instanceId,
    fileThresholds: config.thresholds.file,
    store: backends.thresholds,
    alerts,
    sample: async () => {
      const sample = await sampler.sample();
      if (sample.gatewayDisconnectedSeconds !== null) metrics.gatewayDisconnectedSeconds(sample.gatewayDisconnectedSeconds);
      return sample;
    },
    intervalMs: config.thresholds.intervalMs,
    onCrossed: (name, crossed) => metrics.thresholdCrossed(name, crossed),
    log,
  });
  metrics.observeGauges({
    sseStreams: () => registry.size('sse'),
    redisUp: () => (redis && !redis.isReady() ? 0 : 1),
    connectionsByClient: () => Object.fromEntries(Object.entries(cluster.local().connectionsByKind ?? {}).map(([kind, n]) => [kind.toLowerCase(), n])),
  });
  const consoleService = createConsoleService({ cluster, push: pushRegistrations, gateways, acknowledgements });

  const services: Services = {
    tasks: createTaskService({ store: backends.tasks, bus, idempotency, maxRepositoriesPerSubscription: config.events.maxTopicsPerSubscription }),
    channels: createChannelService({ registry: channelRegistry, store: backends.channels, bus, control, idempotency, audit }),
    alerts,
    thresholds,
    gateways,
    deployments: createDeployments({ gateways, idempotency, acknowledgements }),
    acknowledgements,
    push: pushRegistrations,
    apiKeys: createApiKeyService({ store: backends.apiKeys, endSessions, audit }),
    admin: createAdminService({ cluster, control, bus, audit }),
    bus,
    subscriptions: {
      hub,
      batcher,
      bus,
      maxQueued: config.ws.maxQueuedEvents,
      onDropped: (topic, count) => {
        counters.eventsDropped += count;
        metrics.dropped(topic, count);
      },
    },
    reads: { maxTopics: config.events.maxReadTopics },
    cluster,
    console: consoleService,
    rateLimits,
    diagnostics,
    metrics,
    audit,
  };

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
      metrics.delivered(event);
      traffic.delivered(event);
      (context as Context).deliveries?.push(event, Date.now());
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

  /** What every instance carries out when any instance asks (see events/control.ts). */
  function onControl(command: ControlCommand) {
    switch (command.kind) {
      case 'rate-limits-changed':
        rateLimits.reload().catch((err: Error) => log.warn({ component: 'ratelimit', err: err.message }, 'could not reload rate limits; the periodic reload will retry'));
        return;
      case 'channels-changed':
        channelRegistry.reload().catch((err: Error) => log.warn({ component: 'channels', err: err.message }, 'could not reload channels; the periodic reload will retry'));
        return;
      case 'notify':
        hub.inject(Topics.connection(command.connectionId), directMessage(command.id, command.timestamp, command.connectionId, command.message));
        return;
      case 'close-connections': {
        // A whole principal's sessions: its push registrations are gone from the store; stop pushing them now.
        if ('principalId' in command.match && command.match.keyId === undefined) push.stopOwner(command.match.principalId);
        const ended = registry.endMatching(command.match, { code: command.code as CloseCode, reason: command.reason });
        if (ended > 0) log.info({ match: command.match, ended, code: command.code }, 'ended sessions on request');
      }
    }
  }

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
    await bus.close();
    await redis?.close();
    log.info('stopped');
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

async function waitUntil(condition: () => boolean, deadline: number) {
  while (!condition() && Date.now() < deadline) await delay(20);
}
