import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { resolveTarget, type Resolver, type Target, type UrlPolicy } from './url-policy.js';

/** How long a checked address is used before the name is resolved and checked again. */
const RECHECK_MS = 10_000;

// Shorter than the idle timeout of common servers (Node's is 5 s), so an idle
// socket is closed here rather than by the endpoint just as a request goes out.
const IDLE_SOCKET_MS = 4_000;

export type Connection = { readonly target: Target; readonly agent: HttpAgent };

/**
 * One registration's way to its endpoint. The checked address is reused for a
 * short time, so a delivery does not pay for parsing the URL and resolving the
 * name each time, and comes with a keep-alive agent whose sockets all go to
 * that address: a different address gets a new agent, so the connection is
 * always to an address that passed the check. One socket is enough, as a
 * registration's events go out one at a time.
 */
export function endpointConnection(callbackUrl: string, policy: UrlPolicy, options: { recheckMs?: number; resolve?: Resolver } = {}) {
  const recheckMs = options.recheckMs ?? RECHECK_MS;
  let current: { connection: Connection; checkedAt: number } | undefined;

  const drop = () => {
    current?.connection.agent.destroy();
    current = undefined;
  };

  return {
    /** The checked target and its agent; throws as resolveTarget does (RefusedUrl, or a DNS error). */
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
      const Agent = target.url.protocol === 'https:' ? HttpsAgent : HttpAgent;
      const agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, timeout: IDLE_SOCKET_MS });
      current = { connection: { target, agent }, checkedAt: now };
      return current.connection;
    },
    /** After a connection failure: the next delivery checks the name again and connects afresh. */
    reset: drop,
    close: drop,
  };
}
