import type { RateLimitStore } from './store.js';
import type { Rule } from './rules.js';

export function createMemoryRateLimitStore(): RateLimitStore {
  const rules = new Map<string, Rule>();
  return {
    all: async () => Object.fromEntries(rules),
    set: async (field, rule) => void rules.set(field, rule),
    remove: async (field) => rules.delete(field),
  };
}
