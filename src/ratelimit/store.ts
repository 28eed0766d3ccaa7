import type { Rule } from './rules.js';

/** Rules changed live by an admin; they outlive restarts in Redis mode and win over the file and defaults. */
export interface RateLimitStore {
  all(): Promise<Record<string, Rule>>;
  set(field: string, rule: Rule): Promise<void>;
  /** Drops a live rule; false when there was none. */
  remove(field: string): Promise<boolean>;
}

export function createMemoryRateLimitStore(): RateLimitStore {
  const rules = new Map<string, Rule>();
  return {
    all: async () => Object.fromEntries(rules),
    set: async (field, rule) => void rules.set(field, rule),
    remove: async (field) => rules.delete(field),
  };
}
