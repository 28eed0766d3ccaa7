/**
 * Push to CLI endpoints under load:
 *
 *   npx tsx test/bench/push.ts [--endpoints 50] [--rate 100] [--duration 30] [--fail 0.05] [--redis]
 *
 * For each run a fresh server (`node dist/main.js`, built first via ./server.ts:
 * NODE_ENV=production, generated admin token, LOG_LEVEL=warn, HOST=127.0.0.1,
 * embedded mode; with --redis also a throw-away `redis-server --save ''
 * --appendonly no` on a free port and REDIS_URL), then:
 *
 *   1. starts --endpoints receivers (node http servers on 127.0.0.1:0) and
 *      registers each with `registerCli` for repository "bench", so every event
 *      goes to every endpoint,
 *   2. sends --warmup unmeasured events at --rate and waits until every
 *      endpoint has them: a freshly started server compiles its hot paths
 *      during its first thousands of deliveries, which the warm-up latency
 *      shows and the measured phase should not (with --warmup 20 the first
 *      measured second's p99 is over 100 ms, the others about 10 ms),
 *   3. publishes --rate createTask/s open loop for --duration s (event i is due
 *      at t0 + i / rate whatever the server's pace); each title is
 *      `t:<send time ms>:<seq>` on this process's performance.now() clock,
 *   4. waits (bounded) for every (event, endpoint) pair to be answered 2xx.
 *
 * Run a: receivers always answer 200. Latency = arrival of the whole request
 * body at the receiver - send time of the createTask mutation.
 * Run b: receivers answer 500 to a random --fail share of the measured POSTs.
 * An event counts as delivered to an endpoint when a POST of it was answered
 * 2xx; latency then includes the retries. After the last publish the run waits
 * at most the retry budget (the sum of the backoff caps of PUSH_MAX_ATTEMPTS - 1
 * retries), capped by --retry-wait, for what is still missing. Afterwards
 * `cliEndpoints { breakerState failed fallback }` tells whether any event was
 * given up (`failed`), and how many of those a WebSocket took (`fallback`;
 * none here, as no CLI listens).
 *
 * Before each run the 1-minute load average must be below --max-load (waits up
 * to --load-wait s, then runs anyway and says so). Server CPU is utime + stime
 * from /proc/<pid>/stat over the measured phase (first publish to the last
 * delivery, or the end of the wait). The load tool shares the 2 cores with the
 * server; its own CPU share is printed too.
 *
 * Why not test/helpers/receiver.ts: it keeps every request (headers and body)
 * and answers through a setTimeout, which at 5000 requests/s costs memory and
 * adds a timer hop to the measured latency. The receivers here keep counters.
 * Not a vitest file on purpose (no *.test.ts, no describe/it).
 */
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { verify } from '../../src/push/signature.js';
import { mb, now, Publisher, r1, r3, Samples, type Summary } from './client.js';
import { benchOptions, parseEnv, runBench } from './common.js';
import { CLK_TCK, cpuBetween, cpuSnapshot, startRedisServer, procMemory, sleep, startServer, type ServerProcess } from './server.js';

// ------------------------------------------------------------------ options

const DEFAULTS = {
  endpoints: 50, // receivers, each registered for "bench"
  rate: 100, // events per second (each goes to every endpoint)
  duration: 30, // seconds of publishing per run
  fail: 0.05, // run b: share of measured POSTs answered 500
  runs: 'a,b', // which runs: a (all 200), b (random failures)
  warmup: 300, // unmeasured events before each measured phase, sent at --rate
  drain: 30, // run a: seconds after the last publish to wait for missing deliveries
  'retry-wait': 60, // run b: cap on the wait after the last publish (the retry budget is used when shorter)
  'max-in-flight': 256, // publishes beyond this many outstanding are skipped (and counted)
  'publish-sockets': 32, // keep-alive sockets of the publisher
  'settle-ms': 500, // wait after the last expected delivery, for late duplicates
  'max-load': 1.5, // the 1-minute load average must be below this before a run
  'load-wait': 180, // seconds to wait at most for it
  'max-seconds': 1200, // hard limit for the whole benchmark
  redis: false,
  'node-args': '', // extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  env: '', // extra server environment, "KEY=VALUE,KEY=VALUE"
  root: '', // directory to run the server from (default: this checkout), e.g. a copy with a change to compare
  help: false,
};
type Options = { -readonly [K in keyof typeof DEFAULTS]: (typeof DEFAULTS)[K] };

