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
  readonly connections: readonly ConnectionReport[];
};

export interface ClusterDirectory {
  /** Stores this instance's report; it expires after `ttlMs` unless reported again. */
  report(report: InstanceReport, ttlMs: number): Promise<void>;
  /** The reports of every live instance, this one included. */
  instances(): Promise<InstanceReport[]>;
  remove(instanceId: string): Promise<void>;
}
