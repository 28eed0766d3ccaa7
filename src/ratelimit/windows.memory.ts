import type { Rule } from './rules.js';
import { decide, type Refused, type WindowCheck } from './windows.js';

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
