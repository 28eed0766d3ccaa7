import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { EventBus } from './bus.js';
import type { EventEnvelope } from './envelope.js';
import { Recent, trackGaps, type HubTopic } from './gaps.js';
import { ReadPoint, SharedStamp } from './read-point.js';
import { EventStream, type OverflowPolicy } from './stream.js';
import { familyOf, isLocalTopic } from './topics.js';

/**
 * Local fan-out. However many streams listen to a topic on this instance, the
 * bus carries one subscription for it, made when the first stream arrives and
 * dropped when the last one leaves. Each event is handed to every stream of
 * its topic as the same object, so decoding happens once per instance.
 *
 * On a bus that can miss live events (Redis), the hub also closes the gaps
 * (gaps.ts): a stream gets every event of its topics published after it
 * opened, in order and once, or ends with CURSOR_EXPIRED when the log no
 * longer holds what it missed.
 */
export type Hub = {
  /** Opens a stream over the given topics; resolves once every topic is live on the bus. */
  open(topics: readonly string[], options: StreamOptions): Promise<EventStream>;
  /**
   * Hands an event to this instance's streams of a local topic (`local:...`),
   * which never travels on the bus.
   */
  inject(topic: string, event: EventEnvelope): void;
  /** Number of open streams, leaving out the server's own (`internal`). */
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
  /** A stream the server keeps for itself (a push worker's): not a client's subscription, so not counted. */
  readonly internal?: boolean | undefined;
  /**
   * The stream reads several topics (its caller's, not those it only follows
   * for presence): where one position cannot say how far it got
   * (EventBus.positionsInOrder false), each event gets the cursor of what the
   * stream was handed, per topic.
   */
  readonly perTopicCursors?: boolean | undefined;
};

type Topic = HubTopic;

/** A stream of the hub: it keeps its topics, so that one callback can let every stream leave them. */
class HubStream extends EventStream {
  /** Stamps per-topic cursors (see StreamOptions.perTopicCursors). */
  stamps: SharedStamp | undefined;

  constructor(
    readonly topicNames: readonly string[],
    ...rest: ConstructorParameters<typeof EventStream>
  ) {
    super(...rest);
  }

  override push(event: EventEnvelope): void {
    super.push(this.stamps ? this.stamps.stamp(event) : event);
  }
}

const stampKey = (names: readonly string[]) => [...names].sort().join('\n');

const isWildcard = (topic: string) => topic.endsWith(':*') && familyOf(topic) !== undefined;

