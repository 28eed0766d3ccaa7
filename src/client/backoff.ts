/** How reconnects are spaced: exponential backoff with full jitter. */
export type RetryOptions = {
  /** Ceiling of the first wait in ms (default 250); doubles per attempt. */
  readonly baseMs?: number;
  /** Largest wait in ms (default 4000, so a client is back within about 4 s of the server). */
  readonly maxMs?: number;
  /** Failed attempts in a row before giving up (default: never). */
  readonly maxAttempts?: number;
};

export const RETRY_DEFAULTS = { baseMs: 250, maxMs: 4000, maxAttempts: Infinity } as const;

/** A random wait in [0, min(maxMs, baseMs · 2^attempt)): "full jitter", so a fleet does not come back in step. */
export function fullJitterBackoff(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));
}
