import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_TASK, createTask, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient, type Recorder, type TaskEventResult } from './helpers/client.js';
import { createHeraldClient, TaskEventsDocument } from '../src/client/index.js';
import { ADMIN_TOKEN, type HeraldProcess } from './helpers/herald.js';
import { useCluster } from './helpers/servers.js';
import { openSse } from './helpers/sse.js';
import { until } from './helpers/wait.js';

/** One line of CLIENT LIST, as fields. */
type RedisClient = Record<string, string>;

async function clientList(admin: Redis): Promise<RedisClient[]> {
  const text = (await admin.client('LIST')) as string;
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Object.fromEntries(line.trim().split(' ').map((field) => field.split('=', 2) as [string, string])));
}

/** The instances' pub/sub connections, by the name Herald gives them. */
const subscriberConnections = async (admin: Redis) => (await clientList(admin)).filter((c) => c.name === 'herald-subscriber');

async function killClient(admin: Redis, id: string): Promise<void> {
  await admin.client('KILL', 'ID', id);
}

/** Every event id of a repository the log holds, oldest first, read on `instance`. */
async function logged(instance: HeraldProcess, repository: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const data = await gqlOk(instance.url, 'query ($t: [String!]!, $after: String) { events(topics: $t, after: $after, limit: 1000) { events { id } cursor hasMore } }', {
      t: [`repo:${repository}`],
      after,
    });
    ids.push(...data.events.events.map((e: { id: string }) => e.id));
    after = data.events.cursor;
    if (!data.events.hasMore) return ids;
  }
}

/** Fails with `what` unless the promise settles within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const filledGaps = (instance: HeraldProcess) => instance.logs.filter((l) => l.msg === 'filled a gap in live delivery from the log');

/**
 * Three instances on one Redis. Live subscribers (no cursor, no resuming
 * client) sit on the first; publishers run on the other two; the first
 * instance's Redis subscriber connection is killed under them. Redis pub/sub
 * drops what is published while that connection is down: the instance must
 * notice and fill the gap from the log, so that each live subscriber ends with
 * every event of its repositories, once, in order, on the socket it never left.
 */
