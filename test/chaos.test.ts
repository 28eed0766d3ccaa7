import { Cluster, Redis } from 'ioredis';
import WS from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeraldClient, TaskEventsDocument, type HeraldClientError } from '../src/client/index.js';
import { CREATE_TASK, gql, gqlOk, type TaskEventResult } from './helpers/client.js';
import { ADMIN_TOKEN, spawnHerald, type HeraldProcess } from './helpers/herald.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { startRedisCluster, startSentinels, TOPOLOGIES, type RedisClusterDeployment, type SentinelDeployment, type TopologyName } from './helpers/redis-topologies.js';

const REPOS = ['chaos-0', 'chaos-1', 'chaos-2', 'chaos-3', 'chaos-4'];
const SUBSCRIBERS = 20;
const PUBLISH_CONCURRENCY = 6;

/**
 * The Redis under the instances, and what happens to it at 70 % of the run.
 * One server keeps its data on disk, as production Redis does, and is stopped
 * and started again: it loses nothing. A Cluster (a replica per primary) loses
 * the primary of chaos-0's slot, a Sentinel set its primary, for good: their
 * replicas take over, and may lack the last events the dead primary
 * acknowledged (replication is asynchronous), at most one per publisher.
 * The full run is on one server; the others cover what differs (the fault,
 * sharded pub/sub, a failover) with fewer events, to keep the suite short.
 */