/** Values that parse but make no sense. */
function check(options: Options): void {
  if (options.endpoints < 1 || options.rate <= 0 || options.duration <= 0) throw new Error('--endpoints, --rate and --duration must be positive');
  if (options.fail >= 1) throw new Error('--fail must be below 1');
  parseEnv(options.env);
  const runs = options.runs.split(',').map((s) => s.trim()).filter(Boolean);
  if (runs.length === 0 || runs.some((r) => r !== 'a' && r !== 'b')) throw new Error(`--runs: expected a, b or a,b; got ${options.runs}`);
}

const TARGET_P99_MS = 100;
const TARGET_DELIVERED_SHARE = 0.999;
const REPOSITORY = 'bench';

/** The server's push settings: its defaults (src/config.ts) unless --env overrides them. */
function pushSettings(env: Record<string, string>) {
  const n = (key: string, fallback: number) => (env[key] !== undefined ? Number(env[key]) : fallback);
  return {
    timeoutMs: n('PUSH_TIMEOUT_MS', 5000),
    baseMs: n('PUSH_RETRY_BASE_MS', 500),
    maxMs: n('PUSH_RETRY_MAX_MS', 60000),
    maxAttempts: n('PUSH_MAX_ATTEMPTS', 8),
    breakerThreshold: n('PUSH_BREAKER_THRESHOLD', 5),
    breakerOpenMs: n('PUSH_BREAKER_OPEN_MS', 30000),
  };
}

/** The longest an event's retries can wait in total: the backoff caps of attempts 1 .. maxAttempts-1. */
function retryBudgetMs(s: ReturnType<typeof pushSettings>): number {
  let total = 0;
  for (let attempt = 1; attempt < s.maxAttempts; attempt++) total += Math.min(s.maxMs, s.baseMs * 2 ** (attempt - 1));
  return total;
}

// ------------------------------------------------------------------ load average

type LoadCheck = { uptime: string; load1Before: number; load1: number; waitedS: number; ok: boolean };

function uptimeLine(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `loadavg ${loadavg().map((x) => x.toFixed(2)).join(' ')}`;
  }
}

/** Waits (bounded) until the 1-minute load average is below the limit. */
async function waitForLoad(max: number, waitS: number): Promise<LoadCheck> {
  const started = now();
  const load1Before = loadavg()[0]!;
  let reported = 0;
  while (loadavg()[0]! >= max && now() - started < waitS * 1000) {
    if (now() - reported > 30_000) {
      console.log(`  waiting for load < ${max}: ${uptimeLine()}`);
      reported = now();
    }
    await sleep(5_000);
  }
  const load1 = loadavg()[0]!;
  return { uptime: uptimeLine(), load1Before: r3(load1Before), load1: r3(load1), waitedS: r1((now() - started) / 1000), ok: load1 < max };
}

// ------------------------------------------------------------------ GraphQL over HTTP

