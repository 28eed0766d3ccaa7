import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLError,
} from 'graphql';
import type { EventEnvelope } from '../events/envelope.js';
import { createBatchResults, RESULT_TEXT, sharedAcrossBatch } from '../schema/shared-results.js';
import { ResultStream } from './result-stream.js';

/** The results of the subscription started with each context, for a transport that delivers them itself. */
const resultStreams = new WeakMap<object, ResultStream>();

/**
 * The results of the subscription that was started with this context, once:
 * a transport that takes them writes each result itself as its event
 * arrives, instead of iterating what Yoga's pipeline returned. Results are
 * masked already (see `mask` below), which is what the pipeline's per-event
 * step would have done.
 */
export function takeResultStream(context: unknown): ResultStream | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const results = resultStreams.get(context);
  resultStreams.delete(context);
  return results;
}

/**
 * The text of a result as a protocol message carries it; made once however
 * many subscribers share the result. Kept on the result itself, under a
 * symbol JSON leaves out: results are made here and live only as long as
 * their burst of work, and a weak map would cost the collector per result.
 */
export function resultJson(result: ExecutionResult): string {
  let json = (result as ExecutionResult & { [RESULT_TEXT]?: string })[RESULT_TEXT];
  if (json === undefined) {
    json = JSON.stringify(result);
    Object.defineProperty(result, RESULT_TEXT, { value: json });
  }
  return json;
}

type Result = ExecutionResult | Promise<ExecutionResult>;
type OneResult = { readonly key: string; readonly result: Result };

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
/** What delivery counting reads of an event. */
export type DeliveredEvent = { readonly id: string; readonly topic: string; readonly type: string; readonly timestamp: string };

export function useSharedExecution(options: {
  /** Once per event per subscriber, with the subscription's context (its connection, for diagnostics). */
  onDelivered: (event: DeliveredEvent, context: unknown) => void;
  /** Yoga's error masking, applied once per shared result rather than once per subscriber. */
  mask: (error: GraphQLError) => GraphQLError;
}): Plugin {
  const { onDelivered, mask } = options;
  const masked = (result: ExecutionResult): ExecutionResult => (result.errors ? { ...result, errors: result.errors.map(mask) } : result);
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  // Results live until the current burst of work is done: fan-out to the
  // listeners of an event happens in the same turn of the event loop as its
  // publish or arrival. Kept longer, results of events with one listener each
  // (a gateway's own) would survive collections in their thousands.
  // An event's first result is kept as it is, a map only made for a second operation: most events
  // have listeners of one operation only (a gateway's own), and a map per event was a tenth of
  // what the gateway benchmark's deliveries moved to the old generation.
  // A new map for each burst rather than clear(): V8 links a cleared or outgrown map's table to
  // its successor, so once one table had reached the old generation, every later one, with the
  // events and results in it, was kept through young collections by its dead predecessor and
  // moved to the old generation too: a quarter of what the gateway benchmark promoted.
  let results = new Map<object, OneResult | Map<string, Result>>();
  /** The result of `event` for the operation `key`: made by `make` for its first subscriber, then shared. */
  const sharedResult = (event: object, key: string, maker: { make(event: object): Result }): Result => {
    const known = results.get(event);
    if (known === undefined) {
      const result = maker.make(event);
      results.set(event, { key, result });
      clearSoon();
      return result;
    }
    if (known instanceof Map) {
      let result = known.get(key);
      if (!result) known.set(key, (result = maker.make(event)));
      return result;
    }
    if (known.key === key) return known.result;
    const result = maker.make(event);
    results.set(event, new Map([[known.key, known.result], [key, result]]));
    return result;
  };
  // Events published together (one deployment to many gateways) share one execution where the field allows it.
  const batches = createBatchResults();
  let clearing = false;
  const clearSoon = () => {
    if (clearing) return;
    clearing = true;
    setImmediate(() => {
      clearing = false;
      results = new Map();
      batches.clear();
    });
  };

  // Only variables used below the root field shape an event's result; those of
  // the root field's own arguments (which topics, `after`, filters) pick the
  // stream, not the result, so subscribers that differ only there still share.
  const selectionVariables = new WeakMap<DocumentNode, Map<string, string[]>>();
  const variablesShapingResult = (args: ExecutionArgs): string[] => {
    let byOperation = selectionVariables.get(args.document);
    if (!byOperation) selectionVariables.set(args.document, (byOperation = new Map()));
    const name = args.operationName ?? '';
    let names = byOperation.get(name);
    if (!names) {
      const used = new Set<string>();
      const operation = getOperationAST(args.document, args.operationName);
      for (const selection of operation?.selectionSet.selections ?? []) {
        // Fragments and directives at the root may use any variable: count them all.
        const below = selection.kind === Kind.FIELD ? selection.selectionSet : selection;
        if (below) visit(below, { Variable: (node) => void used.add(node.name.value) });
        if (selection.kind === Kind.FIELD) for (const d of selection.directives ?? []) visit(d, { Variable: (node) => void used.add(node.name.value) });
      }
      byOperation.set(name, (names = [...used].sort()));
    }
    return names;
  };

  const operationKey = (args: ExecutionArgs) => {
    let id = documentIds.get(args.document);
    if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
    const values = args.variableValues ?? {};
    return oneCopyOf(`${id}:${args.operationName ?? ''}:${JSON.stringify(variablesShapingResult(args).map((v) => values[v] ?? null))}`);
  };
  // Every open subscription keeps its operation's key, and most subscriptions share a few: each is kept once.
  // Bounded: past 10,000 distinct keys the ones kept start over.
  const keys = new Map<string, string>();
  const oneCopyOf = (key: string): string => {
    const known = keys.get(key);
    if (known !== undefined) return known;
    if (keys.size >= 10_000) keys.clear();
    keys.set(key, key);
    return key;
  };

  /**
   * One subscription's results, each event's shared with the subscriptions of
   * the same operation. A class rather than closures over the arguments:
   * every open subscription holds one.
   */
  class SharedResultStream extends ResultStream {
    constructor(
      source: AsyncIterator<unknown>,
      private readonly args: ExecutionArgs,
      private readonly key: string,
      /** Events published together (one deployment to many gateways) share one execution where the field allows it. */
      private readonly batched: boolean,
    ) {
      super(source);
    }
    protected override mapEvent(event: unknown): Result {
      if (typeof event !== 'object' || event === null) return this.run(event);
      // A batch (channelEventBatches) delivers each of its events; what is not an event (a stats update) is not counted.
      if (Array.isArray(event)) for (const one of event) onDelivered(one as DeliveredEvent, this.args.contextValue);
      else if (typeof (event as Partial<DeliveredEvent>).topic === 'string') onDelivered(event as DeliveredEvent, this.args.contextValue);
      return sharedResult(event, this.key, this);
    }
    /** The result of an event for its first subscriber of this operation. */
    make(event: object): Result {
      return this.batched ? batches.resultOf(event as EventEnvelope, this.key, (root) => this.run(root)) : this.run(event);
    }
    run(event: unknown): Result {
      const result = execute({ ...this.args, rootValue: event });
      return result instanceof Promise ? result.then(masked) : masked(result);
    }
  }

  // One function for every subscription, not one made per subscription.
  const subscribe = async (args: ExecutionArgs) => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const stream = new SharedResultStream(source[Symbol.asyncIterator](), args, operationKey(args), sharedAcrossBatch(args.schema, args.document, args.operationName));
    if (typeof args.contextValue === 'object' && args.contextValue !== null) resultStreams.set(args.contextValue, stream);
    return stream;
  };

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe);
    },
  };
}
