/**
 * Channel events under load: `npm run bench:channels [-- options]`.
 *
 * Starts its own server per measurement (`node dist/main.js`, built first,
 * NODE_ENV=production, generated admin token, LOG_LEVEL=warn, embedded mode;
 * with --redis also a throw-away `redis-server`) and measures three things:
 *
 *   ingest    --ingest-events events into the `threats` channel (10 subscribers
 *             listening), published four ways: `createTask` one per request
 *             (the task path, for comparison), `publishEvent` one per request,
 *             `publishEvents` in batches of --batch, and REST
 *             `POST /api/v1/channels/threats/events` with a JSON array of
 *             --batch. Reports events/s and server CPU per event (compare the
 *             per-request figures with Mercurius's mutation cost in
 *             ../shared/bench, measured in the same sitting).
 *   packets   --rate events/s to --subs subscribers of `packets` for
 *             --duration s, once as `channelEvents` (one frame per event) and
 *             once as `channelEventBatches` (frames of every event within the
 *             channel's 50 ms window): server CPU per delivered event, frames
 *             and bytes received, latency p50/p99 (each payload carries its
 *             send time on this process's clock).
 *   deflate   the batched packets run again with WS_PER_MESSAGE_DEFLATE on and
 *             clients asking for compression: bytes on the wire and CPU
 *             against the run without; then --idle idle connections with one
 *             subscription each, compression off and on: server RSS per 1000.
 *
 * Bytes are counted on each client's TCP socket (bytesRead), so compressed
 * frames count as sent. The load tool shares the machine with the server; its
 * CPU is printed, since near 100 % of a core it, not the server, is the limit.
 * Not a vitest file on purpose.
 */
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { mb, now, r1, Samples, type Summary } from './client.js';
import { benchOptions, gql, runBench } from './common.js';
import { CLK_TCK, cpuBetween, cpuSnapshot, procMemory, sleep, startRedisServer, startServer, type RedisProcess, type ServerProcess } from './server.js';

const DEFAULTS = {
  scenario: 'all', // all | ingest | packets | deflate, or a comma-separated list
  'ingest-events': 20_000, // ingest: events per way of publishing
  batch: 100, // ingest: events per publishEvents call or REST request
  'ingest-subs': 10, // ingest: subscribers listening (10, as in the peers' mutation-cost run; 0 for publishing alone)
  concurrency: 32, // ingest: requests in flight for one-per-request publishing
  'batch-concurrency': 4, // ingest: batch requests in flight
  subs: 100, // packets + deflate: subscribers
  rate: 5000, // packets + deflate: events per second
  duration: 10, // packets + deflate: seconds of publishing
  'publish-every-ms': 10, // packets + deflate: one publishEvents call this often (rate * ms / 1000 events each)
  idle: 2000, // deflate: idle connections for the memory reading
  redis: false,
  'max-seconds': 900,
  help: false,
};
type Options = typeof DEFAULTS;

const EVENT_FIELDS = 'id channel type sequence payload';
const CHANNEL_EVENTS = `subscription ($c: [String!]!) { channelEvents(channels: $c) { ${EVENT_FIELDS} } }`;
const CHANNEL_BATCHES = `subscription ($c: [String!]!) { channelEventBatches(channels: $c) { ${EVENT_FIELDS} } }`;
const PUBLISH_ONE = 'mutation ($input: PublishEventInput!) { publishEvent(input: $input) { id } }';
const PUBLISH_MANY = 'mutation ($inputs: [PublishEventInput!]!) { publishEvents(inputs: $inputs) { id } }';
const CREATE_TASK = 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }';

// Generous limits: the load tool is one address with many connections and calls.
const RULES_FILE = join(tmpdir(), `herald-bench-channels-${process.pid}.json`);
writeFileSync(RULES_FILE, JSON.stringify({ 'Mutation.*': { max: 100_000, windowSeconds: 1 }, 'Subscription.*': { max: 100_000, windowSeconds: 1 } }));
const SERVER_ENV = {
  WS_RATE_LIMIT_PER_MINUTE: '1000000',
  WS_AUTHENTICATED_RATE_LIMIT_PER_MINUTE: '1000000',
  WS_MAX_CONNECTIONS: '100000',
  WS_MAX_CONNECTIONS_PER_PRINCIPAL: '100000',
  WS_MAX_QUEUED_EVENTS: '100000',
  RATE_LIMITS_FILE: RULES_FILE,
};

// ------------------------------------------------------------------ server and HTTP

type Rig = { server: ServerProcess; redis: RedisProcess | null; agent: Agent };