async function graphql(server: ServerProcess, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let body: { data?: Record<string, any> | null; errors?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  if (response.status !== 200 || body.errors || !body.data) throw new Error(`GraphQL request failed (${response.status}): ${JSON.stringify(body).slice(0, 500)}`);
  return body.data;
}

const REGISTER = 'mutation BenchRegisterCli($input: RegisterCliInput!) { registerCli(input: $input) { id secret } }';
const ENDPOINTS = '{ cliEndpoints { id breakerState consecutiveFailures delivered failed fallback healthy } }';
const DELIVERIES = 'query BenchDeliveries($id: ID!) { deliveries(registrationId: $id, first: 500) { status attempts lastError latencyMs } }';

// ------------------------------------------------------------------ receivers

/** The measured phase, shared by all receivers. */
type Measurement = {
  readonly events: number;
  readonly failRate: number;
  readonly t0: number;
  readonly latency: Samples;
  /** Latency by the second the event was sent in. */
  readonly bySecond: Samples[];
  delivered: number;
  lastDeliveryAt: number;
  /** Deliveries up to the last publish (for the throughput while publishing). */
  deliveredWhilePublishing: number;
  /** Deliveries whose 2xx came at most `budgetMs` after their send. */
  withinBudget: number;
  budgetMs: number;
};

type Receiver = {
  readonly index: number;
  readonly url: string;
  readonly server: Server;
  registrationId: string;
  secret: string;
  /** Per measured event: answered 2xx already. */
  got: Uint8Array | null;
  posts: number;
  answered500: number;
  warm: number;
  duplicates: number;
  outOfOrder: number;
  lastPosition: number;
  badRequests: number;
  missingHeaders: number;
  signaturesChecked: number;
  badSignatures: number;
  healthChecks: number;
  connections: number;
};

type Shared = { measurement: Measurement | null; unexpected: number; warmLatency: Samples };

async function startReceiver(index: number, shared: Shared): Promise<Receiver> {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') {
      r.healthChecks++;
      req.resume();
      res.writeHead(200, { 'content-length': '0' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = now();
      r.posts++;
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      let event: { position?: unknown; payload?: { task?: { title?: unknown } } };
      try {
        event = JSON.parse(text) as typeof event;
      } catch {
        r.badRequests++;
        res.writeHead(200, { 'content-length': '0' }).end();
        return;
      }
      const h = req.headers;
      if (!h['x-herald-event'] || !h['x-herald-delivery'] || !h['x-herald-timestamp'] || !h['x-herald-signature']) r.missingHeaders++;
      const title = event.payload?.task?.title;
      const position = typeof event.position === 'number' ? event.position : -1;
      const m = shared.measurement;
      if (typeof title === 'string' && title.startsWith('t:') && m && r.got) {
        if (Math.random() < m.failRate) {
          r.answered500++;
          res.writeHead(500, { 'content-length': '0' }).end();
          return;
        }
        const colon = title.indexOf(':', 2);
        const seq = Number(title.slice(colon + 1));
        const sentAt = Number(title.slice(2, colon));
        if (!(seq >= 0 && seq < m.events) || !Number.isFinite(sentAt)) {
          shared.unexpected++;
        } else if (r.got[seq]) {
          r.duplicates++;
        } else {
          r.got[seq] = 1;
          if (position <= r.lastPosition) r.outOfOrder++;
          r.lastPosition = position;
          const latency = at - sentAt;
          m.latency.push(latency);
          m.bySecond[Math.max(0, Math.min(m.bySecond.length - 1, Math.floor((sentAt - m.t0) / 1000)))]!.push(latency);
          m.delivered++;
          m.lastDeliveryAt = at;
          if (latency <= m.budgetMs) m.withinBudget++;
          // One signature per receiver and run is checked: enough to know they are right, cheap enough not to matter.
          if (r.signaturesChecked === 0 && r.secret) {
            r.signaturesChecked++;
            if (!verify(r.secret, String(h['x-herald-timestamp']), text, String(h['x-herald-signature']))) r.badSignatures++;
          }
        }
      } else if (typeof title === 'string' && title.startsWith('p:')) {
        if (position > r.lastPosition) r.lastPosition = position;
        r.warm++;
        // p:<send time ms>:<i>
        const sentAt = Number(title.slice(2, title.indexOf(':', 2)));
        if (Number.isFinite(sentAt)) shared.warmLatency.push(at - sentAt);
      } else {
        shared.unexpected++;
      }
      res.writeHead(200, { 'content-length': '0' }).end();
    });
  };
  const server = createServer(onRequest);
  // Longer than the pusher's idle socket timeout, so a keep-alive socket is never closed under a request.
  server.keepAliveTimeout = 65_000;
  server.on('connection', () => void r.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const r: Receiver = {
    index,
    url: `http://127.0.0.1:${port}/hook/${index}`,
    server,
    registrationId: '',
    secret: '',
    got: null,
    posts: 0,
    answered500: 0,
    warm: 0,
    duplicates: 0,
    outOfOrder: 0,
    lastPosition: 0,
    badRequests: 0,
    missingHeaders: 0,
    signaturesChecked: 0,
    badSignatures: 0,
    healthChecks: 0,
    connections: 0,
  };
  return r;
}

function closeReceiver(r: Receiver): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    r.server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    r.server.closeAllConnections();
  });
}

