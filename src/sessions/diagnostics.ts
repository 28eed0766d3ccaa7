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

/**
 * A fixed-size ring of records, each `stride` values laid flat in one array
 * that grows only as far as it is filled; pushing past `size` records
 * overwrites the oldest. Flat because every open connection holds these: an
 * object per entry and an array per field cost a connection that saw three
 * timeline entries and one delivery about 1.5 KB, one array per list a few
 * hundred bytes.
 */
class FlatRing {
  readonly #values: unknown[] = [];
  #next = 0;
  #count = 0;
  constructor(
    readonly size: number,
    readonly stride: number,
  ) {}
  /** Where the next record's values go (written in order, so the array stays packed). */
  protected slot(): number {
    const at = this.#next * this.stride;
    this.#next = (this.#next + 1) % this.size;
    if (this.#count < this.size) this.#count++;
    return at;
  }
  protected get values(): unknown[] {
    return this.#values;
  }
  /** Oldest first. */
  protected read<T>(make: (values: readonly unknown[], at: number) => T): T[] {
    const first = this.#count < this.size ? 0 : this.#next;
    return Array.from({ length: this.#count }, (_, k) => make(this.#values, ((first + k) % this.size) * this.stride));
  }
}

const iso = (ms = Date.now()) => new Date(ms).toISOString();

/** Times are kept as numbers and written out when read: a date string per entry is most of an entry's size. */
class Timeline extends FlatRing {
  constructor(size: number) {
    super(size, 3);
  }
  push(at: number, kind: DiagnosticsKind, detail: string | null) {
    const i = this.slot();
    const values = this.values;
    values[i] = at;
    values[i + 1] = kind;
    values[i + 2] = detail;
  }
  list(): DiagnosticsEntry[] {
    return this.read((v, i) => ({ at: iso(v[i] as number), kind: v[i + 1] as DiagnosticsKind, detail: v[i + 2] as string | null }));
  }
}

/**
 * The last deliveries: a delivery is the hot path, so recording one allocates
 * nothing once the ring is full. The event's strings are kept, not the event,
 * so a large payload is not held for the diagnostics.
 */
class DeliveryRing extends FlatRing {
  constructor(size: number) {
    super(size, 5);
  }
  push(event: Delivered, at: number) {
    const i = this.slot();
    const values = this.values;
    values[i] = event.id;
    values[i + 1] = event.type;
    values[i + 2] = event.topic;
    values[i + 3] = event.timestamp;
    values[i + 4] = at;
  }
  list(): DeliveryRecord[] {
    return this.read((v, i) => {
      const at = v[i + 4] as number;
      return { at: iso(at), eventId: v[i] as string, type: v[i + 1] as string, topic: v[i + 2] as string, latencyMs: Math.max(0, at - Date.parse(v[i + 3] as string)) };
    });
  }
}

class PongRing extends FlatRing {
  constructor(size: number) {
    super(size, 2);
  }
  push(at: number, rttMs: number) {
    const i = this.slot();
    this.values[i] = at;
    this.values[i + 1] = rttMs;
  }
  list(): PongRecord[] {
    return this.read((v, i) => ({ at: iso(v[i] as number), rttMs: v[i + 1] as number }));
  }
}

/** Where a subscription records what it delivered: handed to the subscription once, so a delivery costs no lookup. */
export type DeliveryRecorder = { push(event: Delivered, at: number): void };

type Delivered = { readonly id: string; readonly type: string; readonly topic: string; readonly timestamp: string };

type Sizes = { readonly deliveries: number; readonly pongs: number };

/** One connection's record; the delivery and pong rings are made by their first entry (many connections never have one). */
class ConnectionRecord implements DeliveryRecorder {
  readonly timeline: Timeline;
  #deliveries: DeliveryRing | undefined;
  #pongs: PongRing | undefined;
  closed: { at: number; code: number; reason: string; figures: ConnectionFigures } | null = null;
  constructor(
    readonly connectedAt: number,
    readonly figures: () => ConnectionFigures,
    timelineSize: number,
    private readonly sizes: Sizes,
  ) {
    this.timeline = new Timeline(timelineSize);
  }
  /** Records a delivery (the record is its connection's DeliveryRecorder). */
  push(event: Delivered, at: number) {
    (this.#deliveries ??= new DeliveryRing(this.sizes.deliveries)).push(event, at);
  }
  pong(at: number, rttMs: number) {
    (this.#pongs ??= new PongRing(this.sizes.pongs)).push(at, rttMs);
  }
  deliveries(): DeliveryRecord[] {
    return this.#deliveries?.list() ?? [];
  }
  pongs(): PongRecord[] {
    return this.#pongs?.list() ?? [];
  }
}

export type Diagnostics = ReturnType<typeof createDiagnostics>;

export function createDiagnostics(options: { retentionSeconds: number; maxClosed?: number; timelineSize?: number; deliveriesSize?: number; pongsSize?: number }) {
  const maxClosed = options.maxClosed ?? 1000;
  const sizes: Sizes = { deliveries: options.deliveriesSize ?? 20, pongs: options.pongsSize ?? 10 };
  const open = new Map<string, ConnectionRecord>();
  // Insertion order is closing order: the first entries are the oldest.
  const closed = new Map<string, ConnectionRecord>();

  const prune = (now: number) => {
    const horizon = now - options.retentionSeconds * 1000;
    for (const [id, record] of closed) {
      if (closed.size <= maxClosed && record.closed!.at > horizon) break;
      closed.delete(id);
    }
  };

  return {
    opened(connectionId: string, connectedAt: Date, figures: () => ConnectionFigures) {
      const record = new ConnectionRecord(connectedAt.getTime(), figures, options.timelineSize ?? 50, sizes);
      record.timeline.push(record.connectedAt, 'CONNECTED', figures().remoteAddress);
      open.set(connectionId, record);
    },
    note(connectionId: string, kind: DiagnosticsKind, detail: string | null = null) {
      open.get(connectionId)?.timeline.push(Date.now(), kind, detail);
    },
    /** The connection's delivery record while it is open, for its subscriptions to write to. */
    recorderOf(connectionId: string): DeliveryRecorder | undefined {
      return open.get(connectionId);
    },
    pong(connectionId: string, rttMs: number) {
      open.get(connectionId)?.pong(Date.now(), rttMs);
    },
    closed(connectionId: string, code: number, reason: string) {
      const record = open.get(connectionId);
      if (!record) return;
      open.delete(connectionId);
      const now = Date.now();
      record.closed = { at: now, code, reason, figures: record.figures() };
      record.timeline.push(now, 'CLOSED', reason ? `${code} ${reason}` : String(code));
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
        connectedAt: iso(record.connectedAt),
        ...(ended ? ended.figures : record.figures()),
        open: ended === null,
        closedAt: ended ? iso(ended.at) : null,
        closeCode: ended?.code ?? null,
        closeReason: ended?.reason ?? null,
        timeline: record.timeline.list(),
        deliveries: record.deliveries(),
        pongs: record.pongs(),
      };
    },
    /** Closed connections kept now (for tests and the docs' memory bound). */
    retained: () => closed.size,
  };
}
