import { describe, expect, it } from 'vitest';
import { createMemoryIdempotencyStore } from '../../src/idempotency/store.memory.js';

describe('embedded idempotency store', () => {
  it('answers a repeat with the first result within the window, and forgets it after', async () => {
    let now = 1_000_000;
    const store = createMemoryIdempotencyStore({ now: () => now });
    expect(await store.claim('k', 30)).toEqual({ state: 'claimed' });
    expect(await store.claim('k', 30)).toEqual({ state: 'pending' });
    await store.complete('k', '{"ok":1}', 600);
    expect(await store.claim('k', 30)).toEqual({ state: 'done', result: '{"ok":1}' });
    now += 599_999;
    expect(await store.claim('k', 30)).toEqual({ state: 'done', result: '{"ok":1}' });
    now += 1;
    expect(await store.claim('k', 30)).toEqual({ state: 'claimed' });
  });

  it('lets a retry run once the first attempt released its claim', async () => {
    const store = createMemoryIdempotencyStore();
    await store.claim('k', 30);
    await store.release('k');
    expect(await store.claim('k', 30)).toEqual({ state: 'claimed' });
  });

  it('past its memory budget forgets the oldest results first, never a pending claim', async () => {
    const warnings: unknown[] = [];
    const log = { warn: (...args: unknown[]) => warnings.push(args) } as never;
    // Each result below takes 100 characters with its 4-character key; beside the pending claim (12), nine fit in 1000.
    const store = createMemoryIdempotencyStore({ log, budgetChars: 1000 });
    await store.claim('slow', 30); // still running throughout
    for (let i = 0; i < 15; i++) {
      const key = `k${String(i).padStart(3, '0')}`;
      await store.claim(key, 30);
      await store.complete(key, 'r'.repeat(96), 600);
    }
    const states = [];
    for (let i = 0; i < 15; i++) states.push((await store.claim(`k${String(i).padStart(3, '0')}`, 30)).state);
    // The claims just made for the forgotten keys take room too, but no result is forgotten for them.
    expect(states).toEqual([...Array(6).fill('claimed'), ...Array(9).fill('done')]);
    expect(await store.claim('slow', 30)).toEqual({ state: 'pending' });
    expect(warnings).toHaveLength(1);
  });
});
