import { HeraldError } from '../errors.js';
import type { Logger } from '../log.js';
import type { IdempotencyStore } from './store.js';

const WAIT_STEP_MS = 50;
const WAIT_LIMIT_MS = 5_000;
/** How long a claim may stay pending: a request whose instance died must not block retries for the whole window. */
const PENDING_SECONDS = 30;
/** Storing a result that could not be stored at once is tried again after these delays, doubling up to the last. */
const COMPLETE_RETRY_FIRST_MS = 100;
const COMPLETE_RETRY_MAX_MS = 2_000;
/** Results waiting to be stored at most; past it the oldest is given up (its claim expires as a crashed request's would). */
const MAX_UNSTORED = 10_000;

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

export function createIdempotency(options: { store: IdempotencyStore; windowSeconds: number; log?: Logger }): Idempotency {
  const { store, windowSeconds, log } = options;
  /** Results of work that ran but could not be stored yet, by store key; a timer stores each. */
  const unstored = new Map<string, NodeJS.Timeout>();

  /**
   * Stores a result whose work already happened (an event was published), until
   * the store takes it or the window ends. Its claim stays pending meanwhile, so
   * a retry waits for it (CONFLICT after a while) and never runs the work again.
   */
  function completeLater(scoped: string, result: string, delay = COMPLETE_RETRY_FIRST_MS, giveUpAt = Date.now() + windowSeconds * 1000) {
    clearTimeout(unstored.get(scoped));
    unstored.delete(scoped);
    if (unstored.size >= MAX_UNSTORED) {
      const [oldest, timer] = unstored.entries().next().value!;
      clearTimeout(timer);
      unstored.delete(oldest);
    }
    const timer = setTimeout(() => {
      unstored.delete(scoped);
      store.complete(scoped, result, Math.max(1, Math.ceil((giveUpAt - Date.now()) / 1000))).then(
        () => log?.info({ component: 'idempotency' }, 'stored a result that could not be stored at first'),
        () => {
          if (Date.now() + delay < giveUpAt) completeLater(scoped, result, Math.min(delay * 2, COMPLETE_RETRY_MAX_MS), giveUpAt);
        },
      );
    }, delay);
    timer.unref();
    unstored.set(scoped, timer);
  }

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
      let result;
      try {
        result = await work();
      } catch (err) {
        // Nothing happened: a retry may run.
        await store.release(scoped).catch(() => {});
        throw err;
      }
      // The work happened. Releasing the claim now would let a retry do it again,
      // so a result that cannot be stored is stored later, and the caller gets it.
      const text = JSON.stringify(result);
      try {
        await store.complete(scoped, text, windowSeconds);
      } catch (err) {
        log?.warn({ component: 'idempotency', operation, err: (err as Error).message }, 'could not store a result; retrying in the background');
        completeLater(scoped, text);
      }
      return result;
    },
  };
}
