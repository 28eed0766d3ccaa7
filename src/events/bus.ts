import type { CursorPoint } from './cursor.js';
import type { EventDraft, EventEnvelope } from './envelope.js';

export type EventListener = (event: EventEnvelope) => void;

/** Events of some topics after a position, oldest first. */
export type LogRead =
  | { readonly ok: true; readonly events: EventEnvelope[]; readonly hasMore: boolean }
  /** Events after the position were dropped by retention: the reader must start over. */
  | { readonly ok: false; readonly reason: 'expired' };

/**
 * Publishes events, keeps a log of them, and delivers them to listeners of
 * their topic. Publishing assigns `id`, `timestamp`, `sequence`, `position`
 * and `cursor`, appends to the log and delivers in one step, so every
 * instance sees events in log order, and the log holds what was delivered.
 *
 * Subscribing is per topic (or family wildcard such as `repo:*`); callers are
 * expected to share one bus subscription per topic (see hub.ts).
 */
export interface EventBus {
  publish(draft: EventDraft): Promise<EventEnvelope>;
  /**
   * Publishes events made together (one deployment's events for many
   * gateways) as `publish` would one after another, in one step: all of them
   * or, when one is too large or the backend fails, none.
   */
  publishAll(drafts: readonly EventDraft[]): Promise<EventEnvelope[]>;
  /**
   * Present where the backend can store a record in the step that publishes
   * its event (Redis): `publish`, with `record` stored first, both or neither.
   * A store that offers records (TaskStore.recordOf) is then spared a round
   * trip of its own, and whoever hears of the event finds the record.
   */
  publishWithRecord?(draft: EventDraft, record: RecordWrite): Promise<EventEnvelope>;
  /** Resolves once the subscription is live; the returned function ends it. */
  subscribe(topic: string, listener: EventListener): Promise<() => void>;
  /**
   * Present where live delivery can miss events (Redis: pub/sub drops what is
   * published while the subscriber connection is down). Calls the handler
   * each time it may have, before any event that arrives afterwards; the log
   * still holds what was missed. Absent where live delivery misses nothing
   * (embedded mode).
   */
  onLiveGap?(handler: (gap: LiveGap) => void): void;
  /**
   * False where a family wildcard's live events of one topic can arrive out
   * of sequence order (on a Redis Cluster they travel apart from the topic's
   * own, each publisher sending its own); the hub then checks the log before
   * the first event a wildcard hears of a topic. True or absent elsewhere.
   */
  readonly wildcardsInOrder?: boolean;
  /**
   * False where events of different topics can reach a reader out of
   * position order (on a Redis Cluster a publish takes its position before
   * its topic's shard appends it): one position then cannot say how far a
   * reader of several topics got, and its cursors name a position per topic
   * (read-point.ts). True or absent elsewhere.
   */
  readonly positionsInOrder?: boolean;
  /**
   * Reads retained events of the topics (a family wildcard reads every topic
   * of the family) after `after`, or from the oldest retained one when `after`
   * is null, up to `limit`, in position order.
   */
  read(topics: readonly string[], after: ReadFrom | null, limit: number): Promise<LogRead>;
  /** The position of the newest event published so far (0 when none). */
  head(): Promise<number>;
  /**
   * Present where the log can lose everything (a Redis that restarts empty):
   * true once after that happened, when numbering has started again and
   * positions seen before mean nothing in the new log.
   */
  lostLog?(): Promise<boolean>;
  /**
   * How many subscribers each topic has right now, as the backend sees them:
   * in Redis the instances subscribed to its channel (a wildcard's pattern
   * subscription is not counted), in embedded mode this instance's listeners.
   * An instance that dies stops counting at once (Redis drops its connection).
   */
  listeners(topics: readonly string[]): Promise<number[]>;
  /** False while the backend cannot be reached. */
  isReady(): boolean;
  close(): Promise<void>;
}

/**
 * A record stored with an event (a task its event announces): `key` set to
 * `value`, and `member` added to the sorted set `index` at score 0. The keys
 * are the store's own, prefix included; on a Redis Cluster `key` and `index`
 * share a hash slot.
 */
export type RecordWrite = { readonly key: string; readonly value: string; readonly index: string; readonly member: string };

/**
 * Live events published since `since` (epoch ms) may have been missed.
 * `resumed` resolves once subscriptions deliver again, or rejects when they
 * could not be made again (another gap follows).
 */
export type LiveGap = { readonly since: number; readonly resumed: Promise<void> };

export type Retention = { readonly count: number; readonly seconds: number };

/**
 * Where a read starts: after `position`, except for the topics `topics`
 * names, each after its own position there (see read-point.ts); `time` is
 * when the newest event read so far was published (for retention).
 */
export type ReadFrom = CursorPoint;

/** The position a read of the topic starts after. */
export function afterIn(from: ReadFrom, topic: string): number {
  const own = from.topics;
  return own !== undefined && Object.hasOwn(own, topic) ? own[topic]! : from.position;
}

/** How long a topic's events are kept; a channel may keep its own. */
export type RetentionOf = (topic: string) => Retention;

/** A cursor older than retention may have lost events after it, whatever the topic. */
export const outlivedRetention = (from: ReadFrom, retention: Retention, now = Date.now()) => from.time < now - retention.seconds * 1000;

/** Whether a read of these topics from the cursor may have lost events to any topic's retention time. */
export function outlivedRetentionOfAny(from: ReadFrom, topics: readonly string[], retention: Retention, retentionOf: RetentionOf, now = Date.now()): boolean {
  if (outlivedRetention(from, retention, now)) return true;
  for (const topic of topics) if (!topic.endsWith(':*') && outlivedRetention(from, retentionOf(topic), now)) return true;
  return false;
}
