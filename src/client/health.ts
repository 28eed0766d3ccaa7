/** How the connection is doing, as `client.health()` reports it. */
export type Transport = 'ws' | 'sse' | 'poll';

/**
 * - `idle`: no subscription, so no connection;
 * - `connecting`: the first connection is being made;
 * - `connected`: events flow over `transport`;
 * - `reconnecting`: the connection was lost (or never made) and is tried again;
 * - `failed`: given up for good (credentials refused, client too old, attempts spent);
 * - `closed`: `dispose()` was called.
 */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export type Health = {
  readonly transport: Transport | null;
  readonly state: ConnectionState;
  /** Round trips of keep-alive pings (WebSocket) or HTTP requests (SSE, polling), over the last 200. */
  readonly rttMs: { readonly p50: number | null; readonly p99: number | null };
  /** Connections made again after the first (any transport). */
  readonly reconnects: number;
  /** Transport switches (fallbacks and returns). */
  readonly switches: number;
  /** Events handed to the application. */
  readonly eventsReceived: number;
  /** Events received twice (across a reconnect or switch) and dropped. */
  readonly duplicatesDropped: number;
  /** Times events were lost for good (cursor past retention): see the `gap` event. */
  readonly gaps: number;
  /** Milliseconds since the last event; null before the first. */
  readonly lastEventAgeMs: number | null;
  readonly subscriptions: number;
  /** 0 (no connection) to 100 (WebSocket, fast, steady). */
  readonly score: number;
};

/** A bounded window of round-trip samples. */
export class RttWindow {
  readonly #samples: number[] = [];
  constructor(private readonly size = 200) {}
  add(ms: number): void {
    this.#samples.push(ms);
    if (this.#samples.length > this.size) this.#samples.shift();
  }
  percentile(p: number): number | null {
    if (this.#samples.length === 0) return null;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
  }
}

/**
 * The score: 100 for a WebSocket with quick round trips and no trouble
 * lately; less on a fallback transport (SSE 85, polling 70), with slow round
 * trips (p99 over 200 / 500 / 2000 ms), and for each reconnect (5) or gap (20)
 * in the last five minutes; 30 at most while (re)connecting; 0 when failed or
 * closed. Idle (nothing subscribed) counts as healthy.
 */
export function score(input: {
  state: ConnectionState;
  transport: Transport | null;
  p99: number | null;
  recentReconnects: number;
  recentGaps: number;
}): number {
  if (input.state === 'failed' || input.state === 'closed') return 0;
  if (input.state === 'idle') return 100;
  let value = 100;
  if (input.transport === 'sse') value -= 15;
  if (input.transport === 'poll') value -= 30;
  const p99 = input.p99 ?? 0;
  value -= p99 > 2000 ? 30 : p99 > 500 ? 15 : p99 > 200 ? 5 : 0;
  value -= Math.min(25, 5 * input.recentReconnects);
  value -= Math.min(40, 20 * input.recentGaps);
  if (input.state !== 'connected') value = Math.min(value, 30);
  return Math.max(0, Math.min(100, value));
}
