import type { Cluster, Redis } from 'ioredis';

export type RedisNode = { readonly host: string; readonly port: number };

/** Which Redis Herald shares its state through: one server, a Cluster (by its seed nodes), or the primary a Sentinel set names. */
export type RedisTopology =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly RedisNode[] }
  | { readonly kind: 'sentinel'; readonly sentinels: readonly RedisNode[]; readonly name: string };

/** One Redis server (single or the primary a Sentinel set names) or a Redis Cluster: the stores use them alike. */
export type RedisClient = Redis | Cluster;
