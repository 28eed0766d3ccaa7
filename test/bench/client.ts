import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';

/**
 * Load-side pieces: subscribers speaking graphql-transport-ws directly on
 * `ws`, an HTTP publisher for `createTask`, and latency samples.
 *
 * Why not graphql-ws's `createClient`: the load runs in one Node process on the
 * same 2-core machine as the server, with 1000-2000+ sockets. The client
 * library keeps per-client retry/lazy-connect state and timers, wraps every
 * message in sink callbacks and always JSON.parses it; at a million deliveries
 * that costs a noticeable share of a core and makes the load tool, not the
 * server, the limit. The protocol subset needed here is tiny
 * (connection_init -> connection_ack -> subscribe -> next..., ping -> pong),
 * so each subscriber is a bare socket, and a `next` frame is read by locating
 * the few fields the benchmark needs (anything unusual falls back to JSON.parse).
 */

export const now = () => performance.now();

export const SUBSCRIPTION = /* GraphQL */ `subscription BenchTaskEvents($repositories: [String!]!) {
  taskEvents(repositories: $repositories) { id type taskId repository sequence cursor task { id title } }
}`;

const CREATE_TASK = /* GraphQL */ `mutation BenchCreateTask($input: CreateTaskInput!) { createTask(input: $input) { id } }`;

// ------------------------------------------------------------------ samples

export type Summary = { n: number; min?: number; p50?: number; p90?: number; p99?: number; max?: number; mean?: number };

export class Samples {
  #values: Float64Array;
  #n = 0;

  constructor(capacity = 1024) {
    this.#values = new Float64Array(Math.max(16, capacity));
  }

  push(value: number): void {
    if (this.#n === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#n++] = value;
  }

  get count(): number {
    return this.#n;
  }

  summary(): Summary {
    const n = this.#n;
    if (n === 0) return { n: 0 };
    const sorted = this.#values.slice(0, n).sort();
    const q = (p: number) => sorted[Math.min(n - 1, Math.floor(p * (n - 1) + 0.5))]!;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i]!;
    return { n, min: r3(sorted[0]!), p50: r3(q(0.5)), p90: r3(q(0.9)), p99: r3(q(0.99)), max: r3(sorted[n - 1]!), mean: r3(sum / n) };
  }
}

export const r1 = (x: number) => Math.round(x * 10) / 10;
export const r3 = (x: number) => Math.round(x * 1000) / 1000;
/** Kilobytes (as /proc reports them) in MB, one decimal; null when unknown. */
export const mb = (kb: number | null | undefined) => (kb == null ? null : r1(kb / 1024));

// ------------------------------------------------------------------ tallies shared by all subscribers

/** The measured phase: events carry titles `t:<send ms>:<seq>` with seq in [0, events). */
export type Measurement = {
  readonly events: number;
  readonly latency: Samples;
  /** Optional per-delivery hook (receive time, send time). */
  readonly onDelivery?: (receivedAt: number, sentAt: number) => void;
};

export class Tally {
  delivered = 0;
  duplicates = 0;
  /** Events received by a subscriber of another repository, or measured events outside a measurement. */
  leaks = 0;
  /** Events whose `sequence` did not increase for their subscriber. */
  outOfOrder = 0;
  probeDeliveries = 0;
  gqlErrors = 0;
  protocolErrors = 0;
  unexpectedCloses = 0;
  lastError: string | null = null;
  lastDeliveryAt = 0;
  measurement: Measurement | null = null;

  errors() {
    return {
      gql: this.gqlErrors,
      protocol: this.protocolErrors,
      unexpectedCloses: this.unexpectedCloses,
      ...(this.lastError ? { last: this.lastError } : {}),
    };
  }
}

// ------------------------------------------------------------------ subscriber

const K_NEXT = Buffer.from('"type":"next"');
const K_ERRORS = Buffer.from('"errors"');
const K_REPOSITORY = Buffer.from('"repository":"');
const K_TITLE = Buffer.from('"title":"');
const K_SEQUENCE = Buffer.from('"sequence":');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

type NextPayload = {
  data?: { taskEvents?: { repository?: unknown; sequence?: unknown; task?: { title?: unknown } | null } | null } | null;
  errors?: unknown;
};

export type SubscriberOptions = {
  readonly wsUrl: string;
  readonly token: string;
  readonly tally: Tally;
  /** Give up on a connection that has no connection_ack after this long. */
  readonly ackTimeoutMs: number;
};

