import { spawnHerald, type HeraldProcess } from './herald.js';
import { startRedis, type RedisServer } from './redis.js';

/** A real redis-server and `count` server processes on it, named a, b, c, ... */
export type Cluster = { readonly redis: RedisServer; readonly instances: HeraldProcess[]; stop(): Promise<void> };

export async function startCluster(count: number, env: Record<string, string> = {}): Promise<Cluster> {
  const redis = await startRedis();
  const names = 'abcdefgh'.slice(0, count).split('');
  const instances = await Promise.all(names.map((name) => spawnHerald({ REDIS_URL: redis.url, HERALD_INSTANCE_ID: name, ...env })));
  return {
    redis,
    instances,
    async stop() {
      await Promise.all(instances.map((i) => i.stop()));
      await redis.stop();
    },
  };
}
