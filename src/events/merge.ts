import { afterIn, type LogRead, type ReadFrom } from './bus.js';
import type { EventEnvelope } from './envelope.js';

/** Up to `count` events of one topic's log after position `after`. */
export type PageRequest = { readonly topic: string; readonly after: number; readonly count: number };

export type Page = {
  /** The events, oldest first (entries that could not be decoded are left out). */
  readonly events: readonly EventEnvelope[];
  /** The position of the last entry read (decoded or not), or the request's `after` when none was. */
  readonly last: number;
  /** Whether the log may hold more after `last`: false once a page came back short. */
  readonly more: boolean;
  /** The highest position the topic's log dropped (retention); 0 when none. */
  readonly floor: number;
};

/** Reads one page of each topic asked, in one round trip where the backend allows. */
export type ReadPages = (requests: readonly PageRequest[]) => Promise<Page[]>;

/** What a read of several topics costs at least per topic: one entry to know its head, one to spare. */
const MIN_FIRST_PAGE = 2;

type Source = {
  readonly topic: string;
  buffer: readonly EventEnvelope[];
  index: number;
  /** Position to read after next time. */
  last: number;
  more: boolean;
  /** The size of the page last read. */
  pageSize: number;
};

/**
 * Reads `limit` events of several topics after a position (each topic after
 * its own where `from` names one), in position order,
 * at a cost of about `limit` entries however many topics there are: a k-way
 * merge by position over each topic's log, read a small page at a time. The
 * first page of every topic is read at once (about `limit / topics` entries
 * each); after that only a topic whose page ran out before `limit` events
 * were taken is read again, with a page twice as large as its last (at most
 * what is still needed), since its next event may come before every other
 * topic's. From a cursor (`from` given), a topic whose log dropped events
 * after the position (or after what was read of it) makes the read expired,
 * as a cursor's must; without one the read starts at the oldest retained.
 */
export async function mergeTopics(topics: readonly string[], from: ReadFrom | null, limit: number, readPages: ReadPages): Promise<LogRead> {
  if (topics.length === 0) return { ok: true, events: [], hasMore: false };
  const strict = from !== null;
  const first = Math.min(limit + 1, Math.max(MIN_FIRST_PAGE, Math.ceil((limit + 1) / topics.length)));
  const sources: Source[] = topics.map((topic) => ({ topic, buffer: [], index: 0, last: from ? afterIn(from, topic) : 0, more: true, pageSize: 0 }));

  /** Reads the next page of each source given; false when the read showed events dropped under a strict reader. */
  const refill = async (needy: readonly Source[], sizeOf: (s: Source) => number): Promise<boolean> => {
    const pages = await readPages(needy.map((s) => ({ topic: s.topic, after: s.last, count: (s.pageSize = sizeOf(s)) })));
    for (let i = 0; i < needy.length; i++) {
      const source = needy[i]!;
      const page = pages[i]!;
      if (strict && page.floor > source.last) return false;
      source.buffer = page.events;
      source.index = 0;
      source.last = page.last;
      source.more = page.more;
    }
    return true;
  };

  if (!(await refill(sources, () => first))) return { ok: false, reason: 'expired' };
  const heap = new SourceHeap();
  const taken: EventEnvelope[] = [];
  /** Sources whose page ran out: read on (if they may have more) before taking anything else. */
  const waiting: Source[] = [];
  for (const s of sources) {
    if (s.buffer.length > 0) heap.push(s);
    else if (s.more) waiting.push(s); // a page of entries that could not be decoded
  }

  while (taken.length < limit) {
    // A topic whose page ran out may hold the next event: read on before taking any other.
    const needy = waiting.splice(0).filter((s) => s.more);
    if (needy.length > 0) {
      const wanted = limit - taken.length + 1;
      if (!(await refill(needy, (s) => Math.min(wanted, s.pageSize * 2)))) return { ok: false, reason: 'expired' };
      for (const s of needy) {
        if (s.buffer.length > 0) heap.push(s);
        else if (s.more) waiting.push(s); // only undecodable entries: read on
      }
      continue;
    }
    const source = heap.pop();
    if (!source) break;
    taken.push(source.buffer[source.index++]!);
    if (source.index < source.buffer.length) heap.push(source);
    else waiting.push(source);
  }

  // More when a topic has events read but not taken, or one whose page ran out may have more: ask those for one.
  let hasMore = heap.size > 0;
  const unknown = waiting.filter((s) => s.more);
  if (!hasMore && unknown.length > 0) {
    if (!(await refill(unknown, () => 1))) return { ok: false, reason: 'expired' };
    hasMore = unknown.some((s) => s.buffer.length > 0 || s.more);
  }
  return { ok: true, events: taken, hasMore };
}

/** Sources by the position of their next event, lowest first. */
class SourceHeap {
  readonly #items: Source[] = [];

  get size() {
    return this.#items.length;
  }

  #key = (i: number) => this.#items[i]!.buffer[this.#items[i]!.index]!.position;

  push(source: Source) {
    const items = this.#items;
    items.push(source);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#key(parent) <= this.#key(i)) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  pop(): Source | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && this.#key(l) < this.#key(smallest)) smallest = l;
        if (r < items.length && this.#key(r) < this.#key(smallest)) smallest = r;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i]!, items[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
