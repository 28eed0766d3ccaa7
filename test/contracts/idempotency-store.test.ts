import { expect, it } from 'vitest';
import { createMemoryIdempotencyStore } from '../../src/idempotency/store.memory.js';
import { createRedisIdempotencyStore } from '../../src/idempotency/store.redis.js';
import { contract, outlive } from './backends.js';

const result = JSON.stringify({ data: { deployApiRevision: { deploymentId: '01DEP' } } });

contract('IdempotencyStore', { memory: () => createMemoryIdempotencyStore(), redis: createRedisIdempotencyStore }, (make) => {
  it('claims a key once; a repeat while it runs is pending', async () => {
    const store = await make();
    expect(await store.claim('k', 30)).toEqual({ state: 'claimed' });
    expect(await store.claim('k', 30)).toEqual({ state: 'pending' });
    expect(await store.claim('other', 30)).toEqual({ state: 'claimed' });
  });

  it('answers a repeat after completion with the result', async () => {
    const store = await make();
    await store.claim('k', 30);
    await store.complete('k', result, 600);
    expect(await store.claim('k', 30)).toEqual({ state: 'done', result });
    expect(await store.claim('k', 30)).toEqual({ state: 'done', result });
  });

  it('frees a released claim for a retry', async () => {
    const store = await make();
    await store.claim('k', 30);
    await store.release('k');
    expect(await store.claim('k', 30)).toEqual({ state: 'claimed' });
    expect(await store.claim('k', 30)).toEqual({ state: 'pending' });
  });

  it('never lets a release drop a completed result', async () => {
    const store = await make();
    await store.claim('k', 30);
    await store.complete('k', result, 600);
    await store.release('k');
    expect(await store.claim('k', 30)).toEqual({ state: 'done', result });
    // Releasing a key never claimed changes nothing either.
    await store.release('never');
    expect(await store.claim('never', 30)).toEqual({ state: 'claimed' });
  });

  it('forgets a claim and a result after their ttl, and keeps a result for its own ttl', async () => {
    const store = await make();
    await store.claim('pending', 1);
    await store.claim('short', 600);
    await store.complete('short', 'short result', 1);
    await store.claim('long', 1);
    await store.complete('long', 'long result', 600);
    expect(await store.claim('pending', 1)).toEqual({ state: 'pending' });
    expect(await store.claim('short', 1)).toEqual({ state: 'done', result: 'short result' });
    await outlive(1_000);
    expect(await store.claim('pending', 30)).toEqual({ state: 'claimed' });
    expect(await store.claim('short', 30)).toEqual({ state: 'claimed' });
    // Completing replaced the claim's one-second ttl with the result's.
    expect(await store.claim('long', 30)).toEqual({ state: 'done', result: 'long result' });
  });
});
