import type { Principal } from '../auth/principal.js';
import type { EventBus } from '../events/bus.js';
import type { Hub } from '../events/hub.js';
import type { GatewayService } from '../gateways/service.js';
import type { TaskStore } from '../store/tasks.js';
import type { ClusterView, Counters } from '../transport/cluster-view.js';

/** What resolvers may use. Built once per operation; lives as long as a subscription. */
export type Services = {
  readonly tasks: TaskStore;
  readonly bus: EventBus;
  readonly hub: Hub;
  readonly gateways: GatewayService;
  readonly cluster: ClusterView;
  readonly counters: Counters;
  readonly maxQueuedEvents: number;
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
