import type { Socket } from 'node:net';
import { Cluster, type Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import type { EventBus, Retention } from '../../src/events/bus.js';
import { createMemoryBus } from '../../src/events/bus.memory.js';
import { createRedisBus } from '../../src/events/bus.redis.js';
import type { EventDraft, EventEnvelope } from '../../src/events/envelope.js';
import type { RedisConnections } from '../../src/redis/connections.js';
import { contract, redisOnly, silent, type Makers } from './backends.js';
import { until } from '../helpers/wait.js';

const draft = (topic: string, n: number): EventDraft => ({
  topic,
  type: 'test.event',
  correlationId: null,
  priority: 'NORMAL',
  expiresAt: null,
  payload: { n },
});

/** Collects what a listener receives and resolves once it holds `count` events. */
function collector() {
  const events: EventEnvelope[] = [];
  let want = Infinity;
  let done: () => void = () => {};
  return {
    events,
    listener: (e: EventEnvelope) => {
      events.push(e);
      if (events.length >= want) done();
    },
    waitFor(count: number) {
      want = count;
      return events.length >= count ? Promise.resolve() : new Promise<void>((resolve) => (done = resolve));
    },
  };
}

const buses: Makers<EventBus, [retention?: Retention]> = {
  memory: (retention) => createMemoryBus(retention),
  redis: (redis, retention) => createRedisBus(redis, silent, retention),
};

// One contract, every implementation.
contract('EventBus', buses, (make, backend) => {
  it('assigns id, timestamp, a per-topic sequence from 1 and a cursor', async () => {
    const bus = await make();
    const a1 = await bus.publish(draft('repo:a', 1));
    const a2 = await bus.publish(draft('repo:a', 2));
    const b1 = await bus.publish(draft('repo:b', 3));
    expect([a1.sequence, a2.sequence, b1.sequence]).toEqual([1, 2, 1]);
    expect(a1.id).not.toBe(a2.id);
    expect(a1.cursor).not.toBe(a2.cursor);
    expect(Number.isNaN(Date.parse(a1.timestamp))).toBe(false);
  });

  it('delivers a topic to its listeners and the family wildcard, and nothing after unsubscribing', async () => {
    const bus = await make();
    const topic = collector();
    const family = collector();
    const other = collector();
    const stopTopic = await bus.subscribe('repo:x', topic.listener);
    await bus.subscribe('repo:*', family.listener);
    await bus.subscribe('gateway:*', other.listener);
    const published = await bus.publish(draft('repo:x', 1));
    await bus.publish(draft('repo:y', 2));
    await family.waitFor(2);
    await topic.waitFor(1);
    expect(topic.events).toEqual([published]);
    expect(family.events.map((e) => e.topic)).toEqual(['repo:x', 'repo:y']);
    stopTopic();
    await bus.publish(draft('repo:x', 3));
    await family.waitFor(3);
    expect(topic.events).toHaveLength(1);
    expect(other.events).toHaveLength(0);
  });

  it('keeps sequence order equal to delivery order with concurrent publishers', async () => {
    // Three instances of one deployment; in memory mode a deployment is one bus, and the contract holds per bus.
    const instance = backend.cluster();
    const publishers = [await instance(), await instance()];
    const listenerBus = await instance();
    const seen = collector();
    await listenerBus.subscribe('repo:race', seen.listener);
    const total = 200;
    await Promise.all(
      Array.from({ length: total }, (_, i) => publishers[i % publishers.length]!.publish(draft('repo:race', i))),
    );
    await seen.waitFor(total);
    expect(seen.events.map((e) => e.sequence)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('reads the log after a position across topics in publish order, page by page', async () => {
    const bus = await make();
    const published = [];
    for (let i = 0; i < 10; i++) published.push(await bus.publish(draft(i % 2 ? 'repo:odd' : 'repo:even', i)));
    await bus.publish(draft('gateway:g', 99));
    const start = null;
    const all = await bus.read(['repo:odd', 'repo:even'], start, 100);
    expect(all).toEqual({ ok: true, events: published, hasMore: false });
    const wildcard = await bus.read(['repo:*'], start, 100);
    expect(wildcard.ok && wildcard.events.map((e) => e.id)).toEqual(published.map((e) => e.id));
    const after3 = await bus.read(['repo:odd'], { position: published[3]!.position, time: Date.now() }, 2);
    expect(after3).toEqual({ ok: true, events: [published[5], published[7]], hasMore: true });
  });

  it('merges many topics by position, page by page, however their events interleave', async () => {
    const bus = await make();
    // Seven topics: one busy, some sparse, one in long runs, one never published to.
    const topics = ['repo:m0', 'repo:m1', 'repo:m2', 'repo:m3', 'repo:m4', 'repo:m5', 'repo:m6'];
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const drafts = Array.from({ length: 300 }, (_, i) => {
      const r = random();
      const topic = i >= 100 && i < 160 ? 'repo:m5' : r < 0.6 ? 'repo:m0' : topics[1 + Math.floor(r * 10) % 4]!;
      return draft(topic, i);
    });
    const published = await bus.publishAll(drafts);
    for (const limit of [1, 3, 7, 50, 299, 300, 1000]) {
      const seen: EventEnvelope[] = [];
      let from: { position: number; time: number } | null = null;
      for (let pages = 0; pages < 400; pages++) {
        const page = await bus.read(topics, from, limit);
        if (!page.ok) throw new Error('expired');
        expect(page.events.length).toBeLessThanOrEqual(limit);
        seen.push(...page.events);
        const last = page.events.at(-1);
        if (last) from = { position: last.position, time: Date.now() };
        if (!page.hasMore) break;
        expect(page.events).toHaveLength(limit);
      }
      expect(seen.map((e) => e.id)).toEqual(published.map((e) => e.id));
    }
    const some = await bus.read(['repo:m6', 'repo:m5', 'repo:m0'], { position: published[99]!.position, time: Date.now() }, 5);
    expect(some).toEqual({ ok: true, events: published.slice(100, 105), hasMore: true });
  });

  it('trims each topic to the retention count and calls a cursor before the trimmed events expired', async () => {
    const bus = await make({ count: 3, seconds: 3600 });
    const events = [];
    for (let i = 0; i < 5; i++) events.push(await bus.publish(draft('repo:short', i)));
    const fromSecond = { position: events[1]!.position, time: Date.now() };
    expect(await bus.read(['repo:short'], fromSecond, 10)).toEqual({ ok: true, events: events.slice(2), hasMore: false });
    expect(await bus.read(['repo:short'], { position: events[0]!.position, time: Date.now() }, 10)).toEqual({ ok: false, reason: 'expired' });
    expect(await bus.read(['repo:short'], { position: 0, time: Date.now() }, 10)).toEqual({ ok: false, reason: 'expired' });
    expect(await bus.read(['repo:short'], null, 10)).toEqual({ ok: true, events: events.slice(2), hasMore: false });
    // A cursor older than the retention time is expired whatever the log holds.
    expect(await bus.read(['repo:short'], { position: events[3]!.position, time: Date.now() - 3_601_000 }, 10)).toEqual({ ok: false, reason: 'expired' });
  });

  it('trims a long topic back to the retention count, and a cursor at the last trimmed event still resumes', async () => {
    const bus = await make({ count: 200, seconds: 3600 });
    const events = await bus.publishAll(Array.from({ length: 202 }, (_, i) => draft('repo:long', i)));
    const at = (i: number) => ({ position: events[i]!.position, time: Date.now() });
    const kept = await bus.read(['repo:long'], at(1), 500);
    expect(kept).toEqual({ ok: true, events: events.slice(2), hasMore: false });
    expect(await bus.read(['repo:long'], at(0), 500)).toEqual({ ok: false, reason: 'expired' });
  });

  it('publishes events made together as one publish after another would, and delivers each to its topic', async () => {
    const bus = await make();
    const first = await bus.publish(draft('gateway:a', 0));
    const a = collector();
    const b = collector();
    await bus.subscribe('gateway:a', a.listener);
    await bus.subscribe('gateway:b', b.listener);
    const payload = { shared: true };
    const batch = await bus.publishAll(['gateway:a', 'gateway:b', 'gateway:a'].map((topic) => ({ ...draft(topic, 0), payload })));
    expect(batch.map((e) => [e.topic, e.sequence])).toEqual([['gateway:a', 2], ['gateway:b', 1], ['gateway:a', 3]]);
    expect(batch[0]!.position).toBeGreaterThan(first.position);
    expect(batch.map((e) => e.position)).toEqual([0, 1, 2].map((k) => batch[0]!.position + k));
    expect(new Set(batch.map((e) => e.id)).size).toBe(3);
    await a.waitFor(2);
    await b.waitFor(1);
    expect(a.events).toEqual([batch[0], batch[2]]);
    expect(b.events).toEqual([batch[1]]);
    const logged = await bus.read(['gateway:a', 'gateway:b'], { position: first.position, time: Date.now() }, 10);
    expect(logged).toEqual({ ok: true, events: batch, hasMore: false });
    expect(await bus.publishAll([])).toEqual([]);
  });

  it('publishes none of the events made together when one is over 1 MB', async () => {
    const bus = await make();
    const head = await bus.head();
    const drafts = [draft('gateway:ok', 0), { ...draft('gateway:big', 1), payload: 'x'.repeat(1024 * 1024) }];
    await expect(bus.publishAll(drafts)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(await bus.head()).toBe(head);
    expect(await bus.read(['gateway:ok'], null, 10)).toEqual({ ok: true, events: [], hasMore: false });
  });

  it('counts the subscribers of each topic as they come and go, wildcards apart', async () => {
    const instance = backend.cluster();
    const [one, two] = [await instance(), await instance()];
    const counted = (await instance()).listeners(['presence:x', 'presence:y', 'repo:z']);
    expect(await counted).toEqual([0, 0, 0]);
    const stopOne = await one.subscribe('presence:x', () => {});
    const stopTwo = await two.subscribe('presence:x', () => {});
    await one.subscribe('repo:*', () => {});
    // Redis counts subscribed instances (connections); embedded mode is one instance with two listeners.
    expect(await one.listeners(['presence:x', 'presence:y', 'repo:z'])).toEqual([2, 0, 0]);
    stopOne();
    stopTwo();
    await until(() => one.listeners(['presence:x']), (n) => n[0] === 0, 'the subscriptions to end');
    expect(await one.listeners([])).toEqual([]);
  });

  it('refuses an event over 1 MB', async () => {
    const bus = await make();
    await expect(bus.publish({ ...draft('repo:big', 0), payload: 'x'.repeat(1024 * 1024) })).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

redisOnly('EventBus live gaps', (redis: RedisConnections) => ({ bus: createRedisBus(redis, silent), redis }), (_make, backend) => {
  it('reports a dropped subscriber connection once it is back, before any event that follows', async () => {
    const instance = backend.cluster();
    const { bus, redis } = await instance();
    const { bus: other, redis: otherRedis } = await instance();
    const seen: string[] = [];
    const gaps: number[] = [];
    await bus.subscribe('repo:gap', (e) => seen.push(`event ${(e.payload as { n: number }).n}`));
    bus.onLiveGap!((gap) => {
      gaps.push(gap.since);
      seen.push('gap');
      gap.resumed.then(
        () => seen.push('resumed'),
        () => seen.push('not resumed'),
      );
    });
    await other.publish(draft('repo:gap', 1));
    await vi.waitFor(() => expect(seen).toEqual(['event 1']));
    const dropped = Date.now();
    // Killed, then published to, on one connection: Redis runs both before the subscriber can be back.
    const port = (redis.subscriber as unknown as { stream: Socket }).stream.localPort;
    await Promise.all([otherRedis.command.client('KILL', 'ADDR', `127.0.0.1:${port}`), other.publish(draft('repo:gap', 2))]); // lost to pub/sub: the log has it
    await vi.waitFor(() => expect(seen).toContain('resumed'));
    await other.publish(draft('repo:gap', 3));
    await vi.waitFor(() => expect(seen).toEqual(['event 1', 'gap', 'resumed', 'event 3']));
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toBeGreaterThanOrEqual(dropped);
    expect(gaps[0]).toBeLessThanOrEqual(Date.now());
  });

  it('makes its subscriber connection again until Redis takes its subscriptions, rather than staying up without them', async () => {
    const instance = backend.cluster();
    const { bus, redis } = await instance();
    const { bus: other } = await instance();
    const seen: number[] = [];
    await bus.subscribe('repo:acl', (e) => seen.push((e.payload as { n: number }).n));
    await other.publish(draft('repo:acl', 1));
    await vi.waitFor(() => expect(seen).toEqual([1]));
    const port = (redis.subscriber as unknown as { stream: Socket }).stream.localPort;
    await redis.command.call('ACL', 'LOG', 'RESET');
    // For a while an ACL refuses every channel: the subscriber's next connection cannot subscribe.
    await redis.command.call('ACL', 'SETUSER', 'default', 'resetchannels');
    try {
      await redis.command.client('KILL', 'ADDR', `127.0.0.1:${port}`).catch(() => undefined);
      await vi.waitFor(async () => expect(((await redis.command.call('ACL', 'LOG')) as unknown[]).length).toBeGreaterThan(0), { timeout: 5_000 });
    } finally {
      await redis.command.call('ACL', 'SETUSER', 'default', 'allchannels');
    }
    await vi.waitFor(async () => {
      await other.publish(draft('repo:acl', 2));
      expect(seen).toContain(2);
    }, { timeout: 5_000, interval: 200 });
  });
}, ['redis']); // kills the one subscriber connection a single server has

describe('memory event log bounds', () => {
  it('caps the whole log across topics, oldest first, and reports what it dropped as expired', async () => {
    const bus = createMemoryBus({ count: 100, seconds: 3600 }, 5);
    const events = [];
    for (let i = 0; i < 8; i++) events.push(await bus.publish(draft(`repo:t${i % 3}`, i)));
    const all = await bus.read(['repo:*'], null, 100);
    expect(all.ok && all.events.map((e) => e.payload)).toEqual([3, 4, 5, 6, 7].map((n) => ({ n })));
    // A reader who had seen nothing of t0 missed event 0, which is gone; one who had seen event 0 missed nothing.
    expect(await bus.read(['repo:t0'], { position: 0, time: Date.now() }, 10)).toEqual({ ok: false, reason: 'expired' });
    const afterFirst = await bus.read(['repo:t0'], { position: events[0]!.position, time: Date.now() }, 10);
    expect(afterFirst.ok && afterFirst.events.map((e) => e.payload)).toEqual([{ n: 3 }, { n: 6 }]);
  });

  it('keeps exactly the newest events of a topic through many trims, by count and by the whole-log cap', async () => {
    const bus = createMemoryBus({ count: 50, seconds: 3600 }, 120);
    const events = await bus.publishAll(Array.from({ length: 1000 }, (_, i) => draft(i % 10 === 0 ? 'repo:rare' : 'repo:busy', i)));
    const busy = events.filter((e) => e.topic === 'repo:busy');
    const rare = events.filter((e) => e.topic === 'repo:rare');
    const since = (e: { position: number }) => ({ position: e.position, time: Date.now() });
    // repo:busy is held to its count (50); repo:rare to the last 120 events published.
    expect(await bus.read(['repo:busy'], since(busy.at(-51)!), 100)).toEqual({ ok: true, events: busy.slice(-50), hasMore: false });
    expect(await bus.read(['repo:busy'], since(busy.at(-52)!), 100)).toEqual({ ok: false, reason: 'expired' });
    const window = events.at(-121)!.position;
    expect(await bus.read(['repo:rare'], null, 100)).toEqual({ ok: true, events: rare.filter((e) => e.position > window), hasMore: false });
  });
});

redisOnly('EventBus log reads', (redis) => ({ redis, bus: createRedisBus(redis, silent) }), (make) => {
  it('reads past log entries it cannot decode, in every topic of a merge', async () => {
    const { redis, bus } = await make();
    const first = await bus.publish(draft('repo:clean', 1));
    // Two entries no publisher wrote (say, by hand), then real events after them.
    await redis.command.xadd(`${redis.keyPrefix}log:{repo:dirty}`, `${first.position + 1}-0`, 'e', 'not json');
    await redis.command.xadd(`${redis.keyPrefix}log:{repo:dirty}`, `${first.position + 2}-0`, 'e', '{"id":1}');
    await redis.command.set(`${redis.keyPrefix}position`, String(first.position + 2));
    const later = [await bus.publish(draft('repo:dirty', 2)), await bus.publish(draft('repo:clean', 3)), await bus.publish(draft('repo:dirty', 4))];
    const seen: EventEnvelope[] = [];
    let from: { position: number; time: number } | null = null;
    for (;;) {
      const page = await bus.read(['repo:clean', 'repo:dirty'], from, 1);
      if (!page.ok) throw new Error('expired');
      seen.push(...page.events);
      if (page.events.length > 0) from = { position: page.events.at(-1)!.position, time: Date.now() };
      if (!page.hasMore) break;
    }
    expect(seen).toEqual([first, ...later]);
  });
});

redisOnly('EventBus positions', (redis) => ({ redis, bus: createRedisBus(redis, silent) }), (make) => {
  it('go on past every one handed out when the counter goes back, as a failover that lost its last increments leaves it', async () => {
    const { redis, bus } = await make();
    const handedOut = await bus.publishAll([draft('repo:p1', 1), draft('repo:p2', 2)]);
    await redis.command.set(`${redis.keyPrefix}position`, '1');
    const alone = await bus.publish(draft('repo:p1', 3));
    const batch = await bus.publishAll([draft('repo:p1', 4), draft('repo:p2', 5)]);
    expect(alone.position).toBeGreaterThan(handedOut[1]!.position);
    expect(batch[0]!.position).toBeGreaterThan(alone.position);
    expect(batch[1]!.position).toBe(batch[0]!.position + 1);
    // Read from the cursor of the last event handed out before: every later one.
    const read = await bus.read(['repo:p1', 'repo:p2'], { position: handedOut[1]!.position, time: Date.now() }, 10);
    expect(read.ok && read.events.map((e) => e.id)).toEqual([alone, ...batch].map((e) => e.id));
  });
});

redisOnly('EventBus scripts', (redis) => ({ redis, bus: createRedisBus(redis, silent) }), (make) => {
  it('publishes when Redis has forgotten its scripts, as after a restart or a failover', async () => {
    const { redis, bus } = await make();
    const before = await bus.publishAll([draft('repo:s1', 1), draft('repo:s2', 2)]);
    const servers = redis.command instanceof Cluster ? redis.command.nodes('master') : [redis.command];
    await Promise.all(servers.map((server) => server.script('FLUSH')));
    const after = await bus.publishAll([draft('repo:s1', 3), draft('repo:s2', 4)]);
    const read = await bus.read(['repo:s1', 'repo:s2'], null, 10);
    expect(read.ok && read.events.map((e) => e.id)).toEqual([...before, ...after].map((e) => e.id));
  });

  it('carries text whose bytes outnumber its characters as it was published, live and in the log', async () => {
    const { bus } = await make();
    const family = collector();
    await bus.subscribe('gateway:*', family.listener);
    const wide = { note: 'grüße — 日本語 🚀', vhost: 'ünïcödé.example' };
    const batch = await bus.publishAll([
      { ...draft('gateway:w1', 1), payload: wide },
      { ...draft('gateway:w2', 1), payload: wide, correlationId: 'ç-1' },
      { ...draft('gateway:w3', 2), payload: { note: '🚀'.repeat(300) } },
    ]);
    await family.waitFor(3);
    expect(family.events).toEqual(batch);
    const read = await bus.read(['gateway:w1', 'gateway:w2', 'gateway:w3'], null, 10);
    expect(read.ok && read.events).toEqual(batch);
  });
});

redisOnly('EventBus batch messages', (redis) => ({ redis, bus: createRedisBus(redis, silent) }), (make) => {
  /** Every message published under the bus's prefix, by channel, as a separate connection hears it. */
  async function tap(redis: RedisConnections) {
    const spy = (redis.command as Redis).duplicate({ enableOfflineQueue: true });
    const heard: Array<{ channel: string; message: string }> = [];
    spy.on('pmessage', (_pattern: string, channel: string, message: string) => heard.push({ channel: channel.slice(redis.keyPrefix.length), message }));
    await spy.psubscribe(`${redis.keyPrefix}*`);
    return { heard, close: () => spy.disconnect() };
  }

  it('carries events made together for several topics of a family as one message, in place among single publishes', async () => {
    const { redis, bus } = await make();
    const spy = await tap(redis);
    const a = collector();
    const b = collector();
    const family = collector();
    await bus.subscribe('gateway:a', a.listener);
    await bus.subscribe('gateway:b', b.listener);
    await bus.subscribe('gateway:*', family.listener);
    const before = await bus.publish(draft('gateway:a', 1));
    const batch = await bus.publishAll([draft('gateway:b', 2), draft('gateway:a', 3), draft('gateway:c', 4)]);
    const after = await bus.publish(draft('gateway:a', 5));
    await a.waitFor(3);
    await b.waitFor(1);
    await family.waitFor(5);
    expect(a.events).toEqual([before, batch[1], after]);
    expect(b.events).toEqual([batch[0]]);
    expect(family.events).toEqual([before, ...batch, after]);
    await until(() => spy.heard.length, (n) => n >= 3, 'three messages');
    expect(spy.heard.map((m) => m.channel)).toEqual(['ev:{gateway:a}', 'evb:gateway', 'ev:{gateway:a}']);
    spy.close();
  });

  it('hands on a batch whole and as published, its shared part parsed once: events that share a payload share one object', async () => {
    const { bus } = await make();
    const family = collector();
    const b = collector();
    await bus.subscribe('gateway:*', family.listener);
    await bus.subscribe('gateway:b', b.listener);
    const shared = { apiId: 'a1', vhost: 'edge "one"\nsecond line' };
    const batch = await bus.publishAll([
      { ...draft('gateway:a', 1), payload: shared },
      { ...draft('gateway:b', 1), payload: shared, correlationId: 'c-1' },
      { ...draft('gateway:c', 2), source: 'deployer', schemaVersion: 3 },
      { ...draft('gateway:d', 3), payload: shared, correlationId: 'c-1' },
      { ...draft('gateway:e', 3), payload: shared, correlationId: 'c-1' },
    ]);
    await family.waitFor(5);
    await b.waitFor(1);
    expect(family.events).toEqual(batch);
    expect(b.events).toEqual([batch[1]]);
    expect(family.events[2]).toMatchObject({ source: 'deployer', schemaVersion: 3 });
    expect(family.events[3]!.payload).toBe(family.events[4]!.payload);
    expect(Object.isFrozen(family.events[0])).toBe(true);
  });

  it('drops what in a batch message is not a whole event, and goes on with the next', async () => {
    const { redis, bus } = await make();
    const family = collector();
    const a = collector();
    await bus.subscribe('gateway:*', family.listener);
    await bus.subscribe('gateway:a', a.listener);
    const rest = '"type":"t","timestamp":"2026-01-01T00:00:00.000Z","correlationId":null,"priority":"NORMAL","expiresAt":null,"payload":{},"sequence":';
    const broken = [
      ['gateway:a', '{"id":"x","topic":"gateway:a",', '"type":', '1 1'],
      ['gateway:a', 'not json,', rest, '1 1'],
      ['gateway:a', '{"id":7,"topic":"gateway:a",', rest, '1 1'],
      ['gateway:a', '{"id":"x","topic":"gateway:a",', rest, 'one'],
      ['gateway:a', '{"id":"x","topic":"gateway:a",', rest.replace('NORMAL', 'URGENTISH'), '1 1'],
    ];
    await redis.command.publish(`${redis.keyPrefix}evb:gateway`, broken.flat().join('\n'));
    const batch = await bus.publishAll([draft('gateway:a', 1), draft('gateway:b', 2)]);
    await family.waitFor(2);
    await a.waitFor(1);
    expect(family.events).toEqual(batch);
    expect(a.events).toEqual([batch[0]]);
  });

  it('drops a live event that is not a whole envelope, and goes on with the next', async () => {
    const { redis, bus } = await make();
    const a = collector();
    await bus.subscribe('gateway:a', a.listener);
    const channel = `${redis.keyPrefix}ev:{gateway:a}`;
    const send = (text: string) => (redis.sharded ? (redis.command as unknown as Redis).spublish(channel, text) : redis.command.publish(channel, text));
    const whole = { id: 'x', topic: 'gateway:a', type: 't', timestamp: '2026-01-01T00:00:00.000Z', correlationId: null, priority: 'NORMAL', expiresAt: null, payload: {}, sequence: 1, position: 1 };
    for (const broken of [{ ...whole, priority: 'URGENTISH' }, { ...whole, sequence: 'one' }, { ...whole, schemaVersion: '3' }, { ...whole, id: 7 }]) await send(JSON.stringify(broken));
    await send('not json');
    const event = await bus.publish(draft('gateway:a', 1));
    await a.waitFor(1);
    expect(a.events).toEqual([event]);
  });

  it('sends the events of one topic one message each, and follows the batch channel only while a topic of its family is followed', async () => {
    const { redis, bus } = await make();
    const spy = await tap(redis);
    const numsub = async (channel: string) => Number(((await redis.command.call('PUBSUB', 'NUMSUB', `${redis.keyPrefix}${channel}`)) as unknown[])[1]);
    const a = collector();
    const offA = await bus.subscribe('gateway:a', a.listener);
    const offB = await bus.subscribe('gateway:b', () => {});
    expect(await numsub('evb:gateway')).toBe(1);
    expect(await numsub('evb:repo')).toBe(0);
    const same = await bus.publishAll([draft('gateway:a', 1), draft('gateway:a', 2)]);
    await a.waitFor(2);
    expect(a.events).toEqual(same);
    await until(() => spy.heard.length, (n) => n >= 2, 'two messages');
    expect(spy.heard.map((m) => m.channel)).toEqual(['ev:{gateway:a}', 'ev:{gateway:a}']);
    offA();
    expect(await numsub('evb:gateway')).toBe(1);
    offB();
    await until(() => numsub('evb:gateway'), (n) => n === 0, 'the batch channel unsubscribed');
    spy.close();
  });
}, ['redis']);
