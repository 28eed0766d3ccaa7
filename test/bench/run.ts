/**
 * Herald's own load benchmark: `npm run bench [-- options]`.
 *
 * Starts a server process per scenario (`node dist/main.js`, built first,
 * embedded mode, NODE_ENV=production with a generated admin token,
 * LOG_LEVEL=warn) on a free 127.0.0.1 port, waits for /health, loads it, and
 * stops it again (also on error or Ctrl-C). Scenarios:
 *
 *   fanout  S subscribers on one repository (+10 % on other repositories, which
 *           must receive nothing) x E createTask events published with C
 *           concurrent requests: deliveries/s, latency, lost/duplicates/leaks.
 *   idle    N connections with one subscription each: server RSS growth per
 *           1000 connections, setup time, then a few events to all of them.
 *   rate    R events/s for D seconds to S subscribers (open loop): latency
 *           p50/p99 overall and per second, and whether delivery kept up.
 *
 * Latency is measured client-side: each title is `t:<send ms>:<seq>` and the
 * sender and the receivers share this process's clock. Server CPU is read from
 * /proc/<pid>/stat (utime + stime, CLK_TCK from `getconf CLK_TCK`, so the
 * resolution is 10 ms at the usual 100 Hz) before and after the measured
 * phase; RSS from /proc/<pid>/status. The load tool shares the machine with
 * the server: when its CPU% nears 100 the numbers say more about the load tool
 * than about the server.
 *
 * Channels (batched ingest, batched delivery, compression) have their own
 * scenarios: `npm run bench:channels` (test/bench/channels.ts).
 *
 * Peer comparisons (raw ws, plain Yoga, Mercurius, ...) live in ../shared/bench.
 *
 * File descriptors: the load tool holds one socket per connection (the server
 * another), so `--conns` must stay below `ulimit -n` (set it in the shell
 * before running; Node cannot raise it).
 */
import { performance } from 'node:perf_hooks';
import { closeAll, mb, now, openAll, Publisher, r1, Samples, Subscriber, Tally, type Summary } from './client.js';
import { benchOptions, parseEnv, runBench } from './common.js';
import { CLK_TCK, cpuBetween, cpuSnapshot, procMemory, sleep, startServer, type CpuSnapshot, type ServerProcess } from './server.js';

// ------------------------------------------------------------------ options

const DEFAULTS = {
  scenario: 'all', // all | fanout | idle | rate, or a comma-separated list
  subs: 1000, // fanout + rate: subscribers on the measured repository
  others: 0.1, // fanout + rate: extra subscribers on other repositories, as a fraction of --subs
  events: 1000, // fanout: measured events
  concurrency: 8, // fanout: publish requests in flight
  warmup: 100, // fanout + rate: unmeasured events first
  conns: 2000, // idle: connections (one subscription each)
  'idle-events': 10, // idle: events sent to all idle subscribers after the RSS reading
  'conn-concurrency': 100, // connection handshakes in flight
  rate: 20, // rate: events per second
  duration: 10, // rate: seconds
  grace: 2, // rate: seconds after the last publish within which everything must be delivered
  'max-in-flight': 256, // rate: publishes beyond this many outstanding are skipped (and counted)
  timeout: 120, // fanout: seconds from the first publish until undelivered events count as lost
  'drain-timeout': 30, // rate: seconds after the last publish to wait for stragglers
  'setup-timeout': 120, // seconds to open and confirm all subscriptions
  'settle-ms': 300, // wait after the last delivery to catch late duplicates
  'max-seconds': 1200, // hard limit for the whole run
  'node-args': '', // extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  env: '', // extra server environment, "KEY=VALUE,KEY=VALUE"
  json: false, // also print one JSON line per scenario
  help: false,
};
type Options = { -readonly [K in keyof typeof DEFAULTS]: (typeof DEFAULTS)[K] };

