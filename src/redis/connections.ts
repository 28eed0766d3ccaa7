import { once } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * The Redis connections one instance holds: `command` for reads, writes and
 * publishes, `subscriber` for pub/sub (a subscribed connection cannot run
 * other commands). Commands fail fast while Redis is away instead of queueing,
 * so a mutation answers SERVICE_UNAVAILABLE at once; the subscriber keeps its
 * queue so that subscriptions made during an outage start when Redis is back.
 */
export type RedisConnections = {
  readonly command: Redis;
  readonly subscriber: Redis;
  readonly keyPrefix: string;
  isReady(): boolean;
  /** Resolves when both connections are ready, or after `timeoutMs` whatever their state. */
  whenReady(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
};

const base: RedisOptions = {
  keepAlive: 10_000,
  connectTimeout: 5_000,
  retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1_000),
  maxRetriesPerRequest: 1,
  lazyConnect: true,
};

/** The event bus's publish script (events/bus.redis.ts), named here because the command connection treats it apart. */
export const PUBLISH_COMMAND = 'heraldPublish';

export function createRedisConnections(url: string, keyPrefix: string, log: Logger): RedisConnections {
  // Auto-pipelining batches the commands issued in one tick into one write,
  // sent from setImmediate. Publishing is exempt: holding each publish for a
  // turn of the event loop is live latency, and added 0.1 ms at the median
  // and doubled the 99th percentile of publish-to-subscriber in the log
  // benchmark. Every publish is awaited after the writes it follows, so going
  // out ahead of a pending batch cannot reorder anything.
  const command = new Redis(url, {
    ...base,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: [PUBLISH_COMMAND],
    connectionName: 'herald-command',
  });
  const subscriber = new Redis(url, { ...base, enableOfflineQueue: true, connectionName: 'herald-subscriber' });
  watch(command, 'command', log);
  watch(subscriber, 'subscriber', log);
  // Failing to connect at start is not fatal: /ready reports it and ioredis keeps trying.
  command.connect().catch(() => {});
  subscriber.connect().catch(() => {});
  return {
    command,
    subscriber,
    keyPrefix,
    isReady: () => command.status === 'ready' && subscriber.status === 'ready',
    async whenReady(timeoutMs) {
      const ready = (client: Redis) => (client.status === 'ready' ? Promise.resolve() : once(client, 'ready'));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.all([ready(command), ready(subscriber)]), timeout]);
      clearTimeout(timer);
      return command.status === 'ready' && subscriber.status === 'ready';
    },
    async close() {
      await Promise.allSettled([command.quit(), subscriber.quit()]);
      command.disconnect();
      subscriber.disconnect();
    },
  };
}

/** Logs an outage once when it starts and once when it ends, not on every retry. */
function watch(client: Redis, role: string, log: Logger) {
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) log.error({ redis: role, err: err.message }, 'redis connection lost');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info({ redis: role }, 'redis connection restored');
    down = false;
  });
}

/** Runs Redis commands, turning any failure into BackendUnavailableError (SERVICE_UNAVAILABLE for clients). */
export async function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw new BackendUnavailableError((err as Error).message);
  }
}