describe('live subscribers through a lost Redis subscriber connection', () => {
  const { instances, redis } = useCluster(3);
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redis.url, { lazyConnect: false });
  });
  afterAll(() => admin?.disconnect());

  /** The first instance's subscriber connection: the only one holding a pattern subscription (its "*" subscriber). */
  const subscriberOfA = () => until(async () => (await subscriberConnections(admin)).filter((c) => Number(c.psub) > 0), (found) => found.length === 1, "the first instance's subscriber connection", 10_000).then((found) => found[0]!);

  it('fills the gap from the log: every live subscriber gets every event, once, in order', async () => {
    const [a, b, c] = instances;
    const repos = ['gap-0', 'gap-1', 'gap-2'];
    const client = wsClient(a!.wsUrl);
    const subscribers: Array<{ repos: string[]; events: Recorder<TaskEventResult> }> = [
      { repos: ['gap-0'], events: record(client, TASK_EVENTS, { repositories: ['gap-0'] }) },
      { repos: ['gap-1'], events: record(client, TASK_EVENTS, { repositories: ['gap-1'] }) },
      { repos, events: record(client, TASK_EVENTS, { repositories: repos }) },
      { repos, events: record(client, TASK_EVENTS, { repositories: ['*'] }) },
    ];
    await waitForSubscriptions(a!.url, subscribers.length);
    const first = await subscriberOfA();

    const EVENTS = 600;
    let next = 0;
    const publishers = Array.from({ length: 4 }, async () => {
      while (next < EVENTS) {
        const n = next++;
        await gqlOk((n % 2 === 0 ? b : c)!.url, CREATE_TASK, { input: { repository: repos[n % repos.length], title: `g${n}` } });
      }
    });
    // Three kills while publishing. The second freezes the instance around the kill, so that
    // events certainly go out while its subscriber is away.
    const chaos = (async () => {
      let killed = first;
      for (const [share, freeze] of [[0.2, false], [0.5, true], [0.8, false]] as const) {
        await until(() => next, (n) => n >= EVENTS * share, `${share * 100} % published`, 30_000);
        if (freeze) a!.kill('SIGSTOP');
        await killClient(admin, killed.id!);
        if (freeze) {
          const at = next;
          await until(() => next, (n) => n >= at + 30, 'events published while the subscriber is away', 30_000);
          a!.kill('SIGCONT');
        }
        const gone = killed.id;
        killed = await until(subscriberOfA, (s) => s.id !== gone, 'the subscriber connection to come back', 10_000);
      }
    })();
    await Promise.all([...publishers, chaos]);

    const truth = new Map<string, string[]>();
    for (const repo of repos) truth.set(repo, await logged(b!, repo));
    expect([...truth.values()].reduce((n, ids) => n + ids.length, 0)).toBe(EVENTS);
    const expected = (repoList: string[]) => repoList.reduce((n, r) => n + truth.get(r)!.length, 0);
    const mine = (s: (typeof subscribers)[number]) => s.events.values.filter((e) => s.repos.includes(e.repository));
    await until(
      () => subscribers.map((s) => mine(s).length),
      (counts) => counts.every((n, i) => n >= expected(subscribers[i]!.repos)),
      'every subscriber to hold every event',
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (expected ${subscribers.map((s) => expected(s.repos)).join(', ')})`);
    });
    for (const s of subscribers) {
      expect(s.events.errors).toEqual([]);
      for (const repo of s.repos) {
        const got = mine(s).filter((e) => e.repository === repo);
        expect(got.map((e) => e.id), `${s.repos} on ${repo}`).toEqual(truth.get(repo));
        expect(got.map((e) => e.sequence)).toEqual(got.map((_, i) => i + 1));
      }
      expect(mine(s)).toHaveLength(expected(s.repos));
    }
    // The gaps were real: the instance filled them from the log, at least the 30 events published while it was frozen.
    expect(Math.max(...filledGaps(a!).map((l) => Number(l.events)))).toBeGreaterThanOrEqual(30);
    await client.dispose();
  }, 120_000);
});

/**
 * When the log no longer holds what a live subscriber missed, the
 * subscription ends with CURSOR_EXPIRED rather than going on past the hole;
 * subscriptions whose topics lost nothing go on.
 */
describe('a gap the log no longer holds', () => {
  const { instances, redis } = useCluster(2, { EVENT_RETENTION_COUNT: '10' });
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redis.url, { lazyConnect: false });
  });
  afterAll(() => admin?.disconnect());

  it('ends the affected subscriptions with CURSOR_EXPIRED and keeps the others', async () => {
    const [a, b] = instances;
    const client = wsClient(a!.wsUrl);
    const lossy = record<TaskEventResult>(client, TASK_EVENTS, { repositories: ['trimmed'] });
    const quiet = record<TaskEventResult>(client, TASK_EVENTS, { repositories: ['quiet'] });
    const sse = await openSse(a!.url, TASK_EVENTS, { repositories: ['trimmed'] });
    // The client SDK reports the loss to its gap handler (and goes on from now).
    const resuming = createHeraldClient({ url: a!.url, token: ADMIN_TOKEN });
    const resumed: string[] = [];
    let gapped!: () => void;
    const gap = new Promise<void>((resolve) => (gapped = resolve));
    resuming.subscribe(TaskEventsDocument, { repositories: ['trimmed'] }, {
      next: (data) => void resumed.push(data.taskEvents.task!.title),
      error: (err) => void resumed.push(`error ${err.code}`),
      gap: () => gapped(),
    });
    await waitForSubscriptions(a!.url, 4);
    await createTask(b!.url, 'trimmed', 'before');
    await lossy.waitForCount(1);
    await sse.waitForCount(1);
    await until(() => resumed, (r) => r.length === 1, 'the resuming client to get the first event');

    // Frozen while its subscriber connection is killed and the topic moves on past retention.
    a!.kill('SIGSTOP');
    try {
      for (const connection of await subscriberConnections(admin)) await killClient(admin, connection.id!);
      for (let i = 0; i < 30; i++) await createTask(b!.url, 'trimmed', `missed ${i}`);
    } finally {
      a!.kill('SIGCONT');
    }

    await within(lossy.ended, 15_000, 'the WebSocket subscription to end');
    expect(lossy.values.map((e) => e.task!.title)).toEqual(['before']);
    expect(lossy.errors).toEqual([[expect.objectContaining({ extensions: expect.objectContaining({ code: 'CURSOR_EXPIRED' }) })]]);
    await within(sse.ended, 15_000, 'the SSE stream to end');
    expect(sse.values.map((v) => (v.data?.taskEvents as TaskEventResult | undefined)?.task?.title)).toEqual(['before', undefined]);
    expect(sse.values[1]!.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'CURSOR_EXPIRED' }) })]);
    await within(gap, 15_000, "the SDK's gap");
    expect(resumed).toEqual(['before']);
    await resuming.dispose();
    await createTask(b!.url, 'quiet', 'still here');
    expect((await quiet.waitForCount(1)).map((e) => e.task!.title)).toEqual(['still here']);
    expect(quiet.errors).toEqual([]);
    await client.dispose();
  }, 60_000);
});
