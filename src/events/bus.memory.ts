import { outlivedRetentionOfAny, type EventBus, type EventListener, type LogRead, type Retention, type RetentionOf } from './bus.js';
import { envelopeOf, sealAll, type SealedEvent } from './draft.js';
import type { EventEnvelope } from './envelope.js';
import { Fifo } from './fifo.js';
import { mergeTopics, type Page, type PageRequest } from './merge.js';
import { familyOf, Topics } from './topics.js';

/** A topic's retained events, oldest first, and the position of the last one it dropped. */
type TopicLog = { readonly topic: string; readonly events: Fifo<EventEnvelope>; sequence: number; trimmedThrough: number };

function dropFirst(log: TopicLog): void {
  log.trimmedThrough = log.events.shift().position;
}

/**
 * Embedded mode: the log is a ring per topic, delivery a synchronous loop over
 * the topic's listeners, both in the same step. Besides the per-topic count,
 * the whole log is capped (`maxTotal`) and aged on every publish, so memory
 * stays bounded however many topics there are.
 */
export function createMemoryBus(retention: Retention = { count: 10_000, seconds: 86_400 }, maxTotal = 100_000, retentionOf: RetentionOf = () => retention): EventBus {
  const logs = new Map<string, TopicLog>();
  const listeners = new Map<string, Set<EventListener>>();
  /** Every event in publish order (entries of events a topic already trimmed are skipped). */
  const order = new Fifo<EventEnvelope>();
  /** When each event in `order` was published (epoch ms), so ageing never parses a timestamp. */
  const orderTimes = new Fifo<number>(0);
  let position = 0;

  const dropOldest = () => {
    const event = order.shift();
    orderTimes.shift();
    const log = logs.get(event.topic)!;
    if (log.events.size > 0 && log.events.at(0) === event) dropFirst(log);
  };

  /**
   * A page of one topic: its events are in position order, so it starts at the
   * first one after the position and takes no more than asked, costing the
   * page, not the topic's whole history.
   */
  const page = ({ topic, after, count }: PageRequest): Page => {
    const log = logs.get(topic);
    if (!log) return { events: [], last: after, more: false, floor: 0 };
    const events = log.events;
    let low = 0;
    let high = events.size;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (events.at(mid).position > after) high = mid;
      else low = mid + 1;
    }
    const found: EventEnvelope[] = [];
    for (let i = low; i < events.size && found.length < count; i++) found.push(events.at(i));
    return { events: found, last: found.at(-1)?.position ?? after, more: low + found.length < events.size, floor: log.trimmedThrough };
  };

  const deliver = (topic: string, event: EventEnvelope) => {
    const set = listeners.get(topic);
    if (set) for (const listener of set) listener(event);
  };

  // Sizes are checked by sealAll (the same rule as Redis mode) before any event is appended.
  const append = ({ sealed, time }: SealedEvent, now: number): EventEnvelope => {
    let log = logs.get(sealed.topic);
    if (!log) logs.set(sealed.topic, (log = { topic: sealed.topic, events: new Fifo<EventEnvelope>(), sequence: 0, trimmedThrough: 0 }));
    // Retained events share their log's topic string rather than each keeping its own copy.
    const { topic } = log;
    const sequence = ++log.sequence;
    position += 1;
    const event = envelopeOf(sealed.id, topic, sealed, sequence, position, time);
    log.events.push(event);
    order.push(event);
    orderTimes.push(time);
    const kept = retentionOf(topic);
    if (log.events.size > kept.count) dropFirst(log);
    // A topic that keeps its events a shorter time than the rest drops its own old ones.
    if (kept.seconds < retention.seconds) {
      const cutoff = new Date(now - kept.seconds * 1000).toISOString();
      while (log.events.size > 0 && log.events.at(0).timestamp < cutoff) dropFirst(log);
    }
    // Whole-log bounds: total size, then age (the front is the oldest event overall).
    const oldest = now - retention.seconds * 1000;
    while (order.size > maxTotal) dropOldest();
    while (orderTimes.size > 0 && orderTimes.at(0) < oldest) dropOldest();
    deliver(topic, event);
    const family = familyOf(topic);
    if (family) deliver(Topics.wildcard(family), event);
    return event;
  };

  return {
    async publish(draft) {
      return append(sealAll([draft])[0]!, Date.now());
    },
    async publishAll(drafts) {
      const now = Date.now();
      return sealAll(drafts).map((sealed) => append(sealed, now));
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
      if (from && outlivedRetentionOfAny(from, topics, retention, retentionOf)) return { ok: false, reason: 'expired' };
      return mergeTopics(expand(topics, logs.keys()), from, limit, async (requests) => requests.map(page));
    },
    head: async () => position,
    listeners: async (topics) => topics.map((topic) => listeners.get(topic)?.size ?? 0),
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
