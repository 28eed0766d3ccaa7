import { createJsonHash } from '../redis/json-hash.js';
import type { RedisConnections } from '../redis/connections.js';
import { ruleSchema, type Rule } from './rules.js';
import type { RateLimitStore } from './store.js';

/** One hash, field name to rule as JSON, shared by every instance. */
export function createRedisRateLimitStore(redis: RedisConnections): RateLimitStore {
  const hash = createJsonHash<Rule>(redis, 'ratelimits', ruleSchema);
  return {
    all: async () => Object.fromEntries(await hash.entries()),
    set: (field, rule) => hash.set(field, rule),
    remove: (field) => hash.remove(field),
  };
}