// ------------------------------------------------------------------ endpoint monitor

type EndpointRow = { id: string; breakerState: string; consecutiveFailures: number; delivered: number; failed: number; fallback: number; healthy: boolean | null };

/**
 * Polls `cliEndpoints` every 2 s during the measured phase: when a breaker
 * first opened, how many were open at once, and how delivery and fallback
 * progressed (one row per poll, for the JSON line).
 */
function watchEndpoints(server: ServerProcess, ours: ReadonlySet<string>, t0: number, m: Measurement) {
  const timeline = {
    firstOpenAtS: null as number | null,
    maxOpen: 0,
    pollErrors: 0,
    rows: [] as Array<{ s: number; received: number; serverDelivered: number; open: number; fallback: number }>,
  };
  let running = true;
  let wake: () => void = () => {};
  const done = (async () => {
    while (running) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (!running) break;
      try {
        const rows = ((await graphql(server, ENDPOINTS)).cliEndpoints as EndpointRow[]).filter((e) => ours.has(e.id));
        const s = r1((now() - t0) / 1000);
        const open = rows.filter((e) => e.breakerState !== 'CLOSED').length;
        if (open > 0 && timeline.firstOpenAtS === null) timeline.firstOpenAtS = s;
        timeline.maxOpen = Math.max(timeline.maxOpen, open);
        timeline.rows.push({ s, received: m.delivered, serverDelivered: rows.reduce((n, e) => n + e.delivered, 0), open, fallback: rows.reduce((n, e) => n + e.fallback, 0) });
      } catch {
        timeline.pollErrors++;
      }
    }
  })();
  return {
    timeline,
    done,
    stop() {
      running = false;
      wake();
    },
  };
}

// ------------------------------------------------------------------ one run

type RunName = 'a' | 'b';