async function startRig(options: Options, env: Record<string, string> = {}): Promise<Rig> {
  const redis = options.redis ? await startRedisServer() : null;
  const server = await startServer({ env: { ...SERVER_ENV, ...(redis ? { REDIS_URL: redis.url } : {}), ...env } });
  return { server, redis, agent: new Agent({ keepAlive: true, maxSockets: 64 }) };
}

async function stopRig(rig: Rig) {
  rig.agent.destroy();
  await rig.server.stop();
  await rig.redis?.stop();
}

/** POSTs JSON; resolves the parsed body, or throws with the status and the start of the body. */
function post(rig: Rig, path: string, body: unknown): Promise<unknown> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: rig.server.port,
        path,
        method: 'POST',
        agent: rig.agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.server.token}`, 'content-length': Buffer.byteLength(text) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out = Buffer.concat(chunks).toString('utf8');
          const parsed = JSON.parse(out) as { errors?: unknown };
          if (res.statusCode !== 200 || parsed.errors) reject(new Error(`HTTP ${res.statusCode}: ${out.slice(0, 300)}`));
          else resolve(parsed);
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** Runs `count` calls of `call`, `concurrency` at a time. */
async function pool(count: number, concurrency: number, call: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await call(next++);
    }),
  );
}

// ------------------------------------------------------------------ subscribers

/** One WebSocket with one channel subscription, counting events, frames, bytes and latency. */
class ChannelSubscriber {
  events = 0;
  frames = 0;
  #ws: WebSocket | null = null;

  constructor(
    private readonly query: string,
    private readonly deflate: boolean,
    /** Where latencies go (every `sampleEvery`th event), shared by the subscribers of a run. */
    private readonly latency: Samples | null = null,
    private readonly sampleEvery = 1,
  ) {}

  get bytes(): number {
    return (this.#ws as unknown as { _socket?: Socket })?._socket?.bytesRead ?? 0;
  }

  open(server: ServerProcess, channels: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws', { perMessageDeflate: this.deflate });
      this.#ws = ws;
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${server.token}` } })));
      ws.on('error', reject);
      ws.on('message', (data: Buffer) => {
        const message = JSON.parse(String(data)) as { type: string; payload?: { data?: Record<string, unknown> } };
        if (message.type === 'connection_ack') {
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: this.query, variables: { c: channels } } }));
          resolve();
        } else if (message.type === 'next') this.#received(message.payload!.data!);
        else if (message.type === 'ping') ws.send('{"type":"pong"}');
        else if (message.type === 'error' || message.type === 'complete') reject(new Error(`subscription ended: ${String(data).slice(0, 300)}`));
      });
    });
  }

  #received(data: Record<string, unknown>) {
    this.frames++;
    const value = data.channelEvents ?? data.channelEventBatches;
    const events = (Array.isArray(value) ? value : [value]) as Array<{ payload: { sentAt?: number } }>;
    const at = now();
    for (const event of events) {
      this.events++;
      if (this.latency && event.payload.sentAt !== undefined && this.events % this.sampleEvery === 0) this.latency.push(at - event.payload.sentAt);
    }
  }

  close() {
    this.#ws?.terminate();
  }
}

/** Waits until the server counts `count` subscriptions (they are live on the bus then). */
async function waitForSubscriptions(server: ServerProcess, count: number) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const data = await gql<{ stats: { subscriptions: number } }>(server.graphqlUrl, server.token, '{ stats { subscriptions } }');
    if (data.stats.subscriptions >= count) return;
    await sleep(50);
  }
  throw new Error(`fewer than ${count} subscriptions after 60 s`);
}

async function openSubscribers(server: ServerProcess, count: number, make: () => ChannelSubscriber, channels: string[]) {
  const subs = Array.from({ length: count }, make);
  await pool(count, 50, (i) => subs[i]!.open(server, channels));
  await waitForSubscriptions(server, count);
  return subs;
}

// ------------------------------------------------------------------ ingest

type IngestRow = { way: string; events: number; seconds: number; eventsPerSecond: number; cpuUsPerEvent: number | null };

