/**
 * Scale-out: the same workload on 1, 2 and 3 instances sharing one Redis, with
 * embedded mode (one instance) measured in the same sitting as the peer:
 *
 *   npx tsx test/bench/scale.ts [--instances 1,2,3] [--subs 1000] [--repos 10] [--rate 100] [--duration 20] [--topology single]
 *
 * Each run starts its own Redis topology (`--topology single`: one throw-away
 * `redis-server --save '' --appendonly no`; `--topology cluster`: three
 * primaries joined with `redis-cli --cluster create`, handed to the servers
 * as REDIS_CLUSTER_NODES, for a checkout that speaks Redis Cluster) and N
 * server processes (`node dist/main.js`, built first, NODE_ENV=production,
 * LOG_LEVEL=warn, one admin token, connection and rate limits raised as in
 * CONTRIBUTING.md, one fresh REDIS_KEY_PREFIX), then:
 *
 *   1. opens --subs graphql-ws subscribers (`taskEvents` on one repository
 *      each): subscriber j follows repository j % --repos on instance j % N,
 *      so every instance follows every repository and every event crosses
 *      Redis to every instance;
 *   2. confirms every subscription with probe events published on instance 0,
 *      so each one is known to hear events made on another instance;
 *   3. warms up (--warmup events at --rate, unmeasured);
 *   4. publishes open loop: event i (createTask, title `t:<send ms>:<i>`) is due
 *      at t0 + i / --rate, goes to repository i % --repos, and is posted to
 *      instance i % N, so publishers are spread too;
 *   5. waits (bounded) for every expected delivery.
 *
 * It reports, per run, deliveries per second, latency p50/p99 (receive time -
 * send time, one clock), lost/duplicate/out-of-order deliveries, and from
 * /proc/<pid>/stat (utime + stime over the measured phase): each instance's
 * CPU and CPU per delivery it made, the servers' CPU per delivery in all, and
 * Redis's CPU (INFO cpu) per event published and per delivery. This 2-core machine runs
 * the load tool, every instance and Redis at once, so it cannot show
 * throughput growing with instances; the CPU costs are what carry over to
 * bigger machines (docs/performance.md turns them into an estimate).
 *
 * Not a vitest file on purpose (no *.test.ts, no describe/it).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAll, now, openAll, Publisher, r1, Samples, Subscriber, Tally, type Summary } from './client.js';
import { benchOptions, gql, loadAverages, parseEnv, runBench, waitForQuiet } from './common.js';
import { machineBusyMs, procCpuMs, sleep, startRedisServer, startServer, type RedisProcess, type ServerProcess } from './server.js';

// ------------------------------------------------------------------ options

const DEFAULTS = {
  instances: '1,2,3', // instance counts to run on Redis, one run each
  embedded: true, // also run embedded mode (one instance) first, as the peer
  topology: 'single', // single | cluster (three primaries; needs a checkout that reads REDIS_CLUSTER_NODES)
  subs: 1000, // subscribers in all, spread over the instances
  repos: 10, // repositories; each event goes to subs / repos subscribers
  rate: 100, // events per second, spread over the instances
  duration: 20, // seconds of publishing
  warmup: 300, // unmeasured events first, at --rate
  drain: 20, // seconds after the last publish to wait for missing deliveries
  'conn-concurrency': 50, // WebSocket handshakes in flight
  'publish-sockets': 16, // keep-alive sockets per instance of the publisher
  'max-in-flight': 256, // publishes beyond this many outstanding are skipped (and counted)
  'setup-timeout': 120,
  'max-load': 1.5, // the 1-minute load average must be below this before a run
  'load-wait': 120, // seconds to wait at most for it
  'max-seconds': 1800,
  'settle-ms': 300,
  env: '', // extra server environment, "KEY=VALUE,KEY=VALUE"
  root: '', // directory to run the servers from (default: this checkout), e.g. one that speaks Redis Cluster
  help: false,
};
type Options = typeof DEFAULTS;

/** Values that parse but make no sense. */
function check(o: Options): void {
  if (!TOPOLOGIES[o.topology]) throw new Error(`--topology must be one of ${Object.keys(TOPOLOGIES).join(', ')}`);
  if (instanceCounts(o).length === 0) throw new Error('--instances: a comma-separated list of positive integers');
  if (o.subs < 1 || o.repos < 1 || o.rate <= 0 || o.duration <= 0) throw new Error('--subs, --repos, --rate and --duration must be positive');
}

