import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { healthScore } from '../sessions/health.js';
import type { Connection } from './connection.js';

/**
 * The socket adapter: the transport's record of one `ws` socket (identity,
 * heartbeat bookkeeping, close) and its writes. Nothing here decides who may
 * connect or what is sent; it only moves bytes, as fast as the peer reads.
 */
export type AdaptedSocket = {
  readonly connection: Connection;
  /** Writes a text frame without waiting for it; a no-op once the socket is not open. */
  readonly send: (data: string) => void;
  /** Whether the peer reads as fast as it is written to (its unsent backlog is under a quarter of the bound). */
  readonly writable: () => boolean;
  /** Calls back once the unsent backlog has drained. */
  readonly whenWritable: (resume: () => void) => void;
};

export type SocketOptions = {
  /** Past this much unsent data the peer is a slow consumer. */
  readonly maxBufferedBytes: number;
  /** Called once when the unsent backlog passes the bound. */
  readonly onSlow: (connection: Connection) => void;
  /** Called when a write that was tracked (a gateway's) failed. */
  readonly onSendFailure: (connection: Connection, err: Error) => void;
  /** Whether this connection's writes are tracked one by one. */
  readonly tracked: (connection: Connection) => boolean;
  /** Called with each answered ping's round trip. */
  readonly onPong?: (connection: Connection, rttMs: number) => void;
  readonly metrics: Metrics;
  readonly log: Logger;
};

export function adaptSocket(socket: WebSocket, raw: Socket, ip: string, options: SocketOptions): AdaptedSocket {
  const connection = recordOf(socket, ip, options);
  const maxHeldBytes = Math.min(64 * 1024, options.maxBufferedBytes / 2);
  const onSent = (err?: Error | null) => {
    if (err) options.onSendFailure(connection, err);
  };
  let slow = false;
  // Writes made while a fan-out runs are held and go out back to back once
  // it is done: spread among the work that produces them, each costs about
  // twice as much, the reader being woken for every one. Held bytes are
  // bounded, so that a long catch-up is not taken for a slow consumer.
  let held = false;
  const release = () => {
    if (!held) return;
    held = false;
    raw.uncork();
  };
  // Not awaiting the write keeps one slow client from stalling its own
  // event stream while its kernel buffer drains; instead a client whose
  // unsent backlog passes the limit is dropped.
  const send = (data: string) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (!held) {
      held = true;
      raw.cork();
      process.nextTick(release);
    }
    socket.send(data, options.tracked(connection) ? onSent : undefined);
    if (raw.writableLength > maxHeldBytes) release();
    if (!slow && socket.bufferedAmount > options.maxBufferedBytes) {
      slow = true;
      options.onSlow(connection);
    }
  };
  const pauseAt = options.maxBufferedBytes / 4;
  // bufferedAmount counts what the socket has not handed to the kernel yet.
  const writable = () => socket.readyState !== WebSocket.OPEN || socket.bufferedAmount <= pauseAt;
  const whenWritable = (resume: () => void) => {
    if (writable()) return resume();
    // 'drain' comes only after a write the socket refused; below that, the backlog shrinks silently.
    if (raw.writableNeedDrain) raw.once('drain', () => whenWritable(resume));
    else setTimeout(() => whenWritable(resume), 20).unref();
  };
  return { connection, send, writable, whenWritable };
}

/** The connection record of a socket: what the rest of the server may read and do with it. */
function recordOf(socket: WebSocket, ip: string, deps: SocketOptions): Connection {
  const now = new Date();
  const connection: Connection = {
    id: newId(),
    transport: 'websocket',
    remoteAddress: ip,
    connectedAt: now,
    lastHeartbeatAt: now,
    pingSentAt: null,
    heartbeatRttMs: null,
    pingsUnanswered: 0,
    principal: null,
    clientName: null,
    clientVersion: null,
    cliRegistrationId: null,
    browser: false,
    subscriptions: new Set(),
    eventsSent: 0,
    eventsDropped: 0,
    queuedBytes: () => socket.bufferedAmount,
    health: () =>
      healthScore({
        heartbeatRttMs: connection.heartbeatRttMs,
        missedPongs: connection.pingsUnanswered,
        queuedBytes: socket.bufferedAmount,
        maxQueuedBytes: deps.maxBufferedBytes,
        eventsDropped: connection.eventsDropped,
      }),
    close: (code, reason) => {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, reason);
    },
    end: ({ code, reason }) => connection.close(code, reason),
    ping: () => socket.ping(),
    terminate: () => socket.terminate(),
  };
  socket.on('pong', () => {
    const at = Date.now();
    connection.lastHeartbeatAt = new Date(at);
    connection.pingsUnanswered = 0;
    if (connection.pingSentAt !== null) {
      connection.heartbeatRttMs = at - connection.pingSentAt;
      deps.metrics.heartbeatRtt(connection.heartbeatRttMs);
      deps.onPong?.(connection, connection.heartbeatRttMs);
      deps.log.debug({ connectionId: connection.id, rttMs: connection.heartbeatRttMs }, 'heartbeat');
      connection.pingSentAt = null;
    }
  });
  socket.on('error', (err) => deps.log.debug({ connectionId: connection.id, err: err.message }, 'socket error'));
  return connection;
}
