import { call, type RedisConnections } from '../redis/connections.js';
import type { RevocationStore } from './store.js';

/** One integer key; a Redis that lost it (restarted empty) reads 0, which is a change like any other. */
export function createRedisRevocationStore(redis: RedisConnections): RevocationStore {
  const key = `${redis.keyPrefix}revocations`;
  return {
    bump: () =>
      call(async () => {
        await redis.command.incr(key);
      }),
    generation: () => call(async () => Number((await redis.command.get(key)) ?? 0)),
  };
}