const instanceCounts = (o: Options) =>
  o.instances
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);

const sum = (xs: readonly (number | null)[]) => xs.reduce<number>((a, x) => a + (x ?? 0), 0);

// ------------------------------------------------------------------ Redis topologies

/**
 * What the servers are pointed at. A topology starts its redis-server
 * processes, says which environment tells a server where they are, and whose
 * CPU counts as Redis's. Another topology (Sentinel, a cluster with replicas)
 * is another entry in TOPOLOGIES.
 */
type Topology = {
  readonly env: Record<string, string>;
  readonly describe: string;
  /** CPU time (ms) Redis has used so far, all nodes together. */
  cpuMs(): number | null;
  stop(): Promise<void>;
};

/**
 * used_cpu_sys + used_cpu_user from INFO cpu (microsecond resolution, where
 * /proc/<pid>/stat counts 10 ms ticks), else /proc; null when neither answers.
 */
function redisCpuMs(redis: RedisProcess): number | null {
  const [host, port] = redis.url.replace('redis://', '').split(':') as [string, string];
  try {
    const info = execFileSync('redis-cli', ['-h', host, '-p', port, 'info', 'cpu'], { encoding: 'utf8', timeout: 5_000 });
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
    const seconds = field('used_cpu_sys') + field('used_cpu_user');
    if (Number.isFinite(seconds)) return seconds * 1000;
  } catch {
    // fall back to /proc
  }
  return procCpuMs(redis.pid);
}

const totalCpuMs = (nodes: readonly RedisProcess[]) => {
  const each = nodes.map(redisCpuMs);
  return each.some((ms) => ms === null) ? null : sum(each);
};

const TOPOLOGIES: Record<string, () => Promise<Topology>> = {
  single: async () => {
    const redis = await startRedisServer();
    return { env: { REDIS_URL: redis.url }, describe: `one redis-server (${redis.url})`, cpuMs: () => totalCpuMs([redis]), stop: () => redis.stop() };
  },
  cluster: () => startCluster(3),
};

