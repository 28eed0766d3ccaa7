import type { Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CREATE_TASK, createTask, gql, gqlOk, record, TASK_EVENTS, waitForStatus, waitForSubscriptions, wsClient, type Recorder, type TaskEventResult } from './helpers/client.js';
import { runMainUntilExit, spawnHerald, type HeraldProcess } from './helpers/herald.js';
import { startRedis } from './helpers/redis.js';
import { startRedisCluster, startSentinels, waitForClusterOk, type RedisDeployment } from './helpers/redis-topologies.js';
import { until } from './helpers/wait.js';

/**
 * Herald on a Redis Cluster and on a Sentinel-managed primary when things go
 * wrong: Redis not there yet at start, a wrong seed list, settings naming two
 * deployments, a primary killed while events are published, a shard failing
 * over twice in a row (the second time onto a freshly joined replica), a slot
 * moving to another primary while events are published.
 */

/** Processes the running test started (checked after it), and every process to stop after the file. */
const started: HeraldProcess[] = [];
const stopping: HeraldProcess[] = [];
const deployments: RedisDeployment[] = [];
const clients: Client[] = [];

async function herald(env: Record<string, string>): Promise<HeraldProcess> {
  const h = await spawnHerald(env);
  started.push(h);
  stopping.push(h);
  return h;
}

afterEach(() => {
  for (const h of started.splice(0)) {
    // Every error on the way was handled: none left for the process guard.
    expect(h.logs.filter((l) => l.msg === 'unhandled rejection')).toEqual([]);
    // What a process that ended said last, in the failure's message.
    expect(h.child.exitCode, `${JSON.stringify(h.logs.slice(-5))} ${h.stderr}`).toBeNull();
  }
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await Promise.all(stopping.map((h) => h.stop()));
  await Promise.all(deployments.map((d) => d.stop()));
});

function subscribe(h: HeraldProcess, repositories: string[]): Recorder<TaskEventResult> {
  const client = wsClient(h.wsUrl);
  clients.push(client);
  return record<TaskEventResult>(client, TASK_EVENTS, { repositories });
}

describe.each([
  ['cluster', () => startRedisCluster({ running: false }), 'REDIS_CLUSTER_NODES'],
  ['sentinel', () => startSentinels({ running: false }), 'REDIS_SENTINELS'],
] as const)('started before its Redis (%s)', (_name, make, setting) => {
  it('starts, warns once naming the setting, answers /health 200 and /ready 503, and serves once Redis answers', async () => {
    const deployment = await make();
    deployments.push(deployment);
    const h = await herald(deployment.env);
    expect((await fetch(`${h.origin}/health`)).status).toBe(200);
    expect((await fetch(`${h.origin}/ready`)).status).toBe(503);
    const refused = await gql(h.url, CREATE_TASK, { input: { repository: 'late', title: 'too early' } });
    expect(refused.status).toBe(503);
    expect(refused.body.errors![0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    const warnings = h.logs.filter((l) => l.level === 40 && l.component === 'redis');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ setting });
    expect(h.logs.filter((l) => l.level >= 50)).toEqual([]);

    await deployment.start();
    await waitForStatus(`${h.origin}/ready`, 200, 30_000);
    const events = subscribe(h, ['late']);
    await waitForSubscriptions(h.url, 1);
    await createTask(h.url, 'late', 'round trip');
    expect((await events.waitForCount(1))[0]!.task!.title).toBe('round trip');
    expect(h.logs.filter((l) => l.level === 40 && l.component === 'redis')).toHaveLength(1);
  }, 60_000);
});

