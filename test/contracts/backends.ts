import { pino } from 'pino';
import { afterAll, beforeAll, describe } from 'vitest';
import { createRedisConnections, type RedisConnections } from '../../src/redis/connections.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startRedisCluster, type RedisClusterDeployment } from '../helpers/redis-topologies.js';

/**
 * One contract suite, every implementation: `contract` runs a suite once per
 * backend, each run building its stores through `make`.
 *
 *   contract('GatewayStore', {
 *     memory: () => createMemoryGatewayStore(),
 *     redis: (redis) => createRedisGatewayStore(redis),
 *   }, (make) => {
 *     it('...', async () => { const store = await make(); ... });
 *   });
 *
 * The Redis backend starts one redis-server for the test file (before its
 * first Redis suite) and stops it after the file, closing every connection
 * made; the Redis Cluster backend (`redis-cluster`, the same Redis makers)
 * likewise one 3-primary Redis Cluster, so every script and transaction is
 * also run where keys of different hash slots cannot be used together. Each `make()` gets a key prefix of its own, so no two stores (in one
 * suite or across suites) see each other's keys; instances that must share
 * state, as the instances of one deployment do, come from `cluster()`.
 */

export const silent = pino({ level: 'silent' });

export type BackendName = 'memory' | 'redis' | 'redis-cluster';

/** How each backend builds the store; `args` are whatever the suite passes to `make`. */
export type Makers<T, A extends unknown[]> = {
  readonly memory?: (...args: A) => T | Promise<T>;
  readonly redis?: (redis: RedisConnections, ...args: A) => T | Promise<T>;
};

export type Make<T, A extends unknown[]> = (...args: A) => Promise<T>;

export type Backend<T, A extends unknown[]> = {
  readonly name: BackendName;
  /** A store on state of its own, which nothing made before or after sees. */
  readonly make: Make<T, A>;
  /**
   * Makes the instances of one deployment, sharing one state. Redis: one key
   * prefix, each instance on connections of its own. Memory: a deployment is
   * one process, so every call returns the store its first call made.
   */
  cluster(): Make<T, A>;
};

let server: Promise<RedisServer> | undefined;
let clusterServers: Promise<RedisClusterDeployment> | undefined;
let opened: RedisConnections[] = [];
let prefixes = 0;
let hooked = false;

/** The file's redis-server: started by the first Redis suite, stopped after the file. */
const startServer = () => (server ??= startRedis());

/** The file's Redis Cluster: started by the first Redis Cluster suite, stopped after the file. */
const startClusterServers = () => (clusterServers ??= startRedisCluster());

/** Connections on the file's redis-server (or Redis Cluster), with every key under `prefix`; closed after the file. */
async function connect(prefix: string, onCluster = false): Promise<RedisConnections> {
  const topology = onCluster
    ? { kind: 'cluster' as const, nodes: (await startClusterServers()).seeds.split(',').map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })) }
    : { kind: 'single' as const, url: (await startServer()).url };
  const connections = createRedisConnections(topology, prefix, silent);
  opened.push(connections);
  if (!(await connections.whenReady(5_000))) throw new Error('redis did not become ready');
  return connections;
}

/** A key prefix no other store of this file uses. */
const freshPrefix = (label: string) => `${label.replace(/\W+/g, '-')}:${++prefixes}:`;

/** Closes every connection and stops the server once the file's suites are done. Registered by the first suite. */
function stopAfterFile() {
  if (hooked) return;
  hooked = true;
  afterAll(async () => {
    const closing = opened;
    opened = [];
    await Promise.all(closing.map((c) => c.close()));
    const running = server;
    const runningCluster = clusterServers;
    server = undefined;
    clusterServers = undefined;
    hooked = false;
    if (running) await (await running).stop();
    if (runningCluster) await (await runningCluster).stop();
  });
}

function backend<T, A extends unknown[]>(suite: string, name: BackendName, makers: Makers<T, A>): Backend<T, A> {
  if (name === 'memory') {
    const build = makers.memory!;
    return {
      name,
      make: async (...args) => build(...args),
      cluster() {
        let one: Promise<T> | undefined;
        return (...args) => (one ??= Promise.resolve(build(...args)));
      },
    };
  }
  const build = makers.redis!;
  const onCluster = name === 'redis-cluster';
  return {
    name,
    make: async (...args) => build(await connect(freshPrefix(suite), onCluster), ...args),
    cluster() {
      const prefix = freshPrefix(suite);
      return async (...args) => build(await connect(prefix, onCluster), ...args);
    },
  };
}

/**
 * Runs `suite` once for each backend given (`<name> contract (memory)`, then
 * `(redis)`). Call it at the top level of a test file.
 */
export function contract<T, A extends unknown[] = []>(
  name: string,
  makers: Makers<T, A>,
  suite: (make: Make<T, A>, backend: Backend<T, A>) => void,
): void {
  stopAfterFile();
  const names = (['memory', 'redis', 'redis-cluster'] as const).filter((n) => makers[n === 'redis-cluster' ? 'redis' : n] !== undefined);
  describe.each(names)(`${name} contract (%s)`, (which) => {
    if (which === 'redis') beforeAll(startServer);
    if (which === 'redis-cluster') beforeAll(startClusterServers, 30_000);
    const b = backend(name, which, makers);
    suite(b.make, b);
  });
}

/**
 * What only the Redis implementation promises (expiry, several instances on
 * one Redis), on one redis-server and on a Redis Cluster; `on` narrows that
 * for a suite that handles one topology's connections itself.
 */
export function redisOnly<T, A extends unknown[] = []>(
  name: string,
  redis: NonNullable<Makers<T, A>['redis']>,
  suite: (make: Make<T, A>, backend: Backend<T, A>) => void,
  on: ReadonlyArray<'redis' | 'redis-cluster'> = ['redis', 'redis-cluster'],
): void {
  stopAfterFile();
  describe.each(on)(`${name} (%s only)`, (which) => {
    beforeAll(which === 'redis' ? startServer : startClusterServers, 30_000);
    const b = backend(name, which, { redis });
    suite(b.make, b);
  });
}

/** Resolves once `ms` have passed on the wall clock (a timer alone may fire a little early). */
export async function elapse(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) await new Promise((resolve) => setTimeout(resolve, until - Date.now()));
}

/**
 * Resolves once a Redis key given `ttlMs` before this call has expired. Redis
 * keeps a key through the last millisecond of its ttl (it expires once the
 * clock is past it), hence the one millisecond more.
 */
export const outlive = (ttlMs: number) => elapse(ttlMs + 1);
