/**
 * A connection's health, 0 (unusable) to 100 (fine), from what the server
 * sees of it: how long its pings take to come back, whether it stopped
 * answering them, how much unsent data waits for it, and how many events it
 * lost by falling behind. Pure, so it is tested without sockets.
 */
export type HealthInput = {
  /** Round trip of the last answered ping; null before the first. */
  readonly heartbeatRttMs: number | null;
  /** Pings sent since the last pong (0 while the peer answers). */
  readonly missedPongs: number;
  /** Unsent bytes waiting in the socket, and the bound past which it is dropped as a slow consumer. */
  readonly queuedBytes: number;
  readonly maxQueuedBytes: number;
  /** Events this connection did not get because it fell behind. */
  readonly eventsDropped: number;
};

/** Round trips up to this cost nothing; the penalty grows with the logarithm above it, up to RTT_MAX_PENALTY at 5 s. */
const RTT_FREE_MS = 100;
const RTT_MAX_PENALTY = 40;
const MISSED_PONG_PENALTY = 30;
const QUEUE_MAX_PENALTY = 40;
const DROPPED_MAX_PENALTY = 40;

export function healthScore(input: HealthInput): number {
  let penalty = 0;
  if (input.heartbeatRttMs !== null && input.heartbeatRttMs > RTT_FREE_MS) {
    const over = Math.log10(input.heartbeatRttMs / RTT_FREE_MS) / Math.log10(5000 / RTT_FREE_MS);
    penalty += Math.min(1, over) * RTT_MAX_PENALTY;
  }
  // One ping out is normal between a ping and its pong; each further one means the peer stopped answering.
  penalty += Math.max(0, input.missedPongs - 1) * MISSED_PONG_PENALTY;
  if (input.maxQueuedBytes > 0) penalty += Math.min(1, input.queuedBytes / input.maxQueuedBytes) * QUEUE_MAX_PENALTY;
  // Any loss is serious; a thousand events lost is as bad as it gets.
  if (input.eventsDropped > 0) penalty += Math.min(1, 0.25 + Math.log10(input.eventsDropped) / 4) * DROPPED_MAX_PENALTY;
  return Math.max(0, Math.min(100, Math.round(100 - penalty)));
}
