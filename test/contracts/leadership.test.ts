import { expect, it } from 'vitest';
import type { Leadership } from '../../src/push/leader.js';
import { alwaysLeader } from '../../src/push/leader.memory.js';
import { redisLeadership } from '../../src/push/leader.redis.js';
import { contract, elapse, outlive, redisOnly, type Makers } from './backends.js';

const leaders: Makers<Leadership, [instanceId?: string, ttlMs?: number]> = {
  memory: () => alwaysLeader(),
  redis: (redis, instanceId = 'instance-a', ttlMs = 30_000) => redisLeadership(redis, instanceId, ttlMs),
};

contract('Leadership', leaders, (make) => {
  it('lets a sole claimant lead, and keep leading, with the same fencing token, as it claims again', async () => {
    const leadership = await make();
    const token = await leadership.claim();
    expect(token).toBeGreaterThan(0);
    expect(await leadership.claim()).toBe(token);
  });

  it('lets an instance that released lead again', async () => {
    const leadership = await make();
    await leadership.claim();
    await leadership.release();
    expect(await leadership.claim()).not.toBeNull();
    // Releasing what it does not hold is harmless.
    await leadership.release();
    await leadership.release();
    expect(await leadership.claim()).not.toBeNull();
  });
});

redisOnly('Leadership', leaders.redis!, (_make, backend) => {
  it('lets exactly one of two instances lead; the other takes over once it is released, with a larger fencing token', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance('instance-a'), await instance('instance-b')];
    const first = await a.claim();
    expect(first).not.toBeNull();
    expect(await b.claim()).toBeNull();
    expect(await a.claim()).toBe(first);
    expect(await b.claim()).toBeNull();
    await a.release();
    const second = await b.claim();
    expect(second).toBeGreaterThan(first!);
    expect(await a.claim()).toBeNull();
    // Releasing is for the leader only: the one that does not lead cannot end another's lead.
    await a.release();
    expect(await a.claim()).toBeNull();
    expect(await b.claim()).toBe(second);
    // Every new lead, even the same instance's again, has a token no earlier lead had.
    await b.release();
    expect(await a.claim()).toBeGreaterThan(second!);
  });

  it('lets both claim at once and makes only one of them the leader', async () => {
    const instance = backend.cluster();
    const claimants = await Promise.all(['a', 'b', 'c', 'd'].map((id) => instance(`instance-${id}`)));
    const won = await Promise.all(claimants.map((c) => c.claim()));
    expect(won.filter((token) => token !== null)).toHaveLength(1);
  });

  it('keeps the lead while renewed within ttlMs, and hands it over once renewals stop for ttlMs', async () => {
    const ttlMs = 1_000;
    const instance = backend.cluster();
    const [a, b] = [await instance('instance-a', ttlMs), await instance('instance-b', ttlMs)];
    const first = await a.claim();
    expect(first).not.toBeNull();
    await elapse(600);
    expect(await a.claim()).toBe(first);
    const renewedAt = Date.now();
    await elapse(600);
    // Past the first claim's ttl: only the renewal keeps `a` leading.
    expect(await b.claim()).toBeNull();
    await outlive(renewedAt + ttlMs - Date.now());
    expect(await b.claim()).toBeGreaterThan(first!);
    expect(await a.claim()).toBeNull();
  });
});
