import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { createRedisSubscriptions, type RedisSubscriptions } from './pubsub.js';
import type { RedisClient, RedisTopology } from './topology.js';


/**
 * The Redis connections one instance holds: `command` for reads, writes and
 * publishes, `subscriber` for pub/sub (a subscribed connection cannot run
 * other commands), used through `subscriptions`. Commands fail fast while
 * Redis is away instead of queueing, so work that needs Redis answers
 * SERVICE_UNAVAILABLE at once; both connections keep reconnecting on their
 * own, and an outage is logged once when it starts and once when it ends.
 */
export type RedisConnections = {
  readonly command: RedisClient;
  readonly subscriber: RedisClient;
  readonly subscriptions: RedisSubscriptions;
  readonly keyPrefix: string;
  /**
   * True on a Redis Cluster: one script or transaction may only use keys of
   * one hash slot, and live events go over sharded pub/sub. Keys used
   * together carry one hash tag (`{...}`) whatever the topology, so only the
   * event bus, which numbers events across topics, needs to know.
   */
  readonly sharded: boolean;
  isReady(): boolean;
  /** Resolves when both connections are ready, or after `timeoutMs` whatever their state. */
  whenReady(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
};

const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, 1_000);

const base: RedisOptions = {
  keepAlive: 10_000,
  connectTimeout: 5_000,
  retryStrategy,
  maxRetriesPerRequest: 1,
  lazyConnect: true,
};

// Auto-pipelining batches the commands issued in one tick into one write,
// sent from setImmediate. Publishing is exempt, as a bulk script
// (bulk-script.ts) sent with sendCommand, which auto-pipelining does not
// see: holding each publish for a turn of the event loop is live latency,
// and added 0.1 ms at the median and doubled the 99th percentile of
// publish-to-subscriber in the log benchmark. Every publish is awaited after
// the writes it follows, so going out ahead of a pending batch cannot
// reorder anything.
// A command in flight when the connection drops fails at once rather than
// being sent again after reconnecting: it may have run, and running a publish
// or a counter twice is worse than an error (see mayHaveRun).
const failInFlight = { maxRetriesPerRequest: 0 };
const nodeOptions = (name: string): RedisOptions => ({ keepAlive: 10_000, connectTimeout: 5_000, maxRetriesPerRequest: 1, connectionName: name });

const pipelining = { enableAutoPipelining: true };

/** The setting that named the Redis Herald could not use, for the one line an operator reads. */
const settingOf = { single: 'REDIS_URL', cluster: 'REDIS_CLUSTER_NODES', sentinel: 'REDIS_SENTINELS' } as const;

/** The one place that knows the topology: every store gets the same two connections whatever it is. */
export function createRedisConnections(topology: RedisTopology, keyPrefix: string, log: Logger): RedisConnections {
  const [command, subscriber] = connect(topology);
  const whole = command instanceof Cluster ? watchClusterSlots(command) : null;
  const isReady = () => command.status === 'ready' && subscriber.status === 'ready' && (whole?.served() ?? true);
  watchOutages([command, subscriber], isReady, log, settingOf[topology.kind]);
  // Failing to connect at start is not fatal: /ready reports it and ioredis keeps trying.
  command.connect().catch(() => {});
  subscriber.connect().catch(() => {});
  return {
    command,
    subscriber,
    subscriptions: createRedisSubscriptions(subscriber, log, { slotsRefreshMs: SLOTS_REFRESH_MS }),
    keyPrefix,
    sharded: topology.kind === 'cluster',
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
          clearInterval(poll);
          command.off('ready', check);
          subscriber.off('ready', check);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        // A Cluster's slots may come to be served with no event of either connection.
        const poll = setInterval(check, whole ? 100 : timeoutMs);
        command.on('ready', check);
        subscriber.on('ready', check);
      });
      return isReady();
    },
    async close() {
      whole?.stop();
      await Promise.allSettled([command.quit(), subscriber.quit()]);
      command.disconnect();
      subscriber.disconnect();
    },
  };
}

/** How often a Cluster client reads the slot map again: a slot that moved is followed within this (MOVED is followed at once). */
const SLOTS_REFRESH_MS = 2_000;

function connect(topology: RedisTopology): [RedisClient, RedisClient] {
  if (topology.kind === 'cluster') {
    const options = (name: string, extra: ClusterOptions = {}): ClusterOptions => ({
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      // A failover takes the cluster a node timeout or more: commands meanwhile fail fast (SERVICE_UNAVAILABLE) rather than wait.
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: 2_000,
      slotsRefreshInterval: SLOTS_REFRESH_MS,
      redisOptions: nodeOptions(name),
      ...extra,
    });
    const nodes = topology.nodes.map(({ host, port }) => ({ host, port }));
    return [
      // No auto-pipelining on a Cluster: ioredis groups a batch by the slot of each command's first
      // argument, which for a script whose key count varies is the count, so two such scripts for
      // different slots were refused together as cross-slot (rate limits fell back to local windows);
      // and while the cluster forms, a slot it knows no node of made it throw out of a timer, ending
      // the process.
      // A node's connection reconnects on its own, so that one that drops fails what it had in flight
      // with MaxRetriesPerRequestError (see mayHaveRun). Left to the Cluster, a dropped node connection
      // fails it with "Connection is closed.", which the Cluster sends again blindly after
      // retryDelayOnFailover: a publish that ran would run twice.
      // Each node's connection writes once per tick, as one server's does.
      new Cluster(
        nodes,
        options('herald-command', { clusterNodeRetryStrategy: retryStrategy, redisOptions: { ...nodeOptions('herald-command'), ...failInFlight } }),
      ).on('+node', writeOncePerTick),
      // One subscriber connection per primary for sharded channels (each shard delivers its own), plus one for plain channels.
      new Cluster(nodes, options('herald-subscriber', { shardedSubscribers: true })),
    ];
  }
  const server: RedisOptions =
    topology.kind === 'sentinel'
      ? {
          sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
          name: topology.name,
          sentinelRetryStrategy: retryStrategy,
          // Told by the sentinels as soon as they switch the primary, not only when the old one's connection drops.
          failoverDetector: true,
        }
      : {};
  const open = (options: RedisOptions) =>
    topology.kind === 'single' ? new Redis(topology.url, { ...base, ...options }) : new Redis({ ...base, ...server, ...options });
  return [
    writeOncePerTick(open({ enableOfflineQueue: false, ...pipelining, ...failInFlight, connectionName: 'herald-command' })),
    open({ enableOfflineQueue: false, autoResubscribe: false, connectionName: 'herald-subscriber' }),
  ];
}

