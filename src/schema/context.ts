import type { AdminService } from '../admin/service.js';
import type { AlertService } from '../alerts/service.js';
import type { ThresholdWatch } from '../alerts/watch.js';
import type { ApiKeyService } from '../auth/keys.js';
import type { ChannelService } from '../channels/service.js';
import type { Principal } from '../auth/principal.js';
import type { ClusterView } from '../cluster/view.js';
import type { ConsoleService } from '../console/service.js';
import type { EventBus } from '../events/bus.js';
import type { Consumer, Subscriptions } from '../events/subscription.js';
import type { Acknowledgements } from '../gateways/acknowledgements.js';
import type { Deployments } from '../gateways/deployments.js';
import type { GatewayService } from '../gateways/service.js';
import type { Audit } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { PushRegistrations } from '../push/registrations.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import type { DeliveryRecorder, Diagnostics } from '../sessions/diagnostics.js';
import type { TaskService } from '../tasks/service.js';

/** What resolvers may use: the rooms' services. Built once per instance; shared by every operation. */
export type Services = {
  readonly tasks: TaskService;
  readonly channels: ChannelService;
  readonly alerts: AlertService;
  /** Alert thresholds: the rules in force, and live changes to them. */
  readonly thresholds: ThresholdWatch;
  readonly gateways: GatewayService;
  readonly deployments: Deployments;
  readonly acknowledgements: Acknowledgements;
  readonly push: PushRegistrations;
  readonly apiKeys: ApiKeyService;
  readonly admin: AdminService;
  /** The event log, for polling and cursors. */
  readonly bus: EventBus;
  readonly subscriptions: Subscriptions;
  /** Bounds on polling reads (`events`). */
  readonly reads: { readonly maxTopics: number };
  readonly cluster: ClusterView;
  /** What the operators' console reads: stats updates, push endpoints' and gateways' health. */
  readonly console: ConsoleService;
  readonly rateLimits: RateLimiter;
  /** Each WebSocket connection's timeline on this instance (connectionDiagnostics). */
  readonly diagnostics: Diagnostics;
  readonly metrics: Metrics;
  readonly audit: Audit;
};

export type Context = {
  readonly principal: Principal;
  readonly services: Services;
  /** The transport a subscription runs on (WebSocket), so a stream that overflows can end it. */
  readonly channel: Consumer | undefined;
  /** The WebSocket connection an operation runs on, if any. */
  readonly connectionId: string | undefined;
  /** The CLI registration a WebSocket named in connection_init, if any. */
  readonly cliRegistrationId: string | null;
  /** The caller's address (after TRUST_PROXY): what limits count anonymous callers by. */
  readonly clientIp: string;
  /** Where a WebSocket subscription records its deliveries (connectionDiagnostics); undefined elsewhere. */
  readonly deliveries?: DeliveryRecorder | undefined;
};