/** Three (or `count`) empty primaries, no replicas, every slot assigned; REDIS_CLUSTER_NODES names them all. */
async function startCluster(count: number): Promise<Topology> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-scale-cluster-'));
  const nodes: RedisProcess[] = [];
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(await startRedisServer(['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${i}.conf`), '--dir', dir]));
    }
    const addresses = nodes.map((n) => n.url.replace('redis://', ''));
    execFileSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'pipe', timeout: 30_000 });
    const [host, port] = addresses[0]!.split(':') as [string, string];
    const deadline = Date.now() + 30_000;
    while (!execFileSync('redis-cli', ['-h', host, '-p', port, 'cluster', 'info'], { encoding: 'utf8' }).includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error('the cluster did not reach cluster_state:ok');
      await sleep(200);
    }
    return {
      env: { REDIS_CLUSTER_NODES: addresses.join(',') },
      cpuMs: () => totalCpuMs(nodes),
      describe: `a Redis Cluster of ${count} primaries (${addresses.join(', ')})`,
      async stop() {
        await Promise.all(nodes.map((n) => n.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

// ------------------------------------------------------------------ one run

type Instance = { readonly server: ServerProcess; readonly tally: Tally; readonly publisher: Publisher; readonly subs: Subscriber[]; readonly latency: Samples };

type RunResult = Awaited<ReturnType<typeof runOnce>>;

const usPer = (ms: number | null, count: number) => (ms === null || count === 0 ? null : r1((1000 * ms) / count));

async function runOnce(o: Options, mode: 'embedded' | 'redis', count: number) {
  const load = await waitForQuiet(`${mode} x${count}`, o['max-load'], o['load-wait'] * 1000);
  const topology = mode === 'redis' ? await TOPOLOGIES[o.topology]!() : null;
  const token = randomBytes(24).toString('base64url');
  const rules = join(mkdtempSync(join(tmpdir(), 'herald-scale-')), 'rules.yaml');
  writeFileSync(rules, 'Mutation.*: { max: 100000, windowSeconds: 60 }\nSubscription.*: { max: 100000, windowSeconds: 60 }\n');
  const env = {
    HERALD_ADMIN_TOKEN: token,
    WS_RATE_LIMIT_PER_MINUTE: '1000000',
    WS_AUTHENTICATED_RATE_LIMIT_PER_MINUTE: '1000000',
    WS_MAX_CONNECTIONS: '100000',
    WS_MAX_CONNECTIONS_PER_PRINCIPAL: '100000',
    RATE_LIMITS_FILE: rules,
    ...(topology ? { ...topology.env, REDIS_KEY_PREFIX: `scale${randomBytes(4).toString('hex')}:` } : {}),
    ...parseEnv(o.env),
  };
  const instances: Instance[] = [];
  const all = new Samples(1 << 16);
  try {
    const servers = await Promise.all(Array.from({ length: count }, () => startServer({ env, root: o.root })));
    for (const server of servers) {
      const tally = new Tally();
      instances.push({ server, tally, publisher: new Publisher(server.graphqlUrl, token, o['publish-sockets']), subs: [], latency: new Samples(1 << 14) });
    }
    // A server that did not take the topology's settings would run embedded, each instance alone: refuse to measure that.
    const modes = await Promise.all(servers.map((s) => gql<{ stats: { mode: string } }>(s.graphqlUrl, token, '{ stats { mode } }')));
    const expected = mode === 'redis' ? 'REDIS' : 'EMBEDDED';
    if (modes.some((m) => m.stats.mode !== expected)) {
      throw new Error(`instances report modes ${modes.map((m) => m.stats.mode).join(', ')}, not ${expected}${o.topology === 'cluster' ? ': this checkout does not read REDIS_CLUSTER_NODES' : ''}`);
    }
    const repository = (i: number) => `scale-${i % o.repos}`;
    for (let j = 0; j < o.subs; j++) {
      const at = instances[j % count]!;
      at.subs.push(new Subscriber(repository(j), true, { wsUrl: at.server.wsUrl, token, tally: at.tally, ackTimeoutMs: 30_000 }));
    }
    const deadline = now() + o['setup-timeout'] * 1000;
    const subs = instances.flatMap((i) => i.subs);
    const opened = await openAll(subs, o['conn-concurrency'], deadline);
    if (opened.failed + opened.notTried > 0) throw new Error(`${opened.failed + opened.notTried} of ${subs.length} subscribers did not connect`);

    // Probes go through instance 0 only: a subscriber that hears one is live across Redis.
    let probes = 0;
    while (!subs.every((s) => s.probeSeen)) {
      if (now() > deadline) throw new Error(`${subs.filter((s) => !s.probeSeen).length} subscriptions unconfirmed by the setup deadline`);
      await Promise.all(Array.from({ length: o.repos }, (_, r) => instances[0]!.publisher.publish(repository(r), `p:confirm:${probes}`)));
      probes++;
      await sleep(200);
    }

    // Warm-up: the measured path, unmeasured, spread like the measured phase.
    const probeTarget = (n: number) => sum(instances.map((i) => i.tally.probeDeliveries)) + (n * o.subs) / o.repos;
    const warmTarget = probeTarget(Math.floor(o.warmup / o.repos) * o.repos);
    await openLoop(instances, Math.floor(o.warmup / o.repos) * o.repos, o.rate, o['max-in-flight'], (i) => [repository(i), `p:warm:${i}`]);
    const warmDeadline = now() + 30_000;
    while (sum(instances.map((i) => i.tally.probeDeliveries)) < warmTarget && now() < warmDeadline) await sleep(10);

    const events = Math.round(o.rate * o.duration);
    for (const i of instances) {
      i.publisher.resetStats();
      for (const s of i.subs) s.got = new Uint8Array(events);
      i.tally.measurement = { events, latency: i.latency, onDelivery: (at, sent) => all.push(at - sent) };
    }
    const pids = instances.map((i) => i.server.pid);
    const cpu0 = pids.map(procCpuMs);
    const redis0 = topology?.cpuMs() ?? null;
    const machine0 = machineBusyMs();
    const t0 = now();
    const sent = await openLoop(instances, events, o.rate, o['max-in-flight'], (i) => [repository(i), `t:${now().toFixed(3)}:${i}`]);
    const lastSend = now();
    const published = sum(instances.map((i) => i.publisher.ok));
    const expectedDeliveries = (published * o.subs) / o.repos;
    const delivered = () => sum(instances.map((i) => i.tally.delivered));
    while (delivered() < expectedDeliveries && now() < lastSend + o.drain * 1000) await sleep(10);
    const doneAt = Math.max(...instances.map((i) => i.tally.lastDeliveryAt), lastSend);
    const cpu1 = pids.map(procCpuMs);
    const redis1 = topology?.cpuMs() ?? null;
    const machine1 = machineBusyMs();
    const wallMs = now() - t0;
    await sleep(o['settle-ms']);

    const cpuMs = pids.map((_, k) => (cpu0[k] === null || cpu1[k] === null ? null : cpu1[k]! - cpu0[k]!));
    const serverCpu = cpuMs;
    const redisCpu = redis0 === null || redis1 === null ? null : redis1 - redis0;
    const total = delivered();
    const seconds = Math.max(1, doneAt - t0) / 1000;
    return {
      mode,
      topology: topology?.describe ?? 'none',
      instances: count,
      load: { before: load.at, after: loadAverages()?.[0] ?? null },
      published,
      publishFailed: sum(instances.map((i) => i.publisher.failed)),
      publishSkipped: sent.skipped,
      lastPublishError: instances.map((i) => i.publisher.lastError).find((e) => e !== null) ?? null,
      expected: expectedDeliveries,
      delivered: total,
      lost: expectedDeliveries - total,
      duplicates: sum(instances.map((i) => i.tally.duplicates)),
      outOfOrder: sum(instances.map((i) => i.tally.outOfOrder)),
      leaks: sum(instances.map((i) => i.tally.leaks)),
      deliveriesPerSecond: Math.round(total / seconds),
      latencyMs: all.summary(),
      publishRttMs: mergedRtt(instances),
      perInstance: instances.map((i, k) => ({
        delivered: i.tally.delivered,
        p99Ms: i.latency.summary().p99 ?? null,
        cpuPercentOfCore: serverCpu[k] === null ? null : r1((100 * serverCpu[k]!) / wallMs),
        cpuUsPerDelivery: usPer(serverCpu[k]!, i.tally.delivered),
      })),
      serverCpuUsPerDelivery: usPer(sum(serverCpu), total),
      redisCpuPercentOfCore: redisCpu === null ? null : r1((100 * redisCpu) / wallMs),
      redisCpuUsPerEvent: redisCpu === null ? null : usPer(redisCpu, published),
      redisCpuUsPerDelivery: redisCpu === null ? null : usPer(redisCpu, total),
      machineBusyPercentOfAllCores: machine0 === null || machine1 === null ? null : r1((100 * (machine1 - machine0)) / wallMs / cpus().length),
      errors: instances.map((i) => i.tally.errors()).filter((e) => e.gql + e.protocol + e.unexpectedCloses > 0),
      serversAlive: instances.every((i) => i.server.alive()),
      serverWarnings: sum(instances.map((i) => i.server.warnings())),
    };
  } finally {
    for (const i of instances) {
      i.tally.measurement = null;
      closeAll(i.subs);
      i.publisher.destroy();
    }
    await Promise.all(instances.map((i) => i.server.stop()));
    await topology?.stop();
    rmSync(rules, { force: true });
  }
}

function mergedRtt(instances: readonly Instance[]): Summary {
  // The publishers' samples are kept apart; the slowest instance's p99 is the one that matters.
  const summaries = instances.map((i) => i.publisher.rtt.summary());
  return summaries.reduce((worst, s) => ((s.p99 ?? 0) > (worst.p99 ?? 0) ? s : worst), summaries[0]!);
}

/**
 * Open loop: event i is due at t0 + i / rate whatever became of the earlier
 * ones, and is posted to instance i % N; past `maxInFlight` outstanding it is
 * skipped and counted. Resolves once every request sent was answered.
 */
async function openLoop(instances: readonly Instance[], events: number, rate: number, maxInFlight: number, make: (i: number) => [string, string]) {
  const t0 = now();
  let sent = 0;
  let skipped = 0;
  let inFlight = 0;
  const pending: Array<Promise<unknown>> = [];
  while (sent < events) {
    const due = t0 + (sent * 1000) / rate;
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    const i = sent++;
    if (inFlight >= maxInFlight) {
      skipped++;
      continue;
    }
    inFlight++;
    const [repository, title] = make(i);
    pending.push(instances[i % instances.length]!.publisher.publish(repository, title).finally(() => inFlight--));
  }
  await Promise.all(pending);
  return { skipped };
}

// ------------------------------------------------------------------ output

const f = (x: number | null | undefined, digits = 1) => (x == null ? '-' : x.toFixed(digits));

function printTable(results: readonly RunResult[]): void {
  const peer = results.find((r) => r.mode === 'embedded');
  const ratio = (x: number | null | undefined, y: number | null | undefined) => (x == null || y == null || y === 0 ? '-' : `${(x / y).toFixed(2)}x`);
  console.log('');
  console.log('run            deliv/s  p50 ms  p99 ms  lost dup ooo  server us/deliv (x embedded)  per instance us/deliv  redis % core  redis us/event  redis us/deliv  p99 x embedded');
  for (const r of results) {
    const name = `${r.mode} x${r.instances}`.padEnd(14);
    console.log(
      [
        name,
        String(r.deliveriesPerSecond).padStart(7),
        f(r.latencyMs.p50).padStart(7),
        f(r.latencyMs.p99).padStart(7),
        `${r.lost} ${r.duplicates} ${r.outOfOrder}`.padStart(12),
        `${f(r.serverCpuUsPerDelivery)} (${peer ? ratio(r.serverCpuUsPerDelivery, peer.serverCpuUsPerDelivery) : '-'})`.padStart(29),
        r.perInstance.map((p) => f(p.cpuUsPerDelivery)).join(' / ').padStart(22),
        f(r.redisCpuPercentOfCore).padStart(13),
        f(r.redisCpuUsPerEvent).padStart(15),
        f(r.redisCpuUsPerDelivery, 2).padStart(15),
        (peer ? ratio(r.latencyMs.p99, peer.latencyMs.p99) : '-').padStart(15),
      ].join('  '),
    );
  }
  console.log('');
  for (const r of results) {
    console.log(
      `# ${r.mode} x${r.instances}: ${r.topology}; load ${f(r.load.before, 2)} -> ${f(r.load.after, 2)}; machine busy ${f(r.machineBusyPercentOfAllCores)} % of all cores; ` +
        `published ${r.published} (failed ${r.publishFailed}, skipped ${r.publishSkipped}); publish rtt p99 ${f(r.publishRttMs.p99)} ms; ` +
        `per instance % of a core ${r.perInstance.map((p) => f(p.cpuPercentOfCore)).join(' / ')}; warnings ${r.serverWarnings}; alive ${r.serversAlive}` +
        (r.lastPublishError ? `; last publish error: ${r.lastPublishError}` : '') +
        (r.errors.length ? `; client errors ${JSON.stringify(r.errors)}` : ''),
    );
  }
}

async function main(): Promise<number> {
  const parsed = benchOptions('scale.ts', DEFAULTS, process.argv.slice(2), check);
  if ('exit' in parsed) return parsed.exit;
  const { options } = parsed;
  const results: RunResult[] = [];
  if (options.embedded) results.push(await runOnce(options, 'embedded', 1));
  for (const count of instanceCounts(options)) results.push(await runOnce(options, 'redis', count));
  for (const r of results) console.log(JSON.stringify({ bench: 'scale', ...r }));
  printTable(results);
  const clean = results.every((r) => r.lost === 0 && r.duplicates === 0 && r.outOfOrder === 0 && r.publishFailed === 0 && r.serversAlive);
  console.log(clean ? '# every run delivered everything once, in order' : '# FAIL: a run lost, duplicated or reordered deliveries, or a server died (see above)');
  return clean ? 0 : 1;
}

runBench('scale', main, DEFAULTS['max-seconds']);
