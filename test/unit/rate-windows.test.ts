import { describe, expect, it } from 'vitest';
import { createLocalWindows, decide } from '../../src/ratelimit/window.js';

const rule = { max: 3, windowSeconds: 1, burst: 2 };

describe('local sliding windows', () => {
  it('admit max calls, then borrow burst only while the two windows stay within 2 x max', () => {
    expect(decide([], 10_000, rule, 1)).toBe(0);
    expect(decide([9_500, 9_600, 9_700], 10_000, rule, 1)).toBe(0); // borrowed: quiet window before
    expect(decide([9_500, 9_600, 9_700, 9_800, 9_900], 10_000, rule, 1)).toBe(500); // max + burst used: wait for 9_500 to leave
    // A window before that was full leaves nothing to borrow: 3 + 3 already makes 2 x max.
    expect(decide([8_600, 8_700, 8_800, 9_500, 9_600, 9_700], 10_000, rule, 1)).toBe(500);
  });

  it('forget a client once the longest window has passed twice', () => {
    const windows = createLocalWindows();
    expect(windows.take([{ key: 'a', rule, cost: 1 }], 10_000)).toBeUndefined();
    windows.sweep(11_500, 1);
    expect(windows.size()).toBe(1);
    windows.sweep(12_001, 1);
    expect(windows.size()).toBe(0);
  });
});
