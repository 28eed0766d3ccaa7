import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { fullJitterBackoff, RETRY_DEFAULTS, type RetryOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { codeOf, fromGraphQLErrors, HeraldClientError, type GraphQLErrorLike } from './errors.js';
import { RttWindow, score, type ConnectionState, type Health, type Transport } from './health.js';
import { analyze, project, type AnalyzedOperation, type Operation } from './operation.js';
import { EVENTS_QUERY, POLL_ADAPTERS, type LoggedEvent } from './polling.js';
import { createTokenSource, type TokenSource } from './token.js';

export type { ConnectionState, Health, Transport } from './health.js';

export type HeraldClientOptions = {
  /**
   * The GraphQL endpoint over HTTP, e.g. `http://127.0.0.1:4000/graphql`; a
   * function is asked again for every connection (several instances without a
   * load balancer in front).
   */
  readonly url: string | (() => string);
  /** The WebSocket endpoint (default: `url` with ws:// or wss://). */
  readonly wsUrl?: string;
  /** A bearer token (admin token, API key secret or JWT). */
  readonly token?: string | null;
  /** Called for a token when connecting, and again when the server says it expired or was revoked. */
  readonly getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  readonly clientName?: string;
  readonly clientVersion?: string;
  /** Names a CLI registration in connection_init, for its `cliNotifications`. */
  readonly cliRegistrationId?: string;
  /** Transports in order of preference (default `['ws', 'sse', 'poll']`). */
  readonly transports?: readonly Transport[];
  readonly retry?: RetryOptions;
  /** WebSocket keep-alive: a ping every `intervalMs` (10000); no pong within `timeoutMs` (5000) means the connection is dead. */
  readonly keepAlive?: { readonly intervalMs?: number; readonly timeoutMs?: number };
  /** Polling: one `events` request per subscription every `intervalMs` (1000), pages of `limit` (100). */
  readonly poll?: { readonly intervalMs?: number; readonly limit?: number };
  /** On a fallback transport, how often to try the better ones again (default 30000 ms). */
  readonly probeIntervalMs?: number;
  /** Longest wait for a connection (WebSocket acknowledged, SSE answered), default 10000 ms. */
  readonly connectTimeoutMs?: number;
  /** An SSE stream that brings nothing (not even the server's keep-alive comment) this long is dead (default 45000 ms). */
  readonly sseIdleTimeoutMs?: number;
  /** Calls `onAlert` once when the health score stays under `below` for `forMs` (default 10000), `onRecover` when it is back. */
  readonly healthAlert?: { readonly below: number; readonly forMs?: number; onAlert(health: Health): void; onRecover?(health: Health): void };
  /** A WebSocket class (default: the `ws` package in Node, the global WebSocket in browsers). */
  readonly webSocketImpl?: unknown;
  readonly fetch?: typeof fetch;
  /** Extra HTTP headers for every request. */
  readonly headers?: Readonly<Record<string, string>>;
};

export type GapInfo = {
  /** The subscription that lost events. */
  readonly subscription: number;
  readonly operationName: string | undefined;
  /** The cursor that was no longer retained. */
  readonly cursor: string | null;
  readonly message: string;
};

export type SubscriptionHandlers<TData> = {
  next?(data: TData): void;
  /** The subscription ended with an error (refused by the server, or the client gave up). */
  error?(error: HeraldClientError): void;
  complete?(): void;
  /**
   * Events after the cursor were no longer retained: they are lost to this
   * subscription, which goes on from now. Refetch the state you keep.
   */
  gap?(info: GapInfo): void;
};

export type HeraldSubscription<TData> = AsyncIterable<TData> & {
  readonly id: number;
  /** The cursor of the last event received (what `after:` resumes from). */
  readonly cursor: string | null;
  unsubscribe(): void;
};

export type ClientEvents = {
  health: Health;
  state: { state: ConnectionState; transport: Transport | null; error?: HeraldClientError };
  gap: GapInfo;
  error: HeraldClientError;
};

export type HeraldClient = {
  /**
   * Subscribes. An operation that declares `$after: String` resumes: the
   * client keeps the cursor of the last event and subscribes again after it
   * on every reconnect and transport switch, so each event arrives once and in
   * order. Without `after` in `variables` it starts from now. Returns an
   * object to unsubscribe with, which is also an async iterable of the
   * results when no `next` handler is given.
   */
  subscribe<TData, TVariables>(operation: Operation<TData, TVariables>, variables?: TVariables, handlers?: SubscriptionHandlers<TData>): HeraldSubscription<TData>;
  /** A query or mutation over HTTP; resolves with `data`, rejects with a HeraldClientError. */
  request<TData, TVariables>(operation: Operation<TData, TVariables>, variables?: TVariables): Promise<TData>;
  health(): Health;
  on<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): () => void;
  readonly state: ConnectionState;
  readonly transport: Transport | null;
  dispose(): Promise<void>;
};

// ------------------------------------------------------------------ internals

type FailureKind =
  /** refused for good: stop */
  | 'fatal'
  /** credentials refused: fetch a fresh token once, else stop */
  | 'auth'
  /** this transport cannot get through (proxy): fall back */
  | 'blocked'
  /** could not connect: find out whether the server or the transport is the problem */
  | 'check'
  /** the server cannot be reached */
  | 'unreachable'
  /** worth another try on the same transport after a wait */
  | 'retry';

type Failure = { readonly kind: FailureKind; readonly error: HeraldClientError };
type SessionEnd = { readonly kind: 'closed' } | { readonly kind: 'failed'; readonly failure: Failure };

/** Where a session hands one subscription's results; stale once the subscription moved on. */
type StreamRef = {
  deliver(result: Result): void;
  error(errors: readonly GraphQLErrorLike[]): void;
  complete(): void;
  /** Polling moves the cursor past events the subscription's filters left out. */
  advance(cursor: string): void;
};

