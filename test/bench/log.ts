/**
 * What the Redis event log costs, and what it buys:
 *
 *   npx tsx test/bench/log.ts [--events 20000] [--concurrency 64] [--rounds 3] ...
 *
 * Starts its own `redis-server` (free port, 127.0.0.1, --save '' --appendonly no)
 * and stops it at the end, also on error. Three measurements, each repeated
 * --rounds times, interleaved (round 1: a b c, round 2: a b c, ...; within a
 * and c which of "log on" and "log off" goes first alternates per round); medians
 * are reported, and for c's p99 ratio the median of the rounds' own ratios.
 *
 *   a. Publish throughput at the bus level, in this process. "Log on" is
 *      createRedisBus(...).publish: one Lua script (INCR sequence, INCR
 *      position, XADD, EXPIRE, PUBLISH, and with every tenth event of the
 *      topic XLEN, then over the retention count XRANGE + XTRIM + SET of the
 *      floor, and SADD of the topic to its family). "Log off"
 *      is the path before the log existed: a script doing INCR of a per-topic
 *      key and PUBLISH of the same JSON, via defineCommand on a separate
 *      connection; the JS side seals and serializes the same draft the same
 *      way. --events task events (~300 byte payload) each way, --concurrency
 *      in flight; a fresh topic per run, so the first half of a run is below
 *      retention (10000, the default) and the second half trims (every 10
 *      appends): both halves are reported. Cost of the log = 1 - on/off.
 *   b. Catch-up on resubscribe, end to end: a Herald server process with
 *      REDIS_URL (production, admin token, EVENT_RETENTION_COUNT=20000). A
 *      graphql-ws client subscribes to `taskEvents(repositories: ["catchup"])`,
 *      one task is created over HTTP and its event's cursor kept; the client
 *      unsubscribes, --missed more tasks are created over HTTP (concurrency
 *      --publish-concurrency), and the time from sending the subscription with
 *      `after:` that cursor until the --missed-th event is measured (the
 *      connection is already open). Events must arrive in order, no gap.
 *   c. Live latency at the bus level: --rate events/s, one listener via
 *      bus.subscribe('repo:lat') (log on) and one via the subscribe of a
 *      second bus, on another key prefix, whose channel the log-off script
 *      feeds (log off; the script then also numbers a position, which the
 *      decoder needs). Both listeners are Herald's own path (RedisPubSub,
 *      live decoder), so the two differ only in the publish script. The
 *      log-on topic is filled to its retention count first, so every round
 *      measures appends that trim. Both are subscribed throughout. The paths take turns event by event, each at
 *      --rate events/s for --duration s, so every stretch of the run is
 *      sampled by both. Run one after the other, a noisy stretch of this
 *      shared machine (p99 of the same path ranged 1.6-8.7 ms between 10 s
 *      runs) decided one path's p99 and not the other's; taking turns in
 *      1 s blocks still left the p99 of the same path ranging 0.75-2.3 ms
 *      between rounds of one run, and the ratio 0.97-1.67 with trimming
 *      switched off altogether. Events are 1 ms apart and take about 0.4 ms,
 *      so they seldom wait behind each other, and when they do, each path
 *      waits behind the other as often. The send time
 *      (performance.now()) is in the payload; the listeners read it from the
 *      decoded event.
 *
 * Before each measurement the run waits (at most --load-wait s) for the
 * 1-minute load average to drop below --load-limit, and records what it saw.
 */
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { createRedisBus } from '../../src/events/bus.redis.js';
import type { EventBus } from '../../src/events/bus.js';
import { seal, serializeSealed } from '../../src/events/draft.js';
import type { EventDraft, EventEnvelope } from '../../src/events/envelope.js';
import { taskEventDraft } from '../../src/tasks/events.js';
import { newId } from '../../src/ids.js';
import { createLogger } from '../../src/log.js';
import { createRedisConnections, type RedisConnections } from '../../src/redis/connections.js';
import type { Task } from '../../src/tasks/model.js';
import { now, Publisher, r1, r3, Samples, type Summary } from './client.js';
import { benchOptions, gql, median, runBench, waitForQuiet, type LoadWait } from './common.js';
import { procCpuMs, sleep, startRedisServer, startServer, type ServerProcess } from './server.js';

