import { describe, expect, it } from 'vitest';
import { createBatcher, type Batch } from '../../src/events/batches.js';
import { createMemoryBus } from '../../src/events/bus.memory.js';
import type { EventDraft, EventEnvelope, Priority } from '../../src/events/envelope.js';
import { createHub } from '../../src/events/hub.js';
import { DROPPED_EVENT_TYPE } from '../../src/events/shedding.js';
import { EventStream } from '../../src/events/stream.js';

const draft = (topic: string, n: number, priority: Priority = 'NORMAL'): EventDraft => ({ topic, type: 't', correlationId: null, priority, expiresAt: null, payload: { n } });
const n = (e: EventEnvelope) => (e.payload as { n: number }).n;

describe('an event stream that sheds', () => {
  it('drops its lowest-priority events first and hands a notice that resumes from the last event read', async () => {
    const bus = createMemoryBus();
    const lost: EventEnvelope[] = [];
    const stream = new EventStream(3, (dropped) => lost.push(...dropped), undefined, () => {}, 'shed');
    const first = await bus.publish(draft('channel:c', 0));
    stream.push(first);
    expect(await stream.next()).toEqual({ value: first, done: false });
    for (const [i, priority] of (['HIGH', 'LOW', 'NORMAL', 'HIGH'] as const).entries()) stream.push(await bus.publish(draft('channel:c', i + 1, priority)));

    expect(lost.map(n)).toEqual([2]);
    const notice = (await stream.next()).value as EventEnvelope;
    expect(notice.type).toBe(DROPPED_EVENT_TYPE);
    expect(notice.payload).toEqual({ dropped: 1, resumeFrom: first.cursor });
    const rest = [(await stream.next()).value, (await stream.next()).value, (await stream.next()).value] as EventEnvelope[];
    expect(rest.map(n)).toEqual([1, 3, 4]);
    expect(stream.ended).toBe(false);
  });
});

describe('batches', () => {
  it('hand every member of a group the same frame, and end a member that falls behind, counting the events it lost', async () => {
    const bus = createMemoryBus();
    const hub = createHub(bus);
    const batcher = createBatcher(hub, { maxQueuedBatches: 2 });
    const lost: number[] = [];
    const options = { maxBatch: 2, maxDelayMs: 60_000 };
    const reader = await batcher.open('k', ['channel:b'], undefined, options, () => lost.push(-1));
    const idle = await batcher.open('k', ['channel:b'], undefined, options, (dropped) => lost.push(dropped));
    expect(batcher.members()).toBe(2);

    for (let i = 1; i <= 2; i++) await bus.publish(draft('channel:b', i));
    const frame = (await reader.next()).value as Batch;
    expect(frame.map(n)).toEqual([1, 2]);
    expect((await idle.next()).value).toBe(frame);
    // The reader keeps up; the idle member holds [3, 4] and [5, 6], and [7, 8] is one frame too many: it loses all six events and ends.
    const read: Batch[] = [];
    for (let i = 3; i <= 8; i += 2) {
      expect(lost).toEqual([]);
      await bus.publish(draft('channel:b', i));
      await bus.publish(draft('channel:b', i + 1));
      read.push((await reader.next()).value as Batch);
    }
    expect(lost).toEqual([6]);
    expect(await idle.next()).toEqual({ value: undefined, done: true });
    expect(batcher.members()).toBe(1);
    expect(read.map((f) => f.map(n))).toEqual([[3, 4], [5, 6], [7, 8]]);
    await reader.return!();
    expect(batcher.members()).toBe(0);
    expect(hub.listeners('channel:')).toEqual(new Map());
  });
});
