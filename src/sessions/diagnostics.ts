/**
 * What happened on each WebSocket connection of this instance, for
 * `connectionDiagnostics`: its timeline (connect, authentication,
 * subscriptions started and ended, drops, close), its last deliveries with
 * their latency and its last pongs. Closed connections stay readable for
 * `retentionSeconds`, so "why did it stop" has an answer. Memory is bounded:
 * a ring per connection for each list, and at most `maxClosed` closed
 * connections kept (the oldest go first).
 *
 * Per instance: a connection's record lives on the instance that held it.
 */
export type DiagnosticsKind = 'CONNECTED' | 'AUTHENTICATED' | 'SUBSCRIBED' | 'UNSUBSCRIBED' | 'DROPPED' | 'SLOW_CONSUMER' | 'CLOSED';

export type DiagnosticsEntry = { readonly at: string; readonly kind: DiagnosticsKind; readonly detail: string | null };
export type DeliveryRecord = { readonly at: string; readonly eventId: string; readonly type: string; readonly topic: string; readonly latencyMs: number };
export type PongRecord = { readonly at: string; readonly rttMs: number };

/** The connection's figures as the transport sees them, read when asked and once more at close. */
export type ConnectionFigures = {
  readonly remoteAddress: string;
  readonly principalId: string | null;
  readonly clientName: string | null;
  readonly subscriptions: number;
  readonly eventsSent: number;
  readonly eventsDropped: number;
  readonly heartbeatRttMs: number | null;
  readonly healthScore: number;
};

export type ConnectionDiagnostics = ConnectionFigures & {
  readonly connectionId: string;
  readonly connectedAt: string;
  readonly open: boolean;
  readonly closedAt: string | null;
  readonly closeCode: number | null;
  readonly closeReason: string | null;
  readonly timeline: readonly DiagnosticsEntry[];
  readonly deliveries: readonly DeliveryRecord[];
  readonly pongs: readonly PongRecord[];
};

/** A fixed-size ring: pushing past its size overwrites the oldest. */
class Ring<T> {
  readonly #items: T[] = [];
  #next = 0;
  constructor(readonly size: number) {}
  push(item: T) {
    if (this.#items.length < this.size) this.#items.push(item);
    else this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.size;
  }
  /** Oldest first. */
  list(): T[] {
    return this.#items.length < this.size ? [...this.#items] : [...this.#items.slice(this.#next), ...this.#items.slice(0, this.#next)];
  }
}

/**
 * The last deliveries, in parallel fixed arrays: a delivery is the hot path,
 * so recording one allocates nothing. The event's strings are kept, not the
 * event, so a large payload is not held for the diagnostics.
 */
class DeliveryRing {
  readonly #ids: string[] = [];
  readonly #types: string[] = [];
  readonly #topics: string[] = [];
  readonly #timestamps: string[] = [];
  readonly #at: number[] = [];
  #next = 0;
  constructor(readonly size: number) {}
  push(event: Delivered, at: number) {
    const i = this.#next;
    this.#ids[i] = event.id;
    this.#types[i] = event.type;
    this.#topics[i] = event.topic;
    this.#timestamps[i] = event.timestamp;
    this.#at[i] = at;
    this.#next = (i + 1) % this.size;
  }
  /** Oldest first. */
  list(): DeliveryRecord[] {
    const n = this.#ids.length;
    const start = n < this.size ? 0 : this.#next;
    return Array.from({ length: n }, (_, k) => {
      const i = (start + k) % n;
      const at = this.#at[i]!;
      return { at: new Date(at).toISOString(), eventId: this.#ids[i]!, type: this.#types[i]!, topic: this.#topics[i]!, latencyMs: Math.max(0, at - Date.parse(this.#timestamps[i]!)) };
    });
  }
}

/** Where a subscription records what it delivered: handed to the subscription once, so a delivery costs no lookup. */
export type DeliveryRecorder = { push(event: Delivered, at: number): void };

type Delivered = { readonly id: string; readonly type: string; readonly topic: string; readonly timestamp: string };

type Record_ = {
  readonly connectedAt: string;
  readonly figures: () => ConnectionFigures;
  readonly timeline: Ring<DiagnosticsEntry>;
  // Deliveries are the hot path: kept as the event's own strings and a time, latency worked out when read.
  readonly deliveries: DeliveryRing;
  readonly pongs: Ring<PongRecord>;
  closed: { at: number; code: number; reason: string; figures: ConnectionFigures } | null;
};

export type Diagnostics = ReturnType<typeof createDiagnostics>;

export function createDiagnostics(options: { retentionSeconds: number; maxClosed?: number; timelineSize?: number; deliveriesSize?: number; pongsSize?: number }) {
  const maxClosed = options.maxClosed ?? 1000;
  const open = new Map<string, Record_>();
  // Insertion order is closing order: the first entries are the oldest.
  const closed = new Map<string, Record_>();
  const iso = (ms = Date.now()) => new Date(ms).toISOString();

  const prune = (now: number) => {
    const horizon = now - options.retentionSeconds * 1000;
    for (const [id, record] of closed) {
      if (closed.size <= maxClosed && record.closed!.at > horizon) break;
      closed.delete(id);
    }
  };

  return {
    opened(connectionId: string, connectedAt: Date, figures: () => ConnectionFigures) {
      const record: Record_ = {
        connectedAt: connectedAt.toISOString(),
        figures,
        timeline: new Ring(options.timelineSize ?? 50),
        deliveries: new DeliveryRing(options.deliveriesSize ?? 20),
        pongs: new Ring(options.pongsSize ?? 10),
        closed: null,
      };
      record.timeline.push({ at: record.connectedAt, kind: 'CONNECTED', detail: figures().remoteAddress });
      open.set(connectionId, record);
    },
    note(connectionId: string, kind: DiagnosticsKind, detail: string | null = null) {
      open.get(connectionId)?.timeline.push({ at: iso(), kind, detail });
    },
    /** The connection's delivery record while it is open, for its subscriptions to write to. */
    recorderOf(connectionId: string): DeliveryRecorder | undefined {
      return open.get(connectionId)?.deliveries;
    },
    pong(connectionId: string, rttMs: number) {
      open.get(connectionId)?.pongs.push({ at: iso(), rttMs });
    },
    closed(connectionId: string, code: number, reason: string) {
      const record = open.get(connectionId);
      if (!record) return;
      open.delete(connectionId);
      const now = Date.now();
      record.closed = { at: now, code, reason, figures: record.figures() };
      record.timeline.push({ at: iso(now), kind: 'CLOSED', detail: reason ? `${code} ${reason}` : String(code) });
      closed.set(connectionId, record);
      prune(now);
    },
    /** The connection's record while it is open or retained after it closed; null otherwise. */
    get(connectionId: string): ConnectionDiagnostics | null {
      prune(Date.now());
      const record = open.get(connectionId) ?? closed.get(connectionId);
      if (!record) return null;
      const ended = record.closed;
      return {
        connectionId,
        connectedAt: record.connectedAt,
        ...(ended ? ended.figures : record.figures()),
        open: ended === null,
        closedAt: ended ? iso(ended.at) : null,
        closeCode: ended?.code ?? null,
        closeReason: ended?.reason ?? null,
        timeline: record.timeline.list(),
        deliveries: record.deliveries.list(),
        pongs: record.pongs.list(),
      };
    },
    /** Closed connections kept now (for tests and the docs' memory bound). */
    retained: () => closed.size,
  };
}