const DEFAULTS = {
  rounds: 3,
  events: 20000, // a: events per run
  concurrency: 64, // a: publishes in flight
  warmup: 2000, // a + c: unmeasured events per path before the first round
  missed: 10000, // b: events to catch up
  'publish-concurrency': 32, // b: createTask requests in flight
  rate: 500, // c: events per second
  duration: 10, // c: seconds per path and round
  'load-limit': 1.5,
  'load-wait': 180, // seconds
  only: 'abc', // which measurements to run (any of a, b, c)
  'server-node-args': '', // extra node flags for the Herald server of b, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  'max-seconds': 4500, // hard limit for the whole run (up to 15 load waits of --load-wait s included)
  help: false,
};
type Options = typeof DEFAULTS;

const TARGET_LOG_COST = 0.25;
const TARGET_CATCHUP_MS = 1000;
const TARGET_P99_RATIO = 1.2;
const RETENTION = { count: 10_000, seconds: 86_400 };
const PREFIX = 'benchlog:';

// The path before the log: number the event per topic and publish it, nothing else.
// With a second key it also numbers the position, which c's listener (the bus's own decoder) needs.
const PUBSUB_ONLY_SCRIPT = `
local sequence = redis.call('INCR', KEYS[1])
local tail = sequence
if KEYS[2] then tail = sequence .. ',"position":' .. redis.call('INCR', KEYS[2]) end
redis.call('PUBLISH', ARGV[1], ARGV[2] .. tail .. '}')
return sequence
`;
type PlainRedis = Redis & { benchPublishPlain(keyCount: number, ...keysAndArgs: string[]): Promise<number> };

// ------------------------------------------------------------------ the two publish paths

type Paths = {
  redisConns: RedisConnections;
  bus: EventBus;
  plain: PlainRedis;
  /** Only for listening: Herald's own subscribe path (RedisPubSub, live decoder) on the pub/sub-only channels. */
  plainBus: EventBus;
  close(): Promise<void>;
};

async function openPaths(url: string): Promise<Paths> {
  const log = createLogger('warn', 'bench-log');
  const redisConns = createRedisConnections({ kind: 'single', url }, PREFIX, log);
  if (!(await redisConns.whenReady(10_000))) throw new Error('bus connections to redis not ready');
  const bus = createRedisBus(redisConns, log, RETENTION);
  // Same client settings as the bus's command connection, on a connection of its own.
  const plain = new Redis(url, { connectionName: 'bench-plain', maxRetriesPerRequest: 1, connectTimeout: 5_000, lazyConnect: true }) as PlainRedis;
  plain.defineCommand('benchPublishPlain', { lua: PUBSUB_ONLY_SCRIPT });
  await plain.connect();
  const plainConns = createRedisConnections({ kind: 'single', url }, PLAIN_PREFIX, log);
  if (!(await plainConns.whenReady(10_000))) throw new Error('listening connections to redis not ready');
  const plainBus = createRedisBus(plainConns, log, RETENTION);
  return {
    redisConns,
    bus,
    plain,
    plainBus,
    async close() {
      await bus.close();
      await redisConns.close();
      plain.disconnect();
      await plainBus.close();
      await plainConns.close();
    },
  };
}

// A bus under this prefix listens on `${PLAIN_PREFIX}ev:<topic>`, where the log-off script publishes.
const PLAIN_PREFIX = `${PREFIX}plain:`;
const plainChannel = (topic: string) => `${PLAIN_PREFIX}ev:${topic}`;

/** Calls and microseconds Redis spent in EVALSHA so far (INFO commandstats): script time inside Redis, without I/O. */
async function evalshaStats(redis: Redis): Promise<{ calls: number; usec: number } | null> {
  try {
    const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
    return m ? { calls: Number(m[1]), usec: Number(m[2]) } : null;
  } catch {
    return null;
  }
}