describe('settings that name the wrong Redis', () => {
  it('keeps serving when REDIS_CLUSTER_NODES names a server that is not a cluster node, and says so in one line naming the variable', async () => {
    const standalone = await startRedis();
    deployments.push({ topology: 'single', env: {}, start: () => standalone.restart(), client: () => new Redis(standalone.url), stop: () => standalone.stop() });
    const h = await herald({ REDIS_CLUSTER_NODES: `127.0.0.1:${standalone.port}` });
    await until(() => h.logs.filter((l) => l.component === 'redis' && l.level === 40), (w) => w.length > 0, 'the warning');
    const [warning] = h.logs.filter((l) => l.component === 'redis' && l.level === 40);
    expect(warning).toMatchObject({ setting: 'REDIS_CLUSTER_NODES', msg: expect.stringContaining('REDIS_CLUSTER_NODES') });
    expect(String(warning!.err)).toMatch(/cluster support disabled/);
    expect((await fetch(`${h.origin}/health`)).status).toBe(200);
    expect((await fetch(`${h.origin}/ready`)).status).toBe(503);
  });

  it.each([
    [{ REDIS_URL: 'redis://127.0.0.1:6390', REDIS_CLUSTER_NODES: '127.0.0.1:7000' }, /REDIS_URL and REDIS_CLUSTER_NODES are both set/],
    [{ REDIS_URL: 'redis://127.0.0.1:6390', REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'p' }, /REDIS_URL and REDIS_SENTINELS are both set/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000;127.0.0.1:7001' }, /REDIS_CLUSTER_NODES="127\.0\.0\.1:7000;127\.0\.0\.1:7001" must be a comma-separated list of host:port/],
    [{ REDIS_SENTINELS: '127.0.0.1:26379' }, /REDIS_SENTINEL_NAME is required with REDIS_SENTINELS/],
  ])('refuses to start with %o', (env, line) => {
    const result = runMainUntilExit(env);
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });
});

/** Numbers the titles of every publish in the file, so no two are alike. */
let attempt = 0;

/**
 * Publishes one task at a time (alternating instances) until `total` were
 * acknowledged, calling `during` once `at` were (with the titles acknowledged
 * so far, growing as more are); a publish refused meanwhile
 * (SERVICE_UNAVAILABLE while a primary is replaced) is tried again with a new
 * title, so every title acknowledged went through once.
 */
async function publishThrough(instances: HeraldProcess[], repository: string, total: number, at: number, during: (acknowledged: readonly string[]) => Promise<void>, options: { throughout?: boolean } = {}) {
  const acknowledged: string[] = [];
  /** When each title was acknowledged (epoch ms). */
  const acknowledgedAt = new Map<string, number>();
  let refusals = 0;
  let disruption: Promise<void> | undefined;
  let over = false;
  // With `throughout`, publishing goes on (one every 20 ms) until the disruption is over too.
  while (acknowledged.length < total || (options.throughout && !over)) {
    if (acknowledged.length === at && !disruption) disruption = during(acknowledged).finally(() => (over = true));
    if (options.throughout && disruption && !over) await new Promise((resolve) => setTimeout(resolve, 20));
    const title = `e${attempt++}`;
    const reply = await gql(instances[attempt % instances.length]!.url, CREATE_TASK, { input: { repository, title } });
    if (reply.status === 200 && !reply.body.errors) {
      acknowledged.push(title);
      acknowledgedAt.set(title, Date.now());
    } else {
      refusals++;
      expect(reply.body.errors![0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
      await new Promise((resolve) => setTimeout(resolve, 50)); // a client's retry backoff
    }
  }
  await disruption;
  return { acknowledged, acknowledgedAt, refusals };
}

/** Titles of a repository's events as its log holds them now, oldest first. */
async function logged(h: HeraldProcess, repository: string): Promise<string[]> {
  const { events } = await gqlOk(h.url, `{ events(topics: ["repo:${repository}"], limit: 1000) { events { payload } } }`);
  return (events.events as Array<{ payload: { task: { title: string } } }>).map((e) => e.payload.task.title);
}

/**
 * What every subscriber must end with: the log's events, each once, in log
 * order; and the log holds every acknowledged event but those Redis lost in
 * the failover (asynchronous replication: written to the old primary and
 * acknowledged, not yet copied to the replica that took over), which the
 * test reports.
 */
async function expectDelivered(subscribers: Recorder<TaskEventResult>[], h: HeraldProcess, repository: string, acknowledged: string[], label: string, mayLose?: (title: string) => boolean) {
  const log = await logged(h, repository);
  const lost = acknowledged.filter((t) => !log.includes(t));
  // A loss can only be of events acknowledged just before the kill; none after the new primary took over.
  if (mayLose) expect(lost.filter((t) => !mayLose(t)), `${label}: lost though acknowledged well before a kill`).toEqual([]);
  else expect(lost.length, `${label}: ${acknowledged.length} acknowledged, lost ${lost.join(', ')}`).toBeLessThanOrEqual(3);
  for (const s of subscribers) {
    // By titles, not by count: an event delivered live and then lost with the old primary counts too.
    const received = await s.waitFor((arrived) => log.every((t) => arrived.some((e) => e.task!.title === t)), `${label}: every logged event`);
    const titles = received.map((e) => e.task!.title);
    // Every event the log kept, in log order; an event Redis lost may have been delivered live before it was lost.
    expect(titles.filter((t) => log.includes(t))).toEqual(log);
    expect(new Set(titles).size).toBe(titles.length);
  }
}

describe('a Redis Cluster primary killed while events are published', () => {
  it('shows the failover on /ready and lets every subscriber end with the acknowledged events, in order, once the replica took over', async () => {
    const cluster = await startRedisCluster({ replicas: 1 });
    deployments.push(cluster);
    const [a, b] = await Promise.all([herald(cluster.env), herald(cluster.env)]);
    await Promise.all([waitForStatus(`${a.origin}/ready`, 200), waitForStatus(`${b.origin}/ready`, 200)]);
    const subscribers = [subscribe(a, ['failover']), subscribe(b, ['failover']), subscribe(b, ['*'])];
    await Promise.all([waitForSubscriptions(a.url, 1), waitForSubscriptions(b.url, 2)]);
    const victim = await cluster.primaryOf('herald:log:{repo:failover}');
    const readiness: number[] = [];
    const { acknowledged } = await publishThrough([a, b], 'failover', 60, 20, async () => {
      await cluster.nodes.find((n) => n.port === victim)!.kill();
      // The other connections stay up, but a third of the slots has no primary until the replica is
      // promoted: /ready says 503 meanwhile, and 200 again once every slot is served.
      await until(
        async () => (readiness.push((await fetch(`${a.origin}/ready`)).status), readiness),
        (seen) => seen.includes(503) && seen.at(-1) === 200,
        'ready to go 503 and back to 200',
        30_000,
      );
    });
    expect(readiness).toContain(503);
    // The slot is served by another node now.
    expect(await cluster.primaryOf('herald:log:{repo:failover}')).not.toBe(victim);
    await expectDelivered(subscribers, a, 'failover', acknowledged, 'cluster failover');
  }, 90_000);
});

describe('a Redis Cluster primary killed and replaced by a fresh node while events are published', () => {
  // Cut off: the fresh replica stops copying just before the second kill, so that the new primary surely
  // lacks the last events acknowledged (and delivered live), and numbers new ones as them.
  it.each([
    ['as it copies', false],
    ['cut off from its primary just before', true],
  ])('lets every subscriber end with the events the log kept, in order, none twice, through both failovers (fresh replica %s)', async (_name, cutOff) => {
    const cluster = await startRedisCluster({ replicas: 1 });
    deployments.push(cluster);
    const [a, b] = await Promise.all([herald(cluster.env), herald(cluster.env)]);
    const subscribers = [subscribe(a, ['replaced']), subscribe(b, ['replaced']), subscribe(b, ['*'])];
    await Promise.all([waitForSubscriptions(a.url, 1), waitForSubscriptions(b.url, 2)]);
    const key = 'herald:log:{repo:replaced}';
    const first = await cluster.primaryOf(key);
    const node = (port: number) => cluster.nodes.find((n) => n.port === port)!;
    /** Waits until the slot's primary is another than `port`, answering. */
    const takenOver = (port: number) => until(() => cluster.primaryOf(key).catch(() => port), (now) => now !== port, `the slot to leave ${port}`, 30_000);
    const ports: number[] = [first];
    /** When each primary was dead (epoch ms). */
    const kills: number[] = [];
    const { acknowledged, acknowledgedAt, refusals } = await publishThrough([a, b], 'replaced', 60, 20, async (sofar) => {
      // The primary dies; its replica takes over.
      await node(first).kill();
      kills.push(Date.now());
      const second = await takenOver(first);
      // A fresh node joins as the new primary's replica and copies it while events go on.
      const fresh = await cluster.addReplica(second);
      const published = sofar.length;
      await until(() => sofar.length, (n) => n > published, 'a publish acknowledged with the fresh replica in place', 10_000);
      let asleep: Promise<string> | undefined;
      if (cutOff) {
        // Asleep (below the node timeout), it cannot connect again before the primary is gone.
        const replica = new Redis({ port: fresh.port, host: '127.0.0.1' });
        asleep = replica.call('DEBUG', 'SLEEP', '0.8').then(() => 'slept', String).finally(() => replica.disconnect());
        await new Promise((resolve) => setTimeout(resolve, 50));
        const primary = new Redis({ port: second, host: '127.0.0.1' });
        await primary.call('CLIENT', 'KILL', 'TYPE', 'replica').finally(() => primary.disconnect());
        const acknowledgedBefore = sofar.length;
        await until(() => sofar.length, (n) => n > acknowledgedBefore, 'a publish acknowledged with the fresh replica cut off', 10_000);
      }
      // The new primary dies too: the fresh node, with what it copied, takes over.
      await node(second).kill();
      kills.push(Date.now());
      if (asleep) expect(await asleep).toBe('slept');
      ports.push(second, await takenOver(second));
      expect(ports[2], 'the fresh node serves the slot').toBe(fresh.port);
    }, { throughout: true });
    // Replication is asynchronous: a primary that dies can take with it what it acknowledged in the moment before,
    // the more so under load; the replica that takes over goes on from what it had copied.
    const justBeforeAKill = (title: string) => kills.some((at) => acknowledgedAt.get(title)! <= at && acknowledgedAt.get(title)! > at - 1_000);
    await expectDelivered(subscribers, a, 'replaced', acknowledged, `primary replaced by a fresh node (${refusals} refusals)`, justBeforeAKill);
  }, 120_000);
});

describe('a slot moving to another Redis Cluster primary while events are published', () => {
  it('follows MOVED and ASK: every acknowledged event is logged once and delivered in order', async () => {
    const cluster = await startRedisCluster();
    deployments.push(cluster);
    const [a, b] = await Promise.all([herald(cluster.env), herald(cluster.env)]);
    const subscribers = [subscribe(a, ['moving-slot']), subscribe(b, ['moving-slot'])];
    await Promise.all([waitForSubscriptions(a.url, 1), waitForSubscriptions(b.url, 1)]);
    const key = 'herald:log:{repo:moving-slot}';
    const from = await cluster.primaryOf(key);
    const to = cluster.nodes.find((n) => n.port !== from)!.port;
    let whileMoving = 0;
    const { acknowledged } = await publishThrough([a, b], 'moving-slot', 60, 20, async (sofar) => {
      let atStart = 0;
      await migrateSlot(key, from, to, cluster.nodes.map((n) => n.port), {
        started: () => void (atStart = sofar.length),
        // The migration waits for a publish to be acknowledged while the slot is migrating.
        between: async () => {
          const seen = sofar.length;
          await until(() => sofar.length, (count) => count > seen, 'a publish acknowledged during the migration', 10_000);
        },
        settling: () => void (whileMoving = sofar.length - atStart),
      });
    });
    // Publishes were acknowledged while the slot's keys were split between the two primaries.
    expect(whileMoving, `${acknowledged.length} acknowledged`).toBeGreaterThan(0);
    expect(await cluster.primaryOf(key)).toBe(to);
    const log = await logged(a, 'moving-slot');
    // Nothing is lost when a slot moves: the keys move with their slot.
    expect(log).toEqual(acknowledged);
    await expectDelivered(subscribers, a, 'moving-slot', acknowledged, 'slot migration');
  }, 90_000);
});

describe('a Sentinel-managed primary killed while events are published', () => {
  it('reconnects to the promoted replica, shows the transition on /ready, and every subscriber ends with the acknowledged events', async () => {
    const sentinels = await startSentinels();
    deployments.push(sentinels);
    const [a, b] = await Promise.all([herald(sentinels.env), herald(sentinels.env)]);
    await Promise.all([waitForStatus(`${a.origin}/ready`, 200), waitForStatus(`${b.origin}/ready`, 200)]);
    const subscribers = [subscribe(a, ['sentinel-failover']), subscribe(b, ['sentinel-failover'])];
    await Promise.all([waitForSubscriptions(a.url, 1), waitForSubscriptions(b.url, 1)]);
    const readiness: number[] = [];
    const { acknowledged } = await publishThrough([a, b], 'sentinel-failover', 40, 15, async () => {
      const before = await sentinels.primaryPort();
      await sentinels.primary.kill();
      // /ready follows the connection: 503 while no primary answers, 200 once the promoted one does.
      await until(
        async () => (readiness.push((await fetch(`${a.origin}/ready`)).status), readiness),
        (seen) => seen.includes(503) && seen.at(-1) === 200,
        'ready to go 503 and back to 200',
        30_000,
      );
      // Each sentinel learns of the promotion on its own: wait for the one asked to name it.
      await until(() => sentinels.primaryPort(), (port) => port !== before, 'the sentinels to name the promoted replica', 30_000);
    });
    expect(readiness).toContain(503);
    await expectDelivered(subscribers, a, 'sentinel-failover', acknowledged, 'sentinel failover');
  }, 90_000);
});

/**
 * Moves the slot of `key` from one primary to another the way redis-cli --cluster reshard does, key
 * batch by key batch, telling `hooks` when the slot starts migrating and when every key moved, before
 * the slot is handed over; `between` is awaited before the first key moves and after the last one did.
 */
async function migrateSlot(key: string, fromPort: number, toPort: number, allPorts: number[], hooks: { started(): void; between(): Promise<void>; settling(): void }): Promise<void> {
  const open = (port: number) => new Redis({ port, host: '127.0.0.1' });
  const [source, target] = [open(fromPort), open(toPort)];
  try {
    const slot = Number(await source.call('CLUSTER', 'KEYSLOT', key));
    const [sourceId, targetId] = [String(await source.call('CLUSTER', 'MYID')), String(await target.call('CLUSTER', 'MYID'))];
    await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
    await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
    hooks.started();
    // Every key still here, the slot migrating: publishes run here.
    await hooks.between();
    for (;;) {
      const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, 2)) as string[];
      if (keys.length === 0) break;
      await source.call('MIGRATE', '127.0.0.1', toPort, '', 0, 5000, 'KEYS', ...keys);
      // Publishes go on between batches: some of the slot's keys are here, some there (ASK, TRYAGAIN).
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Every key there, the slot not handed over yet: publishes follow ASK to the target.
    await hooks.between();
    hooks.settling();
    for (const port of [toPort, fromPort, ...allPorts.filter((p) => p !== toPort && p !== fromPort)]) {
      const node = open(port);
      await node.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId).finally(() => node.disconnect());
    }
    await waitForClusterOk(allPorts, allPorts.length);
  } finally {
    source.disconnect();
    target.disconnect();
  }
}
