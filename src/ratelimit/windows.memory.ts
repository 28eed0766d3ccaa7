import type { Rule } from './rules.js';
import { decide, type Refused, type WindowCheck } from './windows.js';

/**
 * Windows kept in this process. Memory stays bounded: a client's times are
 * dropped once older than two windows, and past `maxKeys` clients the least
 * recently added is forgotten (it then starts afresh, never refused wrongly).
 */
export function createLocalWindows(maxKeys = 100_000) {
  // `start` skips times already dropped: they are cut off the array in bulk, so a generous rule
  // (thousands of calls kept) costs no array copy per call.
  const windows = new Map<string, { times: number[]; start: number }>();
  const prune = (window: { times: number[]; start: number }, now: number, rule: Rule) => {
    const cutoff = now - 2 * rule.windowSeconds * 1000;
    const { times } = window;
    while (window.start < times.length && times[window.start]! <= cutoff) window.start++;
    if (window.start > 64 && window.start * 2 > times.length) {
      times.splice(0, window.start);
      window.start = 0;
    }
  };
  return {
    /** Admits all checks or none; admitted calls are recorded. */
    take(checks: readonly WindowCheck[], now = Date.now()): Refused | undefined {
      let refused: Refused | undefined;
      checks.forEach(({ key, rule, cost }, index) => {
        const window = windows.get(key);
        if (window) prune(window, now, rule);
        const retryAfterMs = window ? decide(window.times, now, rule, cost, window.start) : decide([], now, rule, cost);
        if (retryAfterMs > (refused?.retryAfterMs ?? 0)) refused = { index, retryAfterMs };
      });
      if (refused) return refused;
      for (const { key, cost } of checks) {
        let window = windows.get(key);
        if (!window) {
          if (windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
          windows.set(key, (window = { times: [], start: 0 }));
        }
        for (let i = 0; i < cost; i++) window.times.push(now);
      }
      return undefined;
    },
    /** Forgets clients with nothing in the last two of the longest window any rule has. */
    sweep(now: number, longestWindowSeconds: number) {
      const cutoff = now - 2 * longestWindowSeconds * 1000;
      for (const [key, { times, start }] of windows) if (times.length === start || times[times.length - 1]! <= cutoff) windows.delete(key);
    },
    size: () => windows.size,
  };
}
