import type { Logger } from '../log.js';
import { PENDING, type IdempotencyStore } from './store.js';

/**
 * How much embedded mode keeps of remembered results, about (characters of
 * keys and results). Results are kept for the whole window: a deployment to
 * 100 gateways answers some 15 KB, so 100 a second with a correlation id
 * for the default 600 s would be 900 MB. Past the budget the oldest results
 * are forgotten first, before their window ends; pending claims never are.
 */
export const MEMORY_BUDGET_CHARS = 64 * 1024 * 1024;
const FORGET_WARNING_INTERVAL_MS = 60_000;

type Entry = { readonly value: string; readonly expiresAt: number; readonly chars: number };

export function createMemoryIdempotencyStore(options: { log?: Logger; now?: () => number; budgetChars?: number } = {}): IdempotencyStore {
  const { log, now = Date.now, budgetChars = MEMORY_BUDGET_CHARS } = options;
  // In insertion order, which is the order results expire in (one window for all): a completed
  // claim is inserted anew, so the oldest result is always the first one.
  const entries = new Map<string, Entry>();
  let chars = 0;
  let forgotten = 0;
  let warnedAt = -Infinity;
  const put = (key: string, value: string, ttlSeconds: number) => {
    remove(key);
    const entry = { value, expiresAt: now() + ttlSeconds * 1000, chars: key.length + value.length };
    entries.set(key, entry);
    chars += entry.chars;
  };
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    chars -= entry.chars;
  };
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      remove(key);
      return undefined;
    }
    return entry;
  };
  const keepWithinBudget = () => {
    for (const [key, entry] of entries) {
      if (chars <= budgetChars) break;
      if (entry.value === PENDING) continue;
      remove(key);
      forgotten++;
    }
    if (forgotten > 0 && now() - warnedAt >= FORGET_WARNING_INTERVAL_MS) {
      log?.warn({ forgotten, budgetChars }, 'forgot idempotency results before their window ended: the embedded memory budget is full');
      warnedAt = now();
      forgotten = 0;
    }
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
        put(key, PENDING, ttlSeconds);
        return { state: 'claimed' };
      }
      return entry.value === PENDING ? { state: 'pending' } : { state: 'done', result: entry.value };
    },
    async complete(key, result, ttlSeconds) {
      put(key, result, ttlSeconds);
      keepWithinBudget();
    },
    async release(key) {
      if (live(key)?.value === PENDING) remove(key);
    },
  };
}

