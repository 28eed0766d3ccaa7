import { BackendUnavailableError } from '../errors.js';
import type { RedisConnections } from '../redis/connections.js';
import type { ClusterDirectory, InstanceReport } from './cluster.js';

/** One expiring key per instance, plus a set of instance ids to find them. */
export function createRedisClusterDirectory(redis: RedisConnections): ClusterDirectory {
  const client = redis.command;
  const index = `${redis.keyPrefix}instances`;
  const keyOf = (id: string) => `${redis.keyPrefix}instance:${id}`;
  return {
    async report(report, ttlMs) {
      await call(() => client.multi().set(keyOf(report.instanceId), JSON.stringify(report), 'PX', ttlMs).sadd(index, report.instanceId).exec());
    },
    async instances() {
      const ids = await call(() => client.smembers(index));
      if (ids.length === 0) return [];
      const raws = await call(() => client.mget(ids.map(keyOf)));
      const gone = ids.filter((_, i) => raws[i] === null);
      if (gone.length > 0) await call(() => client.srem(index, ...gone));
      return raws.filter((raw): raw is string => raw !== null).map((raw) => JSON.parse(raw) as InstanceReport);
    },
    async remove(instanceId) {
      await call(() => client.multi().del(keyOf(instanceId)).srem(index, instanceId).exec());
    },
  };
}

async function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw new BackendUnavailableError((err as Error).message);
  }
}
