import type { ExecutionResult, GraphQLError } from 'graphql';
import type { ResultSink, ResultStream } from './result-stream.js';
import { resultJson } from './use-shared-execution.js';

const DONE: IteratorReturnResult<void> = { value: undefined, done: true };
/** How a delivery ended: done, or failed with the (masked) error. */
type Outcome = { readonly error: unknown } | typeof DONE;
const failed = (outcome: Outcome): outcome is { readonly error: unknown } => outcome !== DONE;
const noop = () => {};

/** Where a subscription's messages go: its connection's socket. */
export type Writer = {
  /** Writes a message; false when the socket is congested. */
  write(text: string): boolean;
  /** Calls back once the socket can take more. */
  whenWritable(resume: () => void): void;
};

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
  writer: Writer;
  mask: (error: unknown) => GraphQLError;
}): AsyncIterableIterator<never> & { return(): Promise<IteratorResult<never, void>> } {
  const delivery = new DirectDelivery(headOf(options.id), options.pipeline, options.writer, options.mask);
  options.results.attach(delivery);
  return delivery;
}

/**
 * One subscription's delivery: both the sink its results are handed to and
 * the iterator graphql-ws holds. One object rather than a dozen closures, a
 * promise and their scopes: every open subscription holds it.
 */
class DirectDelivery implements AsyncIterableIterator<never>, ResultSink {
  /** How the iterator ended, once it did: done, or the (masked) error. */
  #outcome: Outcome | undefined;
  /**
   * What graphql-ws awaits, made when it first asks: a failure is only ever
   * a rejection someone awaits, never an unhandled one.
   */
  #ended: Promise<IteratorResult<never, void>> | undefined;
  #resolve: ((done: typeof DONE) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  constructor(
    private readonly head: string,
    private readonly pipeline: AsyncIterable<unknown>,
    private readonly writer: Writer,
    private readonly mask: (error: unknown) => GraphQLError,
  ) {}

  // ResultSink: the results, as they come.
  deliver(result: ExecutionResult): boolean {
    return this.writer.write(`${this.head}${resultJson(result)}}`);
  }
  whenWritable(resume: () => void): void {
    this.writer.whenWritable(resume);
  }
  complete(): void {
    this.#end(DONE);
    void this.#release();
  }
  error(error: unknown): void {
    this.#end({ error: this.mask(error) });
    void this.#release();
  }

  // The iterator graphql-ws holds.
  next(): Promise<IteratorResult<never, void>> {
    if (this.#ended) return this.#ended;
    const outcome = this.#outcome;
    if (outcome) return (this.#ended = failed(outcome) ? Promise.reject(outcome.error) : Promise.resolve(DONE));
    return (this.#ended = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    }));
  }
  async return(): Promise<IteratorResult<never, void>> {
    this.#end(DONE);
    await this.#release();
    return DONE;
  }
  async throw(error: unknown): Promise<never> {
    await this.return();
    throw error;
  }
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The first end counts. */
  #end(outcome: Outcome): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    const resolve = this.#resolve;
    const reject = this.#reject;
    this.#resolve = this.#reject = undefined;
    if (failed(outcome)) reject?.(outcome.error);
    else resolve?.(DONE);
  }

  /** Ending our own results does not fail; nothing waits on the outcome of the ones started here. */
  #release(): Promise<void> {
    return Promise.resolve(this.pipeline[Symbol.asyncIterator]().return?.()).then(noop, noop);
  }
}

/**
 * The start of a `next` message for an operation id. Clients number their
 * operations, so the same few ids recur on every connection: their heads are
 * made once and shared, not held once per subscription.
 */
const heads = new Map<string, string>();
function headOf(id: string): string {
  let head = heads.get(id);
  if (head === undefined) {
    head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    if (heads.size < 1024) heads.set(id, head);
  }
  return head;
}
