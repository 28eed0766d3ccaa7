import { clientKindOf, type ClientKind } from '../auth/client-version.js';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../log.js';
import type { ClusterDirectory, ConnectionReport, InstanceReport, TrafficReport } from './directory.js';

/** This instance's counters since it started, as its report carries them. */
export type Counters = {
  published: number;
  delivered: number;
  gatewayEventsSent: number;
  gatewaySendFailures: number;
  slowConsumerDisconnects: number;
  /** Connections let in (connection_init accepted), and those of them that closed since. */
  connectionsOpened: number;
  connectionsClosed: number;
  rateLimitRefusals: number;
  eventsDropped: number;
};

export const newCounters = (): Counters => ({
  published: 0,
  delivered: 0,
  gatewayEventsSent: 0,
  gatewaySendFailures: 0,
  slowConsumerDisconnects: 0,
  connectionsOpened: 0,
  connectionsClosed: 0,
  rateLimitRefusals: 0,
  eventsDropped: 0,
});

/** What the view reads of one of this instance's connections (the transport owns them). */
export type LocalConnection = {
  readonly id: string;
  readonly remoteAddress: string;
  readonly connectedAt: Date;
  readonly lastHeartbeatAt: Date;
  readonly principal: Principal | null;
  readonly clientName: string | null;
  readonly clientVersion: string | null;
  readonly cliRegistrationId: string | null;
  readonly browser: boolean;
  readonly subscriptions: { readonly size: number };
  readonly eventsSent: number;
  readonly eventsDropped: number;
  readonly heartbeatRttMs: number | null;
  /** 0-100 (sessions/health.ts). */
  readonly health: () => number;
};

/**
 * This instance's view of the cluster: its own state, always fresh, plus the
 * latest report of every other live instance. Reports are written every
 * interval and soon after a connection opens or closes; they expire after
 * three intervals, so a dead instance disappears on its own. A report's
 * connection list comes less often (see report below).
 */
