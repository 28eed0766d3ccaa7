import type { IncomingMessage } from 'node:http';
import { LOCAL_ORIGINS } from '../config.js';

/**
 * Checks made on a WebSocket upgrade before anything is spent on it: the
 * browser origin, and how often this address has tried to connect.
 */
export type Refusal = { readonly status: 403 | 429; readonly reason: string; readonly retryAfterSeconds?: number };

const LOCAL = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** Requests without an Origin (CLIs, gateways, services) pass; browsers must come from a listed origin. */
export function createOriginCheck(allowed: readonly string[]): (origin: string | undefined) => boolean {
  const exact = new Set(allowed.filter((o) => o !== LOCAL_ORIGINS).map((o) => o.toLowerCase()));
  const local = allowed.includes(LOCAL_ORIGINS);
  return (origin) => origin === undefined || exact.has(origin.toLowerCase()) || (local && LOCAL.test(origin));
}

/**
 * Connection attempts per address in a sliding minute. Memory stays bounded:
 * addresses are forgotten once their window is empty, and at most `maxTracked`
 * are tracked (beyond that, new addresses are refused until some expire).
 */
export function createAttemptLimiter(perMinute: number, maxTracked = 100_000) {
  const attempts = new Map<string, number[]>();
  const windowMs = 60_000;
  const sweep = setInterval(() => {
    const cutoff = Date.now() - windowMs;
    for (const [address, times] of attempts) if (times[times.length - 1]! <= cutoff) attempts.delete(address);
  }, windowMs);
  sweep.unref();
  return {
    /** Records an attempt; returns the seconds to wait when it is over the limit. */
    attempt(address: string, now = Date.now()): number | undefined {
      const cutoff = now - windowMs;
      let times = attempts.get(address);
      if (!times) {
        if (attempts.size >= maxTracked) return 60;
        attempts.set(address, (times = []));
      }
      while (times.length > 0 && times[0]! <= cutoff) times.shift();
      if (times.length >= perMinute) return Math.max(1, Math.ceil((times[0]! + windowMs - now) / 1000));
      times.push(now);
      return undefined;
    },
    stop: () => clearInterval(sweep),
  };
}

export function admit(
  request: IncomingMessage,
  ip: string,
  checks: { originAllowed: (origin: string | undefined) => boolean; limiter: ReturnType<typeof createAttemptLimiter> },
): Refusal | undefined {
  const origin = request.headers.origin;
  if (!checks.originAllowed(origin)) return { status: 403, reason: `origin ${String(origin).slice(0, 100)} is not allowed` };
  const retryAfterSeconds = checks.limiter.attempt(ip);
  if (retryAfterSeconds !== undefined) return { status: 429, reason: 'too many connection attempts', retryAfterSeconds };
  return undefined;
}
