import type { Logger } from '../log.js';
import type { ClusterDirectory, ConnectionReport, InstanceReport } from './directory.js';
import type { Connection, ConnectionRegistry } from '../transport/connection-registry.js';

export type Counters = {
  published: number;
  delivered: number;
  gatewayEventsSent: number;
  gatewaySendFailures: number;
  slowConsumerDisconnects: number;
};

/**
 * This instance's view of the cluster: its own state, always fresh, plus the
 * latest report of every other live instance. Reports are written every
 * interval and soon after a connection opens or closes; they expire after
 * three intervals, so a dead instance disappears on its own.
 */
export type ClusterView = {
  local(): InstanceReport;
  instances(): Promise<InstanceReport[]>;
  connections(): Promise<ConnectionReport[]>;
  /** Connections subscribed to gateway events, cluster-wide, for those of the gateways that have any. */
  gatewaySubscribers(gatewayIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Asks for a report soon (debounced). To be called whenever a connection
   * opens or closes or a subscription starts or ends: local listener counts
   * are recounted only then.
   */
  changed(): void;
  start(): void;
  stop(): Promise<void>;
};

export function createClusterView(deps: {
  instanceId: string;
  mode: 'EMBEDDED' | 'REDIS';
  startedAt: Date;
  registry: ConnectionRegistry;
  directory: ClusterDirectory;
  counters: Counters;
  subscriptions: () => number;
  intervalMs: number;
  log: Logger;
}): ClusterView {
  const { instanceId, registry, directory, counters, log } = deps;
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  let failing = false;

  const connectionReport = (c: Connection): ConnectionReport => ({
    id: c.id,
    instanceId,
    remoteAddress: c.remoteAddress,
    connectedAt: c.connectedAt.toISOString(),
    lastHeartbeatAt: c.lastHeartbeatAt.toISOString(),
    principalKind: c.principal?.kind ?? null,
    principalId: c.principal?.id ?? null,
    gatewayId: c.principal?.kind === 'gateway' ? c.principal.gatewayId : null,
    clientName: c.clientName,
    clientVersion: c.clientVersion,
    subscriptions: c.subscriptions.size,
    eventsSent: c.eventsSent,
    eventsDropped: c.eventsDropped,
    heartbeatRttMs: c.heartbeatRttMs,
  });

  // Counted once per change rather than per dispatch, which would cost every
  // connection of the instance for each deployment.
  let listening: Map<string, number> | undefined;
  const gatewayListeners = () => {
    if (listening) return listening;
    listening = new Map();
    for (const c of registry.all()) {
      if (c.principal?.kind === 'gateway' && c.subscriptions.size > 0) listening.set(c.principal.gatewayId, (listening.get(c.principal.gatewayId) ?? 0) + 1);
    }
    return listening;
  };

  const localConnections = () => [...registry.all()].map(connectionReport);

  const local = (): InstanceReport => ({
    instanceId,
    mode: deps.mode,
    startedAt: deps.startedAt.toISOString(),
    reportedAt: new Date().toISOString(),
    subscriptions: deps.subscriptions(),
    eventsPublished: counters.published,
    eventsDelivered: counters.delivered,
    gatewayEventsSent: counters.gatewayEventsSent,
    gatewaySendFailures: counters.gatewaySendFailures,
    slowConsumerDisconnects: counters.slowConsumerDisconnects,
    connections: registry.size(),
    gatewayListeners: Object.fromEntries(gatewayListeners()),
  });

  const report = async () => {
    try {
      await directory.report(local(), localConnections(), deps.intervalMs * 3);
      if (failing) log.info('cluster report restored');
      failing = false;
    } catch (err) {
      if (!failing) log.warn({ component: 'cluster', err: (err as Error).message }, 'cannot write the cluster report; will retry');
      failing = true;
    }
  };

  // Without Redis the cluster view shrinks to this instance: still an answer.
  const others = async <T extends { instanceId: string }>(read: () => Promise<T[]>): Promise<T[]> =>
    (await read().catch(() => [] as T[])).filter((r) => r.instanceId !== instanceId);

  const instances = async (): Promise<InstanceReport[]> =>
    [local(), ...(await others(() => directory.instances()))].sort((a, b) => a.instanceId.localeCompare(b.instanceId));

  return {
    local,
    instances,
    async connections() {
      return [...localConnections(), ...(await others(() => directory.connections()))];
    },
    async gatewaySubscribers(gatewayIds) {
      const here = gatewayListeners();
      const elsewhere = (await others(() => directory.instances())).map((r) => r.gatewayListeners);
      const counts = new Map<string, number>();
      for (const gatewayId of gatewayIds) {
        let n = here.get(gatewayId) ?? 0;
        for (const listeners of elsewhere) if (Object.hasOwn(listeners, gatewayId)) n += listeners[gatewayId]!;
        if (n > 0) counts.set(gatewayId, n);
      }
      return counts;
    },
    changed() {
      listening = undefined;
      soon ??= setTimeout(() => {
        soon = undefined;
        void report();
      }, 100);
    },
    start() {
      void report();
      timer = setInterval(() => void report(), deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      clearTimeout(soon);
      await directory.remove(instanceId).catch(() => {});
    },
  };
}
