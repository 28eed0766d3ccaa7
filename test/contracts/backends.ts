import { pino } from 'pino';
import { afterAll, beforeAll, describe } from 'vitest';
import { createRedisConnections, type RedisConnections } from '../../src/redis/connections.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

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
 * made. Each `make()` gets a key prefix of its own, so no two stores (in one
 * suite or across suites) see each other's keys; instances that must share
 * state, as the instances of one deployment do, come from `cluster()`.
 */

export const silent = pino({ level: 'silent' });

export type BackendName = 'memory' | 'redis';

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
let opened: RedisConnections[] = [];
let prefixes = 0;
let hooked = false;

/** The file's redis-server: started by the first Redis suite, stopped after the file. */
const startServer = () => (server ??= startRedis());

/** Connections on the file's redis-server, with every key under `prefix`; closed after the file. */
async function connect(prefix: string): Promise<RedisConnections> {
  const connections = createRedisConnections({ kind: 'single', url: (await startServer()).url }, prefix, silent);
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
    server = undefined;
    hooked = false;
    if (running) await (await running).stop();
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
  return {
    name,
    make: async (...args) => build(await connect(freshPrefix(suite)), ...args),
    cluster() {
      const prefix = freshPrefix(suite);
      return async (...args) => build(await connect(prefix), ...args);
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
  const names = (['memory', 'redis'] as const).filter((n) => makers[n] !== undefined);
  describe.each(names)(`${name} contract (%s)`, (which) => {
    if (which === 'redis') beforeAll(startServer);
    const b = backend(name, which, makers);
    suite(b.make, b);
  });
}

/** What only the Redis implementation promises (expiry, several instances on one Redis). */
export function redisOnly<T, A extends unknown[] = []>(
  name: string,
  redis: NonNullable<Makers<T, A>['redis']>,
  suite: (make: Make<T, A>, backend: Backend<T, A>) => void,
): void {
  stopAfterFile();
  describe(`${name} (redis only)`, () => {
    beforeAll(startServer);
    const b = backend(name, 'redis', { redis });
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