/** One connection with one `taskEvents` subscription on one repository. */
export class Subscriber {
  probeSeen = false;
  /** Per measured event: received already (primary subscribers only, while measuring). */
  got: Uint8Array | null = null;
  connectMs = -1;
  setupMs = -1;
  #ws: WebSocket | null = null;
  #closing = false;
  #lastSequence = 0;

  constructor(
    readonly repository: string,
    /** Whether measured events are meant for this subscriber. */
    readonly primary: boolean,
    private readonly options: SubscriberOptions,
  ) {}

  /** Connects, authenticates and sends `subscribe`; resolves false when any step fails. */
  open(): Promise<boolean> {
    const { wsUrl, token, tally, ackTimeoutMs } = this.options;
    const started = now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (ok: boolean, why?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!ok && why) tally.lastError = why;
        resolve(ok);
      };
      const timer = setTimeout(() => {
        done(false, 'no connection_ack in time');
        this.close();
      }, ackTimeoutMs);
      const ws = new WebSocket(wsUrl, 'graphql-transport-ws', {
        perMessageDeflate: false,
        handshakeTimeout: ackTimeoutMs,
        skipUTF8Validation: true,
      });
      this.#ws = ws;
      ws.on('open', () => {
        this.connectMs = now() - started;
        ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary && this.#fastNext(data)) return;
        let message: { type?: unknown; payload?: unknown };
        try {
          message = JSON.parse(String(data)) as typeof message;
        } catch {
          tally.protocolErrors++;
          return;
        }
        switch (message.type) {
          case 'next':
            this.#slowNext(message.payload as NextPayload);
            return;
          case 'ping':
            ws.send('{"type":"pong"}');
            return;
          case 'pong':
            return;
          case 'connection_ack':
            ws.send(
              JSON.stringify({
                id: '1',
                type: 'subscribe',
                payload: { query: SUBSCRIPTION, operationName: 'BenchTaskEvents', variables: { repositories: [this.repository] } },
              }),
            );
            this.setupMs = now() - started;
            done(true);
            return;
          case 'error':
            tally.gqlErrors++;
            tally.lastError = `error: ${JSON.stringify(message.payload).slice(0, 300)}`;
            return;
          case 'complete':
            tally.lastError = 'subscription completed by the server';
            return;
          default:
            tally.protocolErrors++;
        }
      });
      ws.on('close', (code: number, reason: Buffer) => {
        if (!this.#closing) {
          tally.unexpectedCloses++;
          tally.lastError = `close ${code} ${String(reason)}`;
        }
        done(false, `close ${code} ${String(reason)}`);
      });
      ws.on('error', (err: Error) => {
        tally.lastError = err.message;
        done(false, err.message);
      });
    });
  }

  close(): void {
    this.#closing = true;
    try {
      this.#ws?.terminate();
    } catch {
      // already closed
    }
  }

  /** The common frame: a `next` without errors whose strings hold no escapes. False = parse it fully. */
  #fastNext(buf: Buffer): boolean {
    if (buf.indexOf(K_NEXT) < 0 || buf.indexOf(K_ERRORS) >= 0) return false;
    const r0 = buf.indexOf(K_REPOSITORY);
    const t0 = buf.indexOf(K_TITLE);
    const s0 = buf.indexOf(K_SEQUENCE);
    if (r0 < 0 || t0 < 0 || s0 < 0) return false;
    const rStart = r0 + K_REPOSITORY.length;
    const tStart = t0 + K_TITLE.length;
    const r1 = buf.indexOf(QUOTE, rStart);
    const t1 = buf.indexOf(QUOTE, tStart);
    if (r1 < 0 || t1 < 0 || buf[r1 - 1] === BACKSLASH || buf[t1 - 1] === BACKSLASH) return false;
    let sequence = 0;
    for (let i = s0 + K_SEQUENCE.length; i < buf.length; i++) {
      const c = buf[i]!;
      if (c < 0x30 || c > 0x39) break;
      sequence = sequence * 10 + (c - 0x30);
    }
    this.#onEvent(now(), buf.toString('latin1', rStart, r1), buf.toString('latin1', tStart, t1), sequence);
    return true;
  }

  #slowNext(payload: NextPayload): void {
    const receivedAt = now();
    const event = payload?.data?.taskEvents;
    const title = event?.task?.title;
    if (!event || payload.errors || typeof title !== 'string' || typeof event.repository !== 'string') {
      this.options.tally.gqlErrors++;
      this.options.tally.lastError = `next: ${JSON.stringify(payload).slice(0, 300)}`;
      return;
    }
    this.#onEvent(receivedAt, event.repository, title, Number(event.sequence));
  }

  #onEvent(receivedAt: number, repository: string, title: string, sequence: number): void {
    const tally = this.options.tally;
    if (repository !== this.repository) {
      tally.leaks++;
      return;
    }
    if (sequence <= this.#lastSequence) tally.outOfOrder++;
    this.#lastSequence = sequence;
    if (title.startsWith('p:')) {
      this.probeSeen = true;
      tally.probeDeliveries++;
      return;
    }
    // t:<send ms>:<seq>
    const m = tally.measurement;
    const colon = title.indexOf(':', 2);
    const seq = Number(title.slice(colon + 1));
    if (!m || !this.primary || !this.got || !title.startsWith('t:') || !(seq >= 0 && seq < m.events)) {
      tally.leaks++;
      return;
    }
    if (this.got[seq]) {
      tally.duplicates++;
      return;
    }
    this.got[seq] = 1;
    const sentAt = Number(title.slice(2, colon));
    tally.delivered++;
    tally.lastDeliveryAt = receivedAt;
    m.latency.push(receivedAt - sentAt);
    m.onDelivery?.(receivedAt, sentAt);
  }
}

