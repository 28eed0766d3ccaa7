import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/principal.js';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';
import type { Context } from '../schema/context.js';
import { Close, CloseReason, type Closing } from '../sessions/close-codes.js';
import type { SseSession, TransportSessions } from './connection.js';

/** Seconds an SSE client refused for a session limit is asked to wait. */
export const SSE_RETRY_AFTER_SECONDS = 5;

/**
 * Makes every subscription over HTTP (SSE) a session in the instance's
 * session registry, beside the WebSocket connections: it counts toward the
 * same limits (`WS_MAX_CONNECTIONS` per instance, answered `503`, and
 * `WS_MAX_CONNECTIONS_PER_PRINCIPAL`, answered `429`, both with
 * Retry-After), it ends when its token expires, and revoking its credentials
 * ends it. An ended stream gets a last result whose error names the reason
 * (`extensions.code` FORBIDDEN for a revoked key or an expired token), then
 * completes.
 *
 * Runs after useSharedExecution: it wraps the subscribe function that plugin
 * set. Operations over WebSocket pass untouched (their connection is the
 * session).
 */
export function useSseSessions(options: { registry: TransportSessions; maxSessions: number; maxPerPrincipal: number; log: Logger }): Plugin {
  const { registry, log } = options;
  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const context = args.contextValue as Partial<Context>;
      if (context.connectionId !== undefined || !context.principal) return;
      const principal = context.principal;
      const request = (context as { request?: Request }).request;
      setSubscribeFn(async (subscribeArgs) => {
        // Yoga answers 406 to a stream it cannot send, but only after the subscription started, which then never ended.
        if (request && !acceptsEventStream(request.headers.get('accept'))) {
          return refusal('Subscriptions over HTTP are sent as server-sent events: ask for Accept: text/event-stream', 406);
        }
        if (registry.size() >= options.maxSessions) {
          log.warn({ transport: 'sse', principal: principal.id, ip: context.clientIp }, 'subscription refused: instance at its connection limit');
          return refusal(CloseReason.serverFull, 503);
        }
        const session = new SseStream(newId(), () => registry.remove(session));
        registry.add(session);
        if (registry.authenticate(session, principal) > options.maxPerPrincipal) {
          registry.remove(session);
          log.warn({ transport: 'sse', principal: principal.id, ip: context.clientIp }, 'subscription refused: principal at its connection limit');
          return refusal(`${CloseReason.principalFull} (${options.maxPerPrincipal})`, 429);
        }
        let result;
        try {
          result = await subscribeFn(subscribeArgs);
        } catch (err) {
          registry.remove(session);
          throw err;
        }
        if (!isAsyncIterable(result)) {
          registry.remove(session);
          return result;
        }
        return session.attach(result as AsyncIterable<ExecutionResult>);
      });
    },
  };
}

/** Whether an Accept header admits `text/event-stream` (no header admits anything). */
function acceptsEventStream(accept: string | null): boolean {
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const type = part.split(';', 1)[0]!.trim().toLowerCase();
    return type === 'text/event-stream' || type === 'text/*' || type === '*/*';
  });
}

function refusal(message: string, status: 406 | 429 | 503): ExecutionResult {
  if (status === 406) return { errors: [new GraphQLError(message, { extensions: { code: 'NOT_ACCEPTABLE', http: { status } } })] };
  return {
    errors: [
      new GraphQLError(message, {
        extensions: {
          code: status === 429 ? 'LIMIT_EXCEEDED' : 'SERVICE_UNAVAILABLE',
          retryAfter: SSE_RETRY_AFTER_SECONDS,
          http: { status, headers: { 'Retry-After': String(SSE_RETRY_AFTER_SECONDS) } },
        },
      }),
    ],
  };
}

/** The GraphQL error code that tells an SSE client why its stream ended. */
function codeOf(closing: Closing): string {
  switch (closing.code) {
    case Close.Unauthorized:
      return 'UNAUTHENTICATED';
    case Close.GoingAway:
    case Close.TryAgainLater:
      return 'SERVICE_UNAVAILABLE';
    default:
      return 'FORBIDDEN';
  }
}

/**
 * An SSE subscription's results as Yoga pulls them, which the server can end
 * at any time with a last result: a pull that is waiting gets it at once,
 * otherwise the next pull does; after it the stream is done and its source
 * (the event stream) has been ended.
 */
class SseStream implements SseSession, AsyncIterableIterator<ExecutionResult> {
  readonly transport = 'sse';
  readonly principal: Principal | null = null;
  #source: AsyncIterator<ExecutionResult> | undefined;
  #last: ExecutionResult | undefined;
  /** Answers the pull that is waiting for the source, if one is. */
  #waiting: ((step: IteratorResult<ExecutionResult>) => void) | undefined;
  #done = false;

  constructor(
    readonly id: string,
    private readonly onDone: () => void,
  ) {}

  attach(results: AsyncIterable<ExecutionResult>): this {
    this.#source = results[Symbol.asyncIterator]();
    // Ended before the source came (a revocation while it was being set up).
    if (this.#done) void this.#source.return?.();
    return this;
  }

  end(closing: Closing): void {
    if (this.#done) return;
    const last: ExecutionResult = { errors: [new GraphQLError(closing.reason, { extensions: { code: codeOf(closing) } })] };
    this.#finish();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting({ value: last, done: false });
    else this.#last = last;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const last = this.#last;
    if (last) {
      this.#last = undefined;
      return Promise.resolve({ value: last, done: false });
    }
    if (this.#done || !this.#source) return Promise.resolve({ value: undefined, done: true });
    const source = this.#source;
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      source.next().then(
        (step) => {
          if (this.#waiting !== resolve) return; // answered by end() meanwhile
          this.#waiting = undefined;
          if (step.done) this.#finish();
          resolve(step);
        },
        (err: unknown) => {
          if (this.#waiting !== resolve) return;
          this.#waiting = undefined;
          this.#finish();
          reject(err);
        },
      );
    });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.#last = undefined;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.#finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    void this.#source?.return?.();
    this.onDone();
  }
}
