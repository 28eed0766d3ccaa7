import { expect, it } from 'vitest';
import type { Rule } from '../../src/ratelimit/rules.js';
import { createMemoryRateLimitStore } from '../../src/ratelimit/store.memory.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/store.redis.js';
import { contract, redisOnly } from './backends.js';

const strict: Rule = { max: 10, windowSeconds: 60, burst: 0 };
const loose: Rule = { max: 600, windowSeconds: 60, burst: 120 };
const daily: Rule = { max: 100_000, windowSeconds: 86_400, burst: 5 };

contract('RateLimitStore', { memory: createMemoryRateLimitStore, redis: createRedisRateLimitStore }, (make) => {
  it('holds no live rule at first', async () => {
    const store = await make();
    expect(await store.all()).toEqual({});
  });

  it('holds every rule set, by field', async () => {
    const store = await make();
    await store.set('Mutation.createTask', strict);
    await store.set('Subscription.*', daily);
    expect(await store.all()).toEqual({ 'Mutation.createTask': strict, 'Subscription.*': daily });
  });

  it('replaces the rule of a field that is set again', async () => {
    const store = await make();
    await store.set('Mutation.createTask', strict);
    await store.set('Mutation.createTask', loose);
    expect(await store.all()).toEqual({ 'Mutation.createTask': loose });
  });

  it('removes a rule, and says whether there was one', async () => {
    const store = await make();
    await store.set('Mutation.createTask', strict);
    await store.set('Mutation.*', loose);
    expect(await store.remove('Mutation.createTask')).toBe(true);
    expect(await store.all()).toEqual({ 'Mutation.*': loose });
    expect(await store.remove('Mutation.createTask')).toBe(false);
    expect(await store.remove('Query.never')).toBe(false);
    expect(await store.all()).toEqual({ 'Mutation.*': loose });
  });
});

redisOnly('RateLimitStore', createRedisRateLimitStore, (_make, backend) => {
  it('shares live rules between the instances on one Redis', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance(), await instance()];
    await a.set('Mutation.createTask', strict);
    expect(await b.all()).toEqual({ 'Mutation.createTask': strict });
    expect(await b.remove('Mutation.createTask')).toBe(true);
    expect(await a.all()).toEqual({});
  });
});
