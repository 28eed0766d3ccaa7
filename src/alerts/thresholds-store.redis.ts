import { z } from '../zod.js';
import { createJsonHash } from '../redis/json-hash.js';
import type { RedisConnections } from '../redis/connections.js';
import type { ThresholdStore } from './thresholds-store.js';
import { ALERT_SEVERITIES } from './model.js';
import { isThresholdName, type ThresholdSettings } from './thresholds.js';

const stored = z.object({ raise: z.number(), clear: z.number(), severity: z.enum(ALERT_SEVERITIES), enabled: z.boolean() });

/** One hash, threshold name to settings as JSON, shared by every instance. */
export function createRedisThresholdStore(redis: RedisConnections): ThresholdStore {
  const hash = createJsonHash<ThresholdSettings>(redis, 'alert-thresholds', stored);
  return {
    async all() {
      const thresholds: Record<string, ThresholdSettings> = {};
      for (const [name, settings] of await hash.entries()) if (isThresholdName(name)) thresholds[name] = settings;
      return thresholds;
    },
    set: (name, settings) => hash.set(name, settings),
    remove: (name) => hash.remove(name),
  };
}
