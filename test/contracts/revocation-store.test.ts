import { expect, it } from 'vitest';
import { createMemoryRevocationStore } from '../../src/sessions/store.memory.js';
import { createRedisRevocationStore } from '../../src/sessions/store.redis.js';
import { contract } from './backends.js';

contract('RevocationStore', { memory: createMemoryRevocationStore, redis: createRedisRevocationStore }, (make, backend) => {
  it('starts at 0 and moves with every revocation', async () => {
    const store = await make();
    expect(await store.generation()).toBe(0);
    await store.bump();
    const first = await store.generation();
    expect(first).not.toBe(0);
    await store.bump();
    expect(await store.generation()).not.toBe(first);
  });

  it('is one counter for every instance of a deployment', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance(), await instance()];
    const before = await b.generation();
    await a.bump();
    expect(await b.generation()).not.toBe(before);
    expect(await a.generation()).toBe(await b.generation());
  });
});