async function ingest(options: Options): Promise<IngestRow[]> {
  const n = options['ingest-events'];
  const batch = options.batch;
  const ways: Array<{ way: string; run: (rig: Rig) => Promise<void> }> = [
    { way: 'createTask, one per request', run: (rig) => pool(n, options.concurrency, (i) => post(rig, '/graphql', { query: CREATE_TASK, variables: { input: { repository: 'bench', title: `t${i}` } } })) },
    {
      way: 'publishEvent, one per request',
      run: (rig) => pool(n, options.concurrency, (i) => post(rig, '/graphql', { query: PUBLISH_ONE, variables: { input: { channel: 'threats', type: 'threat.detected', payload: { i } } } })),
    },
    {
      way: `publishEvents, ${batch} per call`,
      run: (rig) =>
        pool(Math.ceil(n / batch), options['batch-concurrency'], (b) =>
          post(rig, '/graphql', { query: PUBLISH_MANY, variables: { inputs: Array.from({ length: batch }, (_, j) => ({ channel: 'threats', type: 'threat.detected', payload: { i: b * batch + j } })) } }),
        ),
    },
    {
      way: `REST, ${batch} per request`,
      run: (rig) =>
        pool(Math.ceil(n / batch), options['batch-concurrency'], (b) =>
          post(rig, '/api/v1/channels/threats/events', Array.from({ length: batch }, (_, j) => ({ type: 'threat.detected', payload: { i: b * batch + j } }))),
        ),
    },
  ];
  const rows: IngestRow[] = [];
  for (const { way, run } of ways) {
    const rig = await startRig(options);
    try {
      // Listeners of what is published: task events for createTask, the channel's for the rest.
      const query = way.startsWith('createTask') ? 'subscription { taskEvents(repositories: ["bench"]) { id } }' : CHANNEL_EVENTS;
      const subs = await openSubscribers(rig.server, options['ingest-subs'], () => new ChannelSubscriber(query, false), ['threats']);
      // Warm-up: the first thousands of calls compile the hot paths.
      await pool(1000, 8, (i) => post(rig, '/graphql', { query: CREATE_TASK, variables: { input: { repository: 'warm', title: `w${i}` } } }));
      await pool(20, 2, () => post(rig, '/graphql', { query: PUBLISH_MANY, variables: { inputs: Array.from({ length: batch }, () => ({ channel: 'system', type: 'warm', payload: {} })) } }));
      const before = cpuSnapshot(rig.server.pid, rig.redis?.pid ?? null);
      const started = now();
      await run(rig);
      const seconds = (now() - started) / 1000;
      const cpu = cpuBetween(before, cpuSnapshot(rig.server.pid, rig.redis?.pid ?? null));
      rows.push({ way, events: n, seconds: r1(seconds), eventsPerSecond: Math.round(n / seconds), cpuUsPerEvent: cpu.serverCpuMs === null ? null : r1((cpu.serverCpuMs * 1000) / n) });
      for (const s of subs) s.close();
    } finally {
      await stopRig(rig);
    }
  }
  return rows;
}

// ------------------------------------------------------------------ packets (and deflate)

type StreamRow = {
  mode: string;
  published: number;
  delivered: number;
  expected: number;
  framesPerSubscriber: number;
  bytesPerEvent: number;
  cpuUsPerDelivery: number | null;
  clientCpuUsPerDelivery: number;
  serverCpuPercent: number | null;
  latencyMs: Summary;
  loadCpuPercent: number;
};

