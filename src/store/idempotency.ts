/**
 * Remembers the result of a request made with an idempotency key, so a repeat
 * within the window gets the original result and changes nothing. A key is
 * first claimed (pending), then completed with the result, or released when
 * the request failed so that a retry may run.
 */
export type Claim = { readonly state: 'claimed' } | { readonly state: 'pending' } | { readonly state: 'done'; readonly result: string };

export interface IdempotencyStore {
  claim(key: string, ttlSeconds: number): Promise<Claim>;
  complete(key: string, result: string, ttlSeconds: number): Promise<void>;
  release(key: string): Promise<void>;
}

const PENDING = '\u0000pending';

export function createMemoryIdempotencyStore(now: () => number = Date.now): IdempotencyStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  // Expired entries are also swept, so keys never seen again do not pile up.
  const sweep = setInterval(() => {
    for (const key of entries.keys()) live(key);
  }, 60_000);
  sweep.unref();
  return {
    async claim(key, ttlSeconds) {
      const entry = live(key);
      if (!entry) {
        entries.set(key, { value: PENDING, expiresAt: now() + ttlSeconds * 1000 });
        return { state: 'claimed' };
      }
      return entry.value === PENDING ? { state: 'pending' } : { state: 'done', result: entry.value };
    },
    async complete(key, result, ttlSeconds) {
      entries.set(key, { value: result, expiresAt: now() + ttlSeconds * 1000 });
    },
    async release(key) {
      if (live(key)?.value === PENDING) entries.delete(key);
    },
  };
}

export { PENDING };