type Deployment = {
  /** Herald's settings for it. */
  readonly env: Record<string, string>;
  /** The servers whose connections the test may kill (every primary now). */
  primaries(): Promise<Redis[]>;
  /** Stops Redis, or a primary, and returns once `noticed` resolves, or once it is back. */
  fault(noticed: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
};

const PLANS: Record<TopologyName, { events: number; mayLose: number; reposEach: number; start(): Promise<Deployment> }> = {
  single: {
    events: 2000,
    reposEach: 2,
    mayLose: 0,
    async start() {
      const redis: RedisServer = await startRedis({ persistent: true });
      const admin = new Redis(redis.url).on('error', () => {});
      return {
        env: { REDIS_URL: redis.url },
        primaries: async () => [admin],
        async fault(noticed) {
          await redis.pause();
          await noticed();
          await redis.restart();
        },
        async stop() {
          admin.disconnect();
          await redis.stop();
        },
      };
    },
  },
  cluster: {
    events: 300,
    // Several topics each: on a Cluster another topic's later position can arrive first, which
    // cursors that name a position per topic must survive.
    reposEach: 2,
    mayLose: PUBLISH_CONCURRENCY,
    async start() {
      const cluster: RedisClusterDeployment = await startRedisCluster({ replicas: 1 });
      const admin = (cluster.client() as Cluster).on('error', () => {});
      return {
        env: cluster.env,
        async primaries() {
          if (admin.status !== 'ready') await new Promise((resolve) => admin.once('ready', resolve));
          return admin.nodes('master');
        },
        async fault(noticed) {
          const victim = await cluster.primaryOf(`herald:log:{repo:${REPOS[0]}}`);
          await cluster.nodes.find((n) => n.port === victim)!.kill();
          await noticed();
        },
        async stop() {
          admin.disconnect();
          await cluster.stop();
        },
      };
    },
  },
  sentinel: {
    events: 300,
    reposEach: 2,
    mayLose: PUBLISH_CONCURRENCY,
    async start() {
      const sentinels: SentinelDeployment = await startSentinels();
      const admin = (sentinels.client() as Redis).on('error', () => {});
      return {
        env: sentinels.env,
        primaries: async () => [admin],
        async fault(noticed) {
          await sentinels.primary.kill();
          await noticed();
        },
        async stop() {
          admin.disconnect();
          await sentinels.stop();
        },
      };
    },
  },
};

/** A seeded random source, so a failing run can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

type Subscriber = { repos: string[]; events: TaskEventResult[]; cut(): void; dispose(): Promise<void> };

/**
 * Three instances on one Redis deployment; twenty resuming subscribers over
 * five repositories; publishers on every instance. While they publish:
 * sockets cut at random, the Redis subscriber connection of a random instance
 * killed now and then, one instance killed, and Redis itself stopped (or a
 * primary killed, see PLANS). Every subscriber must end with exactly the
 * events of its repositories that the log holds, each once, in sequence
 * order; the log holds every acknowledged event once (those a failover lost
 * aside).
 */
describe.each(TOPOLOGIES)('chaos (%s): resume across socket cuts, lost Redis subscriptions, a killed instance and a Redis fault', (topology) => {
  const plan = PLANS[topology];
  const EVENTS = plan.events;
  let redis: Deployment;
  let instances: HeraldProcess[] = [];
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
  const rand = random(seed);
  const alive = () => instances.filter((i) => i.child.exitCode === null && i.child.signalCode === null);
  const pick = () => {
    const live = alive();
    return live.length > 0 ? live[Math.floor(rand() * live.length)]! : instances[0]!;
  };

  beforeAll(async () => {
    redis = await plan.start();
    instances = await Promise.all([0, 1, 2].map((n) => spawnHerald({ ...redis.env, HERALD_INSTANCE_ID: `chaos-${n}`, LOG_LEVEL: 'info' })));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await redis?.stop();
  });

  const failures: HeraldClientError[] = [];

  /**
   * A subscriber on the client SDK, connecting to a random live instance each
   * time. Its WebSocket class records its sockets, so the test can cut them.
   * Retryable refusals (subscribing while Redis is away) it handles itself,
   * subscribing again from its cursor; anything that ends a subscription is a
   * failure.
   */
  function subscribe(repos: string[]): Subscriber {
    const sockets: WS[] = [];
    class Tracked extends WS {
      constructor(...args: ConstructorParameters<typeof WS>) {
        super(...args);
        sockets.push(this);
      }
    }
    const events: TaskEventResult[] = [];
    const client = createHeraldClient({ url: () => pick().url, token: ADMIN_TOKEN, webSocketImpl: Tracked, retry: { baseMs: 20, maxMs: 300 } });
    client.subscribe(TaskEventsDocument, { repositories: repos }, {
      next: (data) => void events.push(data.taskEvents as TaskEventResult),
      error: (error) => void failures.push(error),
    });
    return { repos, events, cut: () => sockets.at(-1)?.terminate(), dispose: () => client.dispose() };
  }

  /** Kills a Redis subscriber connection of a random live instance (found by the name Herald gives it) on a random primary. */
  async function killSubscriberConnection(): Promise<boolean> {
    try {
      // In a Cluster, ioredis names the connections for sharded channels (one per primary) itself.
      const named = / name=(herald-subscriber|ioredis-cluster\(ssubscriber\)\S*) /;
      const lists = await Promise.all((await redis.primaries()).map(async (node) => ((await node.client('LIST')) as string).split('\n').filter((line) => named.test(line)).map((line) => ({ node, line }))));
      const all = lists.flat();
      if (all.length === 0) return false;
      const { node, line } = all[Math.floor(rand() * all.length)]!;
      await node.client('KILL', 'ID', /(?:^| )id=(\d+)/.exec(line)![1]!);
      return true;
    } catch {
      return false; // a primary that died or is being replaced: another time
    }
  }

  /** The Redis fault, returning once every live instance noticed it (/ready 503). */
  async function redisFault(): Promise<void> {
    await redis.fault(() =>
      until(
        async () => (await Promise.all(alive().map((i) => fetch(`${i.origin}/ready`).then((r) => r.status, () => 0)))).every((status) => status === 503),
        () => 'every instance to notice that Redis is away',
        10_000,
      ),
    );
  }

  async function totalSubscriptions() {
    const counts = await Promise.all(alive().map((i) => gqlOk(i.url, '{ stats { subscriptions } }').then((d) => d.stats.subscriptions as number)));
    return counts.reduce((a, b) => a + b, 0);
  }

  async function until(condition: () => boolean | Promise<boolean>, what: () => string, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()} (seed ${seed})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const acknowledged: string[] = [];
  /** Titles being published, by the instance asked. */
  const inFlight = new Map<string, HeraldProcess>();
  /**
   * Titles in flight on the instance killed. One it ran but had not recorded
   * under its idempotency key yet stays claimed (CONFLICT) until the claim
   * expires (30 s) and is then published again: the one case of an event
   * logged twice. Its publisher gives up at the first CONFLICT instead of
   * waiting that long.
   */
  let diedWith: string[] = [];

  /** Publishes one event, retrying on another instance with the same idempotency key (after a pause while Redis is away). */
  async function publish(n: number): Promise<'published' | 'gave up'> {
    const input = { repository: REPOS[n % REPOS.length], title: `e${n}`, idempotencyKey: `chaos-${seed}-${n}` };
    for (let attempt = 0; attempt < 40; attempt++) {
      const target = attempt === 0 ? instances[n % instances.length]! : pick();
      inFlight.set(input.title, target);
      try {
        const { status, body } = await gql(target.url, CREATE_TASK, { input }).finally(() => inFlight.delete(input.title));
        if (status === 200 && !body.errors) {
          acknowledged.push(input.title);
          return 'published';
        }
        if (status === 503) await new Promise((resolve) => setTimeout(resolve, 100));
        if (diedWith.includes(input.title) && body.errors?.[0]?.extensions?.code === 'CONFLICT') return 'gave up';
      } catch {
        // the instance died under the request: try another
      }
    }
    return 'gave up';
  }

  it('delivers every logged event of its repositories to every subscriber, once and in order', async () => {
    const subscribers = Array.from({ length: SUBSCRIBERS }, (_, i) => subscribe(REPOS.slice(0, plan.reposEach).map((_, k) => REPOS[(i + k) % 5]!)));
    await until(async () => (await totalSubscriptions()) === SUBSCRIBERS, () => 'every subscription to be live', 20_000);

    let next = 0;
    let done = 0;
    const outcomes: string[] = [];
    const publishers = Array.from({ length: PUBLISH_CONCURRENCY }, async () => {
      while (next < EVENTS) {
        outcomes.push(await publish(next++));
        done++;
      }
    });
    // Chaos while publishing: cut random sockets; kill a random instance's Redis subscriber
    // connection at every tenth of the run; kill one instance at 40 %; the Redis fault at 70 %.
    let killed = false;
    let restarted = false;
    let cuts = 0;
    let subscriberKills = 0;
    const chaos = (async () => {
      while (done < EVENTS) {
        if (!killed && done >= EVENTS * 0.4) {
          killed = true;
          diedWith = [...inFlight].filter(([, target]) => target === instances[1]).map(([title]) => title);
          instances[1]!.kill('SIGKILL');
        }
        if (!restarted && done >= EVENTS * 0.7) {
          restarted = true;
          await redisFault();
        }
        if (done >= EVENTS * 0.1 * (subscriberKills + 1) && (await killSubscriberConnection())) subscriberKills++;
        if (cuts < 100) {
          subscribers[Math.floor(rand() * subscribers.length)]!.cut();
          cuts++;
        }
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    await Promise.all([...publishers, chaos]);
    expect(killed).toBe(true);
    expect(restarted).toBe(true);
    expect(subscriberKills).toBeGreaterThanOrEqual(8);

    // What the log holds is the truth: every subscriber must hold exactly that.
    const survivor = alive()[0]!;
    const logged = new Map<string, string[]>();
    const titles: string[] = [];
    for (const repo of REPOS) {
      const ids: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 100; page++) {
        const data = await gqlOk(survivor.url, 'query ($t: [String!]!, $after: String) { events(topics: $t, after: $after, limit: 1000) { events { id sequence payload } cursor hasMore } }', { t: [`repo:${repo}`], after });
        ids.push(...data.events.events.map((e: { id: string }) => e.id));
        titles.push(...data.events.events.map((e: { payload: { task: { title: string } } }) => e.payload.task.title));
        after = data.events.cursor;
        if (!data.events.hasMore) break;
      }
      logged.set(repo, ids);
    }
    // Every acknowledged event is in the log once: one whose reply was lost is looked up, not published again.
    const lost = acknowledged.filter((t) => !titles.includes(t));
    const twice = titles.filter((t, i) => titles.indexOf(t) !== i);
    const figures = `${acknowledged.length} acknowledged, ${titles.length} logged, lost ${lost.length}, logged twice ${twice.join(' ') || 0}, in flight on the killed instance ${diedWith.join(' ') || 'none'} (seed ${seed})`;
    expect(twice.filter((t) => !diedWith.includes(t)), figures).toEqual([]);
    expect(lost.length, figures).toBeLessThanOrEqual(plan.mayLose);
    expect(acknowledged.length, figures).toBeGreaterThanOrEqual(EVENTS - outcomes.filter((o) => o === 'gave up').length);

    const expectedCount = (s: Subscriber) => s.repos.reduce((n, r) => n + logged.get(r)!.length, 0);
    const kept = (s: Subscriber) => s.events.filter((e) => logged.get(e.repository)?.includes(e.id));
    const missing = () =>
      subscribers
        .flatMap((s) => s.repos.flatMap((repo) => logged.get(repo)!.filter((id) => !s.events.some((e) => e.id === id)).map((id) => `${repo} #${logged.get(repo)!.indexOf(id) + 1}`)))
        .join(', ');
    await until(() => subscribers.every((s) => kept(s).length >= expectedCount(s)), () => `subscribers to catch up: ${subscribers.map((s) => `${kept(s).length}/${expectedCount(s)}`).join(' ')}; missing ${missing()}`, 60_000);
    for (const s of subscribers) {
      // An event a failover lost may have been delivered live before it was lost: the rest is the log.
      const extra = s.events.length - kept(s).length;
      expect(extra, `subscriber of ${s.repos}: events the log lacks (seed ${seed})`).toBeLessThanOrEqual(plan.mayLose);
      expect(new Set(s.events.map((e) => e.id)).size).toBe(s.events.length);
      for (const repo of s.repos) {
        const mine = kept(s).filter((e) => e.repository === repo);
        expect(mine.map((e) => e.id), `subscriber of ${s.repos} on ${repo} (seed ${seed})`).toEqual(logged.get(repo));
        expect(mine.map((e) => e.sequence)).toEqual(mine.map((_, i) => mine[0]!.sequence + i));
      }
      expect(kept(s)).toHaveLength(expectedCount(s));
    }
    expect(failures).toEqual([]);
    await Promise.all(subscribers.map((s) => s.dispose()));
  }, 180_000);
});
