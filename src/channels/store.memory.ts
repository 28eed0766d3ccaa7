import type { ChannelDefinition } from './model.js';
import type { ChannelStore } from './store.js';

export function createMemoryChannelStore(): ChannelStore {
  const channels = new Map<string, ChannelDefinition>();
  return {
    all: async () => [...channels.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    put: async (definition) => void channels.set(definition.name, definition),
    remove: async (name) => channels.delete(name),
  };
}
