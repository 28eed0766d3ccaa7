import type { TransportSessions } from './connection.js';

/**
 * One timer for all connections (not one per socket): every interval, drop the
 * connections whose last pong is older than the timeout and ping the rest.
 * A pong sets `lastHeartbeatAt` and the round trip (see ws-server.ts).
 */
export function startHeartbeat(registry: TransportSessions, intervalMs: number, timeoutMs: number): () => void {
  const timer = setInterval(() => {
    const now = Date.now();
    const deadline = now - timeoutMs;
    for (const connection of registry.of('websocket')) {
      if (connection.lastHeartbeatAt.getTime() < deadline) {
        connection.terminate(); // a silent peer would not finish a closing handshake
      } else {
        connection.pingsUnanswered++;
        connection.pingSentAt = now;
        connection.ping();
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
