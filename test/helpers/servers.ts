import { afterAll, beforeAll } from 'vitest';
import type { App } from '../../src/app.js';
import { startCluster, type Cluster } from './cluster.js';
import { startHerald, type Herald, type HeraldProcess } from './herald.js';
import { startRedis, type RedisServer } from './redis.js';
import type { RedisDeployment, TopologyName } from './redis-topologies.js';

/**
 * Servers shared by the tests of the enclosing `describe` block: started in
 * its beforeAll, stopped in its afterAll. What these return can be named at
 * the top of the block and used in the tests; reading it before the servers
 * started is an error that says so.
 */

type Env = Record<string, string>;

/**
 * An in-process server; with `{ redis: true }` on a redis-server of its own.
 * `env` may be a function, called when the server starts, for settings made
 * by an earlier hook (a key pair, a port).
 */
export function useHerald(env: Env | (() => Env) = {}, options: { redis?: boolean } = {}): Herald & { readonly app: App; readonly redis: RedisServer } {
  let herald: (Herald & { app: App }) | undefined;
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    if (options.redis) redis = await startRedis();
    herald = await startHerald({ ...(redis ? { REDIS_URL: redis.url } : {}), ...(typeof env === 'function' ? env() : env) });
  });
  afterAll(async () => {
    await herald?.stop();
    await redis?.stop();
  });
  const server = lazy('useHerald', () => herald);
  return Object.defineProperty(server, 'redis', { get: () => ready('useHerald redis', redis) }) as Herald & { readonly app: App; readonly redis: RedisServer };
}

/** A redis-server (or another Redis topology) and `count` server processes on it, named a, b, c, ... */
export function useCluster(
  count: number,
  env: Record<string, string> = {},
  topology: TopologyName = 'single',
): { readonly instances: HeraldProcess[]; readonly redis: RedisServer; readonly deployment: RedisDeployment } {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(count, env, topology);
  }, 60_000);
  afterAll(() => cluster?.stop());
  return {
    instances: Array.from({ length: count }, (_, i) => lazy('useCluster', () => cluster?.instances[i])),
    redis: lazy('useCluster', () => cluster?.redis),
    deployment: lazy('useCluster', () => cluster?.deployment),
  };
}

function ready<T>(what: string, value: T | undefined): T {
  if (value === undefined) throw new Error(`${what}: the servers start in beforeAll; use them inside tests and hooks`);
  return value;
}

/** An object whose properties are read from `get()` at the time of use (methods bound to it). */
function lazy<T extends object>(what: string, get: () => T | undefined): T {
  return new Proxy({} as T, {
    get(own, key) {
      // Properties defined on the proxy itself (useHerald's `redis`) come first.
      if (Object.hasOwn(own, key)) return Reflect.get(own, key) as unknown;
      const target = ready(what, get());
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has: (_target, key) => key in ready(what, get()),
  });
}
