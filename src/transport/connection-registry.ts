import type { Principal } from '../auth/principal.js';

/** One open WebSocket connection as the transport tracks it. */
export type Connection = {
  readonly id: string;
  readonly remoteAddress: string;
  readonly connectedAt: Date;
  lastHeartbeatAt: Date;
  /** When the last ping went out, for the round trip; null while none is outstanding. */
  pingSentAt: number | null;
  heartbeatRttMs: number | null;
  /** Set once `connection_init` was accepted (see ConnectionRegistry.authenticate). */
  readonly principal: Principal | null;
  clientName: string | null;
  clientVersion: string | null;
  /** The CLI push registration this connection belongs to, when it named one in connection_init. */
  cliRegistrationId: string | null;
  /** `next` messages sent on this connection. */
  eventsSent: number;
  /** Events this connection did not get because it fell too far behind. */
  eventsDropped: number;
  /** Ids of the graphql-ws subscriptions running on this connection. */
  readonly subscriptions: Set<string>;
  /** Closes the socket with a code and reason. */
  readonly close: (code: number, reason: string) => void;
  /** Sends a WebSocket ping. */
  readonly ping: () => void;
  /** Drops the socket without a closing handshake (the peer is gone). */
  readonly terminate: () => void;
};

/** The connections of this instance, by id and by principal. */
export type ConnectionRegistry = {
  add(connection: Connection): void;
  remove(connection: Connection): void;
  /** Records who the connection belongs to; returns how many connections that principal now has here. */
  authenticate(connection: Connection, principal: Principal): number;
  get(id: string): Connection | undefined;
  size(): number;
  all(): IterableIterator<Connection>;
  ofPrincipal(principalId: string): Connection[];
};

export function createConnectionRegistry(): ConnectionRegistry {
  const connections = new Map<string, Connection>();
  const byPrincipal = new Map<string, Set<Connection>>();
  return {
    add: (c) => void connections.set(c.id, c),
    remove(c) {
      connections.delete(c.id);
      const own = c.principal && byPrincipal.get(c.principal.id);
      if (own?.delete(c) && own.size === 0) byPrincipal.delete(c.principal!.id);
    },
    authenticate(c, principal) {
      (c as { principal: Principal | null }).principal = principal;
      let own = byPrincipal.get(principal.id);
      if (!own) byPrincipal.set(principal.id, (own = new Set()));
      own.add(c);
      return own.size;
    },
    get: (id) => connections.get(id),
    size: () => connections.size,
    all: () => connections.values(),
    ofPrincipal: (principalId) => [...(byPrincipal.get(principalId) ?? [])],
  };
}