/** The log-off publish: the same seal and serialization as the bus, then INCR + PUBLISH. */
async function publishPlain(plain: PlainRedis, draft: EventDraft, withPosition = false): Promise<number> {
  const sealed = seal(draft);
  const json = serializeSealed(sealed);
  const keys = [`${PLAIN_PREFIX}seq:${sealed.topic}`, ...(withPosition ? [`${PLAIN_PREFIX}position`] : [])];
  return plain.benchPublishPlain(keys.length, ...keys, plainChannel(sealed.topic), `${json.slice(0, -1)},"sequence":`);
}

// A task event like the ones createTask publishes; the envelope's payload (the task event) is ~300 bytes.
const TASK_TEMPLATE = {
  title: 'Fix webhook retry timeout',
  description: null,
  status: 'IN_PROGRESS' as const,
  assignee: 'ana',
};

function draftFor(topic: string, extra?: Record<string, unknown>): EventDraft {
  const at = new Date().toISOString();
  const repository = topic.slice('repo:'.length);
  const task: Task = { id: newId(), repository, ...TASK_TEMPLATE, createdAt: at, updatedAt: at };
  const draft = taskEventDraft('UPDATED', task, 'admin');
  return extra ? { ...draft, payload: { ...draft.payload, ...extra } } : draft;
}

// ------------------------------------------------------------------ a. throughput

type ThroughputRun = {
  path: 'on' | 'off';
  topic: string;
  events: number;
  failed: number;
  ms: number;
  rate: number;
  /** Events/s of the first half (stream below retention) and the second (trimming on every append). */
  firstHalfRate: number;
  secondHalfRate: number;
  redisCpuUsPerEvent: number | null;
  /** Microseconds Redis spent executing one publish script (INFO commandstats, EVALSHA): the Redis-side cost alone. */
  redisScriptUs: number | null;
  /** CPU of this process (the publisher: sealing, serializing, ioredis) in % of one core. */
  clientCpuPct: number;
  load: LoadWait;
};

