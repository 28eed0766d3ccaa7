import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventBus } from '../src/events/bus.js';
import { createRedisBus } from '../src/events/bus.redis.js';
import type { EventDraft, EventEnvelope } from '../src/events/envelope.js';
import { createHub, type Hub } from '../src/events/hub.js';
import type { EventStream } from '../src/events/stream.js';
import { createRedisConnections, type RedisConnections } from '../src/redis/connections.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { until } from './helpers/wait.js';

const silent = pino({ level: 'silent' });
const draft = (topic: string, n: number): EventDraft => ({ topic, type: 't', correlationId: null, priority: 'NORMAL', expiresAt: null, payload: { n } });
const never = () => {
  throw new Error('no overflow expected');
};

/** Reads `count` events off a stream, failing after `timeoutMs` with what it had. */
async function take(stream: EventStream, count: number, timeoutMs = 5_000): Promise<EventEnvelope[]> {
  const got: EventEnvelope[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count) {
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      stream.next(),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now())))),
    ]).finally(() => clearTimeout(timer));
    if (next === 'timeout') throw new Error(`got ${got.length} of ${count} events: ${got.map((e) => `${e.topic}#${e.sequence}`).join(' ')}`);
    if (next.done) throw new Error(`stream ended after ${got.length} of ${count} events`);
    got.push(next.value);
  }
  return got;
}

const ids = (events: readonly EventEnvelope[]) => events.map((e) => e.id);

/**
 * One instance's hub on Redis (connections `a`), and another instance that
 * publishes (connections `b`), on a real redis-server: what the hub's streams
 * receive when Redis pub/sub loses, repeats or restarts under them.
 */
