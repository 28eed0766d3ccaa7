import { BoundedStream } from './bounded-stream.js';
import type { EventEnvelope } from './envelope.js';
import type { Hub } from './hub.js';
import { spansTopics } from './read-point.js';
import type { EventStream } from './stream.js';

/** How events are gathered into frames: at most `maxBatch`, waiting at most `maxDelayMs` after the first. */
export type BatchOptions = { readonly maxBatch: number; readonly maxDelayMs: number };

export type Batch = readonly EventEnvelope[];

/**
 * Batches as one subscriber reads them: a bounded stream of frames. A
 * subscriber that falls more than `maxQueuedBatches` behind is told how many
 * events it lost (`onOverflow`) and its batches end.
 */
type Member = BoundedStream<Batch>;

type Group = { readonly members: Set<Member>; readonly ready: Promise<EventStream> };

/**
 * Live batches shared by every subscription that asks for the same events
 * gathered the same way (`key`): one stream from the hub per group, one timer,
 * and one array per frame handed to every member, so a frame's result is
 * executed and serialized once however many subscribers read it.
 */
export function createBatcher(hub: Hub, options: { readonly maxQueuedBatches: number }) {
  const groups = new Map<string, Group>();
  let members = 0;

  function start(key: string, topics: readonly string[], accept: ((e: EventEnvelope) => boolean) | undefined, batch: BatchOptions): Group {
    const members = new Set<Member>();
    let pending: EventEnvelope[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (pending.length === 0) return;
      const frame = Object.freeze(pending);
      pending = [];
      for (const member of members) member.push(frame);
    };
    const ready = hub.open(topics, {
      // The group's own queue only fills if flushing stopped: it is drained on every event.
      maxQueued: Number.MAX_SAFE_INTEGER,
      accept,
      onOverflow: () => {},
      // Its members are the subscriptions that count.
      internal: true,
      perTopicCursors: spansTopics(topics),
    });
    const group: Group = { members, ready };
    void ready.then(
      (stream) =>
        stream.pipe({
          next: (event) => {
            pending.push(event);
            if (pending.length >= batch.maxBatch) flush();
            else timer ??= setTimeout(flush, batch.maxDelayMs);
          },
          end: () => {
            clearTimeout(timer);
            for (const member of [...members]) member.end();
          },
        }),
      () => groups.delete(key),
    );
    return group;
  }

  return {
    /** Joins (or starts) the group for `key`; resolves once its events are live. */
    async open(key: string, topics: readonly string[], accept: ((e: EventEnvelope) => boolean) | undefined, batch: BatchOptions, onOverflow: (dropped: number) => void): Promise<AsyncIterableIterator<Batch>> {
      let group = groups.get(key);
      if (!group) groups.set(key, (group = start(key, topics, accept, batch)));
      const current = group;
      const member: Member = new BoundedStream<Batch>(
        options.maxQueuedBatches,
        (dropped) => onOverflow(dropped.reduce((n, frame) => n + frame.length, 0)),
        undefined,
        () => {
          if (current.members.delete(member)) members--;
          if (current.members.size > 0 || groups.get(key) !== current) return;
          groups.delete(key);
          void current.ready.then((stream) => stream.end(), () => {});
        },
      );
      current.members.add(member);
      members++;
      try {
        await current.ready;
      } catch (err) {
        member.end();
        throw err;
      }
      return member;
    },
    /** Subscribers reading batches. */
    members: () => members,
  };
}

/**
 * One subscriber's batches of a stream of its own (a catch-up after a cursor):
 * events as they come, at most `maxBatch` a frame, a frame going out at most
 * `maxDelayMs` after its first event.
 */
export function batchesOf(source: AsyncIterator<EventEnvelope>, batch: BatchOptions): AsyncIterableIterator<Batch> {
  let pull: Promise<IteratorResult<EventEnvelope>> | undefined;
  let ended = false;
  const TIMEOUT = Symbol('timeout');
  const iterator: AsyncIterableIterator<Batch> = {
    async next() {
      const frame: EventEnvelope[] = [];
      let deadline = 0;
      while (!ended && frame.length < batch.maxBatch) {
        pull ??= source.next();
        let step: IteratorResult<EventEnvelope> | typeof TIMEOUT;
        if (frame.length === 0) step = await pull;
        else {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<typeof TIMEOUT>((resolve) => (timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, deadline - Date.now()))));
          step = await Promise.race([pull, timeout]);
          clearTimeout(timer);
        }
        if (step === TIMEOUT) break;
        pull = undefined;
        if (step.done) {
          ended = true;
          break;
        }
        if (frame.length === 0) deadline = Date.now() + batch.maxDelayMs;
        frame.push(step.value);
      }
      return frame.length > 0 ? { value: Object.freeze(frame), done: false } : { value: undefined, done: true };
    },
    return: async () => {
      ended = true;
      await source.return?.();
      return { value: undefined, done: true };
    },
    throw: async (error) => {
      ended = true;
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
