import { HeraldError } from '../errors.js';
import type { Logger } from '../log.js';
import type { EventBus, LiveGap } from './bus.js';
import type { EventEnvelope } from './envelope.js';
import type { EventStream } from './stream.js';
import { isLocalTopic } from './topics.js';

/** Events remembered per topic, to find the last one a failover left in the log (asynchronous replication). */
const RECENT = 16;
const RECENT_MASK = RECENT - 1;

/**
 * The last events handed on of one topic, by sequence (`sequence &
 * RECENT_MASK`): what a failover that lost them from the log is told apart
 * by (see mend). Only what that needs is kept (id, sequence, position, and
 * the newest one's publish time), not the events: an instance follows many
 * topics.
 */
export class Recent {
  readonly #ids = new Array<string | undefined>(RECENT);
  readonly #sequences = new Float64Array(RECENT);
  readonly #positions = new Float64Array(RECENT);
  /** When the last event remembered was published (its envelope's timestamp). */
  timestamp = '';

  remember(event: EventEnvelope): void {
    const slot = event.sequence & RECENT_MASK;
    this.#ids[slot] = event.id;
    this.#sequences[slot] = event.sequence;
    this.#positions[slot] = event.position;
    this.timestamp = event.timestamp;
  }

  /** The id of the remembered event with this sequence; undefined when it is not remembered. */
  idOf(sequence: number): string | undefined {
    const slot = sequence & RECENT_MASK;
    return this.#sequences[slot] === sequence ? this.#ids[slot] : undefined;
  }

  /** The position of the remembered event with this sequence (see idOf). */
  positionOf(sequence: number): number {
    return this.#positions[sequence & RECENT_MASK]!;
  }
}

/** What gap tracking remembers of one topic: its last sequence handed on (0 while unknown) and its recent events. */
type Track = { sequence: number; readonly recent: Recent | undefined };

/**
 * What the hub keeps per bus subscription. The last four fields are for gap
 * tracking, on buses that can miss live events (`EventBus.onLiveGap`).
 */
export type HubTopic = {
  readonly name: string;
  readonly streams: Set<EventStream>;
  live: Promise<void>;
  unsubscribe: (() => void) | undefined;
  /** Sequence of the last event handed on (a single topic); 0 while unknown. */
  sequence: number;
  /** The last events handed on (a single topic, where gaps are tracked). */
  readonly recent: Recent | undefined;
  /**
   * Position of the last event handed on, or the bus head once the
   * subscription was live, whichever is later: live streams have everything
   * up to here. -1 until known.
   */
  position: number;
  /** A family wildcard (`repo:*`): the last events handed on per topic of the family. */
  readonly sequences: Map<string, Track> | undefined;
};

/**
 * Gap tracking for the hub: live delivery with no silent hole.
 *
 * Redis pub/sub drops what is published while an instance's subscriber
 * connection is down. The bus says when that happened (`onLiveGap`); a
 * sequence that skips a number says so too. Either way the hub then holds
 * the live events that arrive, reads what its topics missed from the log (up
 * to the head it read once the subscriptions were back), hands that to the
 * streams in position order, and then the held events it had not already
 * handed on. Each topic is read once per instance, whatever the number of
 * streams on it. A topic whose missed events the log no longer holds has its
 * streams ended with CURSOR_EXPIRED. A failover can also take from the log
 * the newest events, delivered live already, and number new ones as them:
 * each gap checks the last events handed on against the log (see mend).
 * With no gap, an event costs one compare of its sequence, and is
 * remembered among its topic's recent ones.
 */
export type Gaps = {
  /** Hands a live event to its topic's streams, or holds it while a gap is being filled. */
  receive(topic: HubTopic, event: EventEnvelope): void;
  /** The bus head when a topic's subscription became live: its streams are owed what comes after. */
  baseline(topic: HubTopic, head: number): void;
  /** True while a gap is being filled. */
  filling(): boolean;
  /** Resolves once no gap is being filled. */
  settled(): Promise<void>;
  close(): void;
};

/** Events read from the log per topic and request while filling. */
const PAGE = 500;
/** Live events held while filling; past it they are dropped and read from the log too. */
const MAX_HELD = 10_000;
/** Topics of a family whose last sequence a wildcard remembers; past it the oldest is forgotten (and not checked). */
const MAX_FAMILY_TOPICS = 10_000;
/** How long one read of the log may take before it is tried again. */
const READ_TIMEOUT_MS = 5_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;
/**
 * A topic whose last event handed on was published this long before a gap
 * is not checked against the log: a failover loses only what was published
 * in the moments before it (publishers' clocks may differ by some seconds).
 */
