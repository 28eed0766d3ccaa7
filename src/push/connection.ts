import type { Client } from 'undici';
import { pinnedClient } from './attempt.js';
import { resolveTarget, type Resolver, type Target, type UrlPolicy } from './url-policy.js';

/** How long a checked address is used before the name is resolved and checked again. */
const RECHECK_MS = 10_000;

// Shorter than the idle timeout of common servers (Node's is 5 s), so an idle
// socket is closed here rather than by the endpoint just as a request goes out.
const IDLE_SOCKET_MS = 4_000;

export type Connection = {
  readonly target: Target;
  readonly client: Client;
  /** Whether a socket that served an earlier request is open now. */
  readonly isOpen: () => boolean;
};

/**
 * One registration's way to its endpoint. The checked address is reused for a
 * short time, so a delivery does not pay for parsing the URL and resolving the
 * name each time, and comes with a keep-alive client whose socket goes to that
 * address: a different address gets a new client, so the connection is always
 * to an address that passed the check. One socket is enough, as a
 * registration's events go out one at a time.
 */
export function endpointConnection(callbackUrl: string, policy: UrlPolicy, options: { timeoutMs: number; recheckMs?: number; resolve?: Resolver }) {
  const recheckMs = options.recheckMs ?? RECHECK_MS;
  let current: { connection: Connection; checkedAt: number } | undefined;

  const drop = () => {
    if (current) void current.connection.client.destroy().catch(() => {});
    current = undefined;
  };

  return {
    /** The checked target and its client; throws as resolveTarget does (RefusedUrl, or a DNS error). */
    async get(): Promise<Connection> {
      const now = Date.now();
      if (current && now - current.checkedAt < recheckMs) return current.connection;
      let target: Target;
      try {
        target = await resolveTarget(new URL(callbackUrl), policy, options.resolve);
      } catch (err) {
        drop();
        throw err;
      }
      if (current && current.connection.target.address === target.address) {
        current.checkedAt = now;
        return current.connection;
      }
      drop();
      const client = pinnedClient(target, { timeoutMs: options.timeoutMs, keepAliveMs: IDLE_SOCKET_MS });
      let open = false;
      client.on('connect', () => (open = true)).on('disconnect', () => (open = false));
      current = { connection: { target, client, isOpen: () => open }, checkedAt: now };
      return current.connection;
    },
    /** After a connection failure: the next delivery checks the name again and connects afresh. */
    reset: drop,
    close: drop,
  };
}
