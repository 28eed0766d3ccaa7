/**
 * Gateway event delivery under load:
 *
 *   node --import tsx test/bench/gateways.ts [--gateways 1000] [--rate 100] [--duration 30] [--fraction 0.1] [--redis]
 *
 * (`npx tsx ...` works too, but keeps two more Node processes alive beside
 * the load tool, npm's and tsx's, whose collections take CPU the server and
 * Redis then wait for on a 2-core machine.)
 *
 * Starts its own server (`node dist/main.js`, built first, NODE_ENV=production,
 * generated admin token, LOG_LEVEL=warn, embedded mode; with --redis also a
 * throw-away `redis-server` and REDIS_URL) on free 127.0.0.1 ports, then:
 *
 *   1. registers N gateways (registerGateway, batched as aliases),
 *   2. connects one bare `ws` socket per gateway to the gateway endpoint,
 *      speaking graphql-transport-ws by hand (connection_init with the apiKey,
 *      connection_ack, subscribe to gatewayEvents), at most
 *      --conn-concurrency handshakes in flight,
 *   3. waits until the server lists a listening connection for every gateway,
 *   4. warms up: --warmup unmeasured deployments, open-loop at --rate like
 *      the measured phase, and waits until every one of their events arrived.
 *      A freshly started server compiles its hot paths during its first
 *      thousands of deliveries; with a handful of warm-up deployments the
 *      first measured second alone held more than 1 % of all deliveries at
 *      100-300 ms, so it decided the p99. The warm-up latency is printed too,
 *   5. publishes open-loop: deployment i is due at start + i / R; each targets a
 *      random --fraction of the gateways; at most --concurrency requests are in
 *      flight over a keep-alive agent (a deployment that finds no free slot
 *      waits for one, and that wait shows as publish lag),
 *   6. waits (bounded) until every expected event arrived, then a short settle
 *      to catch late duplicates.
 *
 * Each deployment's revisionId is `m<seq>_<send time in ms, 3 decimals>`, on
 * this process's performance.now() clock, so every gateway computes
 * latency = receive time - send time (publisher and gateways share the clock).
 * The report's publishStartEpochMs places the measured seconds on the wall
 * clock, to line them up with the server's own logs.
 * Server CPU is utime + stime from /proc/<pid>/stat over the publish phase
 * (from just before the first publish until the drain and settle ended); RSS
 * from /proc/<pid>/status.
 *
 * The load tool runs on the same machine as the server; its own CPU share is
 * printed too, because near 100 % of a core it, not the server, is the limit.
 * Not a vitest file on purpose (no *.test.ts, no describe/it).
 */
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { WebSocket } from 'ws';
import { mb, now, r1, r3, Samples, type Summary } from './client.js';
import { benchOptions, loadAverages, parseEnv, runBench } from './common.js';
import { CLK_TCK, cpuBetween, cpuSnapshot, procMemory, sleep, startRedisServer, startServer, type ServerProcess } from './server.js';

// ------------------------------------------------------------------ options

const DEFAULTS = {
  gateways: 1000,
  rate: 100, // deployments per second
  duration: 30, // seconds of publishing
  fraction: 0.1, // share of the gateways each deployment targets
  concurrency: 8, // publish requests in flight at most
  'conn-concurrency': 50, // WebSocket handshakes in flight at most
  'register-batch': 10, // registerGateway mutations per HTTP request (as aliases; the server caps aliases per operation)
  warmup: 300, // unmeasured deployments before the measured phase, sent at --rate
  drain: 15, // seconds after the last publish to wait for outstanding events
  'settle-ms': 500, // wait after the last expected event, for late duplicates
  'setup-timeout': 120, // seconds for registering, connecting and confirming
  'max-seconds': 900, // hard limit for the whole run
  seed: 1, // target choice is reproducible for a given seed
  redis: false,
  'node-args': '', // extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  env: '', // extra server environment, "KEY=VALUE,KEY=VALUE" (applied after the defaults below)
  root: '', // directory to run the server from (default: this checkout), e.g. a copy with a change to compare
  'server-log': '', // file to copy the server's output to, e.g. with --node-args --trace-gc
  help: false,
};
type Options = typeof DEFAULTS;

