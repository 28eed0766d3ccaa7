import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Sample } from './evaluator.js';

/** Running totals the sampler takes rates of over its window. */
export type Totals = {
  readonly httpRequests: number;
  readonly httpErrors: number;
  readonly slowConsumerDisconnects: number;
  readonly pushAttempts: number;
  readonly pushFailures: number;
};

export type SamplerSources = {
  readonly totals: () => Totals;
  /** The last round trip of each open connection (null before its first pong). */
  readonly heartbeatRtts: () => Iterable<number | null>;
  /** Registered gateways and the ones with at least one connection anywhere; rejects when it cannot tell. */
  readonly gateways: () => Promise<{ readonly registered: readonly string[]; readonly connected: ReadonlySet<string> }>;
  /** Whether Redis answers; null in embedded mode. */
  readonly redisReady: (() => boolean) | null;
};

/** Rates are taken over this much of the recent past (or since start, when younger). */
const WINDOW_MS = 60_000;
/** A share of fewer outcomes than this says little (one failed request of one is not a 100 % error rate): no value then. */
const MIN_REQUESTS = 20;
const MIN_PUSH_ATTEMPTS = 10;

/**
 * Reads the values the thresholds watch (evaluator.ts). Rates over the last
 * minute come from running totals kept at each reading; durations (a gateway
 * without a connection, Redis away) are counted from the first reading that
 * saw them. One instance's view: each instance watches itself.
 */
export function createSampler(sources: SamplerSources, now: () => number = Date.now) {
  const history: { at: number; totals: Totals }[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const startedAt = now();
  const disconnectedSince = new Map<string, number>();
  let lastGatewayValue: number | null = null;
  let redisAwaySince: number | null = null;

  const ratio = (part: number, whole: number, least: number) => (whole < least ? null : part / whole);

  async function gatewayValue(at: number): Promise<number | null> {
    let view;
    try {
      view = await sources.gateways();
    } catch {
      // Cannot tell now (Redis away): keep the last answer rather than clear an alert on no news.
      return lastGatewayValue;
    }
    const registered = new Set(view.registered);
    for (const id of disconnectedSince.keys()) if (!registered.has(id) || view.connected.has(id)) disconnectedSince.delete(id);
    let longest: number | null = registered.size === 0 ? null : 0;
    for (const id of registered) {
      if (view.connected.has(id)) continue;
      // Never seen connected since this instance started: counted from the start.
      if (!disconnectedSince.has(id)) disconnectedSince.set(id, history.length === 1 ? startedAt : at);
      longest = Math.max(longest ?? 0, (at - disconnectedSince.get(id)!) / 1000);
    }
    return (lastGatewayValue = longest);
  }

  return {
    async sample(): Promise<Sample> {
      const at = now();
      const totals = sources.totals();
      history.push({ at, totals });
      while (history.length > 2 && history[1]!.at <= at - WINDOW_MS) history.shift();
      const base = history[0]!.totals;
      const rtts = [...sources.heartbeatRtts()].filter((r): r is number => r !== null).sort((a, b) => a - b);
      const lagMs = loop.count > 0 ? loop.percentile(99) / 1e6 : null;
      loop.reset();
      if (sources.redisReady) {
        if (sources.redisReady()) redisAwaySince = null;
        else redisAwaySince ??= at;
      }
      return {
        errorRate: ratio(totals.httpErrors - base.httpErrors, totals.httpRequests - base.httpRequests, MIN_REQUESTS),
        // A count over the last minute, not a rate scaled up from a few seconds: one drop is one, not twelve.
        slowConsumerDropsPerMinute: totals.slowConsumerDisconnects - base.slowConsumerDisconnects,
        heartbeatRttP99Ms: rtts.length === 0 ? null : rtts[Math.min(rtts.length - 1, Math.ceil(rtts.length * 0.99) - 1)]!,
        pushFailureRate: ratio(totals.pushFailures - base.pushFailures, totals.pushAttempts - base.pushAttempts, MIN_PUSH_ATTEMPTS),
        gatewayDisconnectedSeconds: await gatewayValue(at),
        redisUnreachableSeconds: sources.redisReady ? (redisAwaySince === null ? 0 : (at - redisAwaySince) / 1000) : null,
        eventLoopLagMs: lagMs,
      };
    },
    stop: () => loop.disable(),
  };
}
