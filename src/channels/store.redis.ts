import type { z } from 'zod/v4';
import { createJsonHash } from '../redis/json-hash.js';
import type { RedisConnections } from '../redis/connections.js';
import { channelDefinitionInput, definitionOf } from './input.js';
import type { ChannelDefinition } from './model.js';
import type { ChannelStore } from './store.js';

/** One hash, channel name to definition as JSON. */
export function createRedisChannelStore(redis: RedisConnections): ChannelStore {
  const hash = createJsonHash<z.output<typeof channelDefinitionInput>, ChannelDefinition>(redis, 'channels', channelDefinitionInput);
  return {
    async all() {
      const entries = await hash.entries();
      return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, input]) => definitionOf(input));
    },
    put: (definition) => hash.set(definition.name, definition),
    remove: (name) => hash.remove(name),
  };
}
