import type { ApiKeyStore } from './auth/api-keys.js';
import { createMemoryApiKeyStore } from './auth/api-keys.memory.js';
import { createRedisApiKeyStore } from './auth/api-keys.redis.js';
import type { AlertStore } from './alerts/store.js';
import { createMemoryAlertStore } from './alerts/store.memory.js';
import { createRedisAlertStore } from './alerts/store.redis.js';
import type { ThresholdStore } from './alerts/thresholds-store.js';
import { createMemoryThresholdStore } from './alerts/thresholds-store.memory.js';
import { createRedisThresholdStore } from './alerts/thresholds-store.redis.js';
import type { ChannelStore } from './channels/store.js';
import { createMemoryChannelStore } from './channels/store.memory.js';
import { createRedisChannelStore } from './channels/store.redis.js';
import type { ClusterDirectory } from './cluster/directory.js';
import { createMemoryClusterDirectory } from './cluster/directory.memory.js';
import { createRedisClusterDirectory } from './cluster/directory.redis.js';
import type { Config } from './config.js';
import type { EventBus, RetentionOf } from './events/bus.js';
import { createMemoryBus } from './events/bus.memory.js';
import { createRedisBus } from './events/bus.redis.js';
import type { ControlChannel } from './events/control.js';
import { createMemoryControlChannel } from './events/control.memory.js';
import { createRedisControlChannel } from './events/control.redis.js';
import type { DeploymentStore } from './gateways/acknowledgements.js';
import { createMemoryDeploymentStore } from './gateways/deployments.memory.js';
import { createRedisDeploymentStore } from './gateways/deployments.redis.js';
import type { GatewayStore } from './gateways/store.js';
import { createMemoryGatewayStore } from './gateways/store.memory.js';
import { createRedisGatewayStore } from './gateways/store.redis.js';
import type { IdempotencyStore } from './idempotency/store.js';
import { createMemoryIdempotencyStore } from './idempotency/store.memory.js';
import { createRedisIdempotencyStore } from './idempotency/store.redis.js';
import type { Logger } from './log.js';
import type { Leadership } from './push/leader.js';
import { alwaysLeader } from './push/leader.memory.js';
import { redisLeadership } from './push/leader.redis.js';
import type { CliStore } from './push/store.js';
import { createMemoryCliStore } from './push/store.memory.js';
import { createRedisCliStore } from './push/store.redis.js';
import type { RateLimitStore } from './ratelimit/store.js';
import { createMemoryRateLimitStore } from './ratelimit/store.memory.js';
import { createRedisRateLimitStore } from './ratelimit/store.redis.js';
import type { SharedWindows } from './ratelimit/windows.js';
import { createRedisWindows } from './ratelimit/windows.redis.js';
import { createRedisConnections, type RedisConnections } from './redis/connections.js';
import type { RevocationStore } from './sessions/store.js';
import { createMemoryRevocationStore } from './sessions/store.memory.js';
import { createRedisRevocationStore } from './sessions/store.redis.js';
import type { TaskStore } from './tasks/store.js';
import { createMemoryTaskStore } from './tasks/store.memory.js';
import { createRedisTaskStore } from './tasks/store.redis.js';

/** Every store and channel a room is handed, memory or Redis alike. */
export type Backends = {
  /** Null in embedded mode. */
  readonly redis: RedisConnections | null;
  readonly bus: EventBus;
  readonly control: ControlChannel;
  readonly tasks: TaskStore;
  readonly gateways: GatewayStore;
  readonly apiKeys: ApiKeyStore;
  readonly cli: CliStore;
  readonly idempotency: IdempotencyStore;
  readonly directory: ClusterDirectory;
  readonly rateLimitRules: RateLimitStore;
  /** Rate-limit windows every instance shares; null in embedded mode, where local windows are the limit. */
  readonly rateLimitWindows: SharedWindows | null;
  readonly leadership: Leadership;
  /** The revocation generation (sessions/store.ts). */
  readonly revocations: RevocationStore;
  /** Channels defined live. */
  readonly channels: ChannelStore;
  readonly alerts: AlertStore;
  /** Alert thresholds set live. */
  readonly thresholds: ThresholdStore;
  /** Deployments kept for gateways to confirm. */
  readonly deployments: DeploymentStore;
};

/**
 * The one place that chooses between the embedded (memory) and the Redis
 * implementation of each backend. `retentionOf` tells the event log how long
 * a topic's events are kept where a channel keeps its own.
 */
export function createBackends(config: Config, instanceId: string, log: Logger, retentionOf?: RetentionOf): Backends {
  const retention = { count: config.events.retentionCount, seconds: config.events.retentionSeconds };
  const redis = config.redis ? createRedisConnections(config.redis.topology, config.redis.keyPrefix, log) : null;
  if (!redis) {
    return {
      redis,
      bus: createMemoryBus(retention, undefined, retentionOf),
      control: createMemoryControlChannel(),
      tasks: createMemoryTaskStore(),
      gateways: createMemoryGatewayStore(),
      apiKeys: createMemoryApiKeyStore(),
      cli: createMemoryCliStore(),
      idempotency: createMemoryIdempotencyStore({ log }),
      directory: createMemoryClusterDirectory(),
      rateLimitRules: createMemoryRateLimitStore(),
      rateLimitWindows: null,
      leadership: alwaysLeader(),
      revocations: createMemoryRevocationStore(),
      channels: createMemoryChannelStore(),
      alerts: createMemoryAlertStore(),
      thresholds: createMemoryThresholdStore(),
      deployments: createMemoryDeploymentStore(),
    };
  }
  return {
    redis,
    bus: createRedisBus(redis, log, retention, retentionOf),
    control: createRedisControlChannel(redis, log),
    tasks: createRedisTaskStore(redis),
    gateways: createRedisGatewayStore(redis),
    apiKeys: createRedisApiKeyStore(redis),
    cli: createRedisCliStore(redis),
    idempotency: createRedisIdempotencyStore(redis),
    directory: createRedisClusterDirectory(redis),
    rateLimitRules: createRedisRateLimitStore(redis),
    rateLimitWindows: createRedisWindows(redis, instanceId),
    leadership: redisLeadership(redis, instanceId, config.push.leaderTtlMs),
    revocations: createRedisRevocationStore(redis),
    channels: createRedisChannelStore(redis),
    alerts: createRedisAlertStore(redis),
    thresholds: createRedisThresholdStore(redis),
    deployments: createRedisDeploymentStore(redis),
  };
}
