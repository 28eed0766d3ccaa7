import type { ClientKind } from '../auth/client-version.js';

/**
 * What each instance tells the others about itself: its counters and its open
 * connections. Reports expire, so an instance that dies drops out of the
 * cluster view on its own.
 */
export type ConnectionReport = {
  readonly id: string;
  readonly instanceId: string;
  readonly remoteAddress: string;
  readonly connectedAt: string;
  readonly lastHeartbeatAt: string;
  readonly principalKind: string | null;
  readonly principalId: string | null;
  readonly gatewayId: string | null;
  readonly clientName: string | null;
  readonly clientVersion: string | null;
  readonly subscriptions: number;
  readonly eventsSent: number;
  readonly eventsDropped: number;
  readonly heartbeatRttMs: number | null;
  /** 0-100 from round trip, unanswered pings, unsent bytes and dropped events; absent in reports of older instances. */
  readonly healthScore?: number;
  /** Whether the connection has a systemMessages subscription (what notifyConnection reaches). */
  readonly systemMessages: boolean;
  /** Browser, CLI, gateway or service (see auth/client-version.ts); absent in reports of older instances. */
  readonly clientKind?: ClientKind;
};

/** Event families as the console tells them apart: alerts are channel events of type `alert.*`. */
export const TRAFFIC_FAMILIES = ['TASKS', 'GATEWAYS', 'CHANNELS', 'ALERTS', 'OTHER'] as const;
export type TrafficFamily = (typeof TRAFFIC_FAMILIES)[number];

/**
 * What one instance moved in its last few seconds (`windowSeconds`), for the
 * console: counts, summed over the cluster and divided by the window to give
 * rates. `latency` holds, per family, how many deliveries fell in each bucket
 * of the delivery latency histogram (metrics.ts LATENCY_BUCKETS_SECONDS, then
 * one for anything slower), so quantiles can be taken over the whole cluster.
 */
export type TrafficReport = {
  readonly windowSeconds: number;
  readonly published: Readonly<Record<TrafficFamily, number>>;
  readonly delivered: Readonly<Record<TrafficFamily, number>>;
  readonly latency: Readonly<Record<TrafficFamily, readonly number[]>>;
  readonly connects: number;
  readonly disconnects: number;
  readonly rateLimitRefusals: number;
  readonly slowConsumerDisconnects: number;
  readonly eventsDropped: number;
};

export type InstanceReport = {
  readonly instanceId: string;
  readonly mode: 'EMBEDDED' | 'REDIS';
  readonly startedAt: string;
  readonly reportedAt: string;
  readonly subscriptions: number;
  readonly eventsPublished: number;
  readonly eventsDelivered: number;
  readonly gatewayEventsSent: number;
  readonly gatewaySendFailures: number;
  readonly slowConsumerDisconnects: number;
  readonly connections: number;
  /** Connections listening to gateway events, per gateway id. */
  readonly gatewayListeners: Readonly<Record<string, number>>;
  /** Live cliNotifications subscriptions, per CLI registration id (absent from reports of older instances). */
  readonly cliListeners?: Readonly<Record<string, number>>;
  /** Open connections by kind of client; absent in reports of older instances. */
  readonly connectionsByKind?: Readonly<Partial<Record<ClientKind, number>>>;
  /** Operations refused by a rate limit since start. */
  readonly rateLimitRefusals?: number;
  /** Events lost to consumers that fell behind, since start. */
  readonly eventsDropped?: number;
  /** The last few seconds' traffic (see TrafficReport); absent in reports of older instances. */
  readonly traffic?: TrafficReport;
};

/**
 * Summaries and connection lists are stored apart: delivery decisions and
 * stats read only the small summaries; only `connections` reads the lists.
 */
export interface ClusterDirectory {
  /**
   * Stores this instance's report; it expires after `ttlMs` unless reported
   * again. `connections` null: the list stored last still holds, and lives as
   * long as the summary.
   */
  report(summary: InstanceReport, connections: readonly ConnectionReport[] | null, ttlMs: number): Promise<void>;
  /** The summaries of every live instance, but `except` (an instance need not read its own back). */
  instances(except?: string): Promise<InstanceReport[]>;
  /** The connections of every live instance. */
  connections(): Promise<ConnectionReport[]>;
  remove(instanceId: string): Promise<void>;
}
