import type { Leadership } from './leader.js';

/** Embedded mode: the one instance always pushes. */
export const alwaysLeader = (): Leadership => ({ claim: async () => true, release: async () => {} });
