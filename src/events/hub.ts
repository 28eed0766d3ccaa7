import type { EventBus } from './bus.js';
import type { EventEnvelope } from './envelope.js';
import { EventStream, type OverflowPolicy } from './stream.js';

/**
 * Local fan-out. However many streams listen to a topic on this instance, the
 * bus carries one subscription for it, made when the first stream arrives and
 * dropped when the last one leaves. Each event is handed to every stream of
 * its topic as the same object, so decoding happens once per instance.
 */
export type Hub = {
  /** Opens a stream over the given topics; resolves once every topic is live on the bus. */
  open(topics: readonly string[], options: StreamOptions): Promise<EventStream>;
  /**
   * Hands an event to this instance's streams of a local topic (`local:...`),
   * which never travels on the bus.
   */
  inject(topic: string, event: EventEnvelope): void;
  /** Number of open streams. */
  streamCount(): number;
  /** Whether a stream on this instance follows the topic. */
  follows(topic: string): boolean;
  /** How many streams of this instance listen to each topic that starts with `prefix` (named, not through a wildcard). */
  listeners(prefix: string): Map<string, number>;
  /** Ends every stream (each completes normally) and drops all bus subscriptions. */
  close(): Promise<void>;
};

export type StreamOptions = {
  /** Events a stream may hold for a consumer that is not reading; past it the stream overflows. */
  readonly maxQueued: number;
  /** Called once when the stream overflows, with the events it dropped; the stream has then ended. */
  readonly onOverflow: (dropped: readonly EventEnvelope[]) => void;
  /** Keeps only the events it returns true for. */
  readonly accept?: ((event: EventEnvelope) => boolean) | undefined;
  /** What a full queue does (default `end`). */
  readonly overflow?: OverflowPolicy | undefined;
};

type Topic = {
  readonly streams: Set<EventStream>;
  readonly live: Promise<void>;
  unsubscribe: (() => void) | undefined;
};

export const localTopic = (name: string) => `local:${name}`;
const isLocal = (topic: string) => topic.startsWith('local:');

export function createHub(bus: EventBus): Hub {
  const topics = new Map<string, Topic>();
  const streams = new Set<EventStream>();

  const join = (name: string, stream: EventStream): Topic => {
    let topic = topics.get(name);
    if (!topic) {
      const created: Topic = {
        streams: new Set(),
        unsubscribe: undefined,
        live: isLocal(name)
          ? Promise.resolve()
          : bus
          .subscribe(name, (event: EventEnvelope) => {
            for (const s of created.streams) s.push(event);
          })
          .then(
            (unsubscribe) => {
              if (created.streams.size === 0 && topics.get(name) !== created) unsubscribe();
              else created.unsubscribe = unsubscribe;
            },
            (err: unknown) => {
              if (topics.get(name) === created) topics.delete(name);
              throw err;
            },
          ),
      };
      topics.set(name, (topic = created));
    }
    topic.streams.add(stream);
    return topic;
  };

  const leave = (name: string, stream: EventStream) => {
    const topic = topics.get(name);
    if (!topic || !topic.streams.delete(stream) || topic.streams.size > 0) return;
    topics.delete(name);
    topic.unsubscribe?.(); // when the bus subscription is still pending, `live` drops it on arrival
  };

  return {
    async open(names, options) {
      const unique = [...new Set(names)];
      const stream: EventStream = new EventStream(
        options.maxQueued,
        options.onOverflow,
        options.accept,
        () => {
          streams.delete(stream);
          for (const name of unique) leave(name, stream);
        },
        options.overflow,
      );
      const joined = unique.map((name) => join(name, stream));
      try {
        await Promise.all(joined.map((t) => t.live));
      } catch (err) {
        stream.end();
        throw err;
      }
      // Counted only once live, so a stream that counts is one that receives what is published next.
      if (!stream.ended) streams.add(stream);
      return stream;
    },
    inject(name, event) {
      if (!isLocal(name)) throw new Error(`not a local topic: ${name}`);
      for (const s of topics.get(name)?.streams ?? []) s.push(event);
    },
    follows: (name) => (topics.get(name)?.streams.size ?? 0) > 0,
    streamCount: () => streams.size,
    listeners(prefix) {
      const counts = new Map<string, number>();
      for (const [name, topic] of topics) if (name.startsWith(prefix) && topic.streams.size > 0) counts.set(name, topic.streams.size);
      return counts;
    },
    async close() {
      for (const stream of [...streams]) stream.end();
      for (const topic of topics.values()) topic.unsubscribe?.();
      topics.clear();
    },
  };
}
