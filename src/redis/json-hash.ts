import type { ZodType } from 'zod/v4';
import { call, type RedisConnections } from './connections.js';

/**
 * One Redis hash of JSON values, shared by every instance: the live rate-limit
 * rules, channel definitions and alert thresholds. A value this version cannot
 * read is skipped rather than trusted. `Stored` is what is written, when
 * reading it back (`T`) makes something else of it.
 */
export function createJsonHash<T, Stored = T>(redis: RedisConnections, name: string, schema: ZodType<T, unknown>) {
  const key = `${redis.keyPrefix}${name}`;
  return {
    async entries(): Promise<Array<[field: string, value: T]>> {
      const raw = await call(() => redis.command.hgetall(key));
      const entries: Array<[string, T]> = [];
      for (const [field, json] of Object.entries(raw)) {
        const parsed = schema.safeParse(parseOrUndefined(json));
        if (parsed.success) entries.push([field, parsed.data]);
      }
      return entries;
    },
    async set(field: string, value: Stored): Promise<void> {
      await call(() => redis.command.hset(key, field, JSON.stringify(value)));
    },
    async remove(field: string): Promise<boolean> {
      return (await call(() => redis.command.hdel(key, field))) > 0;
    },
  };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
