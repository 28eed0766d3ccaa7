import { HeraldError } from '../errors.js';
import type { Context } from '../schema/context.js';

const WAIT_STEP_MS = 50;
const WAIT_LIMIT_MS = 5_000;
/** How long a claim may stay pending: a request whose instance died must not block retries for the whole window. */
const PENDING_SECONDS = 30;

/**
 * Runs a mutation at most once per idempotency key within the window: a
 * repeat, on any instance, gets the first result and publishes nothing. Keys
 * are scoped by operation and caller, so two clients never share one. The key
 * passed validation with the rest of the input (fields.ts `key`).
 */
export async function idempotent<T>(ctx: Context, operation: string, key: string | null | undefined, run: () => Promise<T>): Promise<T> {
  if (key === null || key === undefined) return run();
  const { idempotency, dedupWindowSeconds } = ctx.services;
  const scoped = `${operation}:${ctx.principal.id}:${key}`;
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    const claim = await idempotency.claim(scoped, Math.min(PENDING_SECONDS, dedupWindowSeconds));
    if (claim.state === 'done') return JSON.parse(claim.result) as T;
    if (claim.state === 'claimed') break;
    // The same request is running elsewhere: wait for its result rather than run it twice.
    if (Date.now() > deadline) throw new HeraldError('CONFLICT', 'A request with this idempotency key is still in progress; retry later');
    await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
  }
  try {
    const result = await run();
    await idempotency.complete(scoped, JSON.stringify(result), dedupWindowSeconds);
    return result;
  } catch (err) {
    await idempotency.release(scoped).catch(() => {});
    throw err;
  }
}
