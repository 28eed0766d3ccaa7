/**
 * Remembers the result of a request made with an idempotency key, so a repeat
 * within the window gets the original result and changes nothing. A key is
 * first claimed (pending), then completed with the result, or released when
 * the request failed so that a retry may run.
 */
export type Claim = { readonly state: 'claimed' } | { readonly state: 'pending' } | { readonly state: 'done'; readonly result: string };

export interface IdempotencyStore {
  claim(key: string, ttlSeconds: number): Promise<Claim>;
  complete(key: string, result: string, ttlSeconds: number): Promise<void>;
  release(key: string): Promise<void>;
}

/** What a claimed key holds until its request completes. */
export const PENDING = '\u0000pending';
