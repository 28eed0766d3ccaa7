import { describe, expect, it } from 'vitest';
import type { EventBus, LiveGap } from '../../src/events/bus.js';
import { createMemoryBus } from '../../src/events/bus.memory.js';
import type { EventDraft, EventEnvelope } from '../../src/events/envelope.js';
import { decodeCursorPoint } from '../../src/events/cursor.js';
import { createHub } from '../../src/events/hub.js';
import { Topics } from '../../src/events/topics.js';

const draft = (topic: string, n: number): EventDraft => ({ topic, type: 't', correlationId: null, priority: 'NORMAL', expiresAt: null, payload: { n } });

/** A memory bus that counts the subscriptions the hub makes on it. */
function countingBus() {
  const bus = createMemoryBus();
  const live = new Map<string, number>();
  const counted: EventBus = {
    ...bus,
    async subscribe(topic, listener) {
      live.set(topic, (live.get(topic) ?? 0) + 1);
      const stop = await bus.subscribe(topic, listener);
      return () => {
        live.set(topic, live.get(topic)! - 1);
        stop();
      };
    },
  };
  return { bus: counted, live };
}

const never = () => {
  throw new Error('no overflow expected');
};

describe('hub', () => {
  it('counts the streams listening to each topic of a prefix, named rather than through a wildcard', async () => {
    const hub = createHub(createMemoryBus());
    const open = (topics: string[]) => hub.open(topics, { maxQueued: 10, onOverflow: never });
    const [a1, a2] = [await open(['cli:A']), await open(['cli:A', 'repo:x'])];
    await open(['cli:B']);
    await open(['channel:*', 'repo:y']);
    expect(hub.listeners('cli:')).toEqual(new Map([['cli:A', 2], ['cli:B', 1]]));
    await a1.return();
    await a2.return();
    expect(hub.listeners('cli:')).toEqual(new Map([['cli:B', 1]]));
  });

  it('holds one bus subscription per topic for any number of streams, and drops it with the last one', async () => {
    const { bus, live } = countingBus();
    const hub = createHub(bus);
    const streams = await Promise.all(Array.from({ length: 50 }, () => hub.open(['repo:a'], { maxQueued: 10, onOverflow: never })));
    expect(live.get('repo:a')).toBe(1);
    const event = await bus.publish(draft('repo:a', 1));
    for (const s of streams) expect((await s.next()).value).toBe(event); // the same object for everyone
    for (const s of streams) await s.return();
    expect(live.get('repo:a')).toBe(0);
    expect(hub.streamCount()).toBe(0);
  });

  it('ends a stream that falls more than maxQueued behind and hands over what it dropped', async () => {
    const bus = createMemoryBus();
    const hub = createHub(bus);
    let dropped: readonly EventEnvelope[] = [];
    const stream = await hub.open(['repo:slow'], { maxQueued: 3, onOverflow: (d) => (dropped = d) });
    for (let i = 1; i <= 4; i++) await bus.publish(draft('repo:slow', i));
    expect(dropped.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(hub.streamCount()).toBe(0);
  });

  it('keeps only what accept lets through, and injects local events without the bus', async () => {
    const { bus, live } = countingBus();
    const hub = createHub(bus);
    const stream = await hub.open(['repo:f', Topics.connection('x')], { maxQueued: 10, onOverflow: never, accept: (e) => (e.payload as { n: number }).n % 2 === 0 });
    expect(live.has(Topics.connection('x'))).toBe(false);
    await bus.publish(draft('repo:f', 1));
    await bus.publish(draft('repo:f', 2));
    const local = { ...(await bus.publish(draft('other', 4))), topic: Topics.connection('x') };
    hub.inject(Topics.connection('x'), local);
    expect((await stream.next()).value?.sequence).toBe(2);
    expect((await stream.next()).value).toBe(local);
    await hub.close();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});

describe('a stream that fails', () => {
  it('hands out what it had queued, then the error, whether read or piped, and leaves the hub', async () => {
    const bus = createMemoryBus();
    const hub = createHub(bus);
    const read = await hub.open(['repo:fail'], { maxQueued: 10, onOverflow: never });
    const piped = await hub.open(['repo:fail'], { maxQueued: 10, onOverflow: never });
    const event = await bus.publish(draft('repo:fail', 1));
    const error = new Error('cannot go on');
    read.fail(error);
    piped.fail(error);
    expect(hub.streamCount()).toBe(0);
    expect((await read.next()).value).toBe(event);
    await expect(read.next()).rejects.toBe(error);
    expect(await read.next()).toEqual({ value: undefined, done: true });
    const heard: unknown[] = [];
    piped.pipe({ next: (e) => heard.push(e), end: () => heard.push('end'), error: (e) => heard.push(e) });
    expect(heard).toEqual([event, error]);
    // A reader already waiting hears the error at once.
    const waiting = await hub.open(['repo:fail'], { maxQueued: 10, onOverflow: never });
    const pending = waiting.next();
    waiting.fail(error);
    await expect(pending).rejects.toBe(error);
  });
});

/**
 * A bus whose live events the test hands over itself, in any order, as a
 * Redis Cluster can deliver a family wildcard's events of one topic when
 * several instances publish them; the log is a memory bus's.
 */
function reorderingBus() {
  const log = createMemoryBus();
  const listeners = new Map<string, Set<(event: EventEnvelope) => void>>();
  const bus: EventBus = {
    ...log,
    wildcardsInOrder: false,
    onLiveGap: () => {},
    async subscribe(topic, listener) {
      const set = listeners.get(topic) ?? new Set();
      listeners.set(topic, set.add(listener));
      return () => set.delete(listener);
    },
  };
  return { bus, deliver: (topic: string, event: EventEnvelope) => listeners.get(topic)?.forEach((l) => l(event)) };
}

describe('hub on a bus whose wildcard events can overtake each other', () => {
  it('hands a wildcard the events of a topic in sequence order when the later one arrives first', async () => {
    const { bus, deliver } = reorderingBus();
    const hub = createHub(bus);
    const stream = await hub.open(['repo:*'], { maxQueued: 10, onOverflow: never });
    const [first, second] = [await bus.publish(draft('repo:x', 1)), await bus.publish(draft('repo:x', 2))];
    deliver('repo:*', second!);
    deliver('repo:*', first!);
    const got = [(await stream.next()).value as EventEnvelope, (await stream.next()).value as EventEnvelope];
    expect(got.map((e) => e.sequence)).toEqual([1, 2]);
    // Nothing twice: the late first event is not handed on again; the next one is the third.
    const third = await bus.publish(draft('repo:x', 3));
    deliver('repo:*', third);
    expect(((await stream.next()).value as EventEnvelope).sequence).toBe(3);
    await hub.close();
  });
});

/**
 * A bus that tracks gaps, as Redis does: live events are handed over by the
 * test, gaps are raised by the test, the log is a memory bus's, and every
 * read of the head is noted along with the subscriptions live at the time.
 */
function gapBus(options: { headFails?: boolean } = {}) {
  const log = createMemoryBus();
  const listeners = new Map<string, Set<(event: EventEnvelope) => void>>();
  const headReads: string[][] = [];
  let raise: ((gap: LiveGap) => void) | undefined;
  const bus: EventBus = {
    ...log,
    onLiveGap: (handler) => (raise = handler),
    async subscribe(topic, listener) {
      await new Promise((resolve) => setImmediate(resolve)); // a round trip, as Redis takes
      const set = listeners.get(topic) ?? new Set();
      listeners.set(topic, set.add(listener));
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(topic);
      };
    },
    async head() {
      headReads.push([...listeners.keys()].sort());
      if (options.headFails) throw new Error('head read failed');
      return log.head();
    },
  };
  return { bus, headReads, live: () => [...listeners.keys()].sort(), gap: () => raise!({ since: Date.now() - 1_000, resumed: Promise.resolve() }) };
}

describe('hub on a bus that can miss live events', () => {
  it('reads the head once per open, after every new topic is live, and starts each topic there', async () => {
    const { bus, headReads, gap } = gapBus();
    const hub = createHub(bus);
    await bus.publish(draft('repo:a', 1));
    await bus.publish(draft('gateway:g', 1));
    const stream = await hub.open(['repo:a', 'gateway:g', 'channel:c', 'repo:a'], { maxQueued: 10, onOverflow: never });
    expect(headReads).toEqual([['channel:c', 'gateway:g', 'repo:a']]);

    // Topics already live need no read; a new one alongside them does, once.
    const again = await hub.open(['repo:a', 'gateway:g'], { maxQueued: 10, onOverflow: never });
    expect(headReads).toHaveLength(1);
    await hub.open(['repo:a', 'repo:b', 'repo:c'], { maxQueued: 10, onOverflow: never });
    expect(headReads).toHaveLength(2);
    await again.return();

    // Each topic starts at the head read for it: a gap is filled from there, with nothing published before the open.
    const missed = [await bus.publish(draft('gateway:g', 2)), await bus.publish(draft('repo:a', 2)), await bus.publish(draft('channel:c', 1))];
    gap();
    const got = [(await stream.next()).value, (await stream.next()).value, (await stream.next()).value] as EventEnvelope[];
    expect(got.map((e) => `${e.topic} ${e.sequence}`)).toEqual(missed.map((e) => `${e.topic} ${e.sequence}`));
    await hub.close();
  });

  it('fails the open and drops every subscription it made when the head cannot be read', async () => {
    const { bus, headReads, live } = gapBus({ headFails: true });
    const hub = createHub(bus);
    await expect(hub.open(['repo:a', 'repo:b'], { maxQueued: 10, onOverflow: never })).rejects.toThrow('head read failed');
    expect(headReads).toEqual([['repo:a', 'repo:b']]);
    expect(live()).toEqual([]);
    expect(hub.listeners('repo:')).toEqual(new Map());
    expect(hub.streamCount()).toBe(0);
  });
});

describe('hub cursors per topic', () => {
  // A bus whose topics' events may pass each other (as on a Redis Cluster): the hub then stamps per-topic cursors.
  const unordered = (): EventBus => ({ ...createMemoryBus(), positionsInOrder: false });
  const next = async (stream: AsyncIterator<EventEnvelope>) => (await stream.next()).value as EventEnvelope;

  it('stamps each event once for the fresh streams of the same topics, and leaves streams of one topic alone', async () => {
    const bus = unordered();
    const hub = createHub(bus);
    const open = (topics: string[], perTopicCursors = true) => hub.open(topics, { maxQueued: 10, onOverflow: never, perTopicCursors });
    await bus.publish(draft('repo:a', 0));
    const [s1, s2, single] = [await open(['repo:a', 'repo:b']), await open(['repo:b', 'repo:a']), await open(['repo:a'], false)];
    const a = await bus.publish(draft('repo:a', 1));
    const b = await bus.publish(draft('repo:b', 2));
    const [a1, a2, plain] = [await next(s1), await next(s2), await next(single)];
    expect(a1).toBe(a2);
    expect(plain).toBe(a);
    expect(decodeCursorPoint(a1.cursor)).toEqual({ position: 1, time: Date.parse(a.timestamp), topics: { 'repo:a': a.position } });
    // A stream that joins later shares the point: what it names per topic is what the hub handed on.
    const late = await open(['repo:a', 'repo:b']);
    const c = await bus.publish(draft('repo:a', 3));
    const [b1, c1, cLate] = [await next(s1), await next(s1), await next(late)];
    expect(cLate).toBe(c1);
    expect(decodeCursorPoint(b1.cursor)!.topics).toEqual({ 'repo:a': a.position, 'repo:b': b.position });
    expect(decodeCursorPoint(c1.cursor)!.topics).toEqual({ 'repo:a': c.position, 'repo:b': b.position });
    await hub.close();
  });
});
