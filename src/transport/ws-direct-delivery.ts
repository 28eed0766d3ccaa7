import type { GraphQLError } from 'graphql';
import type { ResultStream } from './result-stream.js';
import { resultJson } from './use-shared-execution.js';

const DONE: IteratorResult<never, void> = { value: undefined, done: true };
const noop = () => {};

/**
 * Writes a subscription's `next` messages to its socket as each event
 * arrives: no per-event promise, and a result shared by many subscribers is
 * serialized once. Iterating the results through Yoga's pipeline and
 * graphql-ws instead costs about ten promises and a full serialization per
 * event per subscriber, the bulk of a delivery's cost.
 *
 * graphql-ws keeps the rest of the protocol. It iterates what this returns in
 * place of the results: an iterator that yields nothing and ends when the
 * results end (graphql-ws then sends `complete`) or throws their error,
 * masked (graphql-ws then sends `error`). Its `return` (the client's
 * `complete`, a closed socket) ends the results. Either way the end goes
 * through the `pipeline` Yoga wrapped around the results, so that its plugins
 * see it.
 */
export function deliverDirectly(options: {
  id: string;
  results: ResultStream;
  pipeline: AsyncIterable<unknown>;
  /** Writes a message; false when the socket is congested. */
  write: (text: string) => boolean;
  whenWritable: (resume: () => void) => void;
  mask: (error: unknown) => GraphQLError;
}): AsyncIterableIterator<never> & { return(): Promise<IteratorResult<never, void>> } {
  const { results, pipeline, write, mask } = options;
  const head = `{"id":${JSON.stringify(options.id)},"type":"next","payload":`;
  let end!: () => void;
  let fail!: (error: unknown) => void;
  const ended = new Promise<IteratorResult<never, void>>((resolve, reject) => {
    end = () => resolve(DONE);
    fail = reject;
  });
  // graphql-ws stops listening once the socket is gone; a failure after that concerns no one.
  ended.catch(noop);
  // Ending our own results does not fail; nothing waits on the outcome of the ones started here.
  const release = () => Promise.resolve(pipeline[Symbol.asyncIterator]().return?.()).then(noop, noop);
  const stop = async () => {
    end();
    await release();
    return DONE;
  };
  const handle = {
    next: () => ended,
    return: stop,
    throw: async (error: unknown) => {
      await stop();
      throw error;
    },
    [Symbol.asyncIterator]: () => handle,
  };
  results.attach({
    next: (result) => write(`${head}${resultJson(result)}}`),
    whenWritable: options.whenWritable,
    complete: () => {
      end();
      void release();
    },
    error: (error) => {
      fail(mask(error));
      void release();
    },
  });
  return handle;
}
