import type { Config } from './config.js';
import { createAdminService } from './admin/service.js';
import { directMessage } from './admin/messages.js';
import { createCredentialCheck } from './auth/authenticator.js';
import { createApiKeyService } from './auth/keys.js';
import { createBackends } from './backends.js';
import { createSampler } from './alerts/sampler.js';
import { createAlertService } from './alerts/service.js';
import { createThresholdWatch } from './alerts/watch.js';
import { createChannelRegistry } from './channels/registry.js';
import { createChannelService } from './channels/service.js';
import { createClusterView, newCounters } from './cluster/view.js';
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
import type { AuditEntry, Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { createPushDispatcher } from './push/dispatcher.js';
import { fallbackDraft } from './push/fallback.js';
import { createPushRegistrations } from './push/registrations.js';
import { createRateLimiter } from './ratelimit/limiter.js';
import { createRefusalAudit } from './ratelimit/refusal-audit.js';
import type { Services } from './schema/context.js';
import type { CloseCode } from './sessions/close-codes.js';
import { createDiagnostics } from './sessions/diagnostics.js';
import { createSessionRegistry } from './sessions/registry.js';
import { createSessionEnder } from './sessions/revocation.js';
import { createTaskService } from './tasks/service.js';
import type { TransportSession } from './transport/connection.js';

/**
 * Builds every room's service on the backends config picks (backends.ts), and
 * what they share: the counting bus, the hub, the session registry, the
 * cluster view, metrics. app.ts hands the result to the transports.
 */
export function createServices(config: Config, instanceId: string, log: Logger) {
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
    // A group of batch subscribers reads one stream of the hub's own: counted as its members.
    subscriptions: () => hub.streamCount() + batcher.members(),
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
    onDeleted: (gatewayId) => backends.deployments.forgetGateway(gatewayId),
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


  return {
    services,
    backends,
    redis,
    control,
    onControl,
    channelRegistry,
    counters,
    metrics,
    traffic,
    bus,
    hub,
    registry,
    diagnostics,
    auditRefusal,
    cluster,
    credentialCheck,
    gateways,
    refusals,
    rateLimits,
    push,
    sampler,
    thresholds,
    consoleService,
  };
}