/** Values that parse but make no sense. */
function check(o: Options): void {
  if (!Number.isInteger(o.gateways) || o.gateways < 1) throw new Error('--gateways must be a positive integer');
  if (o.rate <= 0 || o.duration <= 0) throw new Error('--rate and --duration must be positive');
  if (!(o.fraction > 0 && o.fraction <= 1)) throw new Error('--fraction must be in (0, 1]');
  if (o.concurrency < 1 || o['conn-concurrency'] < 1 || o['register-batch'] < 1) throw new Error('concurrency options must be at least 1');
}

// ------------------------------------------------------------------ small utilities

const loadAverage = () => loadAverages()?.join(' ') ?? 'unknown';

/** mulberry32: a small seeded PRNG so target choice is repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0 || 1;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Server settings the benchmark needs besides the defaults: every gateway connects from 127.0.0.1, so the
 * per-address limit on connection attempts must not count them as one abusive client.
 */
const SERVER_ENV = { WS_RATE_LIMIT_PER_MINUTE: '1000000', WS_AUTHENTICATED_RATE_LIMIT_PER_MINUTE: '1000000' };

// ------------------------------------------------------------------ admin HTTP

class Admin {
  readonly #agent: Agent;
  readonly #url: URL;
  constructor(
    origin: string,
    private readonly token: string,
    maxSockets: number,
  ) {
    this.#url = new URL('/graphql', origin);
    this.#agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** POSTs a GraphQL operation; throws on HTTP or GraphQL errors. */
  async gql<T>(query: string, variables: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    const text = await this.#post(JSON.stringify({ query, variables }), timeoutMs, true);
    const body = JSON.parse(text) as { data?: T; errors?: Array<{ message?: string }> };
    if (body.errors?.length) throw new Error(`GraphQL error: ${body.errors[0]?.message ?? 'unknown'}`);
    if (!body.data) throw new Error('GraphQL response without data');
    return body.data;
  }

  destroy(): void {
    this.#agent.destroy();
  }

  // A keep-alive socket the server closed just as a request went out never carried it: retried once.
  #post(body: string, timeoutMs: number, retry: boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          path: this.#url.pathname,
          method: 'POST',
          agent: this.#agent,
          timeout: timeoutMs,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            authorization: `Bearer ${this.token}`,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
            else resolve(text);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request timeout after ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && err.code === 'ECONNRESET') this.#post(body, timeoutMs, false).then(resolve, reject);
        else reject(err);
      });
      req.end(body);
    });
  }
}