export type ClusterView = {
  local(): InstanceReport;
  instances(): Promise<InstanceReport[]>;
  connections(): Promise<ConnectionReport[]>;
  /** Connections subscribed to gateway events, cluster-wide, for those of the gateways that have any. */
  gatewaySubscribers(gatewayIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Live cliNotifications subscriptions of a CLI registration, cluster-wide:
   * this instance's now, the others' as they last reported (a report follows
   * within a moment of a WebSocket subscription starting or ending, and every
   * interval).
   */
  cliListeners(registrationId: string): Promise<number>;
  /**
   * Asks for a report soon (debounced). To be called whenever a connection
   * opens or closes or a subscription starts or ends: local listener counts
   * are recounted only then.
   */
  changed(): void;
  start(): void;
  stop(): Promise<void>;
};

/** Reports between two that carry the connection list when no connection opened or closed. */
const LIST_REFRESH_REPORTS = 5;
/** After a change, the list goes out again once this many times what making it last took has passed. */
const LIST_SPACING = 200;

export function createClusterView(deps: {
  instanceId: string;
  mode: 'EMBEDDED' | 'REDIS';
  startedAt: Date;
  /** This instance's open connections, read fresh whenever a report is made. */
  connections: () => Iterable<LocalConnection>;
  /** Whether one of this instance's connections has a systemMessages subscription. */
  hearsSystemMessages: (connectionId: string) => boolean;
  connectionCount: () => number;
  directory: ClusterDirectory;
  counters: Counters;
  subscriptions: () => number;
  /** This instance's live cliNotifications subscriptions, per registration id. */
  cliListeners: () => ReadonlyMap<string, number>;
  /** The last few seconds' traffic of this instance, for the console. */
  traffic: () => TrafficReport;
  intervalMs: number;
  log: Logger;
}): ClusterView {
  const { instanceId, directory, counters, log } = deps;
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  let stopped = false;
  /** A report in `delayMs`, unless one is due sooner already (debounced). */
  const reportSoon = (delayMs: number) => {
    if (stopped) return;
    soon ??= setTimeout(() => {
      soon = undefined;
      void report();
    }, delayMs);
  };
  let failing = false;

  const connectionReport = (c: LocalConnection): ConnectionReport => ({
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
    healthScore: c.health(),
    systemMessages: deps.hearsSystemMessages(c.id),
    clientKind: kindOf(c),
  });
  const kindOf = (c: LocalConnection) =>
    clientKindOf({ principalKind: c.principal?.kind ?? null, name: c.clientName, browser: c.browser, cliRegistrationId: c.cliRegistrationId });
  const byKind = () => {
    const counts: Partial<Record<ClientKind, number>> = {};
    for (const c of deps.connections()) {
      const kind = kindOf(c);
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    return counts;
  };

  // Counted once per change rather than per dispatch, which would cost every
  // connection of the instance for each deployment.
  let listening: Map<string, number> | undefined;
  const gatewayListeners = () => {
    if (listening) return listening;
    listening = new Map();
    for (const c of deps.connections()) {
      if (c.principal?.kind === 'gateway' && c.subscriptions.size > 0) listening.set(c.principal.gatewayId, (listening.get(c.principal.gatewayId) ?? 0) + 1);
    }
    return listening;
  };

  const localConnections = () => [...deps.connections()].map(connectionReport);

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
    connections: deps.connectionCount(),
    gatewayListeners: Object.fromEntries(gatewayListeners()),
    cliListeners: Object.fromEntries(deps.cliListeners()),
    connectionsByKind: byKind(),
    rateLimitRefusals: counters.rateLimitRefusals,
    eventsDropped: counters.eventsDropped,
    traffic: deps.traffic(),
  });

  // The connection list costs its instance about 7 ms per 1000 connections
  // to make and send, and serves only the console and the connections
  // queries. After a connection opens or closes it goes out with the next
  // report once LIST_SPACING times what making it last took has passed (so
  // that churn costs at most about 1 % of a core), and otherwise every
  // LIST_REFRESH_REPORTS reports, for the counters it carries. The summary,
  // which routes deliveries, goes out soon after every change.
  let listChanged = true;
  let listSentAt = -Infinity;
  let listCostMs = 0;
  const listDue = () => {
    const since = Date.now() - listSentAt;
    return since >= deps.intervalMs * LIST_REFRESH_REPORTS || (listChanged && since >= listCostMs * LIST_SPACING);
  };
  const report = async () => {
    let list: ConnectionReport[] | null = null;
    if (listDue()) {
      const started = performance.now();
      list = localConnections();
      listCostMs = performance.now() - started;
      listChanged = false;
      listSentAt = Date.now();
    }
    try {
      await directory.report(local(), list, deps.intervalMs * 3);
      // A change the list could not carry yet: it goes out as soon as it may.
      if (list === null && listChanged) reportSoon(Math.max(100, listSentAt + listCostMs * LIST_SPACING - Date.now()));
      if (failing) log.info('cluster report restored');
      failing = false;
    } catch (err) {
      if (!failing) log.warn({ component: 'cluster', err: (err as Error).message }, 'cannot write the cluster report; will retry');
      failing = true;
      listSentAt = -Infinity; // the stored list may have expired meanwhile: the next report sends it
    }
  };

  // Without Redis the cluster view shrinks to this instance: still an answer.
  const others = async <T extends { instanceId: string }>(read: () => Promise<T[]>): Promise<T[]> =>
    (await read().catch(() => [] as T[])).filter((r) => r.instanceId !== instanceId);

  const instances = async (): Promise<InstanceReport[]> =>
    [local(), ...(await others(() => directory.instances(instanceId)))].sort((a, b) => a.instanceId.localeCompare(b.instanceId));

  return {
    local,
    instances,
    async connections() {
      return [...localConnections(), ...(await others(() => directory.connections()))];
    },
    async gatewaySubscribers(gatewayIds) {
      const here = gatewayListeners();
      const elsewhere = (await others(() => directory.instances(instanceId))).map((r) => r.gatewayListeners);
      const counts = new Map<string, number>();
      for (const gatewayId of gatewayIds) {
        let n = here.get(gatewayId) ?? 0;
        for (const listeners of elsewhere) if (Object.hasOwn(listeners, gatewayId)) n += listeners[gatewayId]!;
        if (n > 0) counts.set(gatewayId, n);
      }
      return counts;
    },
    async cliListeners(registrationId) {
      let n = deps.cliListeners().get(registrationId) ?? 0;
      for (const report of await others(() => directory.instances(instanceId))) n += report.cliListeners?.[registrationId] ?? 0;
      return n;
    },
    changed() {
      listening = undefined;
      listChanged = true;
      reportSoon(100);
    },
    start() {
      void report();
      timer = setInterval(() => void report(), deps.intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(soon);
      await directory.remove(instanceId).catch(() => {});
    },
  };
}