async function run(name: RunName, options: Options, env: Record<string, string>, nodeArgs: string[]) {
  const settings = pushSettings(env);
  const budgetMs = retryBudgetMs(settings);
  const failRate = name === 'b' ? options.fail : 0;
  const N = options.endpoints;
  const R = options.rate;
  const E = Math.max(1, Math.round(R * options.duration));
  const waitAfterMs = name === 'a' ? options.drain * 1000 : Math.min(budgetMs, options['retry-wait'] * 1000);

  const load = await waitForLoad(options['max-load'], options['load-wait']);
  console.log(`\n-- run ${name}: ${name === 'a' ? 'receivers answer 200' : `receivers answer 500 to ${(100 * failRate).toFixed(1)} % of measured POSTs`}`);
  console.log(`  load: ${load.uptime}${load.ok ? '' : `  (still >= ${options['max-load']} after ${load.waitedS} s; running anyway)`}`);

  const redis = options.redis ? await startRedisServer() : null;
  let server: ServerProcess | null = null;
  const receivers: Receiver[] = [];
  const shared: Shared = { measurement: null, unexpected: 0, warmLatency: new Samples(1024) };
  let publisher: Publisher | null = null;
  let monitor: ReturnType<typeof watchEndpoints> | null = null;
  try {
    // Every endpoint is registered by the one admin principal.
    // The receivers listen on plain HTTP on this machine's loopback, which production refuses unless listed.
    const room = { PUSH_MAX_REGISTRATIONS_PER_OWNER: String(Math.max(10, options.endpoints)), PUSH_ALLOWED_HOSTS: '127.0.0.1', PUSH_ALLOW_HTTP: 'true' };
    server = await startServer({ nodeArgs, root: options.root, env: { ...(redis ? { REDIS_URL: redis.url } : {}), ...room, ...env } });
    console.log(`  server pid ${server.pid} on ${server.origin}${redis ? `, redis pid ${redis.pid} at ${redis.url}` : ' (embedded)'}`);
    publisher = new Publisher(server.graphqlUrl, server.token, options['publish-sockets']);

    // Receivers and registrations.
    const setupStarted = now();
    for (let i = 0; i < N; i++) receivers.push(await startReceiver(i, shared));
    for (const r of receivers) {
      const data = await graphql(server, REGISTER, { input: { callbackUrl: r.url, repositories: [REPOSITORY], clientVersion: '1.0.0', name: `bench ${r.index}` } });
      r.registrationId = String(data.registerCli.id);
      r.secret = String(data.registerCli.secret);
    }
    const registerMs = now() - setupStarted;

    // Warm-up: every endpoint must get every warm-up event before measuring.
    const W = options.warmup;
    const warmStarted = now();
    const warmDeadline = warmStarted + 60_000;
    for (let i = 0; i < W; i++) {
      const res = await publisher.publish(REPOSITORY, `p:${now().toFixed(3)}:${i}`);
      if (!res.ok) throw new Error(`warm-up publish failed: ${res.error}`);
      await sleep(1000 / R);
    }
    while (receivers.some((r) => r.warm < W) && now() < warmDeadline) await sleep(10);
    const warmComplete = receivers.every((r) => r.warm >= W);
    const warmDoneAt = now();
    if (!warmComplete) console.log(`  warm-up incomplete: ${receivers.filter((r) => r.warm < W).length} endpoints missed events`);
    await sleep(500);

    // Measured phase.
    for (const r of receivers) {
      r.got = new Uint8Array(E);
      r.posts = 0;
      r.answered500 = 0;
      r.duplicates = 0;
      r.outOfOrder = 0;
      r.connections = 0;
    }
    publisher.resetStats();
    const rssBefore = procMemory(server.pid);
    const lag = new Samples(E);
    const cpu0 = cpuSnapshot(server.pid, redis?.pid ?? null);
    const t0 = now();
    const m: Measurement = {
      events: E,
      failRate,
      t0,
      latency: new Samples(Math.min(N * E, 4_000_000)),
      bySecond: Array.from({ length: Math.max(1, Math.ceil(options.duration)) }, () => new Samples(1024)),
      delivered: 0,
      lastDeliveryAt: 0,
      deliveredWhilePublishing: 0,
      withinBudget: 0,
      budgetMs,
    };
    shared.measurement = m;
    monitor = watchEndpoints(server, new Set(receivers.map((r) => r.registrationId)), t0, m);

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
          void publisher!.publish(REPOSITORY, `t:${now().toFixed(3)}:${my}`).then(() => void inFlight--);
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
    m.deliveredWhilePublishing = m.delivered;
    const publishDeadline = lastSendAt + 30_000;
    while (inFlight > 0 && now() < publishDeadline) await sleep(5);
    const expected = publisher.ok * N;
    const waitDeadline = lastSendAt + waitAfterMs;
    let reported = now();
    while (m.delivered < expected && now() < waitDeadline) {
      await sleep(5);
      if (now() - reported >= 10_000) {
        reported = now();
        console.log(`  ... ${m.delivered}/${expected} delivered ${r1((now() - lastSendAt) / 1000)} s after the last publish`);
      }
    }
    const complete = m.delivered >= expected;
    const doneAt = complete ? m.lastDeliveryAt : now();
    const lastDeliveryAt = m.lastDeliveryAt || doneAt;
    monitor.stop();
    await monitor.done;
    const timeline = monitor.timeline;
    const cpu = cpuBetween(cpu0, cpuSnapshot(server.pid, redis?.pid ?? null));
    const rssAfter = procMemory(server.pid);
    const deliveredAtEnd = m.delivered;
    await sleep(options['settle-ms']);
    shared.measurement = null;
    if (!server.alive()) throw new Error(`server exited during the run; its output:\n${server.output()}`);

    // What the server says about the endpoints: breaker, given up, fallback.
    const endpoints = (await graphql(server, ENDPOINTS)).cliEndpoints as EndpointRow[];
    const ours = new Set(receivers.map((r) => r.registrationId));
    const mine = endpoints.filter((e) => ours.has(e.id));
    // The server's own record of the newest deliveries (500 per endpoint: the query cost limit allows no more): attempts and errors.
    const attemptsHistogram: Record<string, number> = {};
    const lastErrors: Record<string, number> = {};
    const serverLatency = new Samples(1024);
    let sampled = 0;
    for (const r of receivers) {
      const list = (await graphql(server, DELIVERIES, { id: r.registrationId })).deliveries as Array<{ status: string; attempts: number; lastError: string | null; latencyMs: number | null }>;
      for (const d of list) {
        sampled++;
        attemptsHistogram[String(d.attempts)] = (attemptsHistogram[String(d.attempts)] ?? 0) + 1;
        if (d.lastError) lastErrors[d.lastError] = (lastErrors[d.lastError] ?? 0) + 1;
        if (d.status === 'DELIVERED' && d.latencyMs !== null) serverLatency.push(d.latencyMs);
      }
    }

    const sum = (pick: (r: Receiver) => number) => receivers.reduce((n, r) => n + pick(r), 0);
    const latency = m.latency.summary();
    const lagSummary = lag.summary();
    const share = expected === 0 ? 0 : deliveredAtEnd / expected;
    const givenUp = mine.reduce((n, e) => n + e.failed, 0);
    const fallback = mine.reduce((n, e) => n + e.fallback, 0);
    const result = {
      run: name,
      params: { endpoints: N, rate: R, durationS: options.duration, events: E, fail: failRate, mode: redis ? 'redis' : 'embedded', warmup: W },
      push: { ...settings, retryBudgetMs: budgetMs, waitAfterLastPublishMs: waitAfterMs },
      load,
      setup: { registerMs: r1(registerMs), warmupMs: r1(warmDoneAt - warmStarted), warmupComplete: warmComplete, warmupLatencyMs: shared.warmLatency.summary() },
      published: publisher.ok,
      publishFailed: publisher.failed,
      publishSkipped: skipped,
      publishError: publisher.lastError,
      publishLagMs: lagSummary,
      publishRttMs: publisher.rtt.summary(),
      expected,
      delivered: deliveredAtEnd,
      deliveredShare: r3(share * 100) / 100,
      deliveredWithinBudgetOfSend: m.withinBudget,
      missing: expected - deliveredAtEnd,
      allDelivered: complete,
      drainMs: r1(doneAt - lastSendAt),
      deliveriesPerSec: Math.round(deliveredAtEnd / (Math.max(1, lastDeliveryAt - t0) / 1000)),
      deliveriesPerSecWhilePublishing: Math.round(m.deliveredWhilePublishing / (Math.max(1, lastSendAt - t0) / 1000)),
      timeline,
      offeredPerSec: R * N,
      latencyMs: latency,
      p99BySecondMs: m.bySecond.map((s) => s.summary().p99 ?? null),
      receivers: {
        posts: sum((r) => r.posts),
        answered500: sum((r) => r.answered500),
        duplicates: sum((r) => r.duplicates),
        outOfOrder: sum((r) => r.outOfOrder),
        badRequests: sum((r) => r.badRequests),
        missingHeaders: sum((r) => r.missingHeaders),
        signaturesChecked: sum((r) => r.signaturesChecked),
        badSignatures: sum((r) => r.badSignatures),
        newConnections: sum((r) => r.connections),
        healthChecks: sum((r) => r.healthChecks),
        unexpected: shared.unexpected,
      },
      server: {
        endpoints: mine.length,
        breakerOpen: mine.filter((e) => e.breakerState !== 'CLOSED').length,
        maxConsecutiveFailures: Math.max(0, ...mine.map((e) => e.consecutiveFailures)),
        delivered: mine.reduce((n, e) => n + e.delivered, 0),
        givenUp,
        fallback,
        sampledDeliveries: sampled,
        attemptsHistogram,
        lastErrors,
        firstAttemptToDeliveredMs: serverLatency.summary(),
      },
      cpu,
      serverCpuUsPerDelivery: cpu.serverCpuMs === null || deliveredAtEnd === 0 ? null : r1((1000 * cpu.serverCpuMs) / deliveredAtEnd),
      rssMB: { before: mb(rssBefore?.rssKB), after: mb(rssAfter?.rssKB), peak: mb(rssAfter?.hwmKB) },
      verdict:
        name === 'a'
          ? { p99TargetMs: TARGET_P99_MS, p99Ok: (latency.p99 ?? Infinity) < TARGET_P99_MS && complete }
          : { deliveredTarget: TARGET_DELIVERED_SHARE, deliveredOk: share > TARGET_DELIVERED_SHARE, anyGivenUp: givenUp > 0 },
      serverLogTail: server.output().trim().split('\n').slice(-5).map((l) => l.slice(0, 300)),
    };
    return result;
  } finally {
    shared.measurement = null;
    monitor?.stop();
    publisher?.destroy();
    await Promise.all(receivers.map(closeReceiver));
    await server?.stop();
    await redis?.stop();
  }
}

