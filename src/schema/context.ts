import type { Principal } from '../auth/principal.js';
import type { EventBus } from '../events/bus.js';
import type { ControlChannel } from '../events/control.js';
import type { Metrics } from '../metrics.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import type { ApiKeyStore } from '../auth/api-keys.js';
import type { IdempotencyStore } from '../idempotency/store.js';
import type { CliStore } from '../push/store.js';
import type { UrlPolicy } from '../push/url-policy.js';
import type { Hub } from '../events/hub.js';
import type { GatewayService } from '../gateways/service.js';
import type { TaskStore } from '../tasks/store.js';
import type { ClusterView, Counters } from '../cluster/view.js';

/** What resolvers may use. Built once per operation; lives as long as a subscription. */
export type Services = {
  readonly tasks: TaskStore;
  readonly bus: EventBus;
  readonly hub: Hub;
  readonly gateways: GatewayService;
  readonly cluster: ClusterView;
  readonly counters: Counters;
  readonly apiKeys: ApiKeyStore;
  readonly control: ControlChannel;
  readonly metrics: Metrics;
  /** Writes an `audit` log line: who did what to what; never a secret. */
  readonly audit: (entry: Record<string, unknown> & { action: string; principal: string }) => void;
  readonly maxQueuedEvents: number;
  readonly idempotency: IdempotencyStore;
  readonly cli: {
    readonly store: CliStore;
    readonly urlPolicy: UrlPolicy;
    readonly minCliVersion: string | undefined;
    /** Tells the push dispatcher that registrations changed. */
    readonly poke: () => void;
    /** Whether this instance is the one pushing to CLI endpoints. */
    readonly isPushing: () => boolean;
  };
  readonly dedupWindowSeconds: number;
  readonly rateLimits: RateLimiter;
};

/** The transport a subscription runs on, so a stream that overflows can end it. */
export type Channel = {
  /** Ends the consumer's channel because it cannot keep up; `dropped` events were lost to it. */
  readonly dropSlowConsumer: (dropped: number) => void;
};

export type Context = {
  readonly principal: Principal;
  readonly services: Services;
  readonly channel: Channel | undefined;
  /** The WebSocket connection an operation runs on, if any. */
  readonly connectionId: string | undefined;
  /** The CLI registration a WebSocket named in connection_init, if any. */
  readonly cliRegistrationId: string | null;
  /** The caller's address (after TRUST_PROXY): what limits count anonymous callers by. */
  readonly clientIp: string;
};