async function registerAll(admin: Admin, count: number, batch: number, concurrency: number, deadline: number) {
  const gateways: Array<{ id: string; apiKey: string }> = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      if (now() > deadline) throw new Error(`registration timed out after ${next} of ${count}`);
      const from = next;
      const to = Math.min(count, from + batch);
      next = to;
      const fields = [];
      for (let i = from; i < to; i++) fields.push(`g${i}: registerGateway(input: { name: "bench-gw-${i}" }) { apiKey gateway { id } }`);
      const data = await admin.gql<Record<string, { apiKey: string; gateway: { id: string } }>>(`mutation { ${fields.join('\n')} }`);
      for (let i = from; i < to; i++) {
        const r = data[`g${i}`];
        if (!r) throw new Error(`registerGateway g${i} missing from the response`);
        gateways[i] = { id: r.gateway.id, apiKey: r.apiKey };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return gateways;
}

/** Waits until every gateway has a connection with a subscription, as the server sees it. */
async function waitUntilListening(admin: Admin, ids: readonly string[], deadline: number) {
  const wanted = new Set(ids);
  let listening = 0;
  let polls = 0;
  while (now() < deadline) {
    polls++;
    const { gateways } = await admin.gql<{ gateways: Array<{ id: string; connections: Array<{ subscriptions: number }> }> }>(
      '{ gateways { id connections { subscriptions } } }',
    );
    listening = gateways.filter((g) => wanted.has(g.id) && g.connections.some((c) => c.subscriptions > 0)).length;
    if (listening === wanted.size) return polls;
    await sleep(250);
  }
  throw new Error(`only ${listening} of ${wanted.size} gateways listening by the setup deadline`);
}

// ------------------------------------------------------------------ gateways (bare graphql-transport-ws)

const GATEWAY_PATH = '/api/internal/v1/ws/gateways/connect';
const SUBSCRIPTION = 'subscription { gatewayEvents { id type sequence payload { ... on ApiDeployed { revisionId deploymentId } } } }';

/** Shared by all gateway sockets. */
class Tally {
  received = 0; // measured events, first copy
  duplicates = 0;
  unexpected = 0; // measured events for a gateway that was not targeted
  warmupReceived = 0;
  warmupLatency = new Samples();
  outOfOrder = 0;
  gqlErrors = 0;
  protocolErrors = 0;
  unexpectedCloses = 0;
  lastError: string | null = null;
  latency = new Samples();
  /** Receive time - due time of the deployment: includes the publisher's wait for a free request slot. */
  latencyFromDue = new Samples();
  publishStart = 0;
  intervalMs = 0;
  /** Per second of the measured phase (by due time): deliveries over the 50 ms target, and the slowest. */
  slowBySecond: number[] = [];
  maxBySecond: number[] = [];
  /** Per gateway index, per measured deployment: 1 = targeted, 2 = targeted and received, 3 = received without being targeted. */
  marks: Uint8Array[] = [];
  lastReceivedAt = 0;
}

class Gateway {
  #ws: WebSocket | null = null;
  #closing = false;
  #lastSequence = 0;

  constructor(
    readonly index: number,
    readonly apiKey: string,
    private readonly url: string,
    private readonly tally: Tally,
  ) {}

  /** Connects, sends connection_init, waits for connection_ack, subscribes. Resolves false on any failure. */
  open(timeoutMs: number): Promise<boolean> {
    const tally = this.tally;
    return new Promise((resolve) => {
      let settled = false;
      const done = (ok: boolean, why?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!ok && why) tally.lastError = why;
        resolve(ok);
      };
      const timer = setTimeout(() => {
        done(false, 'no connection_ack in time');
        this.close();
      }, timeoutMs);
      const ws = new WebSocket(this.url, 'graphql-transport-ws', { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      this.#ws = ws;
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { apiKey: this.apiKey } })));
      ws.on('message', (data: Buffer) => {
        let message: { type?: string; id?: string; payload?: unknown };
        try {
          message = JSON.parse(String(data)) as typeof message;
        } catch {
          tally.protocolErrors++;
          return;
        }
        switch (message.type) {
          case 'next':
            this.#onNext(message.payload);
            return;
          case 'connection_ack':
            ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
            done(true);
            return;
          case 'ping':
            ws.send('{"type":"pong"}');
            return;
          case 'pong':
            return;
          case 'error':
            tally.gqlErrors++;
            tally.lastError = `error: ${JSON.stringify(message.payload).slice(0, 300)}`;
            return;
          case 'complete':
            tally.lastError = 'subscription completed by the server';
            return;
          default:
            tally.protocolErrors++;
        }
      });
      ws.on('close', (code: number, reason: Buffer) => {
        if (!this.#closing) {
          tally.unexpectedCloses++;
          tally.lastError = `close ${code} ${String(reason)}`;
        }
        done(false, `close ${code} ${String(reason)}`);
      });
      ws.on('error', (err: Error) => {
        tally.lastError = err.message;
        done(false, err.message);
      });
    });
  }

  close(): void {
    this.#closing = true;
    try {
      this.#ws?.terminate();
    } catch {
      // already closed
    }
  }

  #onNext(payload: unknown): void {
    const receivedAt = now();
    const tally = this.tally;
    const p = payload as { data?: { gatewayEvents?: { sequence?: number; payload?: { revisionId?: string } } }; errors?: unknown } | null;
    const event = p?.data?.gatewayEvents;
    const revisionId = event?.payload?.revisionId;
    if (!event || p?.errors || typeof revisionId !== 'string') {
      tally.gqlErrors++;
      tally.lastError = `next: ${JSON.stringify(payload).slice(0, 300)}`;
      return;
    }
    const sequence = Number(event.sequence);
    if (!(sequence > this.#lastSequence)) tally.outOfOrder++;
    this.#lastSequence = sequence;
    // m<seq>_<sent ms> (measured) or w<seq>_<sent ms> (warm-up)
    const underscore = revisionId.indexOf('_');
    const seq = Number(revisionId.slice(1, underscore));
    const sentAt = Number(revisionId.slice(underscore + 1));
    if (revisionId.startsWith('w')) {
      tally.warmupReceived++;
      if (Number.isFinite(sentAt)) tally.warmupLatency.push(receivedAt - sentAt);
      return;
    }
    const marks = tally.marks[this.index];
    if (!revisionId.startsWith('m') || !marks || !(seq >= 0 && seq < marks.length) || !Number.isFinite(sentAt)) {
      tally.protocolErrors++;
      tally.lastError = `unexpected revisionId ${revisionId}`;
      return;
    }
    const mark = marks[seq]!;
    if (mark === 2 || mark === 3) {
      tally.duplicates++;
      return;
    }
    if (mark === 0) {
      marks[seq] = 3;
      tally.unexpected++;
      return;
    }
    marks[seq] = 2;
    tally.received++;
    tally.lastReceivedAt = receivedAt;
    const latency = receivedAt - sentAt;
    tally.latency.push(latency);
    tally.latencyFromDue.push(receivedAt - (tally.publishStart + seq * tally.intervalMs));
    const second = Math.floor((seq * tally.intervalMs) / 1000);
    if (latency > 50) tally.slowBySecond[second] = (tally.slowBySecond[second] ?? 0) + 1;
    if (latency > (tally.maxBySecond[second] ?? 0)) tally.maxBySecond[second] = latency;
  }
}