export function createHub(bus: EventBus, log?: Logger): Hub {
  const topics = new Map<string, Topic>();
  const streams = new Set<EventStream>();
  const internal = new Set<EventStream>();
  /** Stamps of streams with per-topic cursors, by their topics. */
  const stamps = new Map<string, SharedStamp>();
  const gaps = bus.onLiveGap ? trackGaps(bus as EventBus & Required<Pick<EventBus, 'onLiveGap'>>, topics, log) : undefined;

  /** Resolves once the topic's bus subscription is in place (or was dropped because nobody wants it any more). */
  const subscribe = (topic: Topic): Promise<void> => {
    const { name } = topic;
    const listener = gaps
      ? (event: EventEnvelope) => gaps.receive(topic, event)
      : (event: EventEnvelope) => {
          for (const s of topic.streams) s.push(event);
        };
    return bus.subscribe(name, listener).then(
      (unsubscribe) => {
        if (topic.streams.size === 0 && topics.get(name) !== topic) return unsubscribe();
        topic.unsubscribe = unsubscribe;
      },
      (err: unknown) => {
        if (topics.get(name) === topic) topics.delete(name);
        throw err;
      },
    );
  };

  /**
   * Makes the bus subscriptions of topics one open created. Where gaps are
   * tracked, each topic then needs the bus head as its starting point; the
   * head is one number for the whole log, so one read, made once all of
   * them are live, serves them all.
   */
  const goLive = (created: readonly Topic[]): void => {
    const subscribed = created.map(subscribe);
    if (!gaps) {
      created.forEach((topic, i) => (topic.live = subscribed[i]!));
      return;
    }
    // Read after every subscription settled, so that it is a valid starting point for each one that is live.
    let head: Promise<number> | undefined;
    const readHead = () => (head ??= Promise.allSettled(subscribed).then(() => bus.head()));
    created.forEach((topic, i) => {
      topic.live = subscribed[i]!.then(async () => {
        if (topic.unsubscribe === undefined) return; // dropped on arrival: nobody is owed anything
        try {
          // Where live delivery starts: what a later gap is filled from, until events move it on.
          gaps.baseline(topic, await readHead());
        } catch (err) {
          if (topics.get(topic.name) === topic) topics.delete(topic.name);
          topic.unsubscribe();
          throw err;
        }
      });
    });
  };

  /** Adds the stream to the topic, creating the topic (pushed on `created`) when it is new. */
  const join = (name: string, stream: EventStream, created: Topic[]): Topic => {
    let topic = topics.get(name);
    if (!topic) {
      topic = {
        name,
        streams: new Set(),
        unsubscribe: undefined,
        live: Promise.resolve(),
        sequence: 0,
        recent: gaps && !isWildcard(name) ? new Recent() : undefined,
        position: -1,
        sequences: gaps && isWildcard(name) ? new Map() : undefined,
      };
      if (!isLocalTopic(name)) created.push(topic);
      topics.set(name, topic);
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

  /** Every stream's end: one function for all, as each stream knows its topics. */
  const ended = (stream: EventStream) => {
    streams.delete(stream);
    internal.delete(stream);
    const { topicNames, stamps: own } = stream as HubStream;
    for (const name of topicNames) leave(name, stream);
    if (own && --own.users === 0) {
      const key = stampKey(topicNames);
      if (stamps.get(key) === own) stamps.delete(key);
    }
  };

  /**
   * The stamp shared by streams of these topics, made on first use from the
   * bus head: read before the stream joins its topics, so that every event
   * the stream is handed comes after it.
   */
  const stampOf = async (names: readonly string[]): Promise<SharedStamp> => {
    const key = stampKey(names);
    const existing = stamps.get(key);
    if (existing) return existing;
    const head = await bus.head();
    let made = stamps.get(key);
    if (!made) stamps.set(key, (made = new SharedStamp(new ReadPoint({ position: head, time: Date.now() }))));
    return made;
  };

  return {
    async open(names, options) {
      const unique = [...new Set(names)];
      if (gaps?.filling() && unique.some((name) => !isLocalTopic(name))) {
        // A stream starts after the gap is filled, so that it is handed nothing published before it opened.
        if (!bus.isReady()) throw new BackendUnavailableError('the event bus is reconnecting');
        await gaps.settled();
      }
      const stamp = options.perTopicCursors && bus.positionsInOrder === false ? await stampOf(unique) : undefined;
      const stream = new HubStream(unique, options.maxQueued, options.onOverflow, options.accept, ended, options.overflow);
      if (stamp) {
        stamp.users++;
        stream.stamps = stamp;
      }
      const created: Topic[] = [];
      const joined = unique.map((name) => join(name, stream, created));
      goLive(created);
      try {
        await Promise.all(joined.map((t) => t.live));
      } catch (err) {
        stream.end();
        throw err;
      }
      // Counted only once live, so a stream that counts is one that receives what is published next.
      if (!stream.ended) {
        streams.add(stream);
        if (options.internal) internal.add(stream);
      }
      return stream;
    },
    inject(name, event) {
      if (!isLocalTopic(name)) throw new Error(`not a local topic: ${name}`);
      for (const s of topics.get(name)?.streams ?? []) s.push(event);
    },
    follows: (name) => (topics.get(name)?.streams.size ?? 0) > 0,
    streamCount: () => streams.size - internal.size,
    listeners(prefix) {
      const counts = new Map<string, number>();
      for (const [name, topic] of topics) if (name.startsWith(prefix) && topic.streams.size > 0) counts.set(name, topic.streams.size);
      return counts;
    },
    async close() {
      gaps?.close();
      for (const stream of [...streams]) stream.end();
      for (const topic of topics.values()) topic.unsubscribe?.();
      topics.clear();
    },
  };
}