async function throughput(paths: Paths, path: 'on' | 'off', topic: string, events: number, concurrency: number, redisPid: number, load: LoadWait): Promise<ThroughputRun> {
  let next = 0;
  let done = 0;
  let failed = 0;
  let halfAt = 0;
  const deadline = now() + 300_000;
  const publishOne = path === 'on' ? (d: EventDraft) => paths.bus.publish(d) : (d: EventDraft) => publishPlain(paths.plain, d);
  const es0 = await evalshaStats(paths.plain);
  const cpu0 = procCpuMs(redisPid);
  const own0 = process.cpuUsage();
  const t0 = now();
  const worker = async () => {
    while (next < events && now() < deadline) {
      next++;
      try {
        await publishOne(draftFor(topic));
      } catch {
        failed++;
      }
      if (++done === events >> 1) halfAt = now();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const t1 = now();
  const cpu1 = procCpuMs(redisPid);
  const own = process.cpuUsage(own0);
  const es1 = await evalshaStats(paths.plain);
  const ms = t1 - t0;
  const half = events >> 1;
  return {
    path,
    topic,
    events: done,
    failed,
    ms: r1(ms),
    rate: Math.round((done - failed) / (ms / 1000)),
    firstHalfRate: Math.round(half / ((halfAt - t0) / 1000)),
    secondHalfRate: Math.round((done - half) / ((t1 - halfAt) / 1000)),
    redisCpuUsPerEvent: cpu0 === null || cpu1 === null ? null : r1(((cpu1 - cpu0) * 1000) / done),
    redisScriptUs: es0 === null || es1 === null || es1.calls === es0.calls ? null : r1((es1.usec - es0.usec) / (es1.calls - es0.calls)),
    clientCpuPct: r1((100 * (own.user + own.system)) / 1000 / ms),
    load,
  };
}

// ------------------------------------------------------------------ c. live latency

type LatencyRun = { path: 'on' | 'off'; sent: number; received: number; skipped: number; failed: number; latency: Summary; load: LoadWait };

/** One path's listener: records send-to-receive times of the events it hears. */
async function listen(paths: Paths, path: 'on' | 'off', topic: string, samples: Samples, onReceived: () => void): Promise<() => Promise<void>> {
  const onEvent = (sentAt: unknown) => {
    const at = performance.now();
    if (typeof sentAt !== 'number') return;
    onReceived();
    samples.push(at - sentAt);
  };
  const bus = path === 'on' ? paths.bus : paths.plainBus;
  const unsubscribe = await bus.subscribe(topic, (event: EventEnvelope) => onEvent((event.payload as { sentAt?: unknown }).sentAt));
  return async () => unsubscribe();
}

/**
 * Both paths over the same stretch of time, taking turns event by event
 * (which path starts alternates per round): --rate events/s each for
 * --duration s. A slow moment of this machine, of Redis or of this process
 * then falls on both paths alike.
 */
async function latency(paths: Paths, first: 'on' | 'off', rate: number, durationS: number, load: LoadWait): Promise<LatencyRun[]> {
  const topic = 'repo:lat';
  const state = ([first, first === 'on' ? 'off' : 'on'] as const).map((path) => ({ path, samples: new Samples(rate * durationS), sent: 0, received: 0, skipped: 0, failed: 0, inFlight: 0, stop: async () => {} }));
  for (const s of state) s.stop = await listen(paths, s.path, topic, s.samples, () => s.received++);
  await sleep(200);
  const total = 2 * Math.round(rate * durationS);
  const maxInFlight = 256;
  let next = 0;
  const t0 = performance.now();
  const endAt = t0 + durationS * 1000 + 5_000;
  // Open loop: every tick, send what is due by now (bounded by count and deadline), the paths in turn.
  while (next < total && performance.now() < endAt) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * 2 * rate) / 1000) + 1);
    for (; next < due; next++) {
      const s = state[next % 2]!;
      if (s.inFlight >= maxInFlight) {
        s.skipped++;
        continue;
      }
      s.inFlight++;
      s.sent++;
      const draft = draftFor(topic, { sentAt: performance.now() });
      (s.path === 'on' ? paths.bus.publish(draft) : publishPlain(paths.plain, draft, true)).then(
        () => s.inFlight--,
        () => {
          s.inFlight--;
          s.failed++;
        },
      );
    }
    await sleep(1);
  }
  const drainUntil = performance.now() + 5_000;
  while (state.some((s) => s.received < s.sent - s.failed) && performance.now() < drainUntil) await sleep(10);
  await sleep(100);
  for (const s of state) await s.stop();
  return state.map((s): LatencyRun => ({ path: s.path, sent: s.sent, received: s.received, skipped: s.skipped, failed: s.failed, latency: s.samples.summary(), load }));
}

// ------------------------------------------------------------------ b. catch-up

const CATCHUP_SUBSCRIPTION = 'subscription ($after: String) { taskEvents(repositories: ["catchup"], after: $after) { cursor sequence } }';
type CatchupEvent = { taskEvents: { cursor: string; sequence: number } };

type CatchupRun = {
  missed: number;
  publishMs: number;
  publishFailed: number;
  received: number;
  firstEventMs: number | null;
  catchupMs: number | null;
  eventsPerSecond: number | null;
  inOrderNoGap: boolean;
  orderProblems: number;
  extraAfter: number;
  error: string | null;
  load: LoadWait;
};

