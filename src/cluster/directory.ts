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
  /** Whether the connection has a systemMessages subscription (what notifyConnection reaches). */
  readonly systemMessages: boolean;
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
};

/**
 * Summaries and connection lists are stored apart: delivery decisions and
 * stats read only the small summaries; only `connections` reads the lists.
 */
export interface ClusterDirectory {
  /** Stores this instance's report; it expires after `ttlMs` unless reported again. */
  report(summary: InstanceReport, connections: readonly ConnectionReport[], ttlMs: number): Promise<void>;
  /** The summaries of every live instance. */
  instances(): Promise<InstanceReport[]>;
  /** The connections of every live instance. */
  connections(): Promise<ConnectionReport[]>;
  remove(instanceId: string): Promise<void>;
}
