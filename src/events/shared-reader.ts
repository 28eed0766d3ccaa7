import type { EventBus, LogRead, ReadFrom } from './bus.js';
import type { EventEnvelope } from './envelope.js';

/**
 * One reader of the log for many readers of the same topics that keep up
 * with it (push workers: one per registration, most of them at the head).
 * Each asked the log itself: with 50 endpoints, every event cost 50 reads of
 * Redis. Here the log is read once per burst for all of them, into a window
 * of the newest events, and each reader's page is cut from the window.
 *
 * A read is served from the window only when the window holds everything the
 * log would answer: the cursor lies inside it and is recent. A reader behind
 * the window, starting without a cursor, or on an old cursor (which the log
 * may call expired) reads the log itself, as before. Every read made after
 * an event was published sees it: a read waits for a refresh of the window
 * that started after the read was asked for (readers asking together share
 * one).
 */
export type SharedLogReader = {
  /** A reader of these topics; readers of the same topics share one window. */
  open(topics: readonly string[]): TopicsReader;
};

export type TopicsReader = {
  /** As EventBus.read for the reader's topics. */
  read(from: ReadFrom | null, limit: number): Promise<LogRead>;
  close(): void;
};

export type SharedReaderOptions = {
  /** Events the window keeps at most; past it the oldest leave, and readers behind them read the log. */
  readonly capacity?: number;
  /** A cursor older than this (ms since its event was published) is read from the log, which judges its retention. */
  readonly maxCursorAgeMs?: number;
};

const PAGE = 500;

type Window = {
  readonly topics: readonly string[];
  users: number;
  /** Events of the topics in (start, end], oldest first; start is -1 until the first refresh. */
  events: EventEnvelope[];
  start: number;
  end: number;
  running: Promise<void> | undefined;
  queued: Promise<void> | undefined;
};

export function createSharedLogReader(bus: EventBus, options: SharedReaderOptions = {}): SharedLogReader {
  const capacity = options.capacity ?? 10_000;
  const maxCursorAgeMs = options.maxCursorAgeMs ?? 60_000;
  const windows = new Map<string, Window>();

  async function pull(w: Window): Promise<void> {
    if (w.start < 0) {
      // Everything up to the head is behind the window: readers there read the log themselves.
      w.start = w.end = await bus.head();
      return;
    }
    for (;;) {
      const page = await bus.read(w.topics, { position: w.end, time: Date.now() }, PAGE);
      if (!page.ok) {
        // The log moved on past the window (retention): start a new one at the head.
        w.events = [];
        w.start = w.end = -1;
        return pull(w);
      }
      for (const event of page.events) w.events.push(event);
      const last = page.events.at(-1);
      if (last) w.end = last.position;
      if (!page.hasMore) break;
    }
    if (w.events.length > capacity) {
      const dropped = w.events.length - capacity;
      w.start = w.events[dropped - 1]!.position;
      w.events = w.events.slice(dropped);
    }
  }

  /** Resolves after a refresh that started after this call. */
  function refresh(w: Window): Promise<void> {
    if (!w.running) {
      const run = pull(w).finally(() => {
        if (w.running === run) w.running = undefined;
      });
      w.running = run;
      return run;
    }
    w.queued ??= w.running
      .catch(() => {})
      .then(() => {
        w.queued = undefined;
        return refresh(w);
      });
    return w.queued;
  }

  return {
    open(topics) {
      const key = [...new Set(topics)].sort().join('\n');
      let w = windows.get(key);
      if (!w) windows.set(key, (w = { topics: [...topics], users: 0, events: [], start: -1, end: -1, running: undefined, queued: undefined }));
      const window = w;
      window.users++;
      let closed = false;
      return {
        async read(from, limit) {
          if (from === null || Date.now() - from.time > maxCursorAgeMs) return bus.read(window.topics, from, limit);
          await refresh(window);
          if (window.start < 0 || from.position < window.start) return bus.read(window.topics, from, limit);
          const events = window.events;
          // The first event after the cursor.
          let lo = 0;
          let hi = events.length;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (events[mid]!.position <= from.position) lo = mid + 1;
            else hi = mid;
          }
          const page = events.slice(lo, lo + limit);
          return { ok: true, events: page, hasMore: lo + limit < events.length };
        },
        close() {
          if (closed) return;
          closed = true;
          if (--window.users === 0 && windows.get(key) === window) windows.delete(key);
        },
      };
    },
  };
}
