import { Redis, type RedisOptions } from 'ioredis';
import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { createRedisSubscriptions, type RedisSubscriptions } from './pubsub.js';

/**
 * The Redis connections one instance holds: `command` for reads, writes and
 * publishes, `subscriber` for pub/sub (a subscribed connection cannot run
 * other commands), used through `subscriptions`. Commands fail fast while
 * Redis is away instead of queueing, so work that needs Redis answers
 * SERVICE_UNAVAILABLE at once; both connections keep reconnecting on their
 * own, and an outage is logged once when it starts and once when it ends.
 */
export type RedisConnections = {
  readonly command: Redis;
  readonly subscriber: Redis;
  readonly subscriptions: RedisSubscriptions;
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
    // A command in flight when the connection drops fails at once rather than
    // being sent again after reconnecting: it may have run, and running a
    // publish or a counter twice is worse than an error (see mayHaveRun).
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: [PUBLISH_COMMAND],
    connectionName: 'herald-command',
  });
  const subscriber = new Redis(url, { ...base, enableOfflineQueue: false, autoResubscribe: false, connectionName: 'herald-subscriber' });
  const isReady = () => command.status === 'ready' && subscriber.status === 'ready';
  watchOutages([command, subscriber], isReady, log);
  // Failing to connect at start is not fatal: /ready reports it and ioredis keeps trying.
  command.connect().catch(() => {});
  subscriber.connect().catch(() => {});
  return {
    command,
    subscriber,
    subscriptions: createRedisSubscriptions(subscriber, log),
    keyPrefix,
    isReady,
    async whenReady(timeoutMs) {
      if (isReady()) return true;
      // Not events.once: it rejects on the 'error' a refused connection emits.
      await new Promise<void>((resolve) => {
        const check = () => {
          if (!isReady()) return;
          done();
        };
        const done = () => {
          clearTimeout(timer);
          command.off('ready', check);
          subscriber.off('ready', check);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        command.on('ready', check);
        subscriber.on('ready', check);
      });
      return isReady();
    },
    async close() {
      await Promise.allSettled([command.quit(), subscriber.quit()]);
      command.disconnect();
      subscriber.disconnect();
    },
  };
}

/** Logs an outage once (WARN) when a connection first fails and once when all are back, not on every retry. */
function watchOutages(clients: readonly Redis[], isReady: () => boolean, log: Logger) {
  let down = false;
  for (const client of clients) {
    client.on('error', (err: Error) => {
      if (!down) log.warn({ component: 'redis', err: err.message }, 'redis is unreachable; serving what needs no redis, /ready answers 503 until it is back');
      down = true;
    });
    client.on('ready', () => {
      if (down && isReady()) log.info({ component: 'redis' }, 'redis connection restored');
      if (isReady()) down = false;
    });
  }
}

/**
 * Whether a failed command may have run: it was sent, and the connection
 * dropped before the reply (ioredis then fails what was in flight with
 * MaxRetriesPerRequestError). Any other failure means it was not sent.
 */
export const mayHaveRun = (err: unknown): boolean => err instanceof Error && err.name === 'MaxRetriesPerRequestError';

/** Resolves true once the command connection is ready, false after `timeoutMs`. */
export async function commandReady(redis: Pick<RedisConnections, 'command'>, timeoutMs: number): Promise<boolean> {
  const { command } = redis;
  if (command.status === 'ready') return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      command.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    command.on('ready', done);
  });
  return (command.status as string) === 'ready';
}

/** Runs Redis commands, turning any failure into BackendUnavailableError (SERVICE_UNAVAILABLE for clients). */
export async function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw new BackendUnavailableError((err as Error).message);
  }
}
