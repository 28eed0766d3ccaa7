import { createClient, type Client, type ClientOptions, type ExecutionResult } from 'graphql-ws';

/**
 * A graphql-ws client whose subscriptions survive reconnects without losing or
 * repeating events. For every subscription it keeps the cursor of the last
 * event received and, when the connection drops and comes back (to the same
 * instance or another), subscribes again with `after:` that cursor, so Herald
 * first replays what was missed. Reconnects back off exponentially with full
 * jitter.
 *
 * Subscriptions must declare an `$after: String` variable and select `cursor`
 * on the event, e.g.
 * `subscription ($after: String) { taskEvents(repositories: ["a"], after: $after) { cursor ... } }`.
 */
export type ResumingClientOptions = Omit<ClientOptions, 'retryAttempts' | 'retryWait' | 'shouldRetry'> & {
  /** Reconnect attempts in a row before giving up (default: forever). */
  readonly retryAttempts?: number;
  /** First backoff ceiling in ms (default 250); doubles per attempt. */
  readonly retryBaseMs?: number;
  /** Largest backoff in ms (default 10000). */
  readonly retryMaxMs?: number;
};

export type ResumingSink<T> = {
  next(data: T): void;
  error?(error: unknown): void;
  complete?(): void;
  /**
   * Events after the cursor are no longer retained: the subscription has
   * ended. Fetch the current state, then subscribe again without a cursor.
   */
  cursorExpired?(): void;
};

export type ResumingClient = {
  readonly client: Client;
  /**
   * Subscribes; `after` starts after a cursor saved earlier. Returns a
   * function that ends the subscription.
   */
  subscribe<T = Record<string, unknown>>(
    request: { query: string; variables?: Record<string, unknown>; operationName?: string; after?: string | null },
    sink: ResumingSink<T>,
  ): () => void;
  /** The cursor of the last event a subscription received (pass what subscribe returned). */
  lastCursor(dispose: () => void): string | null;
  dispose(): Promise<void>;
};

export function fullJitterBackoff(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

export function createResumingClient(options: ResumingClientOptions): ResumingClient {
  const { retryAttempts = Infinity, retryBaseMs = 250, retryMaxMs = 10_000, ...rest } = options;
  const client = createClient({
    ...rest,
    retryAttempts,
    // graphql-ws still gives up on fatal close codes (4400, 4401, ...); anything
    // else, including an instance that refuses connections, is worth another try.
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, fullJitterBackoff(retries, retryBaseMs, retryMaxMs))),
  });
  const cursors = new WeakMap<() => void, { variables: Record<string, unknown> }>();

  return {
    client,
    subscribe<T>(request: Parameters<ResumingClient['subscribe']>[0], sink: ResumingSink<T>) {
      // graphql-ws sends this same payload object again on every reconnect, so
      // updating its `after` variable is what makes the resubscription resume.
      const variables: Record<string, unknown> = { ...request.variables, after: request.after ?? null };
      const payload = { query: request.query, variables, ...(request.operationName ? { operationName: request.operationName } : {}) };
      let expired = false;
      let disposed = false;
      let stop: (() => void) | undefined;
      const expire = () => {
        expired = true;
        variables.after = null;
        sink.cursorExpired?.();
      };
      const start = () => {
        stop = client.subscribe<Record<string, unknown>>(payload, {
          next(result: ExecutionResult<Record<string, unknown>>) {
            if (result.errors?.some((e) => e.extensions?.code === 'CURSOR_EXPIRED')) return expire();
            if (result.errors) {
              sink.error?.(result.errors);
              return;
            }
            const root = result.data && Object.values(result.data)[0];
            const cursor = root && typeof root === 'object' ? (root as { cursor?: unknown }).cursor : undefined;
            if (typeof cursor === 'string') variables.after = cursor;
            sink.next(result.data as T);
          },
          // A subscription that ends on CURSOR_EXPIRED after it started (catch-up, or missed live events) ends with an error message.
          error: (err) => (isCursorExpired(err) ? expire() : sink.error?.(err)),
          complete: () => {
            if (!expired) sink.complete?.();
          },
        });
      };
      if (variables.after) start();
      else {
        // Without a cursor, a reconnect before the first event would lose what
        // was published meanwhile; a cursor for "now" closes that gap.
        client.subscribe<{ eventsCursor: string }>(
          { query: '{ eventsCursor }' },
          {
            next: (result) => {
              if (result.data?.eventsCursor) variables.after = result.data.eventsCursor;
            },
            error: (err) => sink.error?.(err),
            complete: () => {
              if (!disposed) start();
            },
          },
        );
      }
      const dispose = () => {
        disposed = true;
        stop?.();
      };
      cursors.set(dispose, { variables });
      return dispose;
    },
    lastCursor(dispose) {
      const after = cursors.get(dispose)?.variables.after;
      return typeof after === 'string' ? after : null;
    },
    dispose: () => Promise.resolve(client.dispose()),
  };
}

/** What graphql-ws hands a sink for an `error` message: the GraphQL errors that ended the subscription. */
const isCursorExpired = (err: unknown) =>
  Array.isArray(err) && err.some((e: unknown) => (e as { extensions?: { code?: unknown } } | null)?.extensions?.code === 'CURSOR_EXPIRED');
