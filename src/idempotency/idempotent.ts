import { HeraldError } from '../errors.js';
import type { IdempotencyStore } from './store.js';

const WAIT_STEP_MS = 50;
const WAIT_LIMIT_MS = 5_000;
/** How long a claim may stay pending: a request whose instance died must not block retries for the whole window. */
const PENDING_SECONDS = 30;

/** Runs a request at most once per idempotency key within the window (see `run`). */
export type Idempotency = {
  /**
   * Runs `work` unless a request of the same operation, caller and key ran
   * within the window: a repeat, on any instance, gets the first result and
   * changes nothing. No key: runs `work` as it is. The key passed validation
   * with the rest of the input.
   */
  run<T>(operation: string, principalId: string, key: string | null | undefined, work: () => Promise<T>): Promise<T>;
};

/**
 * The store key of one operation, caller and key. Each part but the last
 * carries its length, so no two triples spell the same key: joined with ':'
 * alone, caller `user:a` with key `b:c` and caller `user:a:b` with key `c`
 * would share one result (a JWT subject may hold ':').
 */
export const scopedKey = (operation: string, principalId: string, key: string) => `${operation.length}:${operation}:${principalId.length}:${principalId}:${key}`;

export function createIdempotency(options: { store: IdempotencyStore; windowSeconds: number }): Idempotency {
  const { store, windowSeconds } = options;
  return {
    async run(operation, principalId, key, work) {
      if (key === null || key === undefined) return work();
      const scoped = scopedKey(operation, principalId, key);
      const deadline = Date.now() + WAIT_LIMIT_MS;
      for (;;) {
        const claim = await store.claim(scoped, Math.min(PENDING_SECONDS, windowSeconds));
        if (claim.state === 'done') return JSON.parse(claim.result);
        if (claim.state === 'claimed') break;
        // The same request is running elsewhere: wait for its result rather than run it twice.
        if (Date.now() > deadline) throw new HeraldError('CONFLICT', 'A request with this idempotency key is still in progress; retry later');
        await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
      }
      try {
        const result = await work();
        await store.complete(scoped, JSON.stringify(result), windowSeconds);
        return result;
      } catch (err) {
        await store.release(scoped).catch(() => {});
        throw err;
      }
    },
  };
}
