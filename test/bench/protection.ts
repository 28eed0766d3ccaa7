/**
 * What the protection stack costs, and how exact the rate limiter is:
 *
 *   npx tsx test/bench/protection.ts [--rounds 3] [--duration 10] [--concurrency 32] ...
 *
 * Starts a redis-server and two Herald processes on it (production, REDIS_URL,
 * separate key prefixes): "on" is src/main.ts, "off" the same app built with
 * its protection stack left out (test/bench/unprotected-server.ts: no query
 * limits, no rate limits, no HTTP rules).
 *
 *   a. Mutation throughput: createTask over HTTP keep-alive as a service key
 *      (tasks:write, no ratelimit:bypass, so every call passes the limiter),
 *      --concurrency in flight for --duration s, against "on" and "off" in
 *      turn (the order alternates per round). The rule for createTask is
 *      raised above the load (RATE_LIMITS_FILE) so nothing is refused: what is
 *      measured is the cost of checking. Cost = 1 - on/off (target < 10 %).
 *   b. Limiter accuracy under load: on "on", createTask is limited to --max
 *      per --window s, and --concurrency callers hammer it for --accuracy s.
 *      Each decision (200 or 429) is compared with an exact count made from
 *      the client's clock: the admitted calls in the window before it
 *      (timestamps at the middle of each round trip). A decision agrees when
 *      admitted with fewer than --max before it, or refused with --max or more
 *      (target > 99 % agree). The limiter decided at an unknown instant of the
 *      round trip, so a decision agrees when the exact count at its start,
 *      middle or end fits it (the share at the middle alone is shown too).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { now, Publisher, r1, r3 } from './client.js';
import { benchOptions, gql, median, runBench, waitForQuiet, type LoadWait } from './common.js';
import { procCpuMs, startRedisServer, startServer, type ServerProcess } from './server.js';

const DEFAULTS = {
  rounds: 3,
  duration: 10, // a: seconds per run
  concurrency: 32, // requests in flight
  warmup: 2, // a: unmeasured seconds before each run
  max: 200, // b: calls per window
  window: 2, // b: window seconds
  accuracy: 10, // b: seconds of hammering
  'load-limit': 1.5,
  'load-wait': 120,
  help: false,
};
type Options = typeof DEFAULTS;

const TARGET_COST = 0.1;
const TARGET_AGREEMENT = 0.99;

type Run = { path: 'on' | 'off'; requests: number; failed: number; rate: number; serverCpuUsPerRequest: number | null; p50: number | undefined; p99: number | undefined; load: LoadWait };

async function serviceKey(server: ServerProcess): Promise<string> {
  const data = await gql<{ createApiKey: { secret: string } }>(server.graphqlUrl, server.token, 'mutation { createApiKey(input: { name: "bench", scopes: ["tasks:write"] }) { secret } }');
  return data.createApiKey.secret;
}

/** Keeps `concurrency` calls in flight until the deadline; returns what each did. */
async function hammer(publisher: Publisher, concurrency: number, seconds: number, onResult?: (ok: boolean, error: string | null, start: number, end: number) => void) {
  const deadline = now() + seconds * 1000;
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < deadline) {
        const start = now();
        const result = await publisher.publish('bench-protection', `t${sent++}`);
        onResult?.(result.ok, result.error, start, now());
      }
    }),
  );
}

async function throughput(server: ServerProcess, key: string, path: 'on' | 'off', o: Options, load: LoadWait): Promise<Run> {
  const publisher = new Publisher(server.graphqlUrl, key, o.concurrency);
  try {
    await hammer(publisher, o.concurrency, o.warmup);
    publisher.resetStats();
    const cpu0 = procCpuMs(server.pid);
    const t0 = now();
    await hammer(publisher, o.concurrency, o.duration);
    const ms = now() - t0;
    const cpu1 = procCpuMs(server.pid);
    const rtt = publisher.rtt.summary();
    return {
      path,
      requests: publisher.ok,
      failed: publisher.failed,
      rate: Math.round(publisher.ok / (ms / 1000)),
      serverCpuUsPerRequest: cpu0 === null || cpu1 === null ? null : r1(((cpu1 - cpu0) * 1000) / Math.max(1, publisher.ok)),
      p50: rtt.p50,
      p99: rtt.p99,
      load,
    };
  } finally {
    publisher.destroy();
  }
}

