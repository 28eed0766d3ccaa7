import type { Principal } from '../auth/principal.js';
import type { Session, SessionRegistry } from '../sessions/registry.js';

/** One open WebSocket connection as the transport tracks it: a session of its principal. */
export type Connection = Session & {
  readonly id: string;
  readonly transport: 'websocket';
  readonly remoteAddress: string;
  readonly connectedAt: Date;
  lastHeartbeatAt: Date;
  /** When the last ping went out, for the round trip; null while none is outstanding. */
  pingSentAt: number | null;
  heartbeatRttMs: number | null;
  /** Pings sent since the last pong: one is normal between a ping and its answer. */
  pingsUnanswered: number;
  /** When the heartbeat pings it next (epoch ms); 0 until the heartbeat has seen it. */
  nextPingAt: number;
  /** Set once `connection_init` was accepted (see SessionRegistry.authenticate). */
  readonly principal: Principal | null;
  clientName: string | null;
  clientVersion: string | null;
  /** The CLI push registration this connection belongs to, when it named one in connection_init. */
  cliRegistrationId: string | null;
  /** The upgrade carried an Origin header: a browser page. */
  browser: boolean;
  /** `next` messages sent on this connection. */
  eventsSent: number;
  /** Events this connection did not get because it fell too far behind. */
  eventsDropped: number;
  /** Ids of the graphql-ws subscriptions running on this connection. */
  readonly subscriptions: Set<string>;
  /** Unsent bytes waiting in the socket. */
  readonly queuedBytes: () => number;
  /** 0-100, from round trip, unanswered pings, unsent bytes and dropped events (sessions/health.ts). */
  readonly health: () => number;
  /** Closes the socket with a code and reason. */
  readonly close: (code: number, reason: string) => void;
  /** Sends a WebSocket ping. */
  readonly ping: () => void;
  /** Drops the socket without a closing handshake (the peer is gone). */
  readonly terminate: () => void;
};

/** One SSE subscription as the transport tracks it: a session of its principal too. */
export type SseSession = Session & {
  readonly transport: 'sse';
  readonly principal: Principal | null;
};

/** Every session this instance's transports hold, in one registry (see sessions/registry.ts). */
export type TransportSession = Connection | SseSession;
export type TransportSessions = SessionRegistry<TransportSession>;
