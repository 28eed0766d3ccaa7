import type { Leadership } from './leader.js';

/** Embedded mode: the one instance always pushes, in one lead that never ends. */
export const alwaysLeader = (): Leadership => ({ claim: async () => 1, release: async () => {} });
