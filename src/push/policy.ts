/** Retry and circuit-breaker rules for pushes: pure, so they are tested without time or sockets. */

export type RetrySettings = { readonly baseMs: number; readonly maxMs: number; readonly maxAttempts: number };

/** Exponential backoff with full jitter: a random wait up to min(max, base * 2^(attempt-1)). */
export function backoffMs(attempt: number, settings: RetrySettings, random = Math.random): number {
  return Math.floor(random() * Math.min(settings.maxMs, settings.baseMs * 2 ** Math.max(0, attempt - 1)));
}

/** Seconds or an HTTP date, as a wait in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | {
      readonly kind: 'failed';
      /** A generic reason (`HTTP 503`, `timeout`, `connection refused`, ...), fit to show to users. */
      readonly error: string;
      /** What the failure said itself, for debug logs only. */
      readonly detail?: string;
      readonly retryable: boolean;
      readonly retryAfterMs?: number | undefined;
      /** The status the endpoint answered with; absent when no HTTP answer came at all. */
      readonly status?: number;
    };

/** 2xx is delivered; 408, 429 and 5xx are retried; other 4xx are final. */
export function outcomeOfStatus(status: number, retryAfter: string | null): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const retryable = status >= 500 || status === 408 || status === 429;
  return { kind: 'failed', error: `HTTP ${status}`, status, retryable, retryAfterMs: retryable ? retryAfterMs(retryAfter) : undefined };
}

export type BreakerState = { readonly state: 'CLOSED' | 'OPEN' | 'HALF_OPEN'; readonly failures: number; readonly openedAt: number | null };

export const CLOSED: BreakerState = { state: 'CLOSED', failures: 0, openedAt: null };

export type BreakerSettings = { readonly failureThreshold: number; readonly openMs: number };

/** The breaker as seen at `now`: an open breaker half-opens once its time is up. */
export function breakerAt(b: BreakerState, settings: BreakerSettings, now: number): BreakerState {
  return b.state === 'OPEN' && b.openedAt !== null && now - b.openedAt >= settings.openMs ? { ...b, state: 'HALF_OPEN' } : b;
}

export function afterAttempt(b: BreakerState, delivered: boolean, settings: BreakerSettings, now: number): BreakerState {
  if (delivered) return CLOSED;
  if (b.state === 'HALF_OPEN') return { state: 'OPEN', failures: b.failures + 1, openedAt: now };
  const failures = b.failures + 1;
  return failures >= settings.failureThreshold ? { state: 'OPEN', failures, openedAt: now } : { ...b, failures };
}
