import type { Principal } from '../auth/principal.js';
import type { EventBus } from '../events/bus.js';
import type { Hub } from '../events/hub.js';
import type { TaskStore } from '../store/tasks.js';

/** What resolvers may use. Built once per operation; lives as long as a subscription. */
export type Services = {
  readonly tasks: TaskStore;
  readonly bus: EventBus;
  readonly hub: Hub;
  readonly stats: StatsSource;
  readonly maxQueuedEvents: number;
};

export type ServerMode = 'EMBEDDED' | 'REDIS';

export type InstanceStats = {
  readonly instanceId: string;
  readonly mode: ServerMode;
  readonly startedAt: Date;
  readonly connections: number;
  readonly subscriptions: number;
  readonly eventsPublished: number;
  readonly eventsDelivered: number;
};

export type ConnectionView = {
  readonly id: string;
  readonly remoteAddress: string;
  readonly connectedAt: Date;
  readonly lastHeartbeatAt: Date;
  readonly principalId: string | null;
  readonly clientName: string | null;
  readonly clientVersion: string | null;
  readonly subscriptions: number;
};

export type StatsSource = {
  instance(): InstanceStats;
  connections(): ConnectionView[];
  countPublished(): void;
};

/** The transport a subscription runs on, so a stream that overflows can end it. */
export type Channel = {
  /** Ends the consumer's channel because it cannot keep up. */
  readonly dropSlowConsumer: () => void;
};

export type Context = {
  readonly principal: Principal;
  readonly services: Services;
  readonly channel: Channel | undefined;
};
