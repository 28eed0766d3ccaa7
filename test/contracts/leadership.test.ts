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
  it('lets a sole claimant lead, and keep leading as it claims again', async () => {
    const leadership = await make();
    expect(await leadership.claim()).toBe(true);
    expect(await leadership.claim()).toBe(true);
  });

  it('lets an instance that released lead again', async () => {
    const leadership = await make();
    await leadership.claim();
    await leadership.release();
    expect(await leadership.claim()).toBe(true);
    // Releasing what it does not hold is harmless.
    await leadership.release();
    await leadership.release();
    expect(await leadership.claim()).toBe(true);
  });
});

redisOnly('Leadership', leaders.redis!, (_make, backend) => {
  it('lets exactly one of two instances lead; the other takes over once it is released', async () => {
    const instance = backend.cluster();
    const [a, b] = [await instance('instance-a'), await instance('instance-b')];
    expect(await a.claim()).toBe(true);
    expect(await b.claim()).toBe(false);
    expect(await a.claim()).toBe(true);
    expect(await b.claim()).toBe(false);
    await a.release();
    expect(await b.claim()).toBe(true);
    expect(await a.claim()).toBe(false);
    // Releasing is for the leader only: the one that does not lead cannot end another's lead.
    await a.release();
    expect(await a.claim()).toBe(false);
    expect(await b.claim()).toBe(true);
  });

  it('lets both claim at once and makes only one of them the leader', async () => {
    const instance = backend.cluster();
    const claimants = await Promise.all(['a', 'b', 'c', 'd'].map((id) => instance(`instance-${id}`)));
    const won = await Promise.all(claimants.map((c) => c.claim()));
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it('keeps the lead while renewed within ttlMs, and hands it over once renewals stop for ttlMs', async () => {
    const ttlMs = 1_000;
    const instance = backend.cluster();
    const [a, b] = [await instance('instance-a', ttlMs), await instance('instance-b', ttlMs)];
    expect(await a.claim()).toBe(true);
    await elapse(600);
    expect(await a.claim()).toBe(true);
    const renewedAt = Date.now();
    await elapse(600);
    // Past the first claim's ttl: only the renewal keeps `a` leading.
    expect(await b.claim()).toBe(false);
    await outlive(renewedAt + ttlMs - Date.now());
    expect(await b.claim()).toBe(true);
    expect(await a.claim()).toBe(false);
  });
});