async function stream(options: Options, mode: 'events' | 'batches', deflate: boolean): Promise<StreamRow> {
  const rig = await startRig(options, deflate ? { WS_PER_MESSAGE_DEFLATE: 'true' } : {});
  try {
    const query = mode === 'events' ? CHANNEL_EVENTS : CHANNEL_BATCHES;
    const latency = new Samples(65_536);
    const subs = await openSubscribers(rig.server, options.subs, () => new ChannelSubscriber(query, deflate, latency, 10), ['packets']);
    const perCall = Math.max(1, Math.round((options.rate * options['publish-every-ms']) / 1000));
    const calls = Math.round((options.duration * 1000) / options['publish-every-ms']);
    const packet = (seq: number) => ({ channel: 'packets', type: 'packet.summary', payload: { sentAt: now(), seq, src: '10.0.0.7', dst: '10.0.3.9', bytes: 1420, proto: 'tcp', flags: 'ACK' } });
    const bytesBefore = subs.reduce((sum, s) => sum + s.bytes, 0);
    const before = cpuSnapshot(rig.server.pid, rig.redis?.pid ?? null);
    const started = now();
    let published = 0;
    const inFlight: Promise<unknown>[] = [];
    for (let c = 0; c < calls; c++) {
      const due = started + c * options['publish-every-ms'];
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      const inputs = Array.from({ length: perCall }, (_, j) => packet(c * perCall + j));
      published += perCall;
      inFlight.push(post(rig, '/graphql', { query: PUBLISH_MANY, variables: { inputs } }));
      if (inFlight.length > 64) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const expected = published * options.subs;
    const deadline = now() + 30_000;
    while (subs.reduce((sum, s) => sum + s.events, 0) < expected && now() < deadline) await sleep(20);
    const after = cpuSnapshot(rig.server.pid, rig.redis?.pid ?? null);
    const cpu = cpuBetween(before, after);
    const delivered = subs.reduce((sum, s) => sum + s.events, 0);
    const bytes = subs.reduce((sum, s) => sum + s.bytes, 0) - bytesBefore;
    const row: StreamRow = {
      mode: `${mode === 'events' ? 'channelEvents' : 'channelEventBatches'}${deflate ? ', deflate' : ''}`,
      published,
      delivered,
      expected,
      framesPerSubscriber: Math.round(subs.reduce((sum, s) => sum + s.frames, 0) / subs.length),
      bytesPerEvent: r1(bytes / Math.max(1, delivered)),
      cpuUsPerDelivery: cpu.serverCpuMs === null ? null : r1((cpu.serverCpuMs * 1000) / Math.max(1, delivered)),
      clientCpuUsPerDelivery: r1(((after.loadTool - before.loadTool) * 1000) / Math.max(1, delivered)),
      serverCpuPercent: cpu.serverCpuPct,
      latencyMs: latency.summary(),
      loadCpuPercent: cpu.loadToolCpuPct ?? 0,
    };
    for (const s of subs) s.close();
    return row;
  } finally {
    await stopRig(rig);
  }
}

type IdleRow = { deflate: boolean; connections: number; rssMbPer1000: number | null };

async function idleMemory(options: Options, deflate: boolean): Promise<IdleRow> {
  const rig = await startRig(options, deflate ? { WS_PER_MESSAGE_DEFLATE: 'true' } : {});
  try {
    // A few connections first, so the reading is of connections, not of code loaded on first use.
    const warm = await openSubscribers(rig.server, 50, () => new ChannelSubscriber(CHANNEL_EVENTS, deflate), ['threats']);
    await sleep(500);
    const before = procMemory(rig.server.pid)?.rssKB ?? null;
    const subs = await openSubscribers(rig.server, options.idle, () => new ChannelSubscriber(CHANNEL_EVENTS, deflate), ['threats']);
    // One event to every connection, so compressing ones have compressed once.
    await post(rig, '/graphql', { query: PUBLISH_ONE, variables: { input: { channel: 'threats', type: 'probe', payload: { text: 'x'.repeat(4096) } } } });
    const deadline = now() + 30_000;
    while (subs.some((s) => s.events === 0) && now() < deadline) await sleep(50);
    await sleep(1000);
    const after = procMemory(rig.server.pid)?.rssKB ?? null;
    for (const s of [...warm, ...subs]) s.close();
    return { deflate, connections: options.idle, rssMbPer1000: before === null || after === null ? null : mb(((after - before) * 1000) / options.idle) };
  } finally {
    await stopRig(rig);
  }
}

// ------------------------------------------------------------------ main

async function main(): Promise<number> {
  const parsed = benchOptions('channels.ts', DEFAULTS, process.argv.slice(2));
  if ('exit' in parsed) return parsed.exit;
  const { options } = parsed;
  const wanted = new Set(options.scenario === 'all' ? ['ingest', 'packets', 'deflate'] : options.scenario.split(','));
  console.log(`channels bench (${options.redis ? 'Redis' : 'embedded'} mode, CLK_TCK ${CLK_TCK})`);
  if (wanted.has('ingest')) {
    console.log(`\ningest: ${options['ingest-events']} events each way, ${options['ingest-subs']} subscribers`);
    console.table(await ingest(options));
  }
  const streams: StreamRow[] = [];
  if (wanted.has('packets')) {
    console.log(`\npackets: ${options.rate} events/s for ${options.duration} s to ${options.subs} subscribers`);
    streams.push(await stream(options, 'events', false), await stream(options, 'batches', false));
  }
  if (wanted.has('deflate')) streams.push(await stream(options, 'batches', true));
  if (streams.length > 0) {
    console.table(
      streams.map(({ latencyMs, ...row }) => ({ ...row, 'p50 ms': latencyMs.p50, 'p99 ms': latencyMs.p99 })),
    );
  }
  if (wanted.has('deflate')) {
    console.log(`\nidle memory: ${options.idle} connections with one subscription each`);
    console.table([await idleMemory(options, false), await idleMemory(options, true)]);
  }
  return 0;
}

runBench('channels bench', main, DEFAULTS['max-seconds']);
