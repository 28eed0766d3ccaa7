import { GraphQLError, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { EventStream } from '../../src/events/stream.js';
import { ResultStream } from '../../src/transport/result-stream.js';
import { deliverDirectly } from '../../src/transport/ws-direct-delivery.js';

const event = (n: number) => ({ sequence: n }) as unknown as EventEnvelope;
const stream = () =>
  new EventStream(
    100,
    () => {},
    undefined,
    () => {},
  );
const resultOf = (e: unknown): ExecutionResult => ({ data: { n: (e as EventEnvelope).sequence } });
const mask = (error: unknown) => (error instanceof GraphQLError ? error : new GraphQLError('Unexpected error.'));

/** A subscription delivered directly: the texts written, and how its iterator ended. */
function delivered(source: AsyncIterator<unknown>, map: (e: unknown) => ExecutionResult | Promise<ExecutionResult> = resultOf) {
  const results = new ResultStream(source, map);
  const written: unknown[] = [];
  const handle = deliverDirectly({ id: 'op-1', results, pipeline: results, writer: { write: (text) => written.push(JSON.parse(text)) > 0, whenWritable: (resume) => resume() }, mask });
  return { written, handle, ended: handle.next() };
}

describe('direct delivery of subscription results', () => {
  it('writes each event as a graphql-transport-ws next message in the same call that pushed it, queued ones first', async () => {
    const source = stream();
    source.push(event(1));
    const { written } = delivered(source);
    expect(written).toEqual([{ id: 'op-1', type: 'next', payload: { data: { n: 1 } } }]);
    source.push(event(2));
    expect(written).toHaveLength(2);
    expect(written[1]).toEqual({ id: 'op-1', type: 'next', payload: { data: { n: 2 } } });
  });

  it('keeps the order when a result is still being computed, and completes only after it', async () => {
    const source = stream();
    let finish!: (r: ExecutionResult) => void;
    const slow = new Promise<ExecutionResult>((resolve) => (finish = resolve));
    const { written, ended } = delivered(source, (e) => ((e as EventEnvelope).sequence === 1 ? slow : resultOf(e)));
    source.push(event(1));
    source.push(event(2));
    source.end();
    expect(written).toEqual([]);
    finish({ data: { n: 1 } });
    expect(await ended).toEqual({ value: undefined, done: true });
    expect(written.map((m) => (m as { payload: { data: { n: number } } }).payload.data.n)).toEqual([1, 2]);
  });

  it('ends the iterator graphql-ws holds with the masked error of a failing source', async () => {
    const failing: AsyncIterator<unknown> = {
      next: () => Promise.reject(new Error('redis: connection to 10.0.0.7 lost')),
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
    const { ended } = delivered(failing);
    await expect(ended).rejects.toThrow(/^Unexpected error\.$/);
  });

  it('stops writing and ends the source when graphql-ws returns the iterator', async () => {
    const source = stream();
    const { written, handle, ended } = delivered(source);
    source.push(event(1));
    await handle.return();
    expect(source.ended).toBe(true);
    expect(await ended).toEqual({ value: undefined, done: true });
    source.push(event(2));
    expect(written).toHaveLength(1);
  });

  it('gives every subscriber of a shared result its own operation id', () => {
    const shared: ExecutionResult = { data: { n: 7 } };
    const sources = [stream(), stream()];
    const texts: string[] = [];
    sources.forEach((source, i) => {
      const results = new ResultStream(source, () => shared);
      deliverDirectly({ id: `op-${i}`, results, pipeline: results, writer: { write: (text) => texts.push(text) > 0, whenWritable: (resume) => resume() }, mask });
    });
    for (const source of sources) source.push(event(7));
    expect(texts).toEqual(['{"id":"op-0","type":"next","payload":{"data":{"n":7}}}', '{"id":"op-1","type":"next","payload":{"data":{"n":7}}}']);
  });
});
