import type { Rule } from './rules.js';

/**
 * One rule checked for one client: `cost` calls of one field (aliases count
 * one each). `key` is `field|client`; the checks of one `take` name one
 * client, whose windows a Redis Cluster keeps in one hash slot.
 */
export type WindowCheck = { readonly key: string; readonly rule: Rule; readonly cost: number };

/** Which check ran out (its index) and when to try again; none means all were admitted. */
export type Refused = { readonly index: number; readonly retryAfterMs: number };

/** Windows that every instance shares (Redis); they reject while the backend cannot answer. */
export interface SharedWindows {
  /** Admits all checks or none; admitted calls are recorded. */
  take(checks: readonly WindowCheck[]): Promise<Refused | undefined>;
}

/**
 * The sliding-window decision for one client and rule, given the times (ms,
 * ascending) of its admitted calls in the last two windows: 0 to admit, else
 * the milliseconds to wait. The same rule runs in Redis (window.redis.ts);
 * this copy serves embedded mode and Redis outages. Times before `from` are
 * no longer counted (a caller dropping old times in bulk).
 */
export function decide(times: readonly number[], now: number, rule: Rule, cost: number, from = 0): number {
  const windowMs = rule.windowSeconds * 1000;
  const since = now - windowMs;
  // Binary search for the first call inside the window: a generous rule keeps many times.
  let low = from;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! > since) high = mid;
    else low = mid + 1;
  }
  const first = low;
  const current = times.length - first;
  const withinMax = current + cost <= rule.max;
  const borrowed = current + cost <= rule.max + rule.burst && times.length - from + cost <= 2 * rule.max;
  if (withinMax || borrowed) return 0;
  // A place frees when the oldest call of this window leaves it.
  const oldest = times[first];
  return oldest === undefined ? windowMs : Math.max(1, oldest + windowMs - now);
}