async function openAll(gateways: readonly Gateway[], concurrency: number, deadline: number) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < gateways.length && now() < deadline) {
      const gateway = gateways[next++]!;
      if (!(await gateway.open(Math.min(15_000, Math.max(1_000, deadline - now()))))) failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { failed, notTried: gateways.length - next };
}

// ------------------------------------------------------------------ publisher

const DEPLOY = `mutation ($input: DeployApiRevisionInput!) {
  deployApiRevision(input: $input) { id targets { gatewayId status connections } }
}`;

type DeployResult = { deployApiRevision: { id: string; targets: Array<{ gatewayId: string; status: string; connections: number }> } };

class Publisher {
  published = 0;
  failed = 0;
  skipped = 0; // not sent before the publish deadline
  lastError: string | null = null;
  statuses: Record<string, number> = { DELIVERED: 0, NO_CONNECTION: 0, FAILED: 0 };
  expected = 0; // sum of targets of successful deployments
  connectionsReported = 0;
  /** Per measured deployment: 1 once the server accepted it. */
  ok: Uint8Array;
  lag = new Samples(); // actual send - scheduled send, ms
  rtt = new Samples(); // request round trip, ms
  maxInFlight = 0;
  #inFlight = 0;
  #slotWaiters: Array<() => void> = [];

  constructor(
    private readonly admin: Admin,
    private readonly ids: readonly string[],
    private readonly concurrency: number,
    planned = 0,
  ) {
    this.ok = new Uint8Array(planned);
  }