function connectClient(server: ServerProcess): Promise<Client> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('graphql-ws client did not connect in 10 s')), 10_000);
    const client = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${server.token}` },
      lazy: false,
      retryAttempts: 0,
      on: {
        connected: () => {
          clearTimeout(timer);
          resolve(client);
        },
        error: (err) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String((err as { reason?: unknown })?.reason ?? err)));
        },
      },
    });
  });
}

async function subscriptionsNow(server: ServerProcess): Promise<number> {
  return (await gql<{ stats: { subscriptions: number } }>(server.graphqlUrl, server.token, '{ stats { subscriptions } }')).stats.subscriptions;
}

async function waitSubscriptions(server: ServerProcess, want: number, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    if ((await subscriptionsNow(server)) === want) return true;
    await sleep(20);
  }
  return false;
}

async function catchup(server: ServerProcess, o: Options, quiet: () => Promise<LoadWait>): Promise<CatchupRun> {
  const client = await connectClient(server);
  const publisher = new Publisher(server.graphqlUrl, server.token, o['publish-concurrency']);
  try {
    // 1. One live event, for its cursor.
    let first: { cursor: string; sequence: number } | null = null;
    let firstError: string | null = null;
    const stopFirst = client.subscribe<CatchupEvent>(
      { query: CATCHUP_SUBSCRIPTION, variables: { after: null } },
      {
        next: (r) => {
          if (r.errors) firstError = JSON.stringify(r.errors).slice(0, 300);
          else if (r.data && !first) first = r.data.taskEvents;
        },
        error: (err) => (firstError = String((err as Error)?.message ?? err)),
        complete: () => {},
      },
    );
    if (!(await waitSubscriptions(server, 1, 10_000))) throw new Error('the first subscription did not become live');
    const seed = await publisher.publish('catchup', 'seed');
    if (!seed.ok) throw new Error(`createTask failed: ${seed.error}`);
    const firstDeadline = now() + 10_000;
    while (!first && !firstError && now() < firstDeadline) await sleep(5);
    stopFirst();
    if (!first) throw new Error(`no event for the seed task: ${firstError ?? 'timeout'}`);
    const from: { cursor: string; sequence: number } = first;
    if (!(await waitSubscriptions(server, 0, 10_000))) throw new Error('the first subscription did not end');

    // 2. Events the subscriber misses.
    let next = 0;
    const publishStarted = now();
    const publishDeadline = publishStarted + 300_000;
    const worker = async () => {
      while (next < o.missed && now() < publishDeadline) {
        const i = next++;
        const r = await publisher.publish('catchup', `missed ${i}`);
        if (!r.ok && publisher.failed <= 1) console.log(`  createTask failed: ${r.error}`);
      }
    };
    await Promise.all(Array.from({ length: o['publish-concurrency'] }, worker));
    const publishMs = now() - publishStarted;
    if (publisher.ok !== o.missed + 1) throw new Error(`published ${publisher.ok - 1} of ${o.missed} (${publisher.failed} failed: ${publisher.lastError})`);

    // 3. Resubscribe after the cursor; time until the last missed event.
    const load = await quiet();
    let received = 0;
    let expected = from.sequence + 1;
    let orderProblems = 0;
    let firstAt: number | null = null;
    let lastAt: number | null = null;
    let extraAfter = 0;
    let error: string | null = null;
    const t0 = now();
    const stop = client.subscribe<CatchupEvent>(
      { query: CATCHUP_SUBSCRIPTION, variables: { after: from.cursor } },
      {
        next: (r) => {
          if (r.errors || !r.data) {
            error = JSON.stringify(r.errors ?? r).slice(0, 300);
            return;
          }
          if (lastAt !== null) {
            extraAfter++;
            return;
          }
          const at = now();
          firstAt ??= at;
          if (r.data.taskEvents.sequence !== expected) orderProblems++;
          expected = r.data.taskEvents.sequence + 1;
          if (++received === o.missed) lastAt = at;
        },
        error: (err) => (error = String((err as Error)?.message ?? err)),
        complete: () => {},
      },
    );
    const deadline = t0 + 60_000;
    while (lastAt === null && error === null && now() < deadline) await sleep(1);
    await sleep(300); // anything past the missed events would be a duplicate or a stray
    stop();
    const catchupMs = lastAt === null ? null : r1((lastAt as number) - t0);
    return {
      missed: o.missed,
      publishMs: r1(publishMs),
      publishFailed: publisher.failed,
      received,
      firstEventMs: firstAt === null ? null : r1((firstAt as number) - t0),
      catchupMs,
      eventsPerSecond: catchupMs === null ? null : Math.round(o.missed / (catchupMs / 1000)),
      inOrderNoGap: received === o.missed && orderProblems === 0 && expected === from.sequence + o.missed + 1,
      orderProblems,
      extraAfter,
      error,
      load,
    };
  } finally {
    publisher.destroy();
    await client.dispose();
  }
}

// ------------------------------------------------------------------ run

type Report = {
  options: Pick<Options, 'rounds' | 'events' | 'concurrency' | 'missed' | 'publish-concurrency' | 'rate' | 'duration'>;
  eventBytes: { envelope: number; payload: number };
  throughput: ThroughputRun[];
  catchup: CatchupRun[];
  latency: LatencyRun[];
  summary: {
    a: { onRate: number; offRate: number; logCost: number; onFirstHalf: number; onSecondHalf: number; offFirstHalf: number; offSecondHalf: number; logCostBelowRetention: number; logCostTrimming: number; onRedisCpuUs: number; offRedisCpuUs: number; onScriptUs: number; offScriptUs: number; redisSideCost: number; onClientCpuPct: number; offClientCpuPct: number; target: boolean };
    b: { catchupMs: number; firstEventMs: number; eventsPerSecond: number; allInOrder: boolean; target: boolean };
    c: { onP50: number; onP99: number; offP50: number; offP99: number; roundRatios: number[]; p99Ratio: number; target: boolean };
  };
};

async function run(o: Options): Promise<Report> {
  const quiet = (label: string) => waitForQuiet(label, o['load-limit'], o['load-wait'] * 1000);
  const redis = await startRedisServer();
  console.log(`redis-server pid ${redis.pid} on ${redis.url}`);
  let server: ServerProcess | null = null;
  let paths: Paths | null = null;
  try {
    paths = await openPaths(redis.url);
    server = await startServer({ env: { REDIS_URL: redis.url, EVENT_RETENTION_COUNT: '20000' }, nodeArgs: o['server-node-args'].split(' ').filter(Boolean) });
    console.log(`herald pid ${server.pid} on ${server.origin} (redis, production, EVENT_RETENTION_COUNT=20000)`);

    const sample = draftFor('repo:tput-sample');
    const eventBytes = { envelope: Buffer.byteLength(`${serializeSealed(seal(sample)).slice(0, -1)},"sequence":12345,"position":123456}`), payload: Buffer.byteLength(JSON.stringify(sample.payload)) };
    console.log(`event: envelope ${eventBytes.envelope} bytes on the wire (payload ${eventBytes.payload} bytes)`);

    // Warm both paths (JIT, script cache) on topics of their own.
    if (o.warmup > 0) {
      await throughput(paths, 'on', 'repo:warm-on', o.warmup, o.concurrency, redis.pid, { before: null, at: null, waitedS: 0, ok: true });
      await throughput(paths, 'off', 'repo:warm-off', o.warmup, o.concurrency, redis.pid, { before: null, at: null, waitedS: 0, ok: true });
      const few = Math.min(1_000, o.warmup);
      await latency(paths, 'on', Math.max(1, few), 1, { before: null, at: null, waitedS: 0, ok: true });
    }
    // c's log-on topic starts at its retention count, so every round measures appends that trim.
    if (o.only.includes('c')) await throughput(paths, 'on', 'repo:lat', RETENTION.count, o.concurrency, redis.pid, { before: null, at: null, waitedS: 0, ok: true });

    const tp: ThroughputRun[] = [];
    const cu: CatchupRun[] = [];
    const lat: LatencyRun[] = [];
    for (let round = 0; round < o.rounds; round++) {
      console.log(`\nround ${round + 1}/${o.rounds}`);
      const order: Array<'on' | 'off'> = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const path of o.only.includes('a') ? order : []) {
        const load = await quiet(`a ${path} r${round + 1}`);
        const res = await throughput(paths, path, `repo:tput-${round}-${path}`, o.events, o.concurrency, redis.pid, load);
        tp.push(res);
        console.log(`  a. log ${path}: ${res.rate} events/s (first half ${res.firstHalfRate}, second half ${res.secondHalfRate}; ${res.failed} failed; redis ${res.redisCpuUsPerEvent} us CPU/event, script ${res.redisScriptUs} us, this process ${res.clientCpuPct}% CPU)`);
      }
      const c = o.only.includes('b') ? await catchup(server, o, () => quiet(`b r${round + 1}`)) : null;
      if (c) {
        cu.push(c);
        console.log(`  b. catch-up of ${c.missed}: ${c.catchupMs} ms (first event ${c.firstEventMs} ms, ${c.eventsPerSecond} events/s), in order/no gap: ${c.inOrderNoGap}, extra: ${c.extraAfter}${c.error ? `, error: ${c.error}` : ''} (publishing them took ${c.publishMs} ms)`);
      }
      if (o.only.includes('c')) {
        const load = await quiet(`c r${round + 1}`);
        for (const res of await latency(paths, order[0]!, o.rate, o.duration, load)) {
          lat.push(res);
          console.log(`  c. log ${res.path}: p50 ${res.latency.p50} ms, p99 ${res.latency.p99} ms, max ${res.latency.max} ms (${res.received}/${res.sent} received, ${res.skipped} skipped)`);
        }
      }
      if (!server.alive()) throw new Error(`herald exited:\n${server.output()}`);
    }

    const med = (xs: Array<number | null | undefined>) => r3(median(xs.filter((x): x is number => typeof x === 'number')));
    const of = <T extends { path: 'on' | 'off' }>(xs: T[], p: 'on' | 'off') => xs.filter((x) => x.path === p);
    const onRate = med(of(tp, 'on').map((r) => r.rate));
    const offRate = med(of(tp, 'off').map((r) => r.rate));
    const onFirstHalf = med(of(tp, 'on').map((r) => r.firstHalfRate));
    const onSecondHalf = med(of(tp, 'on').map((r) => r.secondHalfRate));
    const offFirstHalf = med(of(tp, 'off').map((r) => r.firstHalfRate));
    const offSecondHalf = med(of(tp, 'off').map((r) => r.secondHalfRate));
    const onScriptUs = med(of(tp, 'on').map((r) => r.redisScriptUs));
    const offScriptUs = med(of(tp, 'off').map((r) => r.redisScriptUs));
    const logCost = r3(1 - onRate / offRate);
    const catchupMs = med(cu.map((c) => c.catchupMs));
    const onP99 = med(of(lat, 'on').map((r) => r.latency.p99));
    const offP99 = med(of(lat, 'off').map((r) => r.latency.p99));
    // The two paths of a round share its stretch of time, so a round's own ratio cancels how noisy
    // that stretch was; a ratio of medians could set one round's p99 against another's.
    const roundRatios = of(lat, 'on').map((on, i) => (on.latency.p99 ?? NaN) / (of(lat, 'off')[i]!.latency.p99 ?? NaN));
    const p99Ratio = med(roundRatios);
    return {
      options: { rounds: o.rounds, events: o.events, concurrency: o.concurrency, missed: o.missed, 'publish-concurrency': o['publish-concurrency'], rate: o.rate, duration: o.duration },
      eventBytes,
      throughput: tp,
      catchup: cu,
      latency: lat,
      summary: {
        a: {
          onRate,
          offRate,
          logCost,
          onFirstHalf,
          onSecondHalf,
          offFirstHalf,
          offSecondHalf,
          logCostBelowRetention: r3(1 - onFirstHalf / offFirstHalf),
          logCostTrimming: r3(1 - onSecondHalf / offSecondHalf),
          onRedisCpuUs: med(of(tp, 'on').map((r) => r.redisCpuUsPerEvent)),
          offRedisCpuUs: med(of(tp, 'off').map((r) => r.redisCpuUsPerEvent)),
          onScriptUs,
          offScriptUs,
          redisSideCost: r3(1 - offScriptUs / onScriptUs),
          onClientCpuPct: med(of(tp, 'on').map((r) => r.clientCpuPct)),
          offClientCpuPct: med(of(tp, 'off').map((r) => r.clientCpuPct)),
          target: logCost < TARGET_LOG_COST,
        },
        b: {
          catchupMs,
          firstEventMs: med(cu.map((c) => c.firstEventMs)),
          eventsPerSecond: med(cu.map((c) => c.eventsPerSecond)),
          allInOrder: cu.every((c) => c.inOrderNoGap && c.extraAfter === 0 && c.error === null),
          target: catchupMs < TARGET_CATCHUP_MS,
        },
        c: {
          onP50: med(of(lat, 'on').map((r) => r.latency.p50)),
          onP99,
          offP50: med(of(lat, 'off').map((r) => r.latency.p50)),
          offP99,
          roundRatios: roundRatios.map(r3),
          p99Ratio,
          target: p99Ratio <= TARGET_P99_RATIO,
        },
      },
    };
  } finally {
    await paths?.close().catch(() => {});
    if (server) {
      await server.stop();
      const tail = server.output().trim();
      if (tail) console.log(`herald output (last lines):\n${tail.split('\n').slice(-5).map((l) => `  ${l.slice(0, 300)}`).join('\n')}`);
    }
    await redis.stop();
  }
}

function table(r: Report): string {
  const { a, b, c } = r.summary;
  const ok = (t: boolean) => (t ? 'met' : 'MISSED');
  const pct = (x: number) => `${r1(x * 100)} %`;
  const loads = (xs: Array<{ load: LoadWait }>) => xs.map((x) => x.load.at?.toFixed(2) ?? '?').join(' ');
  const rows: Array<[string, string, string, string]> = [
    ['measurement (median of ' + r.options.rounds + ')', 'log on', 'log off', 'result / target'],
    ['a. publish events/s (all)', String(a.onRate), String(a.offRate), `cost ${pct(a.logCost)} (< 25 %: ${ok(a.target)})`],
    ['a.   first half (below retention)', String(a.onFirstHalf), String(a.offFirstHalf), `cost ${pct(a.logCostBelowRetention)}`],
    ['a.   second half (trimming)', String(a.onSecondHalf), String(a.offSecondHalf), `cost ${pct(a.logCostTrimming)}`],
    ['a. redis-server CPU per event (us)', String(a.onRedisCpuUs), String(a.offRedisCpuUs), '(process CPU incl. network I/O)'],
    ['a. redis script time per event (us)', String(a.onScriptUs), String(a.offScriptUs), `Redis-bound capacity cost ${pct(a.redisSideCost)} (= 1 - off/on)`],
    ['a. publisher process CPU (% of a core)', String(a.onClientCpuPct), String(a.offClientCpuPct), ''],
    [`b. catch-up ${r.options.missed} missed (ms)`, String(b.catchupMs), '', `first event ${b.firstEventMs} ms, ${b.eventsPerSecond} ev/s; in order, no gap: ${b.allInOrder} (< 1000 ms: ${ok(b.target)})`],
    ['c. live latency p50 (ms)', String(c.onP50), String(c.offP50), ''],
    ['c. live latency p99 (ms)', String(c.onP99), String(c.offP99), `ratio ${c.p99Ratio}, median of rounds' ${c.roundRatios.join(' ')} (<= 1.2: ${ok(c.target)})`],
    ['1-min load at a (on, off runs)', loads(r.throughput.filter((x) => x.path === 'on')), loads(r.throughput.filter((x) => x.path === 'off')), ''],
    ['1-min load at b', loads(r.catchup), '', ''],
    ['1-min load at c (on, off runs)', loads(r.latency.filter((x) => x.path === 'on')), loads(r.latency.filter((x) => x.path === 'off')), ''],
  ];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i < 3 ? cell.padEnd(w[i]!) : cell)).join('  ')).join('\n');
}

async function main(): Promise<number> {
  const parsed = benchOptions('log.ts', DEFAULTS, process.argv.slice(2), (o) => {
    if (o.rounds < 1 || o.events < 2 || o.missed < 1 || o.rate < 1 || o.duration <= 0) throw new Error('--rounds, --events, --missed, --rate and --duration must be positive');
  });
  if ('exit' in parsed) return parsed.exit;
  const o = parsed.options;
  const report = await run(o);
  console.log(`\n${table(report)}`);
  console.log(JSON.stringify({ bench: 'log', ...report }));
  return report.catchup.length === 0 || report.summary.b.allInOrder ? 0 : 1;
}

runBench('log', main, DEFAULTS['max-seconds']);