type RunResult = Awaited<ReturnType<typeof run>>;


// ------------------------------------------------------------------ output

const fmt = (x: number | null | undefined, digits = 1) => (x == null ? '-' : x.toFixed(digits));
const lat = (s: Summary) => `p50 ${fmt(s.p50)} / p99 ${fmt(s.p99)} / max ${fmt(s.max)}`;

function table(results: readonly RunResult[]): string {
  const rows: Array<[string, ...string[]]> = [['', ...results.map((r) => (r.run === 'a' ? 'run a (all 200)' : `run b (${fmt(100 * r.params.fail)} % 500)`))]];
  const add = (label: string, pick: (r: RunResult) => string) => rows.push([label, ...results.map(pick)]);
  add('load 1-min before run', (r) => `${fmt(r.load.load1, 2)}${r.load.ok ? '' : ' (HIGH)'}, waited ${fmt(r.load.waitedS, 0)} s`);
  add('mode / endpoints x rate', (r) => `${r.params.mode} / ${r.params.endpoints} x ${r.params.rate}/s x ${r.params.durationS} s`);
  add('warm-up latency ms', (r) => lat(r.setup.warmupLatencyMs));
  add('published ok/failed/skipped', (r) => `${r.published}/${r.publishFailed}/${r.publishSkipped}`);
  add('publish lag p99 / rtt p99 ms', (r) => `${fmt(r.publishLagMs.p99)} / ${fmt(r.publishRttMs.p99)}`);
  add('delivered / expected', (r) => `${r.delivered}/${r.expected} (${fmt(100 * r.deliveredShare, 3)} %)`);
  add('drained after last publish', (r) => `${fmt(r.drainMs / 1000, 1)} s${r.allDelivered ? '' : ' (gave up waiting)'}`);
  add('deliveries/s: overall / publishing', (r) => `${r.deliveriesPerSec} / ${r.deliveriesPerSecWhilePublishing} (offered ${r.offeredPerSec})`);
  add('breaker first open / max open', (r) => `${r.timeline.firstOpenAtS === null ? 'never' : `${fmt(r.timeline.firstOpenAtS)} s after t0`} / ${r.timeline.maxOpen}`);
  add('latency ms', (r) => lat(r.latencyMs));
  add('p99 by second (ms)', (r) => compactSeconds(r.p99BySecondMs));
  add('server CPU % / us per deliv', (r) => `${fmt(r.cpu.serverCpuPct)} / ${fmt(r.serverCpuUsPerDelivery)}`);
  if (results.some((r) => r.cpu.redisCpuPct !== null)) add('redis CPU %', (r) => fmt(r.cpu.redisCpuPct));
  add('load tool / other CPU %', (r) => `${fmt(r.cpu.loadToolCpuPct)} / ${fmt(r.cpu.otherCpuPct)}`);
  add('server RSS MB (peak)', (r) => `${fmt(r.rssMB.after)} (${fmt(r.rssMB.peak)})`);
  add('POSTs / 500s / dup / order', (r) => `${r.receivers.posts} / ${r.receivers.answered500} / ${r.receivers.duplicates} / ${r.receivers.outOfOrder}`);
  add('new connections', (r) => String(r.receivers.newConnections));
  add('signatures bad/checked', (r) => `${r.receivers.badSignatures}/${r.receivers.signaturesChecked}`);
  add('breaker open / given up / FALLBACK', (r) => `${r.server.breakerOpen} / ${r.server.givenUp} / ${r.server.fallback}`);
  add('attempts (sample)', (r) => Object.entries(r.server.attemptsHistogram).map(([k, v]) => `${k}:${v}`).join(' '));
  add('verdict', (r) =>
    r.run === 'a'
      ? `p99 ${r.verdict.p99Ok ? 'ok' : 'OVER'} (< ${TARGET_P99_MS} ms)`
      : `delivered ${'deliveredOk' in r.verdict && r.verdict.deliveredOk ? 'ok' : 'UNDER'} (> ${100 * TARGET_DELIVERED_SHARE} %), given up ${r.server.givenUp > 0 ? 'YES' : 'none'}`,
  );
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row, ri) => {
      const line = row.map((c, i) => c.padEnd(widths[i]!)).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

/** p99 per send-second, shown as 5-second maxima to keep the row short. */
function compactSeconds(values: ReadonlyArray<number | null>): string {
  const out: string[] = [];
  for (let i = 0; i < values.length; i += 5) {
    const chunk = values.slice(i, i + 5).filter((v): v is number => v !== null);
    out.push(chunk.length ? fmt(Math.max(...chunk), 0) : '-');
  }
  return out.join(' ');
}

// ------------------------------------------------------------------ main

async function main(): Promise<number> {
  const parsed = benchOptions('push.ts', DEFAULTS, process.argv.slice(2), check);
  if ('exit' in parsed) return parsed.exit;
  const { options } = parsed;
  const env = parseEnv(options.env);
  const runs = options.runs.split(',').map((s) => s.trim()).filter(Boolean);
  const nodeArgs = options['node-args'].split(/\s+/).filter(Boolean);
  console.log(
    `herald push bench on ${process.version}, CLK_TCK ${CLK_TCK}, load tool pid ${process.pid}: ${options.endpoints} endpoints x ${options.rate} events/s x ${options.duration} s, ` +
      `${options.redis ? 'redis' : 'embedded'} mode; runs ${runs.join(', ')}`,
  );
  const results: RunResult[] = [];
  let failures = 0;
  for (const name of runs as RunName[]) {
    try {
      results.push(await run(name, options, env, nodeArgs));
    } catch (err) {
      failures++;
      console.error(`run ${name} failed: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }
  if (results.length > 0) {
    console.log(`\n${table(results)}`);
    console.log(JSON.stringify({ bench: 'push', node: process.version, runs: results }));
  }
  return failures > 0 ? 1 : 0;
}

runBench('push bench', main, DEFAULTS['max-seconds']);