  /** Picks k distinct gateway indexes (partial Fisher-Yates over a scratch copy). */
  static pick(scratch: number[], k: number, random: () => number): number[] {
    const n = scratch.length;
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(random() * (n - i));
      const t = scratch[i]!;
      scratch[i] = scratch[j]!;
      scratch[j] = t;
    }
    return scratch.slice(0, k);
  }

  async #slot(): Promise<void> {
    while (this.#inFlight >= this.concurrency) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
  }

  #release(): void {
    this.#inFlight--;
    this.#slotWaiters.shift()?.();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Sends one deployment once a slot is free; `count` says whether its results are measured. */
  async deploy(revisionPrefix: 'm' | 'w', seq: number, targets: readonly number[], scheduledAt: number, count: boolean): Promise<void> {
    await this.#slot();
    const sentAt = now();
    if (count) this.lag.push(sentAt - scheduledAt);
    try {
      const data = await this.admin.gql<DeployResult>(
        DEPLOY,
        {
          input: {
            apiId: 'bench-api',
            revisionId: `${revisionPrefix}${seq}_${sentAt.toFixed(3)}`,
            vhost: 'bench.example.com',
            gatewayIds: targets.map((i) => this.ids[i]!),
            correlationId: `bench-${revisionPrefix}${seq}`,
          },
        },
        30_000,
      );
      if (!count) return;
      this.rtt.push(now() - sentAt);
      this.published++;
      this.ok[seq] = 1;
      const results = data.deployApiRevision.targets;
      this.expected += results.length;
      for (const t of results) {
        this.statuses[t.status] = (this.statuses[t.status] ?? 0) + 1;
        this.connectionsReported += t.connections;
      }
    } catch (err) {
      if (count) this.failed++;
      this.lastError = (err as Error).message.slice(0, 300);
    } finally {
      this.#release();
    }
  }
}

// ------------------------------------------------------------------ the run

type Report = Record<string, unknown>;

