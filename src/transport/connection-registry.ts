import type { Principal } from '../auth/principal.js';
import type { ConnectionView } from '../schema/context.js';

/** One open WebSocket connection as the transport tracks it. */
export type Connection = {
  readonly id: string;
  readonly remoteAddress: string;
  readonly connectedAt: Date;
  lastHeartbeatAt: Date;
  principal: Principal | null;
  clientName: string | null;
  clientVersion: string | null;
  /** Ids of the graphql-ws subscriptions running on this connection. */
  readonly subscriptions: Set<string>;
  /** Closes the socket with a code and reason. */
  readonly close: (code: number, reason: string) => void;
  /** Sends a WebSocket ping. */
  readonly ping: () => void;
  /** Drops the socket without a closing handshake (the peer is gone). */
  readonly terminate: () => void;
};

/** The connections of this instance, by id. */
export type ConnectionRegistry = {
  add(connection: Connection): void;
  remove(connection: Connection): void;
  get(id: string): Connection | undefined;
  size(): number;
  all(): IterableIterator<Connection>;
  views(): ConnectionView[];
};

export function createConnectionRegistry(): ConnectionRegistry {
  const connections = new Map<string, Connection>();
  return {
    add: (c) => void connections.set(c.id, c),
    remove: (c) => void connections.delete(c.id),
    get: (id) => connections.get(id),
    size: () => connections.size,
    all: () => connections.values(),
    views: () =>
      [...connections.values()].map((c) => ({
        id: c.id,
        remoteAddress: c.remoteAddress,
        connectedAt: c.connectedAt,
        lastHeartbeatAt: c.lastHeartbeatAt,
        principalId: c.principal?.id ?? null,
        clientName: c.clientName,
        clientVersion: c.clientVersion,
        subscriptions: c.subscriptions.size,
      })),
  };
}
