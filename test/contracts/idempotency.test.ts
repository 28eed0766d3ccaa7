import { expect, it } from 'vitest';
import { BackendUnavailableError } from '../../src/errors.js';
import { createIdempotency } from '../../src/idempotency/idempotent.js';
import type { IdempotencyStore } from '../../src/idempotency/store.js';
import { createMemoryIdempotencyStore } from '../../src/idempotency/store.memory.js';
import { createRedisIdempotencyStore } from '../../src/idempotency/store.redis.js';
import { contract } from './backends.js';

/** The store as it is, except that its first `failures` calls of `complete` fail as they do while Redis is away. */
function failingComplete(store: IdempotencyStore, failures: number): IdempotencyStore & { completes: number } {
  const wrapped = {
    completes: 0,
    claim: (key: string, ttl: number) => store.claim(key, ttl),
    release: (key: string) => store.release(key),
    async complete(key: string, result: string, ttl: number) {
      wrapped.completes++;
      if (wrapped.completes <= failures) throw new BackendUnavailableError('redis is away');
      return store.complete(key, result, ttl);
    },
  };
  return wrapped;
}

/** Work that counts its runs, standing for a mutation that publishes an event. */
function publishing() {
  const work = { runs: 0, run: async () => ({ eventId: `event-${++work.runs}` }) };
  return work;
}

contract('Idempotency over its store', { memory: () => createMemoryIdempotencyStore(), redis: createRedisIdempotencyStore }, (make) => {
  it('runs a repeat of a key once and answers it with the first result', async () => {
    const idempotency = createIdempotency({ store: await make(), windowSeconds: 60 });
    const work = publishing();
    expect(await idempotency.run('createTask', 'admin', 'k1', work.run)).toEqual({ eventId: 'event-1' });
    expect(await idempotency.run('createTask', 'admin', 'k1', work.run)).toEqual({ eventId: 'event-1' });
    expect(work.runs).toBe(1);
  });

  it('never shares a result between callers whose ids and keys join to the same text', async () => {
    const idempotency = createIdempotency({ store: await make(), windowSeconds: 60 });
    const work = publishing();
    // Joined with ':' these are one key: createTask:user:a:b:c.
    expect(await idempotency.run('createTask', 'user:a', 'b:c', work.run)).toEqual({ eventId: 'event-1' });
    expect(await idempotency.run('createTask', 'user:a:b', 'c', work.run)).toEqual({ eventId: 'event-2' });
    expect(await idempotency.run('createTask:user', 'a:b', 'c', work.run)).toEqual({ eventId: 'event-3' });
    expect(work.runs).toBe(3);
  });

  it('returns the result of work that ran when storing it failed, and never runs a retry again', async () => {
    const store = failingComplete(await make(), 1);
    const idempotency = createIdempotency({ store, windowSeconds: 60 });
    const work = publishing();
    expect(await idempotency.run('deployApiRevision', 'admin', 'ci-1', work.run)).toEqual({ eventId: 'event-1' });
    // The retry waits for the result stored in the background rather than publish again.
    expect(await idempotency.run('deployApiRevision', 'admin', 'ci-1', work.run)).toEqual({ eventId: 'event-1' });
    expect(work.runs).toBe(1);
    expect(store.completes).toBe(2);
  });

  it('lets a retry run when the work itself failed', async () => {
    const idempotency = createIdempotency({ store: await make(), windowSeconds: 60 });
    let runs = 0;
    const failing = async () => {
      runs++;
      throw new BackendUnavailableError('publish failed');
    };
    await expect(idempotency.run('createTask', 'admin', 'k2', failing)).rejects.toThrow('publish failed');
    const work = publishing();
    expect(await idempotency.run('createTask', 'admin', 'k2', work.run)).toEqual({ eventId: 'event-1' });
    expect(runs + work.runs).toBe(2);
  });
});
