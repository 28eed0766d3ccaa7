import type { RevocationStore } from './store.js';

/** In one process every revocation reaches every session directly; the counter is kept for the same interface. */
export function createMemoryRevocationStore(): RevocationStore {
  let generation = 0;
  return {
    async bump() {
      generation++;
    },
    async generation() {
      return generation;
    },
  };
}