describe('hub on Redis: live streams across what pub/sub loses', () => {
  let redis: RedisServer;
  let a: RedisConnections;
  let b: RedisConnections;
  let publisher: EventBus;
  let hub: Hub;
  let prefix = 0;

  const connect = async () => {
    const connections = createRedisConnections({ kind: 'single', url: redis.url }, `hub-gaps:${prefix}:`, silent);
    expect(await connections.whenReady(5_000)).toBe(true);
    return connections;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());
  // A deployment of its own per test (key prefix), so that no test sees another's log.
  const setUp = async () => {
    prefix++;
    a = await connect();
    b = await connect();
    publisher = createRedisBus(b, silent);
    hub = createHub(createRedisBus(a, silent));
  };
  afterEach(async () => {
    await hub?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  /** The id of `a`'s subscriber connection: of the two, the one holding subscriptions. */
  async function subscriberOfA(): Promise<string> {
    const found = await until(
      async () =>
        ((await b.command.client('LIST')) as string)
          .split('\n')
          .filter((line) => / name=herald-subscriber /.test(line) && !/ sub=0 psub=0 /.test(line))
          .map((line) => /(?:^| )id=(\d+)/.exec(line)![1]!),
      (list) => list.length === 1,
      "a's subscriber connection",
    );
    return found[0]!;
  }

  it('fills events a topic missed while its subscription was away, found by the sequence that skips them', async () => {
    await setUp();
    const stream = await hub.open(['repo:jump'], { maxQueued: 100, onOverflow: never });
    const first = await publisher.publish(draft('repo:jump', 1));
    expect(ids(await take(stream, 1))).toEqual([first.id]);
    // The subscription goes away and comes back on the same connection: nothing tells the hub.
    const channel = `hub-gaps:${prefix}:ev:{repo:jump}`;
    await a.subscriber.unsubscribe(channel);
    const missed = await publisher.publishAll([draft('repo:jump', 2), draft('repo:jump', 3)]);
    await a.subscriber.subscribe(channel);
    const after = await publisher.publish(draft('repo:jump', 4));
    expect(ids(await take(stream, 3))).toEqual(ids([...missed, after]));
    const later = await publisher.publish(draft('repo:jump', 5));
    expect(ids(await take(stream, 1))).toEqual([later.id]);
  });

  it('hands on an event that pub/sub delivers twice only once', async () => {
    await setUp();
    const stream = await hub.open(['repo:twice'], { maxQueued: 100, onOverflow: never });
    const first = await publisher.publish(draft('repo:twice', 1));
    expect(ids(await take(stream, 1))).toEqual([first.id]);
    const entries = (await b.command.xrange(`hub-gaps:${prefix}:log:{repo:twice}`, '-', '+')) as Array<[string, string[]]>;
    await b.command.publish(`hub-gaps:${prefix}:ev:{repo:twice}`, entries[0]![1][1]!);
    const second = await publisher.publish(draft('repo:twice', 2));
    expect(ids(await take(stream, 1))).toEqual([second.id]);
  });

  it('ends a stream with CURSOR_EXPIRED when its sequence skips events the log does not hold', async () => {
    await setUp();
    const stream = await hub.open(['repo:hole'], { maxQueued: 100, onOverflow: never });
    const first = await publisher.publish(draft('repo:hole', 1));
    expect(ids(await take(stream, 1))).toEqual([first.id]);
    const entries = (await b.command.xrange(`hub-gaps:${prefix}:log:{repo:hole}`, '-', '+')) as Array<[string, string[]]>;
    // An event numbered past a hole, on the channel only: nothing fills the hole.
    const skipped = entries[0]![1][1]!.replace(/"sequence":\d+,"position":\d+}$/, `"sequence":7,"position":${first.position + 1000}}`).replace(first.id, `${first.id.slice(0, -4)}ZZZZ`);
    await b.command.publish(`hub-gaps:${prefix}:ev:{repo:hole}`, skipped);
    await expect(stream.next()).rejects.toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
  });

  it('fills a lost connection for several topics and a wildcard in publish order, then goes on live', async () => {
    await setUp();
    const pair = await hub.open(['repo:x', 'repo:y'], { maxQueued: 100, onOverflow: never });
    const family = await hub.open(['repo:*'], { maxQueued: 100, onOverflow: never });
    const before = await publisher.publish(draft('repo:x', 0));
    expect(ids(await take(pair, 1))).toEqual([before.id]);
    expect(ids(await take(family, 1))).toEqual([before.id]);
    // Killed, then published to on the same connection: Redis runs both before `a` can be back.
    const id = await subscriberOfA();
    const [, missed] = await Promise.all([
      b.command.client('KILL', 'ID', id),
      publisher.publishAll([draft('repo:x', 1), draft('repo:y', 2), draft('repo:z', 3), draft('repo:x', 4), draft('repo:y', 5)]),
    ]);
    const live = await publisher.publish(draft('repo:y', 6));
    const expectedPair = ids([...missed.filter((e) => e.topic !== 'repo:z'), live]);
    expect(ids(await take(pair, expectedPair.length))).toEqual(expectedPair);
    expect(ids(await take(family, missed.length + 1))).toEqual(ids([...missed, live]));
  });

  it('goes on with the events of a Redis that came back without its data', async () => {
    await setUp();
    const stream = await hub.open(['repo:r'], { maxQueued: 100, onOverflow: never });
    const old = await publisher.publishAll([1, 2, 3, 4, 5].map((n) => draft('repo:r', n)));
    expect(ids(await take(stream, 5))).toEqual(ids(old));
    await redis.pause(); // no persistence: it comes back empty
    await redis.restart();
    expect(await a.whenReady(5_000)).toBe(true);
    expect(await b.whenReady(5_000)).toBe(true);
    // Published while `a` is away again: the new log numbers them from 1, below what `a` last saw.
    const id = await subscriberOfA();
    const [, missed] = await Promise.all([b.command.client('KILL', 'ID', id), publisher.publishAll([draft('repo:r', 6), draft('repo:r', 7)])]);
    expect(missed.map((e) => e.sequence)).toEqual([1, 2]);
    const live = await publisher.publish(draft('repo:r', 8));
    expect(ids(await take(stream, 3))).toEqual(ids([...missed, live]));
  });
  it.each([
    ['the last two of five: it goes on from the last one kept', 5, 3],
    ['the last twenty of twenty-two, more than the 16 an instance remembers: it goes on from just before the first new one', 22, 2],
  ])('hands on the new events, none of the kept ones twice, when a failover lost %s', async (_name, published, kept) => {
    await setUp();
    const topic = `repo:lost-${published}`;
    const stream = await hub.open([topic], { maxQueued: 100, onOverflow: never });
    const family = await hub.open(['repo:*'], { maxQueued: 100, onOverflow: never });
    const old = await publisher.publishAll(Array.from({ length: published }, (_, n) => draft(topic, n)));
    expect(ids(await take(stream, published))).toEqual(ids(old));
    expect(ids(await take(family, published))).toEqual(ids(old));
    // A replica that had copied only the first ones takes over: the others are gone from the log, and its counters are back at the last it has.
    const keyPrefix = `hub-gaps:${prefix}:`;
    const logKey = `${keyPrefix}log:{${topic}}`;
    const keptEntries = ((await b.command.xrange(logKey, '-', '+')) as Array<[string, string[]]>).slice(0, kept);
    await b.command.del(logKey);
    for (const [entry, fields] of keptEntries) await b.command.xadd(logKey, entry, ...fields);
    await b.command.set(`${keyPrefix}seq:{${topic}}`, kept);
    await b.command.set(`${keyPrefix}position`, old[kept - 1]!.position);
    // Published while `a` is away: given the lost ones' sequences again; positions go on past theirs.
    const id = await subscriberOfA();
    const [, renumbered] = await Promise.all([b.command.client('KILL', 'ID', id), publisher.publishAll([draft(topic, 100), draft(topic, 101)])]);
    expect(renumbered.map((e) => e.sequence)).toEqual([kept + 1, kept + 2]);
    expect(renumbered[0]!.position).toBeGreaterThan(old.at(-1)!.position);
    const live = await publisher.publish(draft(topic, 102));
    expect(ids(await take(stream, 3))).toEqual(ids([...renumbered, live]));
    expect(ids(await take(family, 3))).toEqual(ids([...renumbered, live]));
    // Nothing more: none of the kept events is handed on again.
    const after = await publisher.publish(draft(topic, 103));
    expect(ids(await take(stream, 1))).toEqual([after.id]);
    expect(ids(await take(family, 1))).toEqual([after.id]);
  });

  it('goes on with a Redis that came back empty even when its new log numbers an event as the one seen last', async () => {
    await setUp();
    const stream = await hub.open(['repo:epoch'], { maxQueued: 100, onOverflow: never });
    const old = await publisher.publish(draft('repo:epoch', 1));
    expect(ids(await take(stream, 1))).toEqual([old.id]);
    await b.close();
    // Down long enough that `a` waits most of a second between attempts to reconnect.
    const backedOff = new Promise<void>((resolve) => {
      const waiting = (delay: number) => {
        if (delay < 800) return;
        a.subscriber.off('reconnecting', waiting);
        resolve();
      };
      a.subscriber.on('reconnecting', waiting);
    });
    await redis.pause(); // no persistence: it comes back empty
    await backedOff;
    await redis.restart();
    // Published before `a` is back: the new log gives it the sequence of the event `a` last saw.
    b = await connect();
    publisher = createRedisBus(b, silent);
    const fresh = await publisher.publish(draft('repo:epoch', 2));
    // Still away: what it missed reaches it through the gap, not live.
    expect(a.subscriber.status).not.toBe('ready');
    expect(fresh.sequence).toBe(old.sequence);
    expect(ids(await take(stream, 1))).toEqual([fresh.id]);
  });
});
