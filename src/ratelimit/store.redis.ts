import { ruleSchema, type Rule } from './rules.js';
import { call, type RedisConnections } from '../redis/connections.js';
import type { RateLimitStore } from './store.js';

/** One hash, field name to rule as JSON, shared by every instance. */
export function createRedisRateLimitStore(redis: RedisConnections): RateLimitStore {
  const key = `${redis.keyPrefix}ratelimits`;
  return {
    async all() {
      const raw = await call(() => redis.command.hgetall(key));
      const rules: Record<string, Rule> = {};
      for (const [field, json] of Object.entries(raw)) {
        // A value this version cannot read is skipped rather than trusted.
        const parsed = ruleSchema.safeParse(safeJson(json));
        if (parsed.success) rules[field] = parsed.data;
      }
      return rules;
    },
    async set(field, rule) {
      await call(() => redis.command.hset(key, field, JSON.stringify(rule)));
    },
    async remove(field) {
      return (await call(() => redis.command.hdel(key, field))) > 0;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
