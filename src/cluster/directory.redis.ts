import { call, type RedisConnections } from '../redis/connections.js';
import type { ClusterDirectory, ConnectionReport, InstanceReport } from './directory.js';

/** Per instance an expiring summary key and an expiring connections key, plus a set of instance ids. */
export function createRedisClusterDirectory(redis: RedisConnections): ClusterDirectory {
  const client = redis.command;
  // One hash tag: an instance's report and the index change in one transaction (one slot in a Redis Cluster).
  const index = `${redis.keyPrefix}{instances}:instances`;
  const summaryKey = (id: string) => `${redis.keyPrefix}{instances}:instance:${id}`;
  const connectionsKey = (id: string) => `${redis.keyPrefix}{instances}:instance-connections:${id}`;

  /** The summaries last read, by their text. */
  let parsed = new Map<string, InstanceReport>();

  /** Reads one key per live instance but `except`, forgetting instances whose keys expired. */
  async function readAll(keyOf: (id: string) => string, except?: string): Promise<string[]> {
    const ids = (await call(() => client.smembers(index))).filter((id) => id !== except);
    if (ids.length === 0) return [];
    const raws = await call(() => client.mget(ids.map(keyOf)));
    const gone = ids.filter((_, i) => raws[i] === null);
    if (gone.length > 0 && keyOf === summaryKey) await call(() => client.srem(index, ...gone));
    return raws.filter((raw): raw is string => raw !== null);
  }

  return {
    async report(summary, connections, ttlMs) {
      const id = summary.instanceId;
      const write = client.multi().set(summaryKey(id), JSON.stringify(summary), 'PX', ttlMs);
      if (connections) write.set(connectionsKey(id), JSON.stringify(connections), 'PX', ttlMs);
      else write.pexpire(connectionsKey(id), ttlMs);
      await call(() => write.sadd(index, id).exec());
    },
    async instances(except) {
      // Every deployment reads the others' summaries, which change only when their instance reports again: each is parsed once.
      const next = new Map<string, InstanceReport>();
      for (const raw of await readAll(summaryKey, except)) next.set(raw, parsed.get(raw) ?? (JSON.parse(raw) as InstanceReport));
      parsed = next;
      return [...next.values()];
    },
    async connections() {
      return (await readAll(connectionsKey)).flatMap((raw) => JSON.parse(raw) as ConnectionReport[]);
    },
    async remove(instanceId) {
      await call(() => client.multi().del(summaryKey(instanceId), connectionsKey(instanceId)).srem(index, instanceId).exec());
    },
  };
}
