/**
 * What one createTask costs the server, by the way it arrives:
 *
 *   npx tsx test/bench/mutations.ts [--mutations 5000] [--subs 10] [--concurrency 32] [--rounds 3] [--redis]
 *
 * Starts two Herald processes (production mode, embedded, or on one
 * redis-server of their own with --redis and separate key prefixes): "direct"
 * as configured by default, "yoga" with GRAPHQL_DIRECT_POST=false. Each has
 * --subs WebSocket subscribers on the repository the mutations write to. Per
 * round, in an order that alternates, it sends --mutations createTask calls
 * as a service key (tasks:write, rate limits checked but raised above the
 * load), --concurrency in flight, and waits until every subscriber got every
 * event:
 *
 *   http-direct  POST /graphql to "direct" (transport/graphql-post.ts);
 *   http-yoga    POST /graphql to "yoga" (Yoga's Fetch API layer);
 *   ws           over one graphql-ws connection to "direct", as a service that
 *                holds a WebSocket sends them (`subscribe` messages, each
 *                answered with `next` and `complete`).
 *
 * Reported: server CPU per mutation (from /proc, fan-out to the subscribers
 * included) and its ratio to http-direct in the same round. Timing targets are
 * not asserted: the figures depend on the machine and what else runs on it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Publisher, now, r3 } from './client.js';
import { benchOptions, gql, median, runBench, waitForQuiet } from './common.js';
import { procCpuMs, startRedisServer, startServer, type RedisProcess, type ServerProcess } from './server.js';

const DEFAULTS = {
  mutations: 5000,
  subs: 10,
  concurrency: 32,
  rounds: 3,
  warmup: 500,
  redis: false,
  /** A directory for a CPU profile of the "direct" server (node --cpu-prof), written when it stops. */
  profile: '',
  'load-limit': 1.5,
  'load-wait': 60,
  'max-seconds': 900,
  help: false,
};
type Options = typeof DEFAULTS;
type Path = 'http-direct' | 'http-yoga' | 'ws';

const REPOSITORY = 'bench-mutations';
const CREATE = 'mutation BenchCreateTask($input: CreateTaskInput!) { createTask(input: $input) { id } }';
const EVENTS = `subscription { taskEvents(repositories: ["${REPOSITORY}"]) { type repository task { id title } } }`;

/** Subscribers that count what they receive. */
class Listeners {
  received = 0;
  readonly #sockets: WebSocket[] = [];

  async open(server: ServerProcess, token: string, count: number): Promise<void> {
    await Promise.all(
      Array.from({ length: count }, () => {
        const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
        this.#sockets.push(ws);
        return new Promise<void>((resolve, reject) => {
          ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
          ws.on('error', reject);
          ws.on('message', (data: Buffer) => {
            const message = JSON.parse(String(data)) as { type: string };
            if (message.type === 'connection_ack') {
              ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: EVENTS } }));
              resolve();
            } else if (message.type === 'next') this.received++;
            else if (message.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
          });
        });
      }),
    );
  }

  close(): void {
    for (const ws of this.#sockets) ws.terminate();
  }
}

/** createTask over one graphql-ws connection. */
function wsMutations(client: Client) {
  let sent = 0;
  return () =>
    new Promise<void>((resolve, reject) => {
      const variables = { input: { repository: REPOSITORY, title: `ws ${sent++}` } };
      let ok = false;
      client.subscribe(
        { query: CREATE, variables },
        {
          next: (result) => (ok = !result.errors),
          error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
          complete: () => (ok ? resolve() : reject(new Error('mutation failed'))),
        },
      );
    });
}