const QUIET_MS = 60_000;

export const missedEventsExpired = () =>
  new HeraldError(
    'CURSOR_EXPIRED',
    'Events published while this server was cut off from Redis are no longer retained: fetch the current state and subscribe again',
  );

type Held = { readonly topic: HubTopic; readonly event: EventEnvelope };

type Fill = {
  /** Events published from here on (epoch ms) may be missing. */
  since: number;
  held: Held[];
  overflowed: boolean;
  filled: number;
  readonly expired: Set<string>;
  reset: boolean;
  /** Some topic went back to the last event its log kept (see mend). */
  rewound: boolean;
  /** The held event that asked for another round, so that it cannot ask twice. */
  blocked: EventEnvelope | undefined;
  readonly done: Promise<void>;
  readonly resolve: () => void;
};

/** One topic's events read from the log, merged with the other topics' by position. */
type Source = { readonly topic: HubTopic; after: number; page: EventEnvelope[]; index: number; more: boolean };

class Stale extends Error {}

export function trackGaps(bus: EventBus & Required<Pick<EventBus, 'onLiveGap'>>, topics: ReadonlyMap<string, HubTopic>, log: Logger | undefined): Gaps {
  let fill: Fill | undefined;
  /** Bumped by every gap and by close: a fill that finds it changed stops, the newer one goes on. */
  let generation = 0;
  let closed = false;

  const follows = (topic: HubTopic, event: EventEnvelope): boolean => {
    const sequences = topic.sequences;
    if (sequences === undefined) return topic.sequence === 0 || event.sequence === topic.sequence + 1;
    const last = sequences.get(event.topic);
    return last === undefined || event.sequence === last.sequence + 1;
  };

  /** Handed on already: the topic's numbering was there or past it. */
  const behind = (topic: HubTopic, event: EventEnvelope): boolean => {
    const last = topic.sequences === undefined ? topic.sequence : (topic.sequences.get(event.topic)?.sequence ?? 0);
    return event.sequence <= last;
  };

  // Where a wildcard's events of one topic can overtake each other on the way (bus.wildcardsInOrder),
  // the first one a wildcard hears of a topic may have overtaken earlier ones: the log says.
  const wildcardsOutOfOrder = bus.wildcardsInOrder === false;
  const firstOfFamilyTopic = (topic: HubTopic, event: EventEnvelope) => topic.sequences !== undefined && !topic.sequences.has(event.topic);

  const handOn = (topic: HubTopic, event: EventEnvelope): void => {
    const sequences = topic.sequences;
    if (sequences === undefined) {
      topic.sequence = event.sequence;
      topic.recent?.remember(event);
    } else {
      let track = sequences.get(event.topic);
      if (track === undefined) {
        if (sequences.size >= MAX_FAMILY_TOPICS) sequences.delete(sequences.keys().next().value!);
        sequences.set(event.topic, (track = { sequence: 0, recent: new Recent() }));
      }
      track.sequence = event.sequence;
      track.recent!.remember(event);
    }
    topic.position = event.position;
    for (const stream of topic.streams) stream.push(event);
  };

  const hold = (f: Fill, topic: HubTopic, event: EventEnvelope): void => {
    if (f.overflowed) return;
    if (f.held.length >= MAX_HELD) {
      // Everything held is in the log: the fill reads up to a newer head instead.
      f.overflowed = true;
      f.held = [];
      return;
    }
    f.held.push({ topic, event });
  };

  const current = (topic: HubTopic) => topics.get(topic.name) === topic;

  /** Ends the streams of a topic whose missed events the log no longer holds; the topic starts over at `head`. */
  const expire = (f: Fill, topic: HubTopic, head: number): void => {
    f.expired.add(topic.name);
    topic.sequence = 0;
    topic.sequences?.clear();
    topic.position = Math.max(topic.position, head);
    const error = missedEventsExpired();
    for (const stream of [...topic.streams]) stream.fail(error);
  };

  const begin = (since: number, resumed: Promise<void> | undefined): void => {
    generation++;
    if (fill) {
      // Whatever was held came before this gap and is in the log: the new fill reads it.
      fill.held = [];
      fill.overflowed = false;
      fill.since = Math.min(fill.since, since);
    } else {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      fill = { since, held: [], overflowed: false, filled: 0, expired: new Set(), reset: false, rewound: false, blocked: undefined, done, resolve };
    }
    void run(generation, fill, resumed);
  };

  async function run(gen: number, f: Fill, resumed: Promise<void> | undefined): Promise<void> {
    if (resumed) {
      try {
        await resumed;
      } catch {
        return; // the subscriptions could not be made again: the gap that follows starts over
      }
    }
    let wait = RETRY_MIN_MS;
    let warned = false;
    for (;;) {
      if (gen !== generation) return;
      try {
        if (await round(gen, f)) return;
        wait = RETRY_MIN_MS;
      } catch (err) {
        if (err instanceof Stale || gen !== generation) return;
        if (!warned) log?.warn({ component: 'events', err: (err as Error).message }, 'filling a gap in live delivery waits for redis; live events are held meanwhile');
        warned = true;
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, RETRY_MAX_MS);
      }
    }
  }

  /** The numbering went back: Redis came back without its data. What its new log holds came after the gap. */
  const restart = (f: Fill, topic: HubTopic): void => {
    f.reset = true;
    topic.position = 0;
    topic.sequence = 0;
    topic.sequences?.clear();
  };

  /**
   * Checks that the log still holds the last event handed on of each topic
   * the hub topic follows. A failover onto a replica that had not copied
   * them loses a shard's newest events, which were delivered live already,
   * and its log and sequences go on from the last one it kept: new events get
   * the sequences of the lost ones (positions go on past theirs: see
   * TAKE_POSITIONS in bus.redis.ts). The topic then goes on from the last
   * event it handed on that the log kept, found among its recent events by
   * id, or, when the failover took all of those, from just before the first
   * event published after it, so that the new events are handed on and no
   * kept one twice. A log that holds none of it (gone past its retention)
   * ends the streams (CURSOR_EXPIRED); past the head it starts again, as
   * after Redis came back empty.
   */
  async function mend(gen: number, f: Fill, topic: HubTopic, head: number): Promise<void> {
    const tracks: Array<[string, Track]> = topic.sequences === undefined ? [[topic.name, topic]] : [...topic.sequences];
    const outcomes = await Promise.all(tracks.map(([name, track]) => kept(name, track, f.since)));
    if (gen !== generation) throw new Stale();
    for (const [i, [, track]] of tracks.entries()) {
      const outcome = outcomes[i]!;
      if (outcome === 'intact' || !current(topic)) continue;
      if (outcome === 'gone' || outcome === 'unknown') {
        if (topic.position > head) restart(f, topic);
        // A log gone altogether outlived its retention time: new events are numbered on from the last.
        else if (outcome === 'unknown') expire(f, topic, head);
        else continue;
        return;
      }
      if (!f.rewound) log?.warn({ component: 'events', topic: topic.name }, 'the log lost events it had handed on live (a failover onto a replica that had not copied them): delivery goes on from the last one it kept');
      f.rewound = true;
      track.sequence = outcome.sequence;
      topic.position = topic.sequences === undefined ? outcome.position : Math.min(topic.position, outcome.position);
    }
  }

  /**
   * Whether the log holds the track's last event handed on ('intact'), else
   * where to go on from: the last of its recent events it holds, or just
   * before the first event published after the failover when it holds none
   * of them. 'gone' when it holds nothing from there on; 'unknown' when what
   * it holds cannot be told apart.
   */
  async function kept(name: string, track: Track, since: number): Promise<'intact' | 'gone' | 'unknown' | Pick<EventEnvelope, 'sequence' | 'position'>> {
    const last = track.sequence;
    const recent = track.recent;
    if (last === 0 || recent?.idOf(last) === undefined) return 'intact';
    // What a failover loses was published in the moments before it; a topic quiet since well before the gap lost nothing.
    if (Date.parse(recent.timestamp) < since - QUIET_MS) return 'intact';
    // The recent events handed on, oldest first: one run of sequences up to the last.
    let oldest = last;
    for (let s = last - 1; s > last - RECENT && s > 0 && recent.idOf(s) !== undefined; s--) oldest = s;
    const read = await timed(bus.read([name], { position: recent.positionOf(oldest) - 1, time: since }, RECENT));
    if (!read.ok) return 'unknown';
    if (read.events.length === 0) return 'gone';
    let found: EventEnvelope | undefined;
    for (const event of read.events) {
      if (event.sequence > last || recent.idOf(event.sequence) !== event.id) break;
      found = event;
    }
    if (found !== undefined) return found.sequence === last ? 'intact' : found;
    // None of them is kept. Positions never go back (see TAKE_POSITIONS in bus.redis.ts), so what the log
    // holds from the oldest one's position on was published after the failover, numbered from the last
    // event it kept: every event before the first of them was handed on already.
    const [first] = read.events;
    if (first!.sequence <= oldest) return { sequence: first!.sequence - 1, position: first!.position - 1 };
    return 'unknown';
  }

  /** One pass: fill every topic up to the head, then hand on the held events. True when the gap is closed. */
  async function round(gen: number, f: Fill): Promise<boolean> {
    // Subscriptions being made finish first, so that each one either has its starting point or started after the gap.
    await Promise.allSettled([...topics.values()].map((t) => t.live));
    const [head, lost] = await Promise.all([timed(bus.head()), bus.lostLog ? timed(bus.lostLog()) : false]);
    if (gen !== generation) throw new Stale();
    const targets = [...topics.values()].filter((t) => t.position >= 0);
    // Redis came back empty: its new log numbers sequences from 1 again, below those seen in the old one, so only the epoch says.
    if (lost) for (const t of targets) restart(f, t);
    else {
      await Promise.all(targets.map((t) => mend(gen, f, t, head)));
      if (gen !== generation) throw new Stale();
    }

    const load = async (source: Source): Promise<void> => {
      const read = await timed(bus.read([source.topic.name], { position: source.after, time: f.since }, PAGE));
      if (gen !== generation) throw new Stale();
      source.index = 0;
      if (!read.ok) {
        source.page = [];
        source.more = false;
        if (current(source.topic)) expire(f, source.topic, head);
        return;
      }
      source.page = read.events;
      source.more = read.hasMore;
    };
    const sources: Source[] = targets.map((topic) => ({ topic, after: topic.position, page: [], index: 0, more: true }));
    await Promise.all(sources.map(load));

    // Merged by position, so that a stream over several topics gets them in publish order.
    for (;;) {
      let next: Source | undefined;
      for (const s of sources) {
        if (s.index < s.page.length && (!next || s.page[s.index]!.position < next.page[next.index]!.position)) next = s;
      }
      if (!next) break;
      const event = next.page[next.index++]!;
      next.after = event.position;
      if (event.position > head || !current(next.topic)) {
        next.page = []; // what comes after the head arrives live
        next.more = false;
        continue;
      }
      if (event.position > next.topic.position && !behind(next.topic, event)) {
        if (follows(next.topic, event)) {
          handOn(next.topic, event);
          f.filled++;
        } else {
          // The log lacks events between the last one handed on and this one.
          expire(f, next.topic, head);
          next.page = [];
          next.more = false;
          continue;
        }
      }
      if (next.index >= next.page.length && next.more) await load(next);
    }

    if (f.overflowed) {
      f.overflowed = false;
      return false;
    }
    const held = f.held;
    f.held = [];
    for (let i = 0; i < held.length; i++) {
      const { topic, event } = held[i]!;
      if (!current(topic) || event.position <= topic.position || behind(topic, event)) continue;
      if (!follows(topic, event)) {
        if (event.position <= head || f.blocked === event) {
          // The log was read past this event (up to the head, or in the round it asked for) and lacks what comes before it.
          expire(f, topic, head);
          continue;
        }
        // Lost again since the head was read: fill up to a newer one, then go on from here.
        f.blocked = event;
        f.held = held.slice(i);
        return false;
      }
      handOn(topic, event);
    }
    finish(f);
    return true;
  }

  function finish(f: Fill): void {
    fill = undefined;
    f.resolve();
    if (f.reset) log?.warn({ component: 'events' }, 'redis came back without its data: sequences and positions start again; live subscriptions go on from its new log');
    log?.info({ component: 'events', events: f.filled, expired: [...f.expired] }, 'filled a gap in live delivery from the log');
    if (f.expired.size > 0) {
      log?.warn({ component: 'events', topics: [...f.expired] }, 'ended live subscriptions whose missed events are no longer in the log (CURSOR_EXPIRED)');
    }
  }

  bus.onLiveGap((gap: LiveGap) => {
    if (closed || ![...topics.values()].some((t) => !isLocalTopic(t.name))) return;
    begin(gap.since, gap.resumed);
  });

  return {
    receive(topic, event) {
      if (fill) return hold(fill, topic, event);
      if (follows(topic, event) && !(wildcardsOutOfOrder && firstOfFamilyTopic(topic, event) && event.sequence > 1)) return handOn(topic, event);
      // Handed on already (pub/sub repeated it).
      if (event.position <= topic.position) return;
      // A sequence skipped a number: something was lost on the way.
      begin(Date.now(), undefined);
      hold(fill!, topic, event);
    },
    baseline(topic, head) {
      topic.position = Math.max(topic.position, head);
    },
    filling: () => fill !== undefined,
    async settled() {
      while (fill) await fill.done;
    },
    close() {
      closed = true;
      generation++;
      const f = fill;
      fill = undefined;
      f?.resolve();
    },
  };
}

/** A read that neither answers nor fails (a connection gone quiet) is tried again rather than waited on. */
function timed<T>(operation: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS);
  });
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
}