/**
 * Commands sent in one tick leave in one write. Each write is a system call,
 * and on a local Redis the writer also pays the kernel's delivery to Redis:
 * a publish written on its own cost a mutation more than its Lua script did.
 * Publishes skip auto-pipelining (they would wait for the next turn of the
 * event loop), but those of requests resumed together (by one reply of
 * pipelined rate-limit checks) are sent in one tick: the socket is corked by
 * the first command of a tick and uncorked once the tick's callbacks and
 * promise continuations have run, so no command waits for another turn of
 * the loop. A command still corked when the connection drops fails as one in
 * flight does (see mayHaveRun).
 */
function writeOncePerTick(client: Redis): Redis {
  let corked: Redis['stream'] | undefined;
  const flush = () => {
    const stream = corked;
    corked = undefined;
    stream?.uncork();
  };
  const send = client.sendCommand;
  client.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    if (corked === undefined && this.status === 'ready' && this.stream) {
      corked = this.stream;
      corked.cork();
      process.nextTick(flush);
    }
    return send.apply(this, args);
  };
  return client;
}

/** Logs an outage once (WARN) when a connection first fails and once when all are back, not on every retry. */
function watchOutages(clients: readonly RedisClient[], isReady: () => boolean, log: Logger, setting: string) {
  let down = false;
  for (const client of clients) {
    client.on('error', (err: Error) => {
      if (!down) log.warn({ component: 'redis', setting, err: reason(err) }, `redis (${setting}) is unreachable; serving what needs no redis, /ready answers 503 until it is back`);
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
 * MaxRetriesPerRequestError, on one server as on a Cluster node). Any other
 * failure means it was not sent.
 */
export const mayHaveRun = (err: unknown): boolean => err instanceof Error && err.name === 'MaxRetriesPerRequestError';

/** How often a Cluster client checks that every slot has a primary that answers. */
const SLOTS_CHECK_MS = 500;
const SLOTS_CHECK_TIMEOUT_MS = 1_000;
const CLUSTER_SLOTS = 16_384;

/**
 * Cluster: whether every slot is served. A primary that dies keeps its slots
 * until a replica is promoted, and meanwhile every key of them fails while
 * the client's connections stay ready; /ready must say so. Served means
 * every slot's owner, as the client maps it, is a primary it holds a
 * connection to, and every such primary answers cluster_state:ok.
 */
function watchClusterSlots(cluster: Cluster): { served(): boolean; stop(): void } {
  let served = true;
  let checking = false;
  const check = async () => {
    if (checking || cluster.status !== 'ready') return;
    checking = true;
    try {
      // Node connections open when first used, and one that dropped is reconnecting: asking each
      // primary below opens it, and gets no answer in time from one that is down.
      const masters = cluster.nodes('master');
      const reachable = new Set(masters.map((node) => `${node.options.host}:${node.options.port}`));
      let owned = masters.length > 0;
      for (let slot = 0; owned && slot < CLUSTER_SLOTS; slot++) owned = reachable.has(cluster.slots[slot]?.[0] ?? '');
      if (!owned) {
        served = false;
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(''), SLOTS_CHECK_TIMEOUT_MS)));
      const states = await Promise.all(masters.map((node) => Promise.race([node.call('CLUSTER', 'INFO').then(String, () => ''), late])));
      clearTimeout(timer);
      served = states.every((info) => info.includes('cluster_state:ok'));
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), SLOTS_CHECK_MS);
  timer.unref();
  const onReady = () => void check();
  cluster.on('ready', onReady);
  return {
    served: () => served,
    stop() {
      clearInterval(timer);
      cluster.off('ready', onReady);
    },
  };
}

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

/** Runs Redis commands, turning a failure of Redis into BackendUnavailableError (SERVICE_UNAVAILABLE for clients). */
export async function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    // What JavaScript throws (a stored record that does not parse, a bug) is no outage: retrying cannot help.
    if (err instanceof SyntaxError || err instanceof TypeError || err instanceof RangeError) throw err;
    throw new BackendUnavailableError((err as Error).message);
  }
}

/** A Cluster that cannot connect reports "Failed to refresh slots cache" and keeps the cause apart. */
function reason(err: Error): string {
  const cause = (err as Error & { lastNodeError?: Error }).lastNodeError;
  return cause ? `${err.message}: ${cause.message}` : err.message;
}