type Session = {
  readonly kind: Transport;
  readonly ended: Promise<SessionEnd>;
  /** The gateway of the credentials, when the server said (WebSocket ack). */
  readonly gatewayId: string | undefined;
  start(sub: Sub, ref: StreamRef): () => void;
  query(text: string): Promise<Record<string, unknown>>;
  close(): void;
};

type Sub = {
  readonly id: number;
  readonly op: AnalyzedOperation;
  readonly variables: Record<string, unknown>;
  cursor: string | null;
  readonly recent: RecentIds;
  readonly handlers: SubscriptionHandlers<unknown>;
  done: boolean;
  ref: StreamRef | undefined;
  stop: (() => void) | undefined;
  unsupported: boolean;
  /** For async iteration when no `next` handler is given. */
  readonly queue: unknown[];
  wake: (() => void) | undefined;
  ending: { error?: HeraldClientError } | undefined;
};

/** The ids of the last events a subscription received: the safety net against a repeat. */
class RecentIds {
  readonly #set = new Set<string>();
  readonly #order: string[] = [];
  constructor(private readonly size = 256) {}
  has(id: string) {
    return this.#set.has(id);
  }
  add(id: string) {
    this.#set.add(id);
    this.#order.push(id);
    if (this.#order.length > this.size) this.#set.delete(this.#order.shift()!);
  }
}

const FIVE_MINUTES = 5 * 60_000;
const isSession = (value: Session | Failure): value is Session => 'start' in value;
const unref = (timer: ReturnType<typeof setTimeout>) => {
  (timer as { unref?: () => void }).unref?.();
  return timer;
};
const sleep = (ms: number) => new Promise<void>((resolve) => unref(setTimeout(resolve, ms)));

export function createHeraldClient(options: HeraldClientOptions): HeraldClient {
  return new Client(options).api;
}

class Client {
  readonly #o: HeraldClientOptions;
  readonly #fetch: typeof fetch;
  readonly #transports: readonly Transport[];
  readonly #retry: Required<RetryOptions>;
  readonly #tokens: TokenSource;
  readonly #events = new Emitter<ClientEvents>();
  readonly #subs = new Set<Sub>();
  readonly #rtt = new RttWindow();
  #nextId = 1;
  #state: ConnectionState = 'idle';
  #session: Session | undefined;
  #level = 0;
  #running = false;
  #closed = false;
  #everConnected = false;
  #wake: (() => void) | undefined;
  #probeTimer: ReturnType<typeof setInterval> | undefined;
  #probing = false;
  #healthTimer: ReturnType<typeof setInterval> | undefined;
  #lowSince: number | undefined;
  #alerted = false;
  #gatewayId: string | undefined;
  #webSocket: unknown;
  /** Abandons the WebSocket connection being made, if any (dispose). */
  #abandonConnect: (() => void) | undefined;
  readonly #stats = { reconnects: 0, switches: 0, eventsReceived: 0, duplicatesDropped: 0, gaps: 0, lastEventAt: 0 };
  readonly #recentReconnects: number[] = [];
  readonly #recentGaps: number[] = [];
  readonly api: HeraldClient;

  constructor(options: HeraldClientOptions) {
    this.#o = options;
    this.#fetch = options.fetch ?? ((...args) => fetch(...args));
    this.#transports = options.transports?.length ? [...new Set(options.transports)] : ['ws', 'sse', 'poll'];
    this.#retry = { ...RETRY_DEFAULTS, ...options.retry };
    this.#tokens = createTokenSource(options.token, options.getToken);
    const self = this;
    this.api = {
      subscribe: (operation, variables, handlers) => this.#subscribe(operation, (variables ?? {}) as Record<string, unknown>, (handlers ?? {}) as SubscriptionHandlers<unknown>) as never,
      request: (operation, variables) => this.#request(operation, (variables ?? {}) as Record<string, unknown>) as never,
      health: () => this.#health(),
      on: (event, listener) => this.#events.on(event, listener),
      get state() {
        return self.#state;
      },
      get transport() {
        return self.#session?.kind ?? null;
      },
      dispose: () => this.#dispose(),
    };
  }

  // ---------------------------------------------------------------- public operations

