import { call, type RedisConnections } from '../redis/connections.js';
import { PENDING, type IdempotencyStore } from './store.js';

// Deletes the claim only while it is still pending, never a stored result.
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** One key per idempotency key: SET NX claims it, so only one instance runs the request. */
export function createRedisIdempotencyStore(redis: RedisConnections): IdempotencyStore {
  const client = redis.command as RedisConnections['command'] & { heraldRelease(key: string, pending: string): Promise<number> };
  client.defineCommand('heraldRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  const keyOf = (key: string) => `${redis.keyPrefix}idem:${key}`;
  return {
    claim: (key, ttlSeconds) =>
      call(async () => {
        if ((await client.set(keyOf(key), PENDING, 'EX', ttlSeconds, 'NX')) === 'OK') return { state: 'claimed' };
        const value = await client.get(keyOf(key));
        if (value === null) return { state: 'pending' }; // expired between the two calls: the caller retries
        return value === PENDING ? { state: 'pending' } : { state: 'done', result: value };
      }),
    complete: (key, result, ttlSeconds) =>
      call(async () => {
        await client.set(keyOf(key), result, 'EX', ttlSeconds);
      }),
    release: (key) =>
      call(async () => {
        await client.heraldRelease(keyOf(key), PENDING);
      }),
  };
}
