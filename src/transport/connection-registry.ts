import type { Principal } from '../auth/principal.js';

/** One open WebSocket connection as the transport tracks it. */
export type Connection = {
  readonly id: string;
  readonly remoteAddress: string;
  readonly connectedAt: Date;
  lastHeartbeatAt: Date;
  principal: Principal | null;
  clientName: string | null;
  clientVersion: string | null;
  /** `next` messages sent on this connection. */
  eventsSent: number;
  /** Write callback for gateway connections: reports a failed write. */
  readonly onGatewaySent: (err?: Error) => void;
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
  /** Connections authenticated as the gateway. */
  ofGateway(gatewayId: string): Connection[];
};

export function createConnectionRegistry(): ConnectionRegistry {
  const connections = new Map<string, Connection>();
  return {
    add: (c) => void connections.set(c.id, c),
    remove: (c) => void connections.delete(c.id),
    get: (id) => connections.get(id),
    size: () => connections.size,
    all: () => connections.values(),
    ofGateway: (gatewayId) =>
      [...connections.values()].filter((c) => c.principal?.kind === 'gateway' && c.principal.gatewayId === gatewayId),
  };
}
