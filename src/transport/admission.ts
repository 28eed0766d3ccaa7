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
 * attempts are counted in one-second buckets, so an address costs at most 60
 * buckets however high the limit; addresses are forgotten once their window is
 * empty, and at most `maxTracked` are tracked (beyond that, new addresses are
 * refused until some expire).
 */
export function createAttemptLimiter(perMinute: number, maxTracked = 100_000) {
  const windowSeconds = 60;
  /** Seconds (since the epoch) that saw attempts, oldest first, with their counts. */
  type Window = { seconds: number[]; counts: number[]; total: number };
  const attempts = new Map<string, Window>();
  const sweep = setInterval(() => {
    const cutoff = Math.floor(Date.now() / 1000) - windowSeconds;
    for (const [address, w] of attempts) if (!(w.seconds[w.seconds.length - 1]! > cutoff)) attempts.delete(address);
  }, windowSeconds * 1000);
  sweep.unref();
  return {
    /** Records an attempt; returns the seconds to wait when it is over the limit. */
    attempt(address: string, now = Date.now()): number | undefined {
      const second = Math.floor(now / 1000);
      let w = attempts.get(address);
      if (!w) {
        if (attempts.size >= maxTracked) return 60;
        attempts.set(address, (w = { seconds: [], counts: [], total: 0 }));
      }
      while (w.seconds.length > 0 && w.seconds[0]! <= second - windowSeconds) {
        w.seconds.shift();
        w.total -= w.counts.shift()!;
      }
      if (w.total >= perMinute) return Math.max(1, Math.ceil(((w.seconds[0]! + windowSeconds) * 1000 - now) / 1000));
      if (w.seconds[w.seconds.length - 1] === second) w.counts[w.counts.length - 1]!++;
      else {
        w.seconds.push(second);
        w.counts.push(1);
      }
      w.total++;
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
