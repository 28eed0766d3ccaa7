import { Redis } from 'ioredis';
import WS from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeraldClient, TaskEventsDocument, type HeraldClientError } from '../src/client/index.js';
import { CREATE_TASK, gql, gqlOk, type TaskEventResult } from './helpers/client.js';
import { ADMIN_TOKEN, spawnHerald, type HeraldProcess } from './helpers/herald.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

const REPOS = ['chaos-0', 'chaos-1', 'chaos-2', 'chaos-3', 'chaos-4'];
const SUBSCRIBERS = 20;
const EVENTS = 2000;
const PUBLISH_CONCURRENCY = 6;

/** A seeded random source, so a failing run can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

type Subscriber = { repos: string[]; events: TaskEventResult[]; cut(): void; dispose(): Promise<void> };

/**
 * Three instances on one Redis (which keeps its data on disk, as production
 * Redis does); twenty resuming subscribers over five repositories; publishers
 * on every instance. While they publish: sockets cut at random, the Redis
 * subscriber connection of a random instance killed now and then, one
 * instance killed, and Redis itself stopped and started again. Every
 * subscriber must end with exactly the events of its repositories that the
 * log holds, each once, in sequence order.
 */
describe('chaos: resume across socket cuts, lost Redis subscriptions, a killed instance and a Redis restart', () => {
  let redis: RedisServer;
  let admin: Redis;
  let instances: HeraldProcess[] = [];
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
  const rand = random(seed);
  const alive = () => instances.filter((i) => i.child.exitCode === null && i.child.signalCode === null);
  const pick = () => {
    const live = alive();
    return live.length > 0 ? live[Math.floor(rand() * live.length)]! : instances[0]!;
  };

  beforeAll(async () => {
    redis = await startRedis({ persistent: true });
    admin = new Redis(redis.url);
    instances = await Promise.all([0, 1, 2].map((n) => spawnHerald({ REDIS_URL: redis.url, HERALD_INSTANCE_ID: `chaos-${n}`, LOG_LEVEL: 'info' })));
  }, 60_000);
  afterAll(async () => {
    admin?.disconnect();
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

  /** Kills the Redis subscriber connection of a random live instance (found by the name Herald gives it). */
  async function killSubscriberConnection(): Promise<boolean> {
    const list = ((await admin.client('LIST')) as string).split('\n').filter((line) => / name=herald-subscriber /.test(line));
    if (list.length === 0) return false;
    const id = /(?:^| )id=(\d+)/.exec(list[Math.floor(rand() * list.length)]!)![1]!;
    await admin.client('KILL', 'ID', id);
    return true;
  }

  /** Stops Redis (it keeps its data), waits until every instance noticed, and starts it again. */
  async function restartRedis(): Promise<void> {
    await redis.pause();
    await until(
      async () => (await Promise.all(alive().map((i) => fetch(`${i.origin}/ready`).then((r) => r.status, () => 0)))).every((status) => status === 503),
      () => 'every instance to notice that Redis is away',
      10_000,
    );
    await redis.restart();
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

  /** Publishes one event, retrying on another instance with the same idempotency key (after a pause while Redis is away). */
  async function publish(n: number): Promise<'published' | 'gave up'> {
    const input = { repository: REPOS[n % REPOS.length], title: `e${n}`, idempotencyKey: `chaos-${seed}-${n}` };
    for (let attempt = 0; attempt < 40; attempt++) {
      const target = attempt === 0 ? instances[n % instances.length]! : pick();
      try {
        const { status, body } = await gql(target.url, CREATE_TASK, { input });
        if (status === 200 && !body.errors) return 'published';
        if (status === 503) await new Promise((resolve) => setTimeout(resolve, 100));
      } catch {
        // the instance died under the request: try another
      }
    }
    return 'gave up';
  }

  it('delivers every logged event of its repositories to every subscriber, once and in order', async () => {
    const subscribers = Array.from({ length: SUBSCRIBERS }, (_, i) => subscribe([REPOS[i % 5]!, REPOS[(i + 1) % 5]!]));
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
    // connection at every tenth of the run; kill one instance at 40 %; restart Redis at 70 %.
    let killed = false;
    let restarted = false;
    let cuts = 0;
    let subscriberKills = 0;
    const chaos = (async () => {
      while (done < EVENTS) {
        if (!killed && done >= EVENTS * 0.4) {
          killed = true;
          instances[1]!.kill('SIGKILL');
        }
        if (!restarted && done >= EVENTS * 0.7) {
          restarted = true;
          await restartRedis();
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
    for (const repo of REPOS) {
      const ids: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 100; page++) {
        const data = await gqlOk(survivor.url, 'query ($t: [String!]!, $after: String) { events(topics: $t, after: $after, limit: 1000) { events { id sequence } cursor hasMore } }', { t: [`repo:${repo}`], after });
        ids.push(...data.events.events.map((e: { id: string }) => e.id));
        after = data.events.cursor;
        if (!data.events.hasMore) break;
      }
      logged.set(repo, ids);
    }
    const total = [...logged.values()].reduce((n, ids) => n + ids.length, 0);
    expect(total).toBeGreaterThanOrEqual(EVENTS - outcomes.filter((o) => o === 'gave up').length);

    const expectedCount = (s: Subscriber) => s.repos.reduce((n, r) => n + logged.get(r)!.length, 0);
    await until(() => subscribers.every((s) => s.events.length >= expectedCount(s)), () => `subscribers to catch up: ${subscribers.map((s) => `${s.events.length}/${expectedCount(s)}`).join(' ')}`, 60_000);
    for (const s of subscribers) {
      for (const repo of s.repos) {
        const mine = s.events.filter((e) => e.repository === repo);
        expect(mine.map((e) => e.id), `subscriber of ${s.repos} on ${repo} (seed ${seed})`).toEqual(logged.get(repo));
        expect(mine.map((e) => e.sequence)).toEqual(mine.map((_, i) => mine[0]!.sequence + i));
      }
      expect(s.events).toHaveLength(expectedCount(s));
    }
    expect(failures).toEqual([]);
    await Promise.all(subscribers.map((s) => s.dispose()));
  }, 180_000);
});
