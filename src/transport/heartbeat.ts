import type { TransportSessions } from './connection.js';

/**
 * Turns of the heartbeat per interval. Each connection is pinged once per
 * interval, in the turn its time comes: pinging every connection in one turn
 * blocked the event loop for about 15 ms per 1000 connections (a socket write
 * each, then as many pongs at once), and every delivery waited behind it.
 */
const TURNS = 10;

/**
 * One timer for all connections (not one per socket): every turn, drop the
 * connections whose last pong is older than the timeout and ping those whose
 * time has come. A connection's first ping falls at random within its first
 * interval, so connections that open together are pinged apart. A pong sets
 * `lastHeartbeatAt` and the round trip (see ws-socket.ts).
 */
export function startHeartbeat(registry: TransportSessions, intervalMs: number, timeoutMs: number): () => void {
  const timer = setInterval(() => {
    const now = Date.now();
    const deadline = now - timeoutMs;
    for (const connection of registry.of('websocket')) {
      if (connection.lastHeartbeatAt.getTime() < deadline) {
        connection.terminate(); // a silent peer would not finish a closing handshake
      } else if (connection.nextPingAt === 0) {
        connection.nextPingAt = now + Math.random() * intervalMs;
      } else if (connection.nextPingAt <= now) {
        const next = connection.nextPingAt + intervalMs;
        connection.nextPingAt = next > now ? next : now + intervalMs; // behind after a stall: no burst of catching up
        connection.pingsUnanswered++;
        connection.pingSentAt = now;
        connection.ping();
      }
    }
  }, Math.max(1, intervalMs / TURNS));
  timer.unref();
  return () => clearInterval(timer);
}
