import { expect, it } from 'vitest';
import type { EventBus, ReadFrom } from '../../src/events/bus.js';
import { createMemoryBus } from '../../src/events/bus.memory.js';
import { createRedisBus } from '../../src/events/bus.redis.js';
import type { EventDraft, EventEnvelope } from '../../src/events/envelope.js';
import { createSharedLogReader } from '../../src/events/shared-reader.js';
import { contract, silent, type Makers } from './backends.js';

const draft = (topic: string, n: number): EventDraft => ({ topic, type: 'test.event', correlationId: null, priority: 'NORMAL', expiresAt: null, payload: { n } });

/** The bus as it is, counting the log reads made through it. */
function counted(bus: EventBus) {
  const reads = { count: 0 };
  const wrapped: EventBus = {
    ...bus,
    read: (topics, from, limit) => {
      reads.count++;
      return bus.read(topics, from, limit);
    },
  };
  return { bus: wrapped, reads };
}

const cursorAt = (event: EventEnvelope): ReadFrom => ({ position: event.position, time: Date.parse(event.timestamp) });

const buses: Makers<EventBus, []> = {
  memory: () => createMemoryBus(),
  redis: (redis) => createRedisBus(redis, silent),
};

contract('SharedLogReader', buses, (make) => {
  it('gives many readers of the same topics every event after their cursor, in order and once, reading the log twice per round however many readers ask', async () => {
    const { bus, reads } = counted(await make());
    const logs = createSharedLogReader(bus);
    const topics = ['repo:shared-a', 'repo:shared-b'];
    const start = await bus.publish(draft('repo:shared-a', 0));
    const readers = Array.from({ length: 20 }, () => ({ reader: logs.open(topics), from: cursorAt(start), seen: [] as EventEnvelope[] }));
    // Primes the window at the head, as the first read of a worker would.
    await Promise.all(readers.map((r) => r.reader.read(r.from, 100)));
    const published: EventEnvelope[] = [];
    for (let burst = 0; burst < 5; burst++) {
      // Seven events, five of them on the readers' topics: three pages of at most two.
      published.push(...(await bus.publishAll(Array.from({ length: 7 }, (_, i) => draft(i % 3 === 2 ? 'repo:other' : topics[i % 2]!, burst * 10 + i)))));
      const pages: number[] = [];
      for (;;) {
        const before = reads.count;
        // Every reader asks for its next small page at once.
        const round = await Promise.all(
          readers.map(async (r) => {
            const page = await r.reader.read(r.from, 2);
            if (!page.ok) throw new Error('expired');
            r.seen.push(...page.events);
            if (page.events.length > 0) r.from = cursorAt(page.events.at(-1)!);
            return page;
          }),
        );
        // Two reads of the log per round, not twenty: the first reader's refresh, and one queued behind it for the
        // nineteen that asked while it ran (a read is answered by a refresh that started after it asked).
        expect(reads.count - before).toBe(2);
        pages.push(round[0]!.events.length);
        if (!round.some((page) => page.hasMore)) break;
      }
      expect(pages).toEqual([2, 2, 1]);
    }
    const wanted = published.filter((e) => topics.includes(e.topic)).map((e) => e.id);
    for (const r of readers) expect(r.seen.map((e) => e.id)).toEqual(wanted);
    for (const r of readers) r.reader.close();
  });

  it('answers a read made after a publish with that event, whichever reader refreshed last', async () => {
    const bus = await make();
    const logs = createSharedLogReader(bus);
    const first = await bus.publish(draft('repo:fresh', 0));
    const a = logs.open(['repo:fresh']);
    const b = logs.open(['repo:fresh']);
    await a.read(cursorAt(first), 10);
    for (let i = 1; i <= 20; i++) {
      const event = await bus.publish(draft('repo:fresh', i));
      // One reader's refresh may be under way when the other asks: the other still sees the event.
      const [pa, pb] = await Promise.all([a.read(cursorAt(first), 100), b.read(cursorAt(first), 100)]);
      expect(pa.ok && pa.events.at(-1)?.id).toBe(event.id);
      expect(pb.ok && pb.events.at(-1)?.id).toBe(event.id);
    }
    a.close();
    b.close();
  });

  it('leaves readers behind the window, without a cursor or on an old cursor to the log itself', async () => {
    const { bus, reads } = counted(await make());
    const logs = createSharedLogReader(bus, { capacity: 5, maxCursorAgeMs: 60_000 });
    const events = await bus.publishAll(Array.from({ length: 3 }, (_, i) => draft('repo:behind', i)));
    const reader = logs.open(['repo:behind']);
    await reader.read(cursorAt(events[2]!), 10); // the window starts at the head
    const later = await bus.publishAll(Array.from({ length: 12 }, (_, i) => draft('repo:behind', 3 + i)));
    // From the oldest event: behind the window, answered by the log, whole.
    const behind = await reader.read(cursorAt(events[0]!), 100);
    expect(behind.ok && behind.events.map((e) => e.id)).toEqual([events[1]!, events[2]!, ...later].map((e) => e.id));
    // The window kept the newest five: a cursor among them is served from it.
    const inside = await reader.read(cursorAt(later[8]!), 100);
    expect(inside.ok && inside.events.map((e) => e.id)).toEqual(later.slice(9).map((e) => e.id));
    // No cursor, or one whose event is older than the limit: the log decides.
    const before = reads.count;
    const all = await reader.read(null, 100);
    expect(all.ok && all.events).toHaveLength(15);
    const old = await reader.read({ position: later[10]!.position, time: Date.now() - 120_000 }, 100);
    expect(old.ok && old.events.map((e) => e.id)).toEqual([later[11]!.id]);
    expect(reads.count - before).toBe(2);
    reader.close();
  });
});
