import type { Plugin } from 'graphql-yoga';
import {
  createSourceEventStream,
  execute,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';

/**
 * Executes each subscription event once per distinct operation instead of once
 * per subscriber. A thousand clients with the same subscription document and
 * variables share one execution result per event; only the socket write is
 * per client.
 *
 * This holds because an event's fields never depend on who is asking:
 * authorization happens when the subscription starts (the root field's
 * `subscribe`), and the event objects handed to every stream are the same
 * frozen object (see events/hub.ts), which keys the cache.
 */
export function useSharedExecution(onDelivered: (event: { topic: string; timestamp: string }) => void): Plugin {
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  const results = new WeakMap<object, Map<string, ExecutionResult | Promise<ExecutionResult>>>();

  const operationKey = (args: ExecutionArgs) => {
    let id = documentIds.get(args.document);
    if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
    return `${id}:${args.operationName ?? ''}:${JSON.stringify(args.variableValues ?? {})}`;
  };

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args) => {
        const source = await createSourceEventStream(args);
        if (!isAsyncIterable(source)) return source;
        const key = operationKey(args);
        const run = (event: unknown) => execute({ ...args, rootValue: event });
        return mapAsyncIterator(source, (event) => {
          if (typeof event !== 'object' || event === null) return run(event);
          onDelivered(event as { topic: string; timestamp: string });
          let byOperation = results.get(event);
          if (!byOperation) results.set(event, (byOperation = new Map()));
          let result = byOperation.get(key);
          if (!result) byOperation.set(key, (result = run(event)));
          return result;
        });
      });
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function mapAsyncIterator<T, U>(
  source: AsyncIterable<T>,
  map: (value: T) => U | Promise<U>,
): AsyncGenerator<U, void, void> {
  const iterator = source[Symbol.asyncIterator]();
  const mapped: AsyncGenerator<U, void, void> = {
    async next() {
      const result = await iterator.next();
      return result.done ? { value: undefined, done: true } : { value: await map(result.value), done: false };
    },
    async return() {
      await iterator.return?.();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  };
  return mapped;
}
