import type { Logger } from '../log.js';
import type { ClusterDirectory, ConnectionReport, InstanceReport } from '../store/cluster.js';
import type { Connection, ConnectionRegistry } from './connection-registry.js';

export type Counters = {
  published: number;
  delivered: number;
  gatewayEventsSent: number;
  gatewaySendFailures: number;
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
  /** Connections subscribed to gateway events, per gateway id, cluster-wide. */
  gatewaySubscribers(): Promise<Map<string, number>>;
  /** Asks for a report soon (debounced). */
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
  });

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
    connections: [...registry.all()].map(connectionReport),
  });

  const report = async () => {
    try {
      await directory.report(local(), deps.intervalMs * 3);
      if (failing) log.info('cluster report restored');
      failing = false;
    } catch (err) {
      if (!failing) log.warn({ err: (err as Error).message }, 'cannot write the cluster report');
      failing = true;
    }
  };

  const instances = async (): Promise<InstanceReport[]> => {
    let others: InstanceReport[] = [];
    try {
      others = (await directory.instances()).filter((r) => r.instanceId !== instanceId);
    } catch {
      // Without Redis the cluster view shrinks to this instance; it is still an answer.
    }
    return [local(), ...others].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  };

  return {
    local,
    instances,
    async connections() {
      return (await instances()).flatMap((r) => r.connections);
    },
    async gatewaySubscribers() {
      const counts = new Map<string, number>();
      for (const c of await this.connections()) {
        if (c.gatewayId && c.subscriptions > 0) counts.set(c.gatewayId, (counts.get(c.gatewayId) ?? 0) + 1);
      }
      return counts;
    },
    changed() {
      soon ??= setTimeout(() => {
        soon = undefined;
        void report();
      }, 50);
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