async function accuracy(server: ServerProcess, key: string, o: Options) {
  await gql(server.graphqlUrl, server.token, `mutation { setRateLimit(input: { field: "Mutation.createTask", max: ${o.max}, windowSeconds: ${o.window} }) { field } }`);
  const publisher = new Publisher(server.graphqlUrl, key, o.concurrency);
  const decisions: Array<{ at: number; start: number; end: number; admitted: boolean }> = [];
  let other = 0;
  try {
    await hammer(publisher, o.concurrency, o.accuracy, (ok, error, start, end) => {
      if (ok || error?.startsWith('HTTP 429')) decisions.push({ at: (start + end) / 2, start, end, admitted: ok });
      else other++;
    });
  } finally {
    publisher.destroy();
  }
  decisions.sort((a, b) => a.at - b.at);
  const windowMs = o.window * 1000;
  const admittedTimes = decisions.filter((d) => d.admitted).map((d) => d.at);
  /** Admitted calls (by their midpoints) in (t - window, t), not counting one at `self`. */
  const countBefore = (t: number, self: number) => {
    let n = 0;
    for (let lo = lowerBound(admittedTimes, t - windowMs + 1e-9); lo < admittedTimes.length && admittedTimes[lo]! < t; lo++) if (admittedTimes[lo] !== self) n++;
    return n;
  };
  let agree = 0;
  let agreeAtMidpoint = 0;
  let overAdmitted = 0;
  let underAdmitted = 0;
  for (const d of decisions) {
    const fits = (t: number) => d.admitted === countBefore(t, d.admitted ? d.at : Number.NaN) < o.max;
    if (fits(d.at)) agreeAtMidpoint++;
    // The limiter decided at some instant of the round trip: any of its start, middle or end will do.
    if (fits(d.at) || fits(d.start) || fits(d.end)) agree++;
    else if (d.admitted) overAdmitted++;
    else underAdmitted++;
  }
  // The most admitted in any window, from the client's clock.
  let most = 0;
  for (let i = 0, j = 0; i < admittedTimes.length; i++) {
    while (admittedTimes[i]! - admittedTimes[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return {
    decisions: decisions.length,
    admitted: admittedTimes.length,
    refused: decisions.length - admittedTimes.length,
    otherErrors: other,
    expectedAdmitted: Math.round((o.accuracy / o.window) * o.max),
    agreement: r3(agree / Math.max(1, decisions.length)),
    agreementAtMidpoint: r3(agreeAtMidpoint / Math.max(1, decisions.length)),
    overAdmitted,
    underAdmitted,
    mostInOneWindow: most,
  };
}

function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

async function main(): Promise<number> {
  const parsed = benchOptions('protection.ts', DEFAULTS, process.argv.slice(2));
  if ('exit' in parsed) return parsed.exit;
  const o = parsed.options;
  const redis = await startRedisServer();
  const file = join(mkdtempSync(join(tmpdir(), 'herald-bench-')), 'limits.json');
  // Far above the load: every call is checked, none refused.
  writeFileSync(file, JSON.stringify({ 'Mutation.createTask': { max: 100_000, windowSeconds: 60 } }));
  const env = (prefix: string) => ({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, RATE_LIMITS_FILE: file });
  const servers = {
    // Both under tsx: the unprotected variant has no build of its own.
    on: await startServer({ env: env('bench-on:'), entry: 'src/main.ts' }),
    off: await startServer({ env: env('bench-off:'), entry: 'test/bench/unprotected-server.ts' }),
  };
  try {
    const keys = { on: await serviceKey(servers.on), off: await serviceKey(servers.off) };
    console.log(`herald on pid ${servers.on.pid}, off pid ${servers.off.pid}, redis ${redis.url}; ${o.rounds} rounds x ${o.duration} s, concurrency ${o.concurrency}`);
    const runs: Run[] = [];
    for (let round = 0; round < o.rounds; round++) {
      for (const path of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        const load = await waitForQuiet(`a ${path} r${round + 1}`, o['load-limit'], o['load-wait'] * 1000);
        const run = await throughput(servers[path], keys[path], path, o, load);
        runs.push(run);
        console.log(`  a. protection ${path}: ${run.rate} createTask/s (${run.failed} failed; p50 ${run.p50} ms, p99 ${run.p99} ms; server ${run.serverCpuUsPerRequest} us CPU/request)`);
      }
    }
    const rate = (path: 'on' | 'off') => median(runs.filter((r) => r.path === path).map((r) => r.rate));
    const cpu = (path: 'on' | 'off') => median(runs.filter((r) => r.path === path).map((r) => r.serverCpuUsPerRequest ?? Number.NaN));
    const cost = r3(1 - rate('on') / rate('off'));
    await waitForQuiet('b', o['load-limit'], o['load-wait'] * 1000);
    const b = await accuracy(servers.on, keys.on, o);
    console.log(`\nmeasurement                               on          off         result / target`);
    console.log(`a. createTask/s (median of ${o.rounds})              ${String(rate('on')).padEnd(12)}${String(rate('off')).padEnd(12)}cost ${r1(cost * 100)} % (< ${TARGET_COST * 100} %: ${cost < TARGET_COST ? 'met' : 'MISSED'})`);
    console.log(`a. server CPU per request (us)            ${String(cpu('on')).padEnd(12)}${String(cpu('off')).padEnd(12)}`);
    console.log(
      `b. limiter decisions agreeing with exact  ${b.agreement * 100} % of ${b.decisions} (> ${TARGET_AGREEMENT * 100} %: ${b.agreement > TARGET_AGREEMENT ? 'met' : 'MISSED'}); admitted ${b.admitted} (a perfect limiter: ~${b.expectedAdmitted}), most in one window ${b.mostInOneWindow} of ${o.max}, over/under ${b.overAdmitted}/${b.underAdmitted}, at round-trip midpoints only ${b.agreementAtMidpoint * 100} %, other errors ${b.otherErrors}`,
    );
    console.log(JSON.stringify({ bench: 'protection', options: o, runs, summary: { onRate: rate('on'), offRate: rate('off'), cost, costTarget: cost < TARGET_COST, accuracy: b, accuracyTarget: b.agreement > TARGET_AGREEMENT } }));
    return 0;
  } finally {
    await servers.on.stop();
    await servers.off.stop();
    await redis.stop();
  }
}

runBench('protection', main, 3_600);
