import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { healthScore } from '../sessions/health.js';
import type { Principal } from '../auth/principal.js';
import type { Closing } from '../sessions/close-codes.js';
import type { Connection } from './connection.js';
import { textFrame } from './ws-frame.js';

/**
 * The socket adapter: the transport's record of one `ws` socket (identity,
 * heartbeat bookkeeping, close) and its writes. Nothing here decides who may
 * connect or what is sent; it only moves bytes, as fast as the peer reads.
 */
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
  /** Called with each error of the socket (after it is logged). */
  readonly onError?: (connection: Connection, err: Error) => void;
  readonly metrics: Metrics;
  readonly log: Logger;
};

/** The transport's record of one socket; also how it is written to. */
export type AdaptedSocket = SocketConnection;

export function adaptSocket(socket: WebSocket, raw: Socket, ip: string, options: SocketOptions): AdaptedSocket {
  return new SocketConnection(socket, raw, ip, options);
}

/**
 * The connection record of a socket: what the rest of the server may read and
 * do with it, and its writes. A class, not an object of closures: every open
 * connection holds one, and a dozen closures and their scopes were about
 * 0.8 KB of each connection's heap; methods on the prototype cost nothing per
 * connection.
 */
export class SocketConnection implements Connection {
  readonly id = newId();
  readonly transport = 'websocket' as const;
  readonly connectedAt: Date;
  lastHeartbeatAt: Date;
  pingSentAt: number | null = null;
  heartbeatRttMs: number | null = null;
  pingsUnanswered = 0;
  nextPingAt = 0;
  readonly principal: Principal | null = null;
  clientName: string | null = null;
  clientVersion: string | null = null;
  cliRegistrationId: string | null = null;
  browser = false;
  readonly subscriptions = new Set<string>();
  eventsSent = 0;
  eventsDropped = 0;
  /** Past the bound once: onSlow was called. */
  #slow = false;
  /**
   * Writes made in one turn of the event loop are held (the socket corked)
   * and go out back to back once its I/O callbacks are done: spread among the
   * work that produces them, each costs about twice as much, the reader being
   * woken for every one, and events published by several requests read in
   * the same turn reach a subscriber in one write.
   */
  #held = false;
  #onSent: ((err?: Error | null) => void) | undefined;
  /** No extension was negotiated (see send); fixed once the handshake is done, as it is here. */
  readonly #plainFrames: boolean;

  constructor(
    private readonly socket: WebSocket,
    private readonly raw: Socket,
    readonly remoteAddress: string,
    private readonly options: SocketOptions,
  ) {
    this.connectedAt = new Date();
    this.lastHeartbeatAt = this.connectedAt;
    this.#plainFrames = socket.extensions === '';
    socket.on('pong', onPong);
    socket.on('error', onError);
    connections.set(socket, this);
  }

  /** Unsent bytes waiting in the socket. */
  queuedBytes(): number {
    return this.socket.bufferedAmount;
  }

  health(): number {
    return healthScore({
      heartbeatRttMs: this.heartbeatRttMs,
      missedPongs: this.pingsUnanswered,
      queuedBytes: this.socket.bufferedAmount,
      maxQueuedBytes: this.options.maxBufferedBytes,
      eventsDropped: this.eventsDropped,
    });
  }

  close(code: number, reason: string): void {
    const { readyState } = this.socket;
    if (readyState === WebSocket.OPEN || readyState === WebSocket.CONNECTING) this.socket.close(code, reason);
  }

  end({ code, reason }: Closing): void {
    this.close(code, reason);
  }

  ping(): void {
    this.socket.ping();
  }

  terminate(): void {
    this.socket.terminate();
  }

  /**
   * Writes a text frame without waiting for it; a no-op once the socket is
   * not open. Not awaiting the write keeps one slow client from stalling its
   * own event stream while its kernel buffer drains; instead a client whose
   * unsent backlog passes the limit is dropped.
   */
  send(data: string): void {
    const { socket, raw, options } = this;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (!this.#held) {
      this.#held = true;
      raw.cork();
      hold(this);
    }
    const onSent = options.tracked(this) ? (this.#onSent ??= (err) => err && options.onSendFailure(this, err)) : undefined;
    // Without an extension (compression) a frame is header and text, and ws's
    // sender writes synchronously: a whole frame in one buffer keeps the order
    // and costs the socket one chunk instead of a header buffer and a string.
    if (this.#plainFrames) raw.write(textFrame(data), onSent);
    else socket.send(data, onSent);
    // Held bytes are bounded, so that a long catch-up is not taken for a slow consumer.
    if (raw.writableLength > Math.min(64 * 1024, options.maxBufferedBytes / 2)) release(this);
    if (!this.#slow && socket.bufferedAmount > options.maxBufferedBytes) {
      this.#slow = true;
      options.onSlow(this);
    }
  }

  /** Whether the peer reads as fast as it is written to (its unsent backlog is under a quarter of the bound). */
  writable(): boolean {
    // bufferedAmount counts what the socket has not handed to the kernel yet.
    return this.socket.readyState !== WebSocket.OPEN || this.socket.bufferedAmount <= this.options.maxBufferedBytes / 4;
  }

  /** Calls back once the unsent backlog has drained. */
  whenWritable(resume: () => void): void {
    if (this.writable()) return resume();
    // 'drain' comes only after a write the socket refused; below that, the backlog shrinks silently.
    if (this.raw.writableNeedDrain) this.raw.once('drain', () => this.whenWritable(resume));
    else setTimeout(() => this.whenWritable(resume), 20).unref();
  }

  /** Uncorks what the current burst of work wrote. */
  static release(connection: SocketConnection): void {
    if (!connection.#held) return;
    connection.#held = false;
    connection.raw.uncork();
  }

  /** A pong: the heartbeat's bookkeeping and round trip. */
  static pong(connection: SocketConnection): void {
    const at = Date.now();
    connection.lastHeartbeatAt = new Date(at);
    connection.pingsUnanswered = 0;
    if (connection.pingSentAt !== null) {
      const { options } = connection;
      connection.heartbeatRttMs = at - connection.pingSentAt;
      options.metrics.heartbeatRtt(connection.heartbeatRttMs);
      options.onPong?.(connection, connection.heartbeatRttMs);
      options.log.debug({ connectionId: connection.id, rttMs: connection.heartbeatRttMs }, 'heartbeat');
      connection.pingSentAt = null;
    }
  }

  static error(connection: SocketConnection, err: Error): void {
    connection.options.log.debug({ connectionId: connection.id, err: err.message }, 'socket error');
    connection.options.onError?.(connection, err);
  }
}

const { release } = SocketConnection;

/** Connections holding writes, released together after the loop's I/O callbacks (setImmediate). */
let holding: SocketConnection[] = [];

function hold(connection: SocketConnection): void {
  if (holding.push(connection) === 1) setImmediate(releaseHeld);
}

function releaseHeld(): void {
  const held = holding;
  holding = [];
  for (const connection of held) release(connection);
}

/**
 * The socket's connection, for the listeners below: one function for every
 * socket (ws calls a listener with the socket as `this`), not a closure each.
 */
const connections = new WeakMap<WebSocket, SocketConnection>();

function onPong(this: WebSocket): void {
  const connection = connections.get(this);
  if (connection) SocketConnection.pong(connection);
}

function onError(this: WebSocket, err: Error): void {
  const connection = connections.get(this);
  if (connection) SocketConnection.error(connection, err);
}
