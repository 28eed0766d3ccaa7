import type { Rule } from './rules.js';

/** One rule checked for one client: `cost` calls of one field (aliases count one each). */
export type WindowCheck = { readonly key: string; readonly rule: Rule; readonly cost: number };

/** Which check ran out (its index) and when to try again; none means all were admitted. */
export type Refused = { readonly index: number; readonly retryAfterMs: number };

/**
 * The sliding-window decision for one client and rule, given the times (ms,
 * ascending) of its admitted calls in the last two windows: 0 to admit, else
 * the milliseconds to wait. The same rule runs in Redis (window.redis.ts);
 * this copy serves embedded mode and Redis outages.
 */
export function decide(times: readonly number[], now: number, rule: Rule, cost: number): number {
  const windowMs = rule.windowSeconds * 1000;
  const since = now - windowMs;
  // Binary search for the first call inside the window: a generous rule keeps many times.
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! > since) high = mid;
    else low = mid + 1;
  }
  const first = low;
  const current = times.length - first;
  const withinMax = current + cost <= rule.max;
  const borrowed = current + cost <= rule.max + rule.burst && times.length + cost <= 2 * rule.max;
  if (withinMax || borrowed) return 0;
  // A place frees when the oldest call of this window leaves it.
  const oldest = times[first];
  return oldest === undefined ? windowMs : Math.max(1, oldest + windowMs - now);
}

/**
 * Windows kept in this process. Memory stays bounded: a client's times are
 * dropped once older than two windows, and past `maxKeys` clients the least
 * recently added is forgotten (it then starts afresh, never refused wrongly).
 */
export function createLocalWindows(maxKeys = 100_000) {
  const windows = new Map<string, number[]>();
  const prune = (times: number[], now: number, rule: Rule) => {
    const cutoff = now - 2 * rule.windowSeconds * 1000;
    if (times.length === 0 || times[0]! > cutoff) return;
    let drop = 0;
    while (drop < times.length && times[drop]! <= cutoff) drop++;
    times.splice(0, drop);
  };
  return {
    /** Admits all checks or none; admitted calls are recorded. */
    take(checks: readonly WindowCheck[], now = Date.now()): Refused | undefined {
      let refused: Refused | undefined;
      checks.forEach(({ key, rule, cost }, index) => {
        const times = windows.get(key);
        if (times) prune(times, now, rule);
        const retryAfterMs = decide(times ?? [], now, rule, cost);
        if (retryAfterMs > (refused?.retryAfterMs ?? 0)) refused = { index, retryAfterMs };
      });
      if (refused) return refused;
      for (const { key, cost } of checks) {
        let times = windows.get(key);
        if (!times) {
          if (windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
          windows.set(key, (times = []));
        }
        for (let i = 0; i < cost; i++) times.push(now);
      }
      return undefined;
    },
    /** Forgets clients with nothing in the last two of the longest window any rule has. */
    sweep(now: number, longestWindowSeconds: number) {
      const cutoff = now - 2 * longestWindowSeconds * 1000;
      for (const [key, times] of windows) if (times.length === 0 || times[times.length - 1]! <= cutoff) windows.delete(key);
    },
    size: () => windows.size,
  };
}