  #subscribe(operation: Operation<unknown, unknown>, variables: Record<string, unknown>, handlers: SubscriptionHandlers<unknown>) {
    if (this.#closed) throw new HeraldClientError('CLOSED', 'the client was disposed');
    const op = analyze(operation);
    if (op.kind !== 'subscription') throw new HeraldClientError('BAD_REQUEST', `subscribe() takes a subscription, not a ${op.kind}; use request()`);
    const sub: Sub = {
      id: this.#nextId++,
      op,
      variables,
      cursor: typeof variables.after === 'string' ? variables.after : null,
      recent: new RecentIds(),
      handlers,
      done: false,
      ref: undefined,
      stop: undefined,
      unsupported: false,
      queue: [],
      wake: undefined,
      ending: undefined,
    };
    this.#subs.add(sub);
    if (this.#session) void this.#attach(sub, this.#session);
    else this.#ensureRunning();
    const unsubscribe = () => {
      if (sub.done) return;
      this.#finish(sub, {});
    };
    const iterator = (): AsyncIterator<unknown> => ({
      next: async () => {
        for (;;) {
          if (sub.queue.length > 0) return { value: sub.queue.shift(), done: false };
          if (sub.ending) {
            if (sub.ending.error) throw sub.ending.error;
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (sub.wake = resolve));
        }
      },
      return: async () => {
        unsubscribe();
        return { value: undefined, done: true };
      },
    });
    return {
      id: sub.id,
      get cursor() {
        return sub.cursor;
      },
      unsubscribe,
      [Symbol.asyncIterator]: iterator,
    };
  }

  async #request(operation: Operation<unknown, unknown>, variables: Record<string, unknown>): Promise<unknown> {
    if (this.#closed) throw new HeraldClientError('CLOSED', 'the client was disposed');
    const op = analyze(operation);
    for (let attempt = 0; ; attempt++) {
      const response = await this.#post({ query: op.query, variables, ...(op.operationName ? { operationName: op.operationName } : {}) }, {}).catch((err: unknown) => {
        throw this.#unreachable(err);
      });
      const body = await readJson(response);
      const code = codeOf(body?.errors);
      if ((response.status === 401 || (response.status === 403 && code === 'FORBIDDEN')) && attempt === 0 && this.#tokens.invalidate()) continue;
      if (body?.errors?.length) throw fromGraphQLErrors(body.errors, response.status);
      if (!response.ok || !body || body.data === undefined) throw badResponse(response.status, this.#url());
      return body.data;
    }
  }

  #health(): Health {
    const now = Date.now();
    const recent = (list: number[]) => {
      while (list.length > 0 && list[0]! < now - FIVE_MINUTES) list.shift();
      return list.length;
    };
    const p99 = this.#rtt.percentile(99);
    return {
      transport: this.#session?.kind ?? null,
      state: this.#state,
      rttMs: { p50: this.#rtt.percentile(50), p99 },
      reconnects: this.#stats.reconnects,
      switches: this.#stats.switches,
      eventsReceived: this.#stats.eventsReceived,
      duplicatesDropped: this.#stats.duplicatesDropped,
      gaps: this.#stats.gaps,
      lastEventAgeMs: this.#stats.lastEventAt ? now - this.#stats.lastEventAt : null,
      subscriptions: this.#subs.size,
      score: score({ state: this.#state, transport: this.#session?.kind ?? null, p99, recentReconnects: recent(this.#recentReconnects), recentGaps: recent(this.#recentGaps) }),
    };
  }

  async #dispose() {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of [...this.#subs]) this.#finish(sub, {});
    this.#session?.close();
    this.#abandonConnect?.();
    this.#wake?.();
    this.#stopTimers();
    this.#setState('closed');
  }

  // ---------------------------------------------------------------- the connection loop

  #ensureRunning() {
    if (this.#running || this.#closed) return;
    this.#running = true;
    this.#healthTimer ??= unref(setInterval(() => this.#tickHealth(), 1000));
    void this.#run().finally(() => {
      this.#running = false;
      if (!this.#closed && this.#state !== 'failed') {
        if (this.#subs.size > 0) this.#ensureRunning();
        else {
          this.#stopTimers();
          this.#setState('idle');
        }
      }
    });
  }

  async #run() {
    let failures = 0;
    let refreshed = false;
    while (!this.#closed && this.#subs.size > 0) {
      if (!this.#session) {
        const kind = this.#transports[this.#level]!;
        this.#setState(this.#everConnected ? 'reconnecting' : 'connecting');
        const result = await this.#establish(kind);
        if (this.#closed || this.#subs.size === 0) {
          if (isSession(result)) result.close();
          return;
        }
        if (isSession(result)) {
          failures = 0;
          refreshed = false;
          this.#adopt(result);
          continue;
        }
        const next = await this.#onFailure(result, refreshed);
        if (next === 'stop') return;
        if (next === 'refreshed') refreshed = true;
        if (next !== 'now') {
          failures++;
          if (failures >= this.#retry.maxAttempts) {
            this.#fail(new HeraldClientError('GAVE_UP', `gave up after ${failures} attempts: ${result.error.message}`));
            return;
          }
          await this.#pause(fullJitterBackoff(failures - 1, this.#retry.baseMs, this.#retry.maxMs));
        }
        continue;
      }
      const session = this.#session;
      const end = await session.ended;
      this.#stopProbe();
      if (this.#session === session) this.#session = undefined;
      if (end.kind === 'closed' || this.#closed) continue;
      for (const sub of this.#subs) this.#detach(sub);
      this.#setState('reconnecting');
      const next = await this.#onFailure(end.failure, false);
      if (next === 'stop') return;
      if (next === 'refreshed') refreshed = true;
      if (next === 'wait') {
        failures = 1;
        await this.#pause(fullJitterBackoff(0, this.#retry.baseMs, this.#retry.maxMs));
      }
    }
  }

  /** Decides what a failure means: stop, go again now (fresh token, fallback), or wait and retry. */
  async #onFailure(failure: Failure, refreshed: boolean): Promise<'stop' | 'now' | 'refreshed' | 'wait'> {
    let kind = failure.kind;
    if (kind === 'check') kind = (await this.#reachable()) ? 'blocked' : 'unreachable';
    switch (kind) {
      case 'fatal':
        this.#fail(failure.error);
        return 'stop';
      case 'auth':
        if (!refreshed && this.#tokens.invalidate()) return 'refreshed';
        this.#fail(failure.error);
        return 'stop';
      case 'blocked': {
        const from = this.#transports[this.#level]!;
        if (this.#level < this.#transports.length - 1) {
          this.#level++;
          this.#events.emit('error', new HeraldClientError('TRANSPORT_BLOCKED', `${from} cannot get through (${failure.error.message}); falling back to ${this.#transports[this.#level]}`));
          return 'now';
        }
        this.#level = 0;
        this.#events.emit('error', failure.error);
        return 'wait';
      }
      default:
        this.#events.emit('error', failure.error);
        return 'wait';
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = unref(setTimeout(done, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  #adopt(session: Session, how: 'connect' | 'switch' = 'connect') {
    const previous = this.#session;
    this.#session = session;
    if (session.gatewayId) this.#gatewayId = session.gatewayId;
    const level = this.#transports.indexOf(session.kind);
    if (how === 'switch' || (previous === undefined && this.#everConnected && level !== this.#lastLevel)) this.#stats.switches++;
    if (how === 'connect' && this.#everConnected) {
      this.#stats.reconnects++;
      this.#recentReconnects.push(Date.now());
    }
    this.#level = level;
    this.#lastLevel = level;
    this.#everConnected = true;
    this.#setState('connected', true);
    for (const sub of this.#subs) void this.#attach(sub, session);
    if (level > 0) this.#startProbe();
  }

  #lastLevel = 0;

  #startProbe() {
    this.#stopProbe();
    this.#probeTimer = unref(setInterval(() => void this.#probe(), this.#o.probeIntervalMs ?? 30_000));
  }

  #stopProbe() {
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
  }

  /** On a fallback transport: tries the better ones, and moves every subscription to the first that works. */
  async #probe() {
    const current = this.#session;
    if (this.#probing || !current || this.#closed) return;
    this.#probing = true;
    try {
      const level = this.#transports.indexOf(current.kind);
      for (let better = 0; better < level; better++) {
        const result = await this.#establish(this.#transports[better]!);
        if (!isSession(result)) continue;
        if (this.#session !== current || this.#closed) {
          result.close();
          return;
        }
        for (const sub of this.#subs) this.#detach(sub);
        this.#adopt(result, 'switch');
        current.close();
        return;
      }
    } finally {
      this.#probing = false;
    }
  }

  #establish(kind: Transport): Promise<Session | Failure> {
    if (kind === 'ws') return this.#openWs();
    return this.#openHttp(kind);
  }

  // ---------------------------------------------------------------- subscriptions on a session

  async #attach(sub: Sub, session: Session) {
    if (sub.done) return;
    this.#detach(sub);
    let active = true;
    const live = () => active && sub.ref === ref && !sub.done && this.#session === session;
    const ref: StreamRef = {
      deliver: (result) => live() && this.#deliver(sub, session, result),
      error: (errors) => {
        if (live()) this.#refused(sub, session, errors);
      },
      complete: () => live() && this.#finish(sub, {}),
      advance: (cursor) => {
        if (live()) sub.cursor = cursor;
      },
    };
    sub.ref = ref;
    sub.stop = () => {
      active = false;
    };
    if (sub.op.resumable && sub.cursor === null) {
      // Without a cursor, a reconnect before the first event would lose what was
      // published meanwhile; a cursor for "now" closes that gap.
      try {
        const data = await session.query('query HeraldNow { eventsCursor }');
        if (typeof data.eventsCursor === 'string' && sub.cursor === null) sub.cursor = data.eventsCursor;
      } catch (err) {
        if (!live()) return; // the session is failing; the next one attaches again
        this.#events.emit('error', err instanceof HeraldClientError ? err : new HeraldClientError('UNREACHABLE', String(err)));
        // Refused for now (a backend away, a rate limit): try again on this session, unless it ends first.
        unref(setTimeout(() => live() && void this.#attach(sub, session), 1000 + fullJitterBackoff(0, this.#retry.baseMs, this.#retry.maxMs)));
        return;
      }
      if (!live()) return;
    }
    if (session.kind === 'poll') {
      const adapter = POLL_ADAPTERS[sub.op.rootField];
      const topics = adapter?.topics(sub.op.args(sub.variables), { gatewayId: this.#gatewayId });
      if (!adapter || typeof topics === 'string') {
        if (!sub.unsupported) this.#events.emit('error', new HeraldClientError('UNSUPPORTED_TRANSPORT', `${sub.op.operationName ?? sub.op.rootField} cannot be polled${typeof topics === 'string' ? `: ${topics}` : ''}; it waits for WebSocket or SSE`));
        sub.unsupported = true;
        return;
      }
    }
    sub.unsupported = false;
    const stopStream = session.start(sub, ref);
    sub.stop = () => {
      active = false;
      stopStream();
    };
  }

  #detach(sub: Sub) {
    const stop = sub.stop;
    sub.stop = undefined;
    sub.ref = undefined;
    stop?.();
  }

  #deliver(sub: Sub, _session: Session, result: Result) {
    if (result.errors?.length) {
      this.#refused(sub, _session, result.errors);
      return;
    }
    let data = result.data;
    const root = data?.[sub.op.rootKey];
    // A batch subscription (channelEventBatches) delivers a list: each event in it counts.
    const items = (Array.isArray(root) ? root : [root]) as Array<Record<string, unknown> | null | undefined>;
    const fresh = items.filter((item) => {
      const id = item && typeof item.id === 'string' ? item.id : undefined;
      if (id === undefined) return true;
      if (sub.recent.has(id)) {
        this.#stats.duplicatesDropped++;
        return false;
      }
      sub.recent.add(id);
      return true;
    });
    if (fresh.length === 0) return;
    if (Array.isArray(root) && fresh.length !== items.length) data = { ...data, [sub.op.rootKey]: fresh };
    const last = fresh[fresh.length - 1];
    if (last && typeof last.cursor === 'string') sub.cursor = last.cursor;
    this.#stats.eventsReceived += fresh.length;
    this.#stats.lastEventAt = Date.now();
    if (sub.handlers.next) {
      try {
        sub.handlers.next(data);
      } catch (err) {
        this.#events.emit('error', new HeraldClientError('HANDLER_FAILED', `a subscription handler threw: ${err instanceof Error ? err.message : String(err)}`));
      }
    } else {
      sub.queue.push(data);
      sub.wake?.();
    }
  }

  /**
   * The server ended or refused one subscription: past retention is a gap;
   * a backend away (SERVICE_UNAVAILABLE) or a rate limit is retried after
   * the wait it names (from the same cursor, so nothing is lost); anything
   * else ends the subscription with the error.
   */
  #refused(sub: Sub, session: Session, errors: readonly GraphQLErrorLike[]) {
    const code = codeOf(errors);
    if (code === 'CURSOR_EXPIRED') return this.#gap(sub, session, errors[0]?.message ?? 'cursor expired');
    if (code === 'SERVICE_UNAVAILABLE' || code === 'RATE_LIMITED') {
      const retryAfter = Number(errors.find((e) => e.extensions?.retryAfter !== undefined)?.extensions?.retryAfter ?? 1);
      const waitMs = Math.min(60_000, Math.max(1, Number.isFinite(retryAfter) ? retryAfter : 1) * 1000) + fullJitterBackoff(0, this.#retry.baseMs, this.#retry.maxMs);
      this.#events.emit('error', new HeraldClientError(code, `${sub.op.operationName ?? sub.op.rootField} refused for now (${errors[0]?.message ?? code}); subscribing again in ${Math.round(waitMs)} ms`));
      this.#detach(sub);
      unref(
        setTimeout(() => {
          if (!sub.done && this.#session === session && !sub.ref) void this.#attach(sub, session);
        }, waitMs),
      );
      return;
    }
    this.#finish(sub, { error: fromGraphQLErrors(errors) });
  }

  /** The cursor is past retention: say so, and go on from now. */
  #gap(sub: Sub, session: Session, message: string) {
    const info: GapInfo = { subscription: sub.id, operationName: sub.op.operationName, cursor: sub.cursor, message };
    this.#stats.gaps++;
    this.#recentGaps.push(Date.now());
    sub.cursor = null;
    try {
      sub.handlers.gap?.(info);
    } catch {
      // the handler's failure is the handler's
    }
    this.#events.emit('gap', info);
    void this.#attach(sub, session);
  }

  #finish(sub: Sub, ending: { error?: HeraldClientError }) {
    if (sub.done) return;
    sub.done = true;
    this.#detach(sub);
    this.#subs.delete(sub);
    sub.ending = ending;
    sub.wake?.();
    try {
      if (ending.error) sub.handlers.error?.(ending.error);
      else sub.handlers.complete?.();
    } catch {
      // the handler's failure is the handler's
    }
    if (this.#subs.size === 0) {
      this.#session?.close();
      this.#wake?.();
    }
  }

  #fail(error: HeraldClientError) {
    this.#events.emit('error', error);
    this.#setState('failed', false, error);
    for (const sub of [...this.#subs]) this.#finish(sub, { error });
    this.#stopTimers();
  }

  // ---------------------------------------------------------------- state and health

  #setState(state: ConnectionState, force = false, error?: HeraldClientError) {
    if (this.#state === state && !force) return;
    this.#state = state;
    this.#events.emit('state', { state, transport: this.#session?.kind ?? null, ...(error ? { error } : {}) });
    this.#emitHealth();
  }

  #emitHealth() {
    if (this.#events.has('health') || this.#o.healthAlert) {
      const health = this.#health();
      this.#events.emit('health', health);
      this.#checkAlert(health);
    }
  }

  #tickHealth() {
    this.#emitHealth();
  }

  #checkAlert(health: Health) {
    const alert = this.#o.healthAlert;
    if (!alert) return;
    const now = Date.now();
    if (health.score < alert.below) {
      this.#lowSince ??= now;
      if (!this.#alerted && now - this.#lowSince >= (alert.forMs ?? 10_000)) {
        this.#alerted = true;
        alert.onAlert(health);
      }
    } else {
      this.#lowSince = undefined;
      if (this.#alerted) {
        this.#alerted = false;
        alert.onRecover?.(health);
      }
    }
  }

  #stopTimers() {
    this.#stopProbe();
    clearInterval(this.#healthTimer);
    this.#healthTimer = undefined;
  }

  // ---------------------------------------------------------------- HTTP

  #url(): string {
    return typeof this.#o.url === 'function' ? this.#o.url() : this.#o.url;
  }

  #wsUrl(): string {
    return this.#o.wsUrl ?? this.#url().replace(/^http/, 'ws');
  }

  async #post(body: unknown, options: { accept?: string; signal?: AbortSignal; timeoutMs?: number }): Promise<Response> {
    const token = await this.#tokens.current();
    const timeout = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined;
    const signal = options.signal && timeout ? AbortSignal.any([options.signal, timeout]) : (options.signal ?? timeout);
    return this.#fetch(this.#url(), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: options.accept ?? 'application/graphql-response+json, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...this.#o.headers,
      },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  }

  #unreachable(err: unknown): HeraldClientError {
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
    const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    return new HeraldClientError('UNREACHABLE', `cannot reach ${this.#url()}: ${why}`);
  }

  /** Whether the server answers plain HTTP at all (any status). */
  async #reachable(): Promise<boolean> {
    try {
      const response = await this.#post({ query: '{ __typename }' }, { timeoutMs: Math.min(3000, this.#o.connectTimeoutMs ?? 10_000) });
      await response.body?.cancel().catch(() => {});
      return true;
    } catch {
      return false;
    }
  }

