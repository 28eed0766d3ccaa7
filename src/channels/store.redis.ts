import { call, type RedisConnections } from '../redis/connections.js';
import { channelDefinitionInput, definitionOf } from './input.js';
import type { ChannelDefinition } from './model.js';
import type { ChannelStore } from './store.js';

/** One hash, channel name to definition as JSON. */
export function createRedisChannelStore(redis: RedisConnections): ChannelStore {
  const key = `${redis.keyPrefix}channels`;
  return {
    async all() {
      const raw = await call(() => redis.command.hgetall(key));
      const definitions: ChannelDefinition[] = [];
      for (const name of Object.keys(raw).sort()) {
        // A value this version cannot read is skipped rather than trusted.
        const parsed = channelDefinitionInput.safeParse(safeJson(raw[name]!));
        if (parsed.success) definitions.push(definitionOf(parsed.data));
      }
      return definitions;
    },
    async put(definition) {
      await call(() => redis.command.hset(key, definition.name, JSON.stringify(definition)));
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