async function run(send: () => Promise<unknown>, count: number, concurrency: number) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) await send();
    }),
  );
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (!check()) {
    if (now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

type Target = { server: ServerProcess; key: string; listeners: Listeners; publisher: Publisher; ws: Client | null };

async function measure(target: Target, path: Path, o: Options): Promise<number> {
  const before = target.listeners.received;
  let sent = 0;
  const send =
    path === 'ws'
      ? wsMutations(target.ws!)
      : () =>
          target.publisher.publish(REPOSITORY, `http ${sent++}`).then((r) => {
            if (!r.ok) throw new Error(`${path}: ${r.error}`);
          });
  const cpu0 = procCpuMs(target.server.pid)!;
  await run(send, o.mutations, o.concurrency);
  const expected = before + o.mutations * o.subs;
  if (!(await until(() => target.listeners.received >= expected, 60_000))) throw new Error(`${path}: ${expected - target.listeners.received} deliveries missing`);
  return (procCpuMs(target.server.pid)! - cpu0) / o.mutations;
}

async function main(): Promise<number> {
  const parsed = benchOptions('mutations.ts', DEFAULTS, process.argv.slice(2));
  if ('exit' in parsed) return parsed.exit;
  const o = parsed.options;
  const rules = join(mkdtempSync(join(tmpdir(), 'herald-bench-')), 'rules.yaml');
  writeFileSync(rules, 'Mutation.*: { max: 100000, windowSeconds: 60 }\nSubscription.*: { max: 100000, windowSeconds: 60 }\n');
  let redis: RedisProcess | null = null;
  if (o.redis) redis = await startRedisServer();
  const env = (prefix: string, extra: Record<string, string>) => ({
    RATE_LIMITS_FILE: rules,
    ...(redis ? { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `${prefix}:` } : {}),
    ...extra,
  });
  const [direct, yoga] = await Promise.all([startServer({ env: env('direct', {}), nodeArgs: o.profile ? ['--cpu-prof', `--cpu-prof-dir=${o.profile}`] : [] }), startServer({ env: env('yoga', { GRAPHQL_DIRECT_POST: 'false' }) })]);
  const targets: Record<'direct' | 'yoga', Target> = {} as never;
  for (const [name, server] of [['direct', direct], ['yoga', yoga]] as const) {
    const { createApiKey } = await gql<{ createApiKey: { secret: string } }>(server.graphqlUrl, server.token, 'mutation { createApiKey(input: { name: "bench", scopes: ["tasks:write", "tasks:read"] }) { secret } }');
    const listeners = new Listeners();
    await listeners.open(server, createApiKey.secret, o.subs);
    const ws = name === 'direct' ? createClient({ url: server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${createApiKey.secret}` }, lazy: false, retryAttempts: 0 }) : null;
    targets[name] = { server, key: createApiKey.secret, listeners, publisher: new Publisher(server.graphqlUrl, createApiKey.secret, o.concurrency), ws };
  }
  const where: Record<Path, Target> = { 'http-direct': targets.direct, 'http-yoga': targets.yoga, ws: targets.direct };
  console.log(`mutations: ${o.mutations} createTask per path and round, ${o.subs} subscribers, ${o.concurrency} in flight, ${o.redis ? 'Redis' : 'embedded'} mode, production`);
  // Warm-up: every path, unmeasured.
  for (const path of ['http-direct', 'http-yoga', 'ws'] as const) await measure(where[path], path, { ...o, mutations: o.warmup });
  const results: Record<Path, number[]> = { 'http-direct': [], 'http-yoga': [], ws: [] };
  for (let round = 1; round <= o.rounds; round++) {
    await waitForQuiet(`round ${round}`, o['load-limit'], o['load-wait'] * 1000);
    const order: Path[] = round % 2 ? ['http-direct', 'http-yoga', 'ws'] : ['ws', 'http-yoga', 'http-direct'];
    const line: string[] = [];
    for (const path of order) {
      const ms = await measure(where[path], path, o);
      results[path].push(ms);
      line.push(`${path} ${r3(ms)} ms`);
    }
    const [d, y, w] = [results['http-direct'].at(-1)!, results['http-yoga'].at(-1)!, results.ws.at(-1)!];
    console.log(`round ${round}: ${line.join(', ')}  (yoga/direct ${r3(y / d)}, ws/direct ${r3(w / d)})`);
  }
  const d = median(results['http-direct']);
  console.log('\nserver CPU per createTask, median over rounds (ratio to http-direct):');
  for (const path of ['http-direct', 'http-yoga', 'ws'] as const) {
    const m = median(results[path]);
    console.log(`  ${path.padEnd(12)} ${r3(m).toFixed(3)} ms  x${r3(m / d).toFixed(2)}`);
  }
  console.log(JSON.stringify({ bench: 'mutations', options: o, msPerMutation: results }));
  for (const t of Object.values(targets)) {
    t.listeners.close();
    t.publisher.destroy();
    await t.ws?.dispose();
  }
  await Promise.all([direct.stop(), yoga.stop()]);
  await redis?.stop();
  return 0;
}

runBench('mutations', main, DEFAULTS['max-seconds']);
