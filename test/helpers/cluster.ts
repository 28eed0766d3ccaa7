import { spawnHerald, type HeraldProcess } from './herald.js';
import type { RedisServer } from './redis.js';
import { startTopology, type RedisDeployment, type TopologyName } from './redis-topologies.js';

/** A real Redis deployment and `count` server processes on it, named a, b, c, ... */
export type Cluster = {
  /** The redis-server of a single-server deployment (the default); reading it on another topology is an error. */
  readonly redis: RedisServer;
  readonly deployment: RedisDeployment;
  readonly instances: HeraldProcess[];
  stop(): Promise<void>;
};

/** `topology`: one redis-server (the default), a 3-primary Redis Cluster, or a Sentinel-managed primary. */
export async function startCluster(count: number, env: Record<string, string> = {}, topology: TopologyName = 'single'): Promise<Cluster> {
  const deployment = await startTopology(topology);
  const names = 'abcdefgh'.slice(0, count).split('');
  const instances = await Promise.all(names.map((name) => spawnHerald({ ...deployment.env, HERALD_INSTANCE_ID: name, ...env })));
  return {
    get redis() {
      if (!('server' in deployment)) throw new Error(`cluster.redis is the single server; this cluster runs on ${topology}`);
      return (deployment as { server: RedisServer }).server;
    },
    deployment,
    instances,
    async stop() {
      await Promise.all(instances.map((i) => i.stop()));
      await deployment.stop();
    },
  };
}