const SCENARIOS = ['fanout', 'idle', 'rate'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

// Targets the numbers are read against (CPU per delivery is compared with peers in ../shared/bench).
const TARGET_IDLE_MB_PER_1000 = 27;
const TARGET_RATE_P99_MS = 100;

// ------------------------------------------------------------------ CPU readings

const cpuSince = (before: CpuSnapshot, pid: number) => cpuBetween(before, cpuSnapshot(pid));
type CpuUse = ReturnType<typeof cpuSince>;

const usPer = (cpuMs: number | null, count: number) => (cpuMs === null || count <= 0 ? null : r1((1000 * cpuMs) / count));

// ------------------------------------------------------------------ shared steps

type Rig = { server: ServerProcess; tally: Tally; publisher: Publisher; options: Options };

function makeSubs(rig: Rig, count: number, otherRatio: number, repository: string): Subscriber[] {
  const { server, tally } = rig;
  const subOptions = { wsUrl: server.wsUrl, token: server.token, tally, ackTimeoutMs: 30_000 };
  const subs: Subscriber[] = [];
  for (let i = 0; i < count; i++) subs.push(new Subscriber(repository, true, subOptions));
  const others = Math.round(count * otherRatio);
  for (let i = 0; i < others; i++) subs.push(new Subscriber(`${repository}-other-${i % 3}`, false, subOptions));
  return subs;
}

/** Publishes probe events on a repository until every subscriber of the group has seen one (bounded). */
async function probe(rig: Rig, group: readonly Subscriber[], repository: string, deadline: number, tag: string) {
  const started = now();
  let attempts = 0;
  while (now() < deadline && attempts < 30) {
    attempts++;
    await rig.publisher.publish(repository, `p:${tag}:${attempts}`);
    const until = Math.min(deadline, now() + 1_000);
    while (now() < until) {
      if (group.every((s) => s.probeSeen)) return { ok: true, ms: now() - started, missing: 0 };
      await sleep(10);
    }
  }
  const missing = group.filter((s) => !s.probeSeen).length;
  return { ok: missing === 0, ms: now() - started, missing };
}

/** Opens every subscriber and confirms with probe events that each subscription is live. */
async function openAndConfirm(rig: Rig, subs: readonly Subscriber[]) {
  const deadline = now() + rig.options['setup-timeout'] * 1000;
  const open = await openAll(subs, rig.options['conn-concurrency'], deadline);
  const byRepository = new Map<string, Subscriber[]>();
  for (const s of subs) {
    if (s.setupMs < 0) continue;
    let group = byRepository.get(s.repository);
    if (!group) byRepository.set(s.repository, (group = []));
    group.push(s);
  }
  const probes = await Promise.all([...byRepository].map(([repository, group]) => probe(rig, group, repository, deadline, 'confirm')));
  return {
    opened: subs.length - open.failed - open.notTried,
    failed: open.failed + open.notTried,
    openMs: r1(open.ms),
    setupMs: open.setupMs,
    confirmed: probes.every((p) => p.ok) && open.failed + open.notTried === 0,
    confirmMs: r1(Math.max(0, ...probes.map((p) => p.ms))),
    unconfirmed: probes.reduce((sum, p) => sum + p.missing, 0),
  };
}

/** Unmeasured events on the measured path (JIT, lazily built caches); waits (bounded) for their delivery. */
async function warmup(rig: Rig, repository: string, receivers: number) {
  const count = rig.options.warmup;
  if (count <= 0) return { events: 0, complete: true };
  const target = rig.tally.probeDeliveries + receivers * count;
  const deadline = now() + 60_000;
  let i = 0;
  const worker = async () => {
    while (i < count && now() < deadline) await rig.publisher.publish(repository, `p:warm:${i++}`);
  };
  await Promise.all(Array.from({ length: Math.max(1, rig.options.concurrency) }, worker));
  while (rig.tally.probeDeliveries < target && now() < deadline) await sleep(5);
  await sleep(300);
  return { events: count, complete: rig.tally.probeDeliveries >= target };
}

// ------------------------------------------------------------------ scenarios

const REPOSITORY = 'bench';

async function fanout(rig: Rig) {
  const { options, tally, publisher, server } = rig;
  const S = options.subs;
  const E = options.events;
  const subs = makeSubs(rig, S, options.others, REPOSITORY);
  try {
    const setup = await openAndConfirm(rig, subs);
    const primaries = subs.filter((s) => s.primary);
    const receivers = primaries.filter((s) => s.setupMs >= 0).length;
    const warm = await warmup(rig, REPOSITORY, receivers);
    for (const s of primaries) s.got = new Uint8Array(E);
    const latency = new Samples(Math.min(S * E, 4_000_000));
    const rssBefore = procMemory(server.pid);
    publisher.resetStats();
    const cpu0 = cpuSnapshot(server.pid);
    const t0 = now();
    tally.measurement = { events: E, latency };
    const deadline = t0 + options.timeout * 1000;

    let seq = 0;
    const worker = async () => {
      while (seq < E && now() < deadline) {
        const my = seq++;
        await publisher.publish(REPOSITORY, `t:${now().toFixed(3)}:${my}`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
    const publishMs = now() - t0;
    const expected = publisher.ok * receivers;
    while (tally.delivered < expected && now() < deadline) await sleep(5);
    const complete = tally.delivered >= expected;
    const doneAt = complete ? tally.lastDeliveryAt : now();
    const cpu = cpuSince(cpu0, server.pid);
    const rssAfter = procMemory(server.pid);
    await sleep(options['settle-ms']);
    const elapsedMs = Math.max(1, doneAt - t0);
    return {
      scenario: 'fanout' as const,
      params: { subs: S, others: subs.length - S, events: E, concurrency: options.concurrency },
      setup,
      warmup: warm,
      published: publisher.ok,
      publishFailed: publisher.failed,
      publishError: publisher.lastError,
      publishMs: r1(publishMs),
      publishRttMs: publisher.rtt.summary(),
      expected,
      delivered: tally.delivered,
      allDelivered: complete,
      allDeliveredMs: r1(elapsedMs),
      deliveriesPerSec: Math.round(tally.delivered / (elapsedMs / 1000)),
      latencyMs: latency.summary(),
      lost: expected - tally.delivered,
      duplicates: tally.duplicates,
      leaks: tally.leaks,
      outOfOrder: tally.outOfOrder,
      cpu,
      serverCpuUsPerDelivery: usPer(cpu.serverCpuMs, tally.delivered),
      rssMB: { before: mb(rssBefore?.rssKB), after: mb(rssAfter?.rssKB), peak: mb(rssAfter?.hwmKB) },
      errors: tally.errors(),
    };
  } finally {
    tally.measurement = null;
    closeAll(subs);
  }
}

async function idle(rig: Rig) {
  const { options, tally, server } = rig;
  const N = options.conns;
  // A few connections first, so that lazily loaded server code is in before the baseline reading.
  const warm = makeSubs(rig, 20, 0, 'idle-warmup');
  await openAndConfirm(rig, warm);
  closeAll(warm);
  await sleep(1_000);

  const subs = makeSubs(rig, N, 0, 'idle');
  try {
    const rssBefore = procMemory(server.pid);
    const cpu0 = cpuSnapshot(server.pid);
    const setup = await openAndConfirm(rig, subs);
    const setupCpu = cpuSince(cpu0, server.pid);
    await sleep(1_000);
    const rssAfter = procMemory(server.pid);
    const deltaKB = rssBefore && rssAfter ? rssAfter.rssKB - rssBefore.rssKB : null;

    // Then a few events to every idle subscriber, one at a time, each until delivered everywhere.
    const live = subs.filter((s) => s.probeSeen);
    const K = options['idle-events'];
    const deliveredBefore = tally.probeDeliveries;
    const cpu1 = cpuSnapshot(server.pid);
    const t1 = now();
    const deadline = t1 + 60_000;
    for (let k = 0; k < K && now() < deadline; k++) {
      const target = tally.probeDeliveries + live.length;
      await rig.publisher.publish('idle', `p:idle:${k}`);
      while (tally.probeDeliveries < target && now() < deadline) await sleep(2);
    }
    const eventCpu = cpuSince(cpu1, server.pid);
    const eventDeliveries = tally.probeDeliveries - deliveredBefore;
    const rssEnd = procMemory(server.pid);
    return {
      scenario: 'idle' as const,
      params: { conns: N, connConcurrency: options['conn-concurrency'], events: K },
      ...setup,
      setupCpu,
      serverCpuUsPerConnection: usPer(setupCpu.serverCpuMs, setup.opened),
      events: { deliveries: eventDeliveries, expected: K * live.length, ms: r1(now() - t1), cpu: eventCpu },
      serverCpuUsPerDelivery: usPer(eventCpu.serverCpuMs, eventDeliveries),
      rssMB: {
        before: mb(rssBefore?.rssKB),
        after: mb(rssAfter?.rssKB),
        afterEvents: mb(rssEnd?.rssKB),
        delta: mb(deltaKB),
        perThousand: deltaKB === null || setup.opened === 0 ? null : r1((deltaKB / 1024) * (1000 / setup.opened)),
      },
      errors: tally.errors(),
    };
  } finally {
    closeAll(subs);
  }
}

async function rate(rig: Rig) {
  const { options, tally, publisher, server } = rig;
  const S = options.subs;
  const R = options.rate;
  const D = options.duration;
  const E = Math.max(1, Math.round(R * D));
  const subs = makeSubs(rig, S, options.others, REPOSITORY);
  try {
    const setup = await openAndConfirm(rig, subs);
    const primaries = subs.filter((s) => s.primary);
    const receivers = primaries.filter((s) => s.setupMs >= 0).length;
    const warm = await warmup(rig, REPOSITORY, receivers);
    for (const s of primaries) s.got = new Uint8Array(E);
    const latency = new Samples(Math.min(S * E, 4_000_000));
    const perSecond = Array.from({ length: Math.max(1, Math.ceil(D)) }, () => new Samples(1024));
    const lag = new Samples(E);
    const rssBefore = procMemory(server.pid);
    publisher.resetStats();
    const cpu0 = cpuSnapshot(server.pid);
    const t0 = now();
    let graceEnd = Infinity;
    let withinGrace = 0;
    tally.measurement = {
      events: E,
      latency,
      onDelivery: (receivedAt, sentAt) => {
        const second = Math.floor((sentAt - t0) / 1000);
        perSecond[Math.max(0, Math.min(perSecond.length - 1, second))]!.push(receivedAt - sentAt);
        if (receivedAt <= graceEnd) withinGrace++;
      },
    };

    // Open loop: event i is due at t0 + i * 1000 / R, whatever the server's pace.
    let sent = 0;
    let inFlight = 0;
    let skipped = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(E, Math.floor(((now() - t0) * R) / 1000) + 1);
        while (sent < due) {
          const my = sent++;
          if (inFlight >= options['max-in-flight']) {
            skipped++;
            continue;
          }
          lag.push(now() - (t0 + (my * 1000) / R));
          inFlight++;
          void publisher.publish(REPOSITORY, `t:${now().toFixed(3)}:${my}`).then(() => void inFlight--);
        }
        if (sent >= E) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 2);
      tick();
    });
    const lastSendAt = now();
    graceEnd = lastSendAt + options.grace * 1000;
    const publishDeadline = lastSendAt + 30_000;
    while (inFlight > 0 && now() < publishDeadline) await sleep(5);
    const expected = publisher.ok * receivers;
    const drainDeadline = lastSendAt + options['drain-timeout'] * 1000;
    while (tally.delivered < expected && now() < drainDeadline) await sleep(5);
    const complete = tally.delivered >= expected;
    const doneAt = complete ? tally.lastDeliveryAt : now();
    const cpu = cpuSince(cpu0, server.pid);
    const rssAfter = procMemory(server.pid);
    await sleep(options['settle-ms']);
    const lagSummary = lag.summary();
    const keptUp =
      complete && withinGrace >= expected && skipped === 0 && publisher.failed === 0 && (lagSummary.p99 ?? 0) < 100;
    return {
      scenario: 'rate' as const,
      params: { subs: S, others: subs.length - S, rate: R, durationS: D, events: E, graceS: options.grace },
      setup,
      warmup: warm,
      published: publisher.ok,
      publishFailed: publisher.failed,
      publishSkipped: skipped,
      publishError: publisher.lastError,
      publishLagMs: lagSummary,
      publishRttMs: publisher.rtt.summary(),
      expected,
      delivered: tally.delivered,
      deliveredWithinGrace: withinGrace,
      drainMs: r1(doneAt - lastSendAt),
      deliveriesPerSec: Math.round(tally.delivered / (Math.max(1, doneAt - t0) / 1000)),
      offeredPerSec: R * receivers,
      keptUp,
      latencyMs: latency.summary(),
      p99BySecondMs: perSecond.map((s) => s.summary().p99 ?? null),
      lost: expected - tally.delivered,
      duplicates: tally.duplicates,
      leaks: tally.leaks,
      outOfOrder: tally.outOfOrder,
      cpu,
      serverCpuUsPerDelivery: usPer(cpu.serverCpuMs, tally.delivered),
      rssMB: { before: mb(rssBefore?.rssKB), after: mb(rssAfter?.rssKB), peak: mb(rssAfter?.hwmKB) },
      errors: tally.errors(),
    };
  } finally {
    tally.measurement = null;
    closeAll(subs);
  }
}

type FanoutResult = Awaited<ReturnType<typeof fanout>>;
type IdleResult = Awaited<ReturnType<typeof idle>>;
type RateResult = Awaited<ReturnType<typeof rate>>;
type Result = FanoutResult | IdleResult | RateResult;

// ------------------------------------------------------------------ output

const fmt = (x: number | null | undefined, digits = 1) => (x == null ? '-' : x.toFixed(digits));
const lat = (s: Summary) => `p50 ${fmt(s.p50)}  p90 ${fmt(s.p90)}  p99 ${fmt(s.p99)}  max ${fmt(s.max)} ms`;
const cpuLine = (c: CpuUse) =>
  `server ${fmt(c.serverCpuPct)}% (${fmt(c.serverCpuMs, 0)} ms)  load tool ${fmt(c.loadToolCpuPct)}%  other ${fmt(c.otherCpuPct)}%  over ${fmt(c.wallMs, 0)} ms`;

function describe(res: Result): string {
  const rows: Array<[string, string]> = [];
  const add = (k: string, v: string) => rows.push([k, v]);
  const errors = `gql ${res.errors.gql}  protocol ${res.errors.protocol}  unexpected closes ${res.errors.unexpectedCloses}${res.errors.last ? `  last: ${res.errors.last}` : ''}`;
  if (res.scenario === 'fanout') {
    add('params', JSON.stringify(res.params));
    add('setup', `${res.setup.opened} subscribed (${res.setup.failed} failed) in ${res.setup.openMs} ms; confirmed ${res.setup.confirmed}`);
    add('publish', `${res.published} ok / ${res.publishFailed} failed in ${res.publishMs} ms (rtt p50 ${fmt(res.publishRttMs.p50)} ms)${res.publishError ? `; last error: ${res.publishError}` : ''}`);
    add('delivered', `${res.delivered}/${res.expected} in ${res.allDeliveredMs} ms -> ${res.deliveriesPerSec} deliveries/s`);
    add('latency', lat(res.latencyMs));
    add('lost/dup/leak/order', `${res.lost} / ${res.duplicates} / ${res.leaks} / ${res.outOfOrder}`);
    add('server CPU', `${fmt(res.serverCpuUsPerDelivery)} us per delivery; ${cpuLine(res.cpu)}`);
    add('server RSS', `${fmt(res.rssMB.before)} -> ${fmt(res.rssMB.after)} MB (peak ${fmt(res.rssMB.peak)})`);
  } else if (res.scenario === 'idle') {
    add('params', JSON.stringify(res.params));
    add('setup', `${res.opened} subscribed (${res.failed} failed) in ${res.openMs} ms + confirmed ${res.confirmed} in ${res.confirmMs} ms; per connection p50 ${fmt(res.setupMs.p50)} p99 ${fmt(res.setupMs.p99)} ms`);
    add('server RSS', `${fmt(res.rssMB.before)} -> ${fmt(res.rssMB.after)} MB = +${fmt(res.rssMB.perThousand)} MB per 1000 subscribed connections (target <= ${TARGET_IDLE_MB_PER_1000}); ${fmt(res.rssMB.afterEvents)} MB after the events`);
    add('setup CPU', `${fmt(res.serverCpuUsPerConnection, 0)} us per connection; ${cpuLine(res.setupCpu)}`);
    add('events', `${res.events.deliveries}/${res.events.expected} delivered in ${res.events.ms} ms`);
    add('server CPU', `${fmt(res.serverCpuUsPerDelivery)} us per delivery; ${cpuLine(res.events.cpu)}`);
  } else {
    add('params', JSON.stringify(res.params));
    add('setup', `${res.setup.opened} subscribed (${res.setup.failed} failed) in ${res.setup.openMs} ms; confirmed ${res.setup.confirmed}`);
    add('publish', `${res.published} ok / ${res.publishFailed} failed / ${res.publishSkipped} skipped; lag p99 ${fmt(res.publishLagMs.p99)} ms; rtt p99 ${fmt(res.publishRttMs.p99)} ms${res.publishError ? `; last error: ${res.publishError}` : ''}`);
    add('delivered', `${res.delivered}/${res.expected} (within grace ${res.deliveredWithinGrace}); drained ${res.drainMs} ms after the last publish`);
    add('kept up', `${res.keptUp}; ${res.deliveriesPerSec} deliveries/s (offered ${res.offeredPerSec})`);
    add('latency', `${lat(res.latencyMs)}  (target p99 <= ${TARGET_RATE_P99_MS})`);
    add('p99 by second', res.p99BySecondMs.map((x) => fmt(x)).join(' '));
    add('lost/dup/leak/order', `${res.lost} / ${res.duplicates} / ${res.leaks} / ${res.outOfOrder}`);
    add('server CPU', `${fmt(res.serverCpuUsPerDelivery)} us per delivery; ${cpuLine(res.cpu)}`);
    add('server RSS', `${fmt(res.rssMB.before)} -> ${fmt(res.rssMB.after)} MB (peak ${fmt(res.rssMB.peak)})`);
  }
  add('errors', errors);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`== ${res.scenario}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}

function summaryTable(results: readonly Result[]): string {
  const header = ['scenario', 'deliveries', 'deliv/s', 'p50 ms', 'p99 ms', 'lost/dup/leak', 'srv us/deliv', 'srv CPU%', 'load CPU%', 'RSS MB', 'verdict'];
  const rows: string[][] = [header];
  for (const res of results) {
    if (res.scenario === 'idle') {
      const per = res.rssMB.perThousand;
      rows.push([
        `idle ${res.params.conns}`,
        String(res.events.deliveries),
        '-',
        '-',
        '-',
        '-',
        fmt(res.serverCpuUsPerDelivery),
        fmt(res.events.cpu.serverCpuPct),
        fmt(res.events.cpu.loadToolCpuPct),
        fmt(res.rssMB.after),
        `${fmt(per)} MB/1000 conns ${per !== null && per <= TARGET_IDLE_MB_PER_1000 ? 'ok' : 'OVER'} (<= ${TARGET_IDLE_MB_PER_1000})`,
      ]);
      continue;
    }
    const verdict =
      res.scenario === 'rate'
        ? `keptUp ${res.keptUp}, p99 ${(res.latencyMs.p99 ?? Infinity) <= TARGET_RATE_P99_MS ? 'ok' : 'OVER'} (<= ${TARGET_RATE_P99_MS} ms)`
        : `${res.allDelivered ? 'all delivered' : 'INCOMPLETE'}`;
    rows.push([
      res.scenario === 'rate' ? `rate ${res.params.rate}/s x ${res.params.subs}` : `fanout ${res.params.subs} x ${res.params.events}`,
      String(res.delivered),
      String(res.deliveriesPerSec),
      fmt(res.latencyMs.p50),
      fmt(res.latencyMs.p99),
      `${res.lost}/${res.duplicates}/${res.leaks}`,
      fmt(res.serverCpuUsPerDelivery),
      fmt(res.cpu.serverCpuPct),
      fmt(res.cpu.loadToolCpuPct),
      fmt(res.rssMB.after),
      verdict,
    ]);
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r, ri) => {
      const line = r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

// ------------------------------------------------------------------ main

async function main(): Promise<number> {
  const parsed = benchOptions('run.ts', DEFAULTS, process.argv.slice(2));
  if ('exit' in parsed) return parsed.exit;
  const { options } = parsed;
  const wanted = options.scenario === 'all' ? [...SCENARIOS] : options.scenario.split(',').map((s) => s.trim());
  const unknown = wanted.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0 || wanted.length === 0) {
    console.error(`unknown scenario ${unknown.join(', ')}; expected all or ${SCENARIOS.join(', ')}`);
    return 64;
  }
  const env = {
    // Every load connection comes from 127.0.0.1 as the admin: lift the
    // per-address attempt limit and the per-principal connection limit, and
    // leave room for the idle scenario's connections plus the others.
    WS_MAX_CONNECTIONS: String(Math.max(10_000, options.conns + options.subs * 2 + 100)),
    WS_MAX_CONNECTIONS_PER_PRINCIPAL: String(Math.max(100_000, options.conns + options.subs * 2 + 100)),
    WS_RATE_LIMIT_PER_MINUTE: '10000000',
    WS_AUTHENTICATED_RATE_LIMIT_PER_MINUTE: '10000000',
    ...parseEnv(options.env),
  };
  const nodeArgs = options['node-args'].split(/\s+/).filter(Boolean);
  console.log(
    `herald bench: ${wanted.join(', ')} on ${process.version}, CLK_TCK ${CLK_TCK}; load tool pid ${process.pid}` +
      (nodeArgs.length ? `; server node args: ${nodeArgs.join(' ')}` : ''),
  );

  const results: Result[] = [];
  let failures = 0;
  for (const name of wanted as ScenarioName[]) {
    const started = performance.now();
    const server = await startServer({ nodeArgs, env });
    const tally = new Tally();
    const publisher = new Publisher(server.graphqlUrl, server.token, name === 'rate' ? 32 : Math.max(1, options.concurrency));
    const rig: Rig = { server, tally, publisher, options };
    try {
      console.log(`\n-- ${name}: server pid ${server.pid} on port ${server.port}`);
      const res = name === 'fanout' ? await fanout(rig) : name === 'idle' ? await idle(rig) : await rate(rig);
      if (!server.alive()) throw new Error(`server exited during the run; its output:\n${server.output()}`);
      results.push(res);
      console.log(describe(res));
      console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s incl. server start/stop)`);
      if (options.json) console.log(JSON.stringify(res));
    } catch (err) {
      failures++;
      console.error(`${name} failed: ${err instanceof Error ? err.stack : String(err)}`);
    } finally {
      publisher.destroy();
      await sleep(200); // let the server see the client sockets go before it shuts down
      await server.stop();
      const tail = server.output().trim();
      if (tail) console.log(`  server output (last lines):\n${tail.split('\n').slice(-5).map((l) => `    ${l.slice(0, 300)}`).join('\n')}`);
    }
  }
  if (results.length > 0) console.log(`\n${summaryTable(results)}`);
  return failures > 0 ? 1 : 0;
}

runBench('bench', main, DEFAULTS['max-seconds']);