/**
 * Opens subscribers with at most `concurrency` handshakes in flight, until all
 * are open or the deadline passes. Returns how many failed or were not tried.
 */
export async function openAll(subs: readonly Subscriber[], concurrency: number, deadline: number) {
  let next = 0;
  let failed = 0;
  const started = now();
  const worker = async () => {
    while (next < subs.length && now() < deadline) {
      const sub = subs[next++]!;
      if (!(await sub.open())) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const setup = new Samples(subs.length);
  for (const s of subs) if (s.setupMs >= 0) setup.push(s.setupMs);
  return { ms: now() - started, failed, notTried: subs.length - next, setupMs: setup.summary() };
}

export function closeAll(subs: readonly Subscriber[]): void {
  for (const s of subs) s.close();
}

// ------------------------------------------------------------------ publisher

export type PostResult = { ok: boolean; error: string | null; ms: number };

/** `createTask` mutations over HTTP POST with keep-alive, as the admin. */
export class Publisher {
  ok = 0;
  failed = 0;
  lastError: string | null = null;
  rtt = new Samples(1024);
  readonly #agent: Agent;
  readonly #url: URL;

  constructor(
    graphqlUrl: string,
    private readonly token: string,
    maxSockets: number,
  ) {
    this.#url = new URL(graphqlUrl);
    this.#agent = new Agent({ keepAlive: true, maxSockets: Math.max(1, maxSockets), maxFreeSockets: 256 });
  }

  resetStats(): void {
    this.ok = 0;
    this.failed = 0;
    this.lastError = null;
    this.rtt = new Samples(1024);
  }

  async publish(repository: string, title: string): Promise<PostResult> {
    const body = JSON.stringify({ query: CREATE_TASK, operationName: 'BenchCreateTask', variables: { input: { repository, title } } });
    const result = await this.#post(body, true);
    if (result.ok) {
      this.ok++;
      this.rtt.push(result.ms);
    } else {
      this.failed++;
      this.lastError = result.error;
    }
    return result;
  }

  destroy(): void {
    this.#agent.destroy();
  }

  // A keep-alive socket closed by the server just as a request is written on
  // it never delivered that request, so it is retried once on a fresh socket.
  #post(body: string, retry: boolean): Promise<PostResult> {
    const started = now();
    return new Promise((resolve) => {
      const req = request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          path: this.#url.pathname,
          method: 'POST',
          agent: this.#agent,
          timeout: 30_000,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            authorization: `Bearer ${this.token}`,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let error: string | null = null;
            if (res.statusCode !== 200) error = `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
            else {
              try {
                const parsed = JSON.parse(text) as { errors?: Array<{ message?: string }> };
                if (parsed.errors) error = parsed.errors[0]?.message ?? 'GraphQL error';
              } catch {
                error = 'response is not JSON';
              }
            }
            resolve({ ok: error === null, error, ms: now() - started });
          });
          res.on('error', (err) => resolve({ ok: false, error: err.message, ms: now() - started }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && err.code === 'ECONNRESET') {
          void this.#post(body, false).then((r) => resolve({ ...r, ms: now() - started }));
        } else resolve({ ok: false, error: err.message, ms: now() - started });
      });
      req.end(body);
    });
  }
}
