import { z } from 'zod';
import { call, type RedisConnections } from '../redis/connections.js';
import type { ThresholdStore } from './thresholds-store.js';
import { ALERT_SEVERITIES } from './model.js';
import { isThresholdName, type ThresholdSettings } from './thresholds.js';

const stored = z.object({ raise: z.number(), clear: z.number(), severity: z.enum(ALERT_SEVERITIES), enabled: z.boolean() });

/** One hash, threshold name to settings as JSON, shared by every instance. */
export function createRedisThresholdStore(redis: RedisConnections): ThresholdStore {
  const key = `${redis.keyPrefix}alert-thresholds`;
  return {
    async all() {
      const raw = await call(() => redis.command.hgetall(key));
      const thresholds: Record<string, ThresholdSettings> = {};
      for (const [name, json] of Object.entries(raw)) {
        // A value this version cannot read is skipped rather than trusted.
        const parsed = stored.safeParse(safeJson(json));
        if (parsed.success && isThresholdName(name)) thresholds[name] = parsed.data;
      }
      return thresholds;
    },
    async set(name, settings) {
      await call(() => redis.command.hset(key, name, JSON.stringify(settings)));
    },
    async remove(name) {
      return (await call(() => redis.command.hdel(key, name))) > 0;
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
