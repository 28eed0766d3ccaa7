import type { ExecutionResult } from 'graphql';
import type { EventEnvelope } from '../events/envelope.js';
import { EventStream, type EventSink } from '../events/stream.js';

type MaybePromise<T> = T | Promise<T>;

/** Where an attached result stream hands its results. */
export type ResultSink = {
  /** Takes a result; `false` when the consumer cannot take more for now (`whenWritable` tells when it can). */
  deliver(result: ExecutionResult): boolean | void;
  /** Calls back once the consumer can take results again. */
  whenWritable?(resume: () => void): void;
  /** The results ended normally (the stream was ended on the server). */
  complete(): void;
  /** The results failed; nothing follows. */
  error(error: unknown): void;
};

/**
 * The results of one subscription, one per source event. A consumer either
 * pulls them (async iteration, as Yoga does for SSE) or attaches a sink that
 * takes each result as its event arrives (the WebSocket transport). Attached
 * to a live event stream, a result that is ready is handed on in the same
 * call that published its event: no queue and no promise per event. Results
 * that are promises keep their order, and the ones after them wait.
 */
export class ResultStream implements AsyncIterableIterator<ExecutionResult> {
  #attached = false;
  /** The sink a piped source's events go to, once attached. */
  #sink: ResultSink | undefined;
  #holdBack = false;
  #closed = false;
  /** Delivery of results still being computed; unset whenever none is. */
  #pending: Promise<void> | undefined;

  /** `map` makes each event's result; a subclass may instead override `mapEvent`. */
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly map?: (event: unknown) => MaybePromise<ExecutionResult>,
  ) {}

  /** The result of one source event. */
  protected mapEvent(event: unknown): MaybePromise<ExecutionResult> {
    return this.map!(event);
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.source.next().then((step) => {
      if (step.done) return { value: undefined, done: true };
      const mapped = this.mapEvent(step.value);
      return mapped instanceof Promise ? mapped.then((value) => ({ value, done: false })) : { value: mapped, done: false };
    });
  }

  /** Hands every result to the sink from now on, until the source ends, fails or `return` is called. */
  attach(sink: ResultSink): void {
    if (this.#attached) throw new Error('the results already have a consumer');
    this.#attached = true;
    const source = this.source;
    if (!(source instanceof EventStream)) return void this.#pull(sink);
    this.#sink = sink;
    // A stream that sheds rather than ends is held back while the consumer is congested: its
    // queue then drops lowest-priority events first, instead of the connection being dropped.
    this.#holdBack = source.policy === 'shed' && sink.whenWritable !== undefined;
    source.pipe(new Piped(this));
  }

  /** An event of the piped source (see Piped). */
  static piped(results: ResultStream, event: unknown): void {
    const sink = results.#sink!;
    if (results.#deliver(event, sink) === false && results.#holdBack) {
      const source = results.source as EventStream;
      source.pause();
      sink.whenWritable!(() => source.resume());
    }
  }

  /** The piped source ended, or failed (see Piped). */
  static ended(results: ResultStream, failed?: { readonly error: unknown }): void {
    if (failed) results.#failAfterPending(failed.error, results.#sink!);
    else results.#finish(results.#sink!);
  }

  /** Sources that cannot be piped (catch-up from the log first) are read one event at a time. */
  async #pull(sink: ResultSink): Promise<void> {
    try {
      for (;;) {
        const step = await this.source.next();
        if (step.done || this.#closed) break;
        this.#deliver(step.value, sink);
      }
    } catch (err) {
      return this.#fail(err, sink);
    }
    this.#finish(sink);
  }

  #deliver(event: unknown, sink: ResultSink): boolean | void {
    if (this.#closed) return;
    // Called from the publisher's loop: nothing here may throw back into it.
    let result: MaybePromise<ExecutionResult>;
    try {
      result = this.mapEvent(event);
      if (!this.#pending && !(result instanceof Promise)) return sink.deliver(result);
    } catch (err) {
      return this.#fail(err, sink);
    }
    const pending: Promise<void> = (this.#pending ?? Promise.resolve())
      .then(() => result)
      .then(
        (ready) => {
          if (!this.#closed) sink.deliver(ready);
        },
        (err: unknown) => this.#fail(err, sink),
      )
      .finally(() => {
        if (this.#pending === pending) this.#pending = undefined;
      });
    this.#pending = pending;
  }

  /** Completes once the results still being computed are delivered. */
  #finish(sink: ResultSink): void {
    if (this.#closed) return;
    const complete = () => {
      if (this.#closed) return;
      this.#closed = true;
      sink.complete();
    };
    if (this.#pending) void this.#pending.then(complete);
    else complete();
  }

  /** Fails once the results still being computed are delivered. */
  #failAfterPending(err: unknown, sink: ResultSink): void {
    if (this.#pending) void this.#pending.then(() => this.#fail(err, sink));
    else this.#fail(err, sink);
  }

  #fail(err: unknown, sink: ResultSink): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.source.return?.();
    sink.error(err);
  }

  /** Ends the results and the source under them; an attached sink hears nothing more. */
  return(): Promise<IteratorResult<ExecutionResult>> {
    this.#closed = true;
    return Promise.resolve(this.source.return?.()).then(() => ({ value: undefined, done: true }));
  }

  throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.#closed = true;
    void this.source.return?.();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Where a piped source hands its events: an object that only knows its
 * results, rather than closures over them and the sink (every open
 * subscription holds one).
 */
class Piped implements EventSink {
  constructor(private readonly results: ResultStream) {}
  next(event: EventEnvelope): void {
    ResultStream.piped(this.results, event);
  }
  end(): void {
    ResultStream.ended(this.results);
  }
  error(error: unknown): void {
    ResultStream.ended(this.results, { error });
  }
}
