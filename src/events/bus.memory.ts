import { outlivedRetention, type EventBus, type EventListener, type LogRead, type Retention } from './bus.js';
import { cursorOf } from './cursor.js';
import { seal, serializeSealed } from './draft.js';
import type { EventEnvelope } from './envelope.js';
import { familyOf, familyWildcard } from './topics.js';

type TopicLog = { events: EventEnvelope[]; sequence: number; trimmedThrough: number };

/**
 * Embedded mode: the log is a ring per topic, delivery a synchronous loop over
 * the topic's listeners, both in the same step. Besides the per-topic count,
 * the whole log is capped (`maxTotal`) and aged on every publish, so memory
 * stays bounded however many topics there are.
 */
export function createMemoryBus(retention: Retention = { count: 10_000, seconds: 86_400 }, maxTotal = 100_000): EventBus {
  const logs = new Map<string, TopicLog>();
  const listeners = new Map<string, Set<EventListener>>();
  /** Every event in publish order (entries of events a topic already trimmed are skipped). */
  const order: EventEnvelope[] = [];
  let orderHead = 0;
  let position = 0;

  const dropOldest = () => {
    const event = order[orderHead++]!;
    const log = logs.get(event.topic)!;
    if (log.events[0] === event) {
      log.events.shift();
      log.trimmedThrough = event.position;
    }
    if (orderHead > 1024 && orderHead * 2 > order.length) {
      order.splice(0, orderHead);
      orderHead = 0;
    }
  };

  const deliver = (topic: string, event: EventEnvelope) => {
    const set = listeners.get(topic);
    if (set) for (const listener of set) listener(event);
  };

  return {
    async publish(draft) {
      const sealed = seal(draft);
      serializeSealed(sealed); // same size rule as Redis mode
      let log = logs.get(sealed.topic);
      if (!log) logs.set(sealed.topic, (log = { events: [], sequence: 0, trimmedThrough: 0 }));
      const sequence = ++log.sequence;
      position += 1;
      const event: EventEnvelope = Object.freeze({ ...sealed, sequence, position, cursor: cursorOf({ ...sealed, sequence, position }) });
      log.events.push(event);
      order.push(event);
      if (log.events.length > retention.count) log.trimmedThrough = log.events.shift()!.position;
      // Whole-log bounds: total size, then age (the front is the oldest event overall).
      const oldest = Date.now() - retention.seconds * 1000;
      while (order.length - orderHead > maxTotal) dropOldest();
      while (orderHead < order.length && Date.parse(order[orderHead]!.timestamp) < oldest) dropOldest();
      deliver(event.topic, event);
      const family = familyOf(event.topic);
      if (family) deliver(familyWildcard(family), event);
      return event;
    },
    async subscribe(topic, listener) {
      let set = listeners.get(topic);
      if (!set) listeners.set(topic, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(topic) === set) listeners.delete(topic);
      };
    },
    async read(topics, from, limit): Promise<LogRead> {
      if (from && outlivedRetention(from, retention)) return { ok: false, reason: 'expired' };
      const after = from ?? { position: 0, time: Date.now() };
      const found: EventEnvelope[] = [];
      for (const topic of expand(topics, logs.keys())) {
        const log = logs.get(topic);
        if (!log) continue;
        if (from && log.trimmedThrough > after.position) return { ok: false, reason: 'expired' };
        for (const event of log.events) if (event.position > after.position) found.push(event);
      }
      found.sort((a, b) => a.position - b.position);
      return { ok: true, events: found.slice(0, limit), hasMore: found.length > limit };
    },
    head: async () => position,
    isReady: () => true,
    async close() {
      listeners.clear();
    },
  };
}

/** The topics a read covers: named ones, and every known topic of a wildcard's family. */
export function expand(topics: readonly string[], known: Iterable<string>): string[] {
  const wildcards = topics.filter((t) => t.endsWith(':*')).map((t) => t.slice(0, -1));
  const named = topics.filter((t) => !t.endsWith(':*'));
  if (wildcards.length === 0) return named;
  return [...new Set([...named, ...[...known].filter((t) => wildcards.some((w) => t.startsWith(w)))])];
}