async function run(o: Options): Promise<Report> {
  const mode = o.redis ? 'redis' : 'embedded';
  const loadAtStart = loadAverage();
  console.log(`# gateways benchmark: mode=${mode} gateways=${o.gateways} rate=${o.rate}/s duration=${o.duration}s fraction=${o.fraction}`);
  console.log(`# load average at start: ${loadAtStart} (${cpus().length} CPUs)`);
  const setupDeadline = now() + o['setup-timeout'] * 1000;

  const redis = o.redis ? await startRedisServer() : null;
  let server: ServerProcess;
  try {
    server = await startServer({
      nodeArgs: o['node-args'].split(' ').filter(Boolean),
      env: { ...SERVER_ENV, ...(redis ? { REDIS_URL: redis.url } : {}), ...parseEnv(o.env) },
      root: o.root,
      logFile: o['server-log'],
    });
  } catch (err) {
    await redis?.stop();
    throw err;
  }
  console.log(`# server pid ${server.pid} on ${server.origin}${redis ? `, redis pid ${redis.pid} at ${redis.url}` : ''}`);
  const admin = new Admin(server.origin, server.token, Math.max(o.concurrency, 4));
  const tally = new Tally();
  let gateways: Gateway[] = [];
  try {
    const rssIdle = mb(procMemory(server.pid)?.rssKB);

    // 1. register
    let t0 = now();
    const registered = await registerAll(admin, o.gateways, o['register-batch'], 4, setupDeadline);
    const registerMs = now() - t0;
    const ids = registered.map((g) => g.id);
    console.log(`# registered ${ids.length} gateways in ${r1(registerMs)} ms`);

    // 2. connect
    const wsUrl = `ws://127.0.0.1:${server.port}${GATEWAY_PATH}`;
    gateways = registered.map((g, i) => new Gateway(i, g.apiKey, wsUrl, tally));
    t0 = now();
    const opened = await openAll(gateways, o['conn-concurrency'], setupDeadline);
    const connectMs = now() - t0;
    if (opened.failed > 0 || opened.notTried > 0) {
      throw new Error(`${opened.failed} connections failed, ${opened.notTried} not tried (last error: ${tally.lastError})`);
    }
    console.log(`# connected ${gateways.length} gateways in ${r1(connectMs)} ms`);

    // 3. confirm every gateway listens
    t0 = now();
    const polls = await waitUntilListening(admin, ids, setupDeadline);
    const listenMs = now() - t0;
    console.log(`# server lists all ${ids.length} gateways listening after ${r1(listenMs)} ms (${polls} polls)`);

    const random = prng(o.seed);
    const k = Math.max(1, Math.round(o.fraction * ids.length));
    const scratch = ids.map((_, i) => i);

    // 4. warm-up (unmeasured), open-loop at the measured rate
    const warmupPublisher = new Publisher(admin, ids, o.concurrency);
    const warmupPlan = Array.from({ length: o.warmup }, () => Publisher.pick(scratch, k, random));
    const warmupExpected = warmupPlan.reduce((n, targets) => n + targets.length, 0);
    await publishOpenLoop(warmupPublisher, 'w', warmupPlan, o.rate, false, setupDeadline);
    while (tally.warmupReceived < warmupExpected && now() < setupDeadline) await sleep(10);
    if (warmupPublisher.lastError) throw new Error(`warm-up deployment failed: ${warmupPublisher.lastError}`);
    const warm = tally.warmupLatency.summary();
    console.log(`# warm-up: ${o.warmup} deployments at ${o.rate}/s, ${tally.warmupReceived}/${warmupExpected} events received, latency ms p50 ${warm.p50} p99 ${warm.p99} max ${warm.max}`);
    if (tally.warmupReceived < warmupExpected) throw new Error('warm-up events did not all arrive; not measuring a broken setup');

    // 5. measured, open-loop publish
    const total = Math.max(1, Math.round(o.rate * o.duration));
    const plan: number[][] = [];
    tally.marks = ids.map(() => new Uint8Array(total));
    for (let seq = 0; seq < total; seq++) {
      const targets = Publisher.pick(scratch, k, random);
      plan.push(targets);
      for (const g of targets) tally.marks[g]![seq] = 1;
    }
    const publisher = new Publisher(admin, ids, o.concurrency, total);
    const rssBefore = mb(procMemory(server.pid)?.rssKB);
    const cpuBefore = cpuSnapshot(server.pid, redis?.pid ?? null);
    const intervalMs = 1000 / o.rate;
    const publishStart = now() + 50;
    tally.publishStart = publishStart;
    tally.intervalMs = intervalMs;
    await publishOpenLoop(publisher, 'm', plan, o.rate, true, publishStart + o.duration * 1000 + 10_000, publishStart);
    const publishEnd = now();

    // 6. drain
    const drainDeadline = publishEnd + o.drain * 1000;
    while (tally.received < publisher.expected && now() < drainDeadline) await sleep(10);
    const drainedAt = now();
    await sleep(o['settle-ms']);

    const cpu = cpuBetween(cpuBefore, cpuSnapshot(server.pid, redis?.pid ?? null));
    const rssAfter = mb(procMemory(server.pid)?.rssKB);

    // Only targets of deployments the server accepted are expected.
    let lost = 0;
    for (const marks of tally.marks) for (let seq = 0; seq < total; seq++) if (marks[seq] === 1 && publisher.ok[seq] === 1) lost++;

    const { serverCpuMs, redisCpuMs, machineCpuMs } = cpu;
    const latency = tally.latency.summary();

    return {
      mode,
      gateways: o.gateways,
      rate: o.rate,
      duration: o.duration,
      fraction: o.fraction,
      targetsPerDeployment: k,
      concurrency: o.concurrency,
      loadAvgStart: loadAtStart,
      loadAvgEnd: loadAverage(),
      setup: { registerMs: r1(registerMs), connectMs: r1(connectMs), listenMs: r1(listenMs) },
      deploymentsPlanned: total,
      deploymentsPublished: publisher.published,
      deploymentsFailed: publisher.failed,
      deploymentsSkipped: publisher.skipped,
      publishStartEpochMs: Math.round(performance.timeOrigin + publishStart),
      publishSeconds: r3((publishEnd - publishStart) / 1000),
      achievedRate: r1(publisher.published / ((publishEnd - publishStart) / 1000)),
      expectedDeliveries: publisher.expected,
      receivedDeliveries: tally.received,
      lost,
      duplicates: tally.duplicates,
      unexpected: tally.unexpected,
      outOfOrder: tally.outOfOrder,
      statuses: publisher.statuses,
      connectionsReported: publisher.connectionsReported,
      latencyMs: latency,
      latencyFromDueMs: tally.latencyFromDue.summary(),
      slowSeconds: tally.slowBySecond.flatMap((count, second) => (count ? [{ second, over50ms: count, maxMs: r1(tally.maxBySecond[second]!) }] : [])),
      publishLagMs: publisher.lag.summary(),
      publishRttMs: publisher.rtt.summary(),
      maxInFlight: publisher.maxInFlight,
      drainMs: r1(drainedAt - publishEnd),
      windowSeconds: r3(cpu.wallMs / 1000),
      serverCpuSeconds: serverCpuMs === null ? null : r3(serverCpuMs / 1000),
      serverCpuPercentOfCore: cpu.serverCpuPct,
      serverCpuUsPerDelivery: serverCpuMs === null || tally.received === 0 ? null : r1((serverCpuMs * 1000) / tally.received),
      redisCpuSeconds: redisCpuMs === null ? null : r3(redisCpuMs / 1000),
      loadToolCpuPercentOfCore: cpu.loadToolCpuPct,
      machineBusyPercentOfAllCores: machineCpuMs === null ? null : r1((100 * machineCpuMs) / cpu.wallMs / cpus().length),
      serverRssMB: { idle: rssIdle, beforePublish: rssBefore, afterPublish: rssAfter },
      clientErrors: {
        gql: tally.gqlErrors,
        protocol: tally.protocolErrors,
        unexpectedCloses: tally.unexpectedCloses,
        last: tally.lastError,
        publish: publisher.lastError,
      },
      serverAlive: server.alive(),
      serverLogWarnings: server.warnings(),
      clkTck: CLK_TCK,
    };
  } catch (err) {
    console.error(`# server output (tail):\n${server.output().slice(-4_000)}`);
    if (redis) console.error(`# redis output (tail):\n${redis.output().slice(-2_000)}`);
    throw err;
  } finally {
    for (const g of gateways) g.close();
    admin.destroy();
    await server.stop();
    await redis?.stop();
  }
}

