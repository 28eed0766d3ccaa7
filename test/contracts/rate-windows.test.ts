import { expect, it } from 'vitest';
import type { Rule } from '../../src/ratelimit/rules.js';
import type { Refused, SharedWindows, WindowCheck } from '../../src/ratelimit/windows.js';
import { createLocalWindows } from '../../src/ratelimit/windows.memory.js';
import { createRedisWindows } from '../../src/ratelimit/windows.redis.js';
import { contract, elapse, redisOnly, type Makers } from './backends.js';

/** Embedded windows answer at once; the contract awaits them as it does the shared ones. */
function localWindows(): SharedWindows {
  const windows = createLocalWindows();
  return { take: async (checks) => windows.take(checks) };
}

const windowed: Makers<SharedWindows, [instanceId?: string]> = {
  memory: () => localWindows(),
  redis: (redis, instanceId = 'instance-a') => createRedisWindows(redis, instanceId),
};

const rule = (max: number, burst = 0): Rule => ({ max, windowSeconds: 1, burst });
/** Keys as the limiter makes them, `field|client`; the checks of one call name one client. */
const check = (field: string, r: Rule, cost = 1): WindowCheck => ({ key: `${field}|client`, rule: r, cost });

/** A refusal of check `index`, to retry within the window (1 s) but not at once. */
function expectRefused(refused: Refused | undefined, index: number): number {
  expect(refused).toMatchObject({ index });
  expect(refused!.retryAfterMs).toBeGreaterThan(0);
  expect(refused!.retryAfterMs).toBeLessThanOrEqual(1_000);
  return refused!.retryAfterMs;
}

contract('Rate-limit windows', windowed, (make) => {
  it('admits max calls in a window and refuses the next, saying when to retry', async () => {
    const windows = await make();
    const three = rule(3);
    for (let i = 0; i < 3; i++) expect(await windows.take([check('client-1', three)])).toBeUndefined();
    expectRefused(await windows.take([check('client-1', three)]), 0);
    // Each client has a window of its own.
    expect(await windows.take([check('client-2', three)])).toBeUndefined();
  });

  it('counts a check of cost n as n calls', async () => {
    const windows = await make();
    const five = rule(5);
    expect(await windows.take([check('c', five, 3)])).toBeUndefined();
    expectRefused(await windows.take([check('c', five, 3)]), 0);
    expect(await windows.take([check('c', five, 2)])).toBeUndefined();
    expectRefused(await windows.take([check('c', five, 1)]), 0);
    // More than the rule ever allows at once is refused even with an empty window.
    expectRefused(await windows.take([check('fresh', five, 6)]), 0);
  });

  it('admits all of several checks or none: a refusal records none of them', async () => {
    const windows = await make();
    const wide = rule(5);
    const narrow = rule(1);
    expectRefused(await windows.take([check('a', wide), check('b', narrow, 2)]), 1);
    // Nothing was counted: `a` still has all five calls and `b` its one.
    expect(await windows.take([check('b', narrow)])).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(await windows.take([check('a', wide)])).toBeUndefined();
    expectRefused(await windows.take([check('a', wide)]), 0);
  });

  it('answers many clients checked at the same moment, each on its own windows', async () => {
    const windows = await make();
    const one = rule(1);
    // In a Redis Cluster their windows sit in different slots: the calls must not be batched together.
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => windows.take([{ key: `f|client-${i}`, rule: one, cost: 1 }, { key: `g|client-${i}`, rule: one, cost: 1 }])));
    expect(first).toEqual(Array.from({ length: 20 }, () => undefined));
    const again = await Promise.all(Array.from({ length: 20 }, (_, i) => windows.take([{ key: `f|client-${i}`, rule: one, cost: 1 }])));
    for (const refused of again) expectRefused(refused, 0);
  });

  it('records every check of an admitted call', async () => {
    const windows = await make();
    const two = rule(2);
    expect(await windows.take([check('x', two), check('y', two)])).toBeUndefined();
    expect(await windows.take([check('x', two), check('y', two)])).toBeUndefined();
    expectRefused(await windows.take([check('x', two)]), 0);
    expectRefused(await windows.take([check('z', two), check('y', two)]), 1);
  });

  it('lends the burst after a quiet window and not after a busy one; max comes back once the window passed', async () => {
    const windows = await make();
    const lending = rule(2, 1);
    // Nothing in the window before: max + burst at once.
    expect(await windows.take([check('c', lending, 3)])).toBeUndefined();
    const wait = expectRefused(await windows.take([check('c', lending)]), 0);
    // Waiting what the refusal said empties the window.
    await elapse(wait);
    // The window before now holds max + burst: nothing left to borrow, but max is there again.
    expectRefused(await windows.take([check('c', lending, 3)]), 0);
    expect(await windows.take([check('c', lending, 2)])).toBeUndefined();
    expectRefused(await windows.take([check('c', lending)]), 0);
  });
});

redisOnly('Rate-limit windows', windowed.redis!, (_make, backend) => {
  it('shares one window between the instances on one Redis', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance('instance-a'), await instance('instance-b')];
    const two = rule(2);
    expect(await a.take([check('c', two)])).toBeUndefined();
    expect(await b.take([check('c', two)])).toBeUndefined();
    expectRefused(await a.take([check('c', two)]), 0);
    expectRefused(await b.take([check('c', two)]), 0);
  });
});
