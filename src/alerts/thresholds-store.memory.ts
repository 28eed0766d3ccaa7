import type { ThresholdStore } from './thresholds-store.js';
import type { ThresholdSettings } from './thresholds.js';

export function createMemoryThresholdStore(): ThresholdStore {
  const thresholds = new Map<string, ThresholdSettings>();
  return {
    all: async () => Object.fromEntries(thresholds),
    set: async (name, settings) => void thresholds.set(name, settings),
    remove: async (name) => thresholds.delete(name),
  };
}