type SlowSecond = { second: number; over50ms: number; maxMs: number };

/** Where the slow deliveries were: a few bad seconds point at pauses, a spread at steady overload. */
function slowSeconds(seconds: readonly SlowSecond[]): string {
  if (seconds.length === 0) return 'none';
  const total = seconds.reduce((sum, s) => sum + s.over50ms, 0);
  const worst = [...seconds].sort((a, b) => b.over50ms - a.over50ms).slice(0, 6);
  return `${total} in ${seconds.length} s; worst: ${worst.map((s) => `s${s.second} ${s.over50ms} (max ${s.maxMs})`).join(', ')}`;
}

function printTable(r: Report): void {
  const l = r.latencyMs as Summary;
  const lag = r.publishLagMs as Summary;
  const due = r.latencyFromDueMs as Summary;
  const rtt = r.publishRttMs as Summary;
  const s = r.statuses as Record<string, number>;
  const rss = r.serverRssMB as Record<string, number | null>;
  const e = r.clientErrors as Record<string, unknown>;
  const setup = r.setup as Record<string, number>;
  const rows: Array<[string, unknown]> = [
    ['mode', r.mode],
    ['gateways / targets per deployment', `${r.gateways} / ${r.targetsPerDeployment} (${r.fraction})`],
    ['load average start -> end', `${r.loadAvgStart} -> ${r.loadAvgEnd}`],
    ['setup: register / connect / listening', `${setup.registerMs} / ${setup.connectMs} / ${setup.listenMs} ms`],
    ['deployments planned / published', `${r.deploymentsPlanned} / ${r.deploymentsPublished} (failed ${r.deploymentsFailed}, skipped ${r.deploymentsSkipped})`],
    ['publish time / achieved rate', `${r.publishSeconds} s / ${r.achievedRate} per s (target ${r.rate})`],
    ['expected deliveries (sum of targets)', r.expectedDeliveries],
    ['received deliveries', r.receivedDeliveries],
    ['lost / duplicates / unexpected / out of order', `${r.lost} / ${r.duplicates} / ${r.unexpected} / ${r.outOfOrder}`],
    ['statuses DELIVERED / NO_CONNECTION / FAILED', `${s.DELIVERED ?? 0} / ${s.NO_CONNECTION ?? 0} / ${s.FAILED ?? 0}`],
    ['latency ms p50 / p90 / p99 / max', `${l.p50} / ${l.p90} / ${l.p99} / ${l.max}  (mean ${l.mean}, n ${l.n})`],
    ['deliveries over 50 ms, by second', slowSeconds(r.slowSeconds as SlowSecond[])],
    ['latency from due time ms p50 / p99 / max', `${due.p50} / ${due.p99} / ${due.max}`],
    ['publish lag ms p50 / p99 / max', `${lag.p50} / ${lag.p99} / ${lag.max}`],
    ['publish round trip ms p50 / p99 / max', `${rtt.p50} / ${rtt.p99} / ${rtt.max}  (max in flight ${r.maxInFlight})`],
    ['drain after last response', `${r.drainMs} ms`],
    ['server CPU (publish phase)', `${r.serverCpuSeconds} s over ${r.windowSeconds} s = ${r.serverCpuPercentOfCore} % of a core`],
    ['server CPU per delivery', `${r.serverCpuUsPerDelivery} us`],
    ...(r.redisCpuSeconds !== null ? ([['redis-server CPU', `${r.redisCpuSeconds} s`]] as Array<[string, unknown]>) : []),
    ['load tool CPU / machine busy', `${r.loadToolCpuPercentOfCore} % of a core / ${r.machineBusyPercentOfAllCores} % of all cores`],
    ['server RSS idle / before / after', `${rss.idle} / ${rss.beforePublish} / ${rss.afterPublish} MB`],
    ['client errors gql / protocol / closes', `${e.gql} / ${e.protocol} / ${e.unexpectedCloses}${e.last ? `  (last: ${e.last})` : ''}`],
    ['server warn+ log lines / alive at end', `${r.serverLogWarnings} / ${r.serverAlive}`],
  ];
  if (e.publish) rows.push(['last publish error', e.publish]);
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('');
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${String(v)}`);
  console.log('');
}

/**
 * Open-loop publishing: deployment i is due at start + i / rate, whatever
 * became of the earlier ones; none starts after `deadline`. Resolves once
 * every request sent has been answered (each is bounded by its own 30 s
 * timeout).
 */
async function publishOpenLoop(publisher: Publisher, prefix: 'm' | 'w', plan: readonly number[][], rate: number, count: boolean, deadline: number, start = now() + 50): Promise<void> {
  const intervalMs = 1000 / rate;
  const pending: Array<Promise<void>> = [];
  let sent = 0;
  for (let seq = 0; seq < plan.length; seq++) {
    const due = start + seq * intervalMs;
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    if (now() > deadline) break;
    pending.push(publisher.deploy(prefix, seq, plan[seq]!, due, count));
    sent++;
  }
  publisher.skipped = plan.length - sent;
  await Promise.all(pending);
}

async function main(): Promise<number> {
  const parsed = benchOptions('gateways.ts', DEFAULTS, process.argv.slice(2), check);
  if ('exit' in parsed) return parsed.exit;
  const report = await run(parsed.options);
  printTable(report);
  console.log(JSON.stringify({ bench: 'gateways', ...report }));
  const ok =
    report.lost === 0 &&
    report.duplicates === 0 &&
    report.deploymentsFailed === 0 &&
    report.receivedDeliveries === report.expectedDeliveries &&
    (report.latencyMs as Summary).p99 !== undefined &&
    ((report.latencyMs as Summary).p99 ?? Infinity) < 50;
  console.log(ok ? '# PASS: nothing lost, p99 < 50 ms' : '# FAIL: see the figures above (target: nothing lost, p99 < 50 ms)');
  return ok ? 0 : 1;
}

runBench('gateways', main, DEFAULTS['max-seconds']);
