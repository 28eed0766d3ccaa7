import type { InstanceReport } from '../cluster/directory.js';
import type { ClusterView } from '../cluster/view.js';
import type { Acknowledgements, RecordedDeployment } from '../gateways/acknowledgements.js';
import type { GatewayService } from '../gateways/service.js';
import type { Gateway } from '../gateways/model.js';
import { parseInput } from '../input.js';
import type { PushRegistrations } from '../push/registrations.js';
import type { BreakerState } from '../push/policy.js';
import { listArgs, statsUpdatesArgs } from './input.js';

/** What a stats update hands the GraphQL face: this instance now, and the cluster's reports (read once per update). */
export type StatsSample = {
  readonly local: InstanceReport;
  readonly instances: Promise<InstanceReport[]>;
};

/** A push endpoint as the console shows it: no callback URL (it may carry a secret), only its host. */
export type PushEndpointHealth = {
  readonly id: string;
  readonly name: string | null;
  readonly ownerId: string;
  readonly host: string;
  readonly healthy: boolean | null;
  readonly breakerState: BreakerState['state'];
  readonly delivered: number;
  readonly failed: number;
  /** delivered / (delivered + failed); null before the first outcome. */
  readonly successRate: number | null;
  readonly backlog: number;
};

export type GatewayHealth = {
  readonly gateway: Gateway;
  /** Open connections of the gateway, cluster-wide. */
  readonly connections: number;
  /** The latest heartbeat answer of any of its connections; null without a connection. */
  readonly lastHeartbeatAt: string | null;
  readonly lastDeployment: RecordedDeployment | null;
};

/** One gateway's connections and deliveries, as GET /api/internal/v1/stats lists them. */
export type GatewayStats = {
  readonly id: string;
  readonly name: string;
  readonly connections: readonly { readonly id: string; readonly instanceId: string; readonly connectedAt: string; readonly lastHeartbeatAt: string }[];
  readonly eventsSent: number;
  readonly failedDeliveries: number;
  readonly lastFailureAt: string | null;
  readonly lastFailureReason: string | null;
};

export type ConsoleService = ReturnType<typeof createConsoleService>;

/**
 * What the operators' console reads: stats updates on a timer (one timer per
 * distinct interval, its samples shared by every subscriber of that
 * interval), push endpoints' health and gateways' state.
 */
export function createConsoleService(deps: { cluster: ClusterView; push: PushRegistrations; gateways: GatewayService; acknowledgements: Acknowledgements }) {
  const { cluster } = deps;
  const sample = (): StatsSample => {
    const instances = cluster.instances();
    instances.catch(() => {}); // read by the fields that need it; never left unhandled
    return { local: cluster.local(), instances };
  };
  const tickers = new Map<number, { listeners: Set<(value: StatsSample) => void>; timer: NodeJS.Timeout }>();

  function listen(intervalMs: number, listener: (value: StatsSample) => void): () => void {
    let ticker = tickers.get(intervalMs);
    if (!ticker) {
      const listeners = new Set<(value: StatsSample) => void>();
      const timer = setInterval(() => {
        const value = sample();
        for (const l of listeners) l(value);
      }, intervalMs);
      timer.unref();
      tickers.set(intervalMs, (ticker = { listeners, timer }));
    }
    ticker.listeners.add(listener);
    const own = ticker;
    return () => {
      own.listeners.delete(listener);
      if (own.listeners.size > 0) return;
      clearInterval(own.timer);
      if (tickers.get(intervalMs) === own) tickers.delete(intervalMs);
    };
  }

  return {
    sample,

    /**
     * A sample at once, then one every `intervalMs` (250-60000). A subscriber
     * that reads slower than that gets the newest sample, never a queue of old
     * ones.
     */
    updates(args: unknown): AsyncIterableIterator<StatsSample> {
      const { intervalMs } = parseInput(statsUpdatesArgs, args);
      let pending: StatsSample | undefined = sample();
      let waiting: ((result: IteratorResult<StatsSample>) => void) | undefined;
      let finished = false;
      const stop = listen(intervalMs, (value) => {
        if (waiting) {
          const resolve = waiting;
          waiting = undefined;
          resolve({ value, done: false });
        } else pending = value;
      });
      const end = (): IteratorResult<StatsSample> => {
        if (!finished) {
          finished = true;
          stop();
          waiting?.({ value: undefined, done: true });
          waiting = undefined;
        }
        return { value: undefined, done: true };
      };
      return {
        next() {
          if (finished) return Promise.resolve({ value: undefined, done: true });
          if (pending) {
            const value = pending;
            pending = undefined;
            return Promise.resolve({ value, done: false });
          }
          return new Promise((resolve) => (waiting = resolve));
        },
        return: () => Promise.resolve(end()),
        throw: (err: unknown) => {
          end();
          return Promise.reject(err);
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    },

    async pushEndpoints(args: unknown): Promise<PushEndpointHealth[]> {
      const { first } = parseInput(listArgs, args);
      return (await deps.push.overview(first)).map(({ registration, state }) => {
        const outcomes = state.delivered + state.failed;
        return {
          id: registration.id,
          name: registration.name,
          ownerId: registration.ownerId,
          host: hostOf(registration.callbackUrl),
          healthy: state.healthy,
          breakerState: state.breaker.state,
          delivered: state.delivered,
          failed: state.failed,
          successRate: outcomes === 0 ? null : state.delivered / outcomes,
          backlog: state.backlog ?? 0,
        };
      });
    },

    async gatewayHealth(args: unknown): Promise<GatewayHealth[]> {
      const { first } = parseInput(listArgs, args);
      const [gateways, connections] = await Promise.all([deps.gateways.list(), cluster.connections()]);
      return Promise.all(
        gateways.slice(0, first).map(async (gateway) => {
          const own = connections.filter((c) => c.gatewayId === gateway.id);
          const heartbeats = own.map((c) => c.lastHeartbeatAt).sort();
          return {
            gateway,
            connections: own.length,
            lastHeartbeatAt: heartbeats.at(-1) ?? null,
            lastDeployment: await deps.acknowledgements.latestFor(gateway.id),
          };
        }),
      );
    },

    /** Every gateway with its open connections (cluster-wide) and how its events fared. */
    async gatewayStats(): Promise<GatewayStats[]> {
      const [gateways, connections] = await Promise.all([deps.gateways.list(), cluster.connections()]);
      return Promise.all(
        gateways.map(async (gateway) => ({
          id: gateway.id,
          name: gateway.name,
          connections: connections
            .filter((c) => c.gatewayId === gateway.id)
            .map((c) => ({ id: c.id, instanceId: c.instanceId, connectedAt: c.connectedAt, lastHeartbeatAt: c.lastHeartbeatAt })),
          ...(await deps.gateways.deliveryStats(gateway.id)),
        })),
      );
    },

    /** Stops every timer (at shutdown; subscriptions end with their connections). */
    stop() {
      for (const { timer } of tickers.values()) clearInterval(timer);
      tickers.clear();
    },
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