  /** What an HTTP answer that is not a success means for a transport. */
  async #httpFailure(response: Response): Promise<Failure> {
    return this.#httpFailureOf(response, await readJson(response));
  }

  /** Queries over HTTP for a session (the cursor for "now"). */
  async #httpQuery(text: string): Promise<Record<string, unknown>> {
    return (await this.#request(text, {})) as Record<string, unknown>;
  }

  // ---------------------------------------------------------------- WebSocket

  async #webSocketImpl(): Promise<unknown> {
    if (this.#webSocket) return this.#webSocket;
    if (this.#o.webSocketImpl) return (this.#webSocket = heard(this.#o.webSocketImpl));
    const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
    if (isNode) {
      try {
        return (this.#webSocket = heard((await import('ws')).default));
      } catch {
        // fall through to a global WebSocket
      }
    }
    if (typeof WebSocket !== 'undefined') return (this.#webSocket = WebSocket);
    throw new HeraldClientError('NO_WEBSOCKET', 'no WebSocket implementation: pass webSocketImpl');
  }

  async #openWs(): Promise<Session | Failure> {
    let token: string | null;
    let WebSocketImpl: unknown;
    try {
      token = await this.#tokens.current();
      WebSocketImpl = await this.#webSocketImpl();
    } catch (err) {
      const error = err instanceof HeraldClientError ? err : new HeraldClientError('TOKEN_FAILED', `getToken failed: ${err instanceof Error ? err.message : String(err)}`);
      return { kind: error.code === 'NO_WEBSOCKET' ? 'blocked' : 'retry', error };
    }
    const keepAliveMs = this.#o.keepAlive?.intervalMs ?? 10_000;
    const pongTimeoutMs = this.#o.keepAlive?.timeoutMs ?? 5_000;
    const params: Record<string, string> = {};
    if (token) params.authorization = `Bearer ${token}`;
    if (this.#o.clientName) params.clientName = this.#o.clientName;
    if (this.#o.clientVersion) params.clientVersion = this.#o.clientVersion;
    if (this.#o.cliRegistrationId) params.cliRegistrationId = this.#o.cliRegistrationId;

    const wsUrl = this.#wsUrl();
    return new Promise<Session | Failure>((resolve) => {
      let connected = false;
      let dead = false;
      let closing = false;
      let socket: { terminate?: () => void } | undefined;
      let upgradeStatus: number | undefined;
      let pingAt = 0;
      let pongTimer: ReturnType<typeof setTimeout> | undefined;
      let endSession!: (end: SessionEnd) => void;
      const ended = new Promise<SessionEnd>((r) => (endSession = r));
      let gatewayId: string | undefined;
      const terminate = () => {
        client.terminate();
        socket?.terminate?.();
      };
      const finish = (outcome: Failure | 'closed') => {
        if (dead) return;
        dead = true;
        if (this.#abandonConnect === terminate) this.#abandonConnect = undefined;
        clearTimeout(connectTimer);
        clearTimeout(pongTimer);
        void Promise.resolve(client.dispose()).catch(() => {});
        if (!connected) resolve(outcome === 'closed' ? { kind: 'retry', error: new HeraldClientError('CLOSED', 'closed while connecting') } : outcome);
        else endSession(outcome === 'closed' || closing ? { kind: 'closed' } : { kind: 'failed', failure: outcome });
      };
      const client: WsClient = createWsClient({
        url: wsUrl,
        webSocketImpl: WebSocketImpl,
        lazy: false,
        retryAttempts: 0,
        keepAlive: keepAliveMs,
        onNonLazyError: () => {},
        connectionParams: params,
        on: {
          opened: (s) => {
            socket = s as typeof socket;
          },
          connected: (_s, payload) => {
            connected = true;
            if (this.#abandonConnect === terminate) this.#abandonConnect = undefined;
            clearTimeout(connectTimer);
            const ack = payload as { gatewayId?: unknown } | undefined;
            if (typeof ack?.gatewayId === 'string') gatewayId = ack.gatewayId;
            resolve(session);
          },
          error: (err) => {
            const message = String((err as { message?: unknown })?.message ?? (err as { error?: { message?: unknown } })?.error?.message ?? '');
            const status = /Unexpected server response: (\d{3})/.exec(message)?.[1];
            if (status) upgradeStatus = Number(status);
          },
          closed: (event) => {
            if (closing) return finish('closed');
            const { code, reason } = event as { code?: number; reason?: string };
            finish(classifyClose(code ?? 1006, String(reason ?? ''), connected, upgradeStatus, wsUrl));
          },
          ping: (received) => {
            if (received) return;
            pingAt = Date.now();
            clearTimeout(pongTimer);
            pongTimer = setTimeout(() => {
              if (dead) return;
              this.#events.emit('error', new HeraldClientError('KEEPALIVE_TIMEOUT', `no pong within ${pongTimeoutMs} ms; reconnecting`));
              terminate();
            }, pongTimeoutMs);
          },
          pong: (received) => {
            if (!received) return;
            clearTimeout(pongTimer);
            if (pingAt) this.#rtt.add(Date.now() - pingAt);
          },
        },
      });
      const connectTimer = setTimeout(() => {
        if (!connected) terminate();
      }, this.#o.connectTimeoutMs ?? 10_000);
      this.#abandonConnect = terminate;
      const session: Session = {
        kind: 'ws',
        ended,
        get gatewayId() {
          return gatewayId;
        },
        start(sub, ref) {
          const variables = sub.op.resumable ? { ...sub.variables, after: sub.cursor } : sub.variables;
          const dispose = client.subscribe<Record<string, unknown>>(
            { query: sub.op.query, variables, ...(sub.op.operationName ? { operationName: sub.op.operationName } : {}) },
            {
              next: (result) => {
                if (!dead) ref.deliver(result);
              },
              error: (error) => {
                if (!dead && Array.isArray(error)) ref.error(error as GraphQLErrorLike[]);
              },
              complete: () => {
                if (!dead) ref.complete();
              },
            },
          );
          return () => dispose();
        },
        query: (text) =>
          new Promise((resolveQuery, reject) => {
            let data: Record<string, unknown> | undefined;
            client.subscribe<Record<string, unknown>>(
              { query: text },
              {
                next: (result) => {
                  if (result.errors?.length) reject(fromGraphQLErrors(result.errors as GraphQLErrorLike[]));
                  data = result.data ?? undefined;
                },
                error: (error) => reject(Array.isArray(error) ? fromGraphQLErrors(error as GraphQLErrorLike[]) : new HeraldClientError('CONNECTION_LOST', 'the connection closed')),
                complete: () => (data ? resolveQuery(data) : reject(new HeraldClientError('CONNECTION_LOST', 'no answer'))),
              },
            );
          }),
        close() {
          if (dead) return;
          closing = true;
          finish('closed');
        },
      };
    });
  }

  // ---------------------------------------------------------------- SSE and polling

  async #openHttp(kind: 'sse' | 'poll'): Promise<Session | Failure> {
    const accept = kind === 'sse' ? 'text/event-stream' : undefined;
    const started = Date.now();
    let response: Response;
    try {
      response = await this.#post({ query: '{ __typename }' }, { ...(accept ? { accept } : {}), timeoutMs: this.#o.connectTimeoutMs ?? 10_000 });
    } catch (err) {
      return { kind: 'unreachable', error: this.#unreachable(err) };
    }
    if (!response.ok) return this.#httpFailure(response);
    const type = response.headers.get('content-type') ?? '';
    await response.body?.cancel().catch(() => {});
    if (kind === 'sse' && !type.includes('text/event-stream')) {
      return { kind: 'blocked', error: new HeraldClientError('BAD_RESPONSE', `SSE answered with ${type || 'no content type'}`) };
    }
    this.#rtt.add(Date.now() - started);
    return kind === 'sse' ? this.#sseSession() : this.#pollSession();
  }

  #sseSession(): Session {
    let endSession!: (end: SessionEnd) => void;
    const ended = new Promise<SessionEnd>((r) => (endSession = r));
    let dead = false;
    const streams = new Set<AbortController>();
    const end = (outcome: Failure | 'closed') => {
      if (dead) return;
      dead = true;
      clearInterval(pinger);
      for (const stream of streams) stream.abort();
      streams.clear();
      endSession(outcome === 'closed' ? { kind: 'closed' } : { kind: 'failed', failure: outcome });
    };
    const idleMs = this.#o.sseIdleTimeoutMs ?? 45_000;
    // Round trips for health (SSE has no pings of its own).
    const pinger = unref(
      setInterval(async () => {
        const started = Date.now();
        try {
          const response = await this.#post({ query: '{ __typename }' }, { timeoutMs: 10_000 });
          await response.body?.cancel().catch(() => {});
          if (!dead) this.#rtt.add(Date.now() - started);
        } catch {
          // the streams notice a dead server themselves
        }
      }, this.#o.keepAlive?.intervalMs ?? 10_000),
    );
    const run = async (sub: Sub, ref: StreamRef, controller: AbortController) => {
      const variables = sub.op.resumable ? { ...sub.variables, after: sub.cursor } : sub.variables;
      let response: Response;
      try {
        response = await this.#post({ query: sub.op.query, variables, ...(sub.op.operationName ? { operationName: sub.op.operationName } : {}) }, { accept: 'text/event-stream', signal: controller.signal });
      } catch (err) {
        if (!controller.signal.aborted) end({ kind: 'unreachable', error: this.#unreachable(err) });
        return;
      }
      if (!response.ok || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
        if (!controller.signal.aborted) end(response.ok ? { kind: 'blocked', error: new HeraldClientError('BAD_RESPONSE', 'not an event stream') } : await this.#httpFailure(response));
        return;
      }
      let idle: ReturnType<typeof setTimeout> | undefined;
      const resetIdle = () => {
        clearTimeout(idle);
        idle = unref(setTimeout(() => controller.abort(), idleMs));
      };
      resetIdle();
      let completed = false;
      try {
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          resetIdle();
          buffer += value;
          let cut: number;
          while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split(/\r?\n/)) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            }
            if (event === 'next' && data.length > 0) {
              try {
                ref.deliver(JSON.parse(data.join('\n')) as Result);
              } catch {
                // not JSON: a proxy's page, not an event
              }
            } else if (event === 'complete') {
              completed = true;
            }
          }
        }
      } catch {
        // aborted (idle, stopped, session closed) or the connection broke
      } finally {
        clearTimeout(idle);
      }
      if (dead || !streams.has(controller)) return;
      streams.delete(controller);
      if (completed) ref.complete();
      else end({ kind: 'retry', error: new HeraldClientError('CONNECTION_LOST', controller.signal.aborted ? `SSE stream idle for ${idleMs} ms` : 'SSE stream ended') });
    };
    return {
      kind: 'sse',
      ended,
      gatewayId: undefined,
      start(sub, ref) {
        const controller = new AbortController();
        streams.add(controller);
        void run(sub, ref, controller);
        return () => {
          streams.delete(controller);
          controller.abort();
        };
      },
      query: (text) => this.#httpQuery(text),
      close: () => end('closed'),
    };
  }

  #pollSession(): Session {
    let endSession!: (end: SessionEnd) => void;
    const ended = new Promise<SessionEnd>((r) => (endSession = r));
    let dead = false;
    const polled = new Map<Sub, StreamRef>();
    const intervalMs = this.#o.poll?.intervalMs ?? 1000;
    const limit = this.#o.poll?.limit ?? 100;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pauseUntil = 0;
    const end = (outcome: Failure | 'closed') => {
      if (dead) return;
      dead = true;
      clearTimeout(timer);
      endSession(outcome === 'closed' ? { kind: 'closed' } : { kind: 'failed', failure: outcome });
    };
    const pollOne = async (sub: Sub, ref: StreamRef): Promise<boolean> => {
      const adapter = POLL_ADAPTERS[sub.op.rootField]!;
      const args = sub.op.args(sub.variables);
      const topics = adapter.topics(args, { gatewayId: this.#gatewayId });
      if (typeof topics === 'string') return false;
      const started = Date.now();
      let response: Response;
      try {
        response = await this.#post({ query: EVENTS_QUERY, variables: { topics, after: sub.cursor, limit } }, { timeoutMs: this.#o.connectTimeoutMs ?? 10_000 });
      } catch (err) {
        end({ kind: 'unreachable', error: this.#unreachable(err) });
        return false;
      }
      const body = await readJson(response);
      const code = codeOf(body?.errors);
      if (code === 'RATE_LIMITED' || code === 'SERVICE_UNAVAILABLE') {
        // Query.events is rate-limited (and needs Redis): wait as long as asked, without dropping the session.
        const retryAfter = Number(body?.errors?.[0]?.extensions?.retryAfter ?? response.headers.get('retry-after') ?? 1);
        pauseUntil = Date.now() + Math.max(1, Number.isFinite(retryAfter) ? retryAfter : 1) * 1000;
        return false;
      }
      if (!response.ok && !body?.data) {
        end(await this.#httpFailureOf(response, body));
        return false;
      }
      this.#rtt.add(Date.now() - started);
      if (body?.errors?.length) {
        ref.error(body.errors);
        return false;
      }
      const page = (body?.data as { events?: { events: LoggedEvent[]; cursor: string | null; hasMore: boolean } } | undefined)?.events;
      if (!page) return false;
      for (const event of page.events) {
        if (dead || !polled.has(sub)) return false;
        if (!adapter.accepts(event, args)) continue;
        const value = project(adapter.toResult(event), sub.op.selection, sub.op.fragments, adapter.abstractTypes);
        ref.deliver({ data: { [sub.op.rootKey]: value } });
      }
      if (page.cursor && polled.has(sub)) ref.advance(page.cursor);
      return page.hasMore;
    };
    const loop = async () => {
      if (dead) return;
      for (const [sub, ref] of [...polled]) {
        // A page at a time while there is more, then the next subscription.
        for (let pages = 0; pages < 100 && !dead && polled.has(sub) && Date.now() >= pauseUntil; pages++) if (!(await pollOne(sub, ref))) break;
      }
      if (!dead) timer = unref(setTimeout(() => void loop(), Math.max(intervalMs, pauseUntil - Date.now())));
    };
    timer = unref(setTimeout(() => void loop(), 0));
    return {
      kind: 'poll',
      ended,
      gatewayId: undefined,
      start(sub, ref) {
        polled.set(sub, ref);
        return () => polled.delete(sub);
      },
      query: (text) => this.#httpQuery(text),
      close: () => end('closed'),
    };
  }

  async #httpFailureOf(response: Response, body: ResponseBody | undefined): Promise<Failure> {
    const code = codeOf(body?.errors);
    const message = body?.errors?.length ? body.errors.map((e) => e.message).join('; ') : `HTTP ${response.status}`;
    const error = new HeraldClientError(body?.errors?.length ? code : 'BAD_RESPONSE', message, { status: response.status });
    if (response.status === 401 || (response.status === 403 && code === 'FORBIDDEN')) return { kind: 'auth', error };
    if (code === 'SERVICE_UNAVAILABLE' || response.status === 429 || response.status >= 500) return { kind: 'retry', error };
    return { kind: 'blocked', error };
  }
}

/** A GraphQL result as it arrives on any transport. */
type Result = { readonly data?: Record<string, unknown> | null; readonly errors?: readonly GraphQLErrorLike[] };

type ResponseBody = { data?: unknown; errors?: GraphQLErrorLike[] };

async function readJson(response: Response): Promise<ResponseBody | undefined> {
  try {
    const text = await response.text();
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null ? (body as ResponseBody) : undefined;
  } catch {
    return undefined;
  }
}

const badResponse = (status: number, url: string) => new HeraldClientError('BAD_RESPONSE', `${url} answered HTTP ${status} without a GraphQL result`, { status });

/** What a WebSocket close means (see src/sessions/close-codes.ts for Herald's codes). */
function classifyClose(code: number, reason: string, connected: boolean, upgradeStatus: number | undefined, url: string): Failure {
  const said = reason ? `${code} ${reason}` : String(code);
  const error = (errorCode: string, message: string) => new HeraldClientError(errorCode, message, { closeCode: code });
  switch (code) {
    case 4401:
      return { kind: 'auth', error: error('UNAUTHENTICATED', `credentials refused (${said})`) };
    case 4403:
      return { kind: 'auth', error: error('FORBIDDEN', `credentials revoked or expired (${said})`) };
    case 4400:
      return { kind: 'fatal', error: error(/clientVersion|required|version/i.test(reason) ? 'CLIENT_TOO_OLD' : 'BAD_REQUEST', `connection refused (${said})`) };
    case 4406:
    case 4409:
    case 4429:
      return { kind: 'fatal', error: error('BAD_REQUEST', `protocol error (${said})`) };
  }
  if (!connected) {
    if (upgradeStatus !== undefined) return { kind: 'blocked', error: error('BAD_RESPONSE', `WebSocket upgrade refused with HTTP ${upgradeStatus}`) };
    if (code === 1006 || code === 1005 || code === 4499 || code === 1000 || code === 1015) return { kind: 'check', error: error('UNREACHABLE', `cannot open a WebSocket to ${url} (${said})`) };
  }
  return { kind: 'retry', error: error('CONNECTION_LOST', `connection closed (${said})`) };
}

/**
 * A Node `ws` socket with an `error` listener of its own from the start. A
 * socket closed while it connects (the client disposed or terminated
 * mid-handshake) reports the abort as an `error` event after graphql-ws has
 * let go of it; an EventEmitter with no listener then throws it and ends the
 * process. graphql-ws still hears every error while it listens. Browser
 * WebSockets (no `on`) are left as they are.
 */
function heard(impl: unknown): unknown {
  const Impl = impl as (new (...args: unknown[]) => { on(event: string, listener: () => void): unknown }) | undefined;
  if (typeof Impl !== 'function' || typeof Impl.prototype?.on !== 'function') return impl;
  return class extends Impl {
    constructor(...args: unknown[]) {
      super(...args);
      this.on('error', () => {});
    }
  };
}
