import { describe, expect, it } from 'vitest';
import { createSampler, type SamplerSources, type Totals } from '../../src/alerts/sampler.js';

function setUp(overrides: Partial<SamplerSources> = {}) {
  let now = 1_000_000;
  const totals: { -readonly [K in keyof Totals]: number } = { httpRequests: 0, httpErrors: 0, slowConsumerDisconnects: 0, pushAttempts: 0, pushFailures: 0 };
  const gateways = { registered: [] as string[], connected: new Set<string>() };
  let redisUp = true;
  const sampler = createSampler(
    {
      totals: () => ({ ...totals }),
      heartbeatRtts: () => [],
      gateways: async () => gateways,
      redisReady: () => redisUp,
      ...overrides,
    },
    () => now,
  );
  return {
    sampler,
    totals,
    gateways,
    advance: (ms: number) => void (now += ms),
    setRedis: (up: boolean) => void (redisUp = up),
  };
}

describe('threshold sampler', () => {
  it('takes the error rate over the last minute, and none from fewer than 20 requests', async () => {
    const s = setUp();
    await s.sampler.sample();
    s.totals.httpRequests = 10;
    s.totals.httpErrors = 10;
    s.advance(5_000);
    expect((await s.sampler.sample()).errorRate).toBeNull();
    s.totals.httpRequests = 40;
    s.advance(5_000);
    expect((await s.sampler.sample()).errorRate).toBe(0.25);
    // A minute later the early errors have left the window.
    s.advance(61_000);
    s.totals.httpRequests = 80;
    await s.sampler.sample();
    s.advance(5_000);
    expect((await s.sampler.sample()).errorRate).toBe(0);
    s.sampler.stop();
  });

  it('counts slow-consumer drops over the last minute, not a rate scaled up from a few seconds', async () => {
    const s = setUp();
    await s.sampler.sample();
    s.totals.slowConsumerDisconnects = 3;
    s.advance(2_000);
    expect((await s.sampler.sample()).slowConsumerDropsPerMinute).toBe(3);
    s.advance(59_000);
    await s.sampler.sample();
    s.advance(2_000);
    expect((await s.sampler.sample()).slowConsumerDropsPerMinute).toBe(0);
    s.sampler.stop();
  });

  it('measures how long a gateway has been without a connection and how long Redis has been away', async () => {
    const s = setUp();
    expect((await s.sampler.sample()).gatewayDisconnectedSeconds).toBeNull();
    s.gateways.registered.push('g1', 'g2');
    s.gateways.connected.add('g1');
    s.advance(10_000);
    expect((await s.sampler.sample()).gatewayDisconnectedSeconds).toBe(0);
    s.advance(30_000);
    expect((await s.sampler.sample()).gatewayDisconnectedSeconds).toBe(30);
    s.gateways.connected.add('g2');
    s.advance(1_000);
    expect((await s.sampler.sample()).gatewayDisconnectedSeconds).toBe(0);

    s.setRedis(false);
    expect((await s.sampler.sample()).redisUnreachableSeconds).toBe(0);
    s.advance(12_000);
    expect((await s.sampler.sample()).redisUnreachableSeconds).toBe(12);
    s.setRedis(true);
    expect((await s.sampler.sample()).redisUnreachableSeconds).toBe(0);
    s.sampler.stop();
  });

  it('keeps the last gateway answer when the cluster cannot be read, and has no Redis figure in embedded mode', async () => {
    let fail = false;
    const s = setUp({ redisReady: null, gateways: async () => (fail ? Promise.reject(new Error('redis away')) : { registered: ['g'], connected: new Set<string>() }) });
    await s.sampler.sample();
    s.advance(20_000);
    expect((await s.sampler.sample()).gatewayDisconnectedSeconds).toBe(20);
    fail = true;
    s.advance(5_000);
    const sample = await s.sampler.sample();
    expect(sample.gatewayDisconnectedSeconds).toBe(20);
    expect(sample.redisUnreachableSeconds).toBeNull();
    s.sampler.stop();
  });
});
