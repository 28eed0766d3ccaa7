import { newId } from '../ids.js';
import { WebSocket } from 'ws';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Connection } from './connection-registry.js';

/**
 * The transport's record of one socket: identity, heartbeat bookkeeping and
 * the few socket operations the rest of the server may use.
 */
export function createConnection(socket: WebSocket, ip: string, deps: { metrics: Metrics; log: Logger }): Connection {
  const now = new Date();
  const connection: Connection = {
    id: newId(),
    remoteAddress: ip,
    connectedAt: now,
    lastHeartbeatAt: now,
    pingSentAt: null,
    heartbeatRttMs: null,
    principal: null,
    clientName: null,
    clientVersion: null,
    cliRegistrationId: null,
    subscriptions: new Set(),
    eventsSent: 0,
    eventsDropped: 0,
    close: (code, reason) => {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, reason);
    },
    ping: () => socket.ping(),
    terminate: () => socket.terminate(),
  };
  socket.on('pong', () => {
    const at = Date.now();
    connection.lastHeartbeatAt = new Date(at);
    if (connection.pingSentAt !== null) {
      connection.heartbeatRttMs = at - connection.pingSentAt;
      deps.metrics.heartbeatRtt(connection.heartbeatRttMs);
      deps.log.debug({ connectionId: connection.id, rttMs: connection.heartbeatRttMs }, 'heartbeat');
      connection.pingSentAt = null;
    }
  });
  socket.on('error', (err) => deps.log.debug({ connectionId: connection.id, err: err.message }, 'socket error'));
  return connection;
}
