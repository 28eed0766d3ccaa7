import { describe, expect, it } from 'vitest';
import { createRefusalAudit } from '../../src/ratelimit/refusal-audit.js';
import { mergeRules, ruleFor } from '../../src/ratelimit/rules.js';
import { decide } from '../../src/ratelimit/windows.js';
import { createLocalWindows } from '../../src/ratelimit/windows.memory.js';

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

describe('a generous rule over a long run', () => {
  it('decides every call as the sliding window over the admitted calls of the last two windows says', () => {
    const generous = { max: 200, windowSeconds: 1, burst: 50 };
    const windows = createLocalWindows();
    const admitted: number[] = [];
    let refusals = 0;
    // Bursts and pauses over 20 windows: old calls are dropped many times, in bulk and one by one.
    for (let now = 0; now < 20_000; now += now % 3000 < 1500 ? 3 : 40) {
      const expected = decide(
        admitted.filter((t) => t > now - 2000),
        now,
        generous,
        1,
      );
      const refused = windows.take([{ key: 'k', rule: generous, cost: 1 }], now);
      expect({ now, retryAfterMs: refused?.retryAfterMs ?? 0 }).toEqual({ now, retryAfterMs: expected });
      if (refused) refusals++;
      else admitted.push(now);
    }
    // Both outcomes happened, so both were compared.
    expect(refusals).toBeGreaterThan(100);
    expect(admitted.length).toBeGreaterThan(1000);
  });
});

describe('a refusal of one of several checks', () => {
  it('admits none of them', () => {
    const windows = createLocalWindows();
    const wide = { max: 5, windowSeconds: 60, burst: 0 };
    const narrow = { max: 1, windowSeconds: 60, burst: 0 };
    const refused = windows.take([{ key: 'a', rule: wide, cost: 1 }, { key: 'b', rule: narrow, cost: 2 }], 10_000);
    expect(refused).toMatchObject({ index: 1 });
    // Nothing was counted against `a`: it still has all five calls.
    for (let i = 0; i < 5; i++) expect(windows.take([{ key: 'a', rule: wide, cost: 1 }], 10_000 + i)).toBeUndefined();
    expect(windows.take([{ key: 'a', rule: wide, cost: 1 }], 10_010)).toMatchObject({ index: 0 });
  });
});

describe('rules', () => {
  it('fall back to the rule of the whole type for a field without its own', () => {
    const rules = mergeRules({ 'Mutation.createTask': { max: 1, windowSeconds: 1, burst: 0 } }, {});
    expect(ruleFor(rules, 'Mutation.createTask')).toMatchObject({ field: 'Mutation.createTask', source: 'FILE' });
    expect(ruleFor(rules, 'Mutation.deleteTask')).toMatchObject({ field: 'Mutation.*', source: 'DEFAULT' });
    expect(ruleFor(rules, 'Query.tasks')).toBeUndefined();
  });
});

describe('the refusal audit', () => {
  it('writes the first refusal of a client at once and the rest of the interval as one line', () => {
    const lines: Array<Record<string, unknown>> = [];
    const audit = createRefusalAudit((entry) => lines.push(entry), 1_000_000_000);
    const client = { identity: 'key:1', ip: '10.0.0.1', bypass: false };
    audit.record(client, 'Mutation.createTask');
    audit.record(client, 'Mutation.updateTask');
    audit.record(client, 'Mutation.updateTask');
    audit.record({ identity: 'key:2', ip: '10.0.0.2', bypass: false }, 'Mutation.createTask');
    expect(lines).toHaveLength(2);
    audit.stop();
    expect(lines).toEqual([
      { action: 'rate-limited', identity: 'key:1', ip: '10.0.0.1', fields: ['Mutation.createTask'], refusals: 1 },
      { action: 'rate-limited', identity: 'key:2', ip: '10.0.0.2', fields: ['Mutation.createTask'], refusals: 1 },
      { action: 'rate-limited', identity: 'key:1', ip: '10.0.0.1', fields: ['Mutation.updateTask'], refusals: 2, aggregatedMs: 1_000_000_000 },
    ]);
  });
});
