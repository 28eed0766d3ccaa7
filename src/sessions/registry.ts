import type { ConnectionMatch } from '../events/control.js';
import type { Logger } from '../log.js';
import { Closings, type Closing } from './close-codes.js';

/**
 * Who a session belongs to, as far as the registry needs to know (the auth
 * room's Principal is one): its id, the key it authenticated with, and when
 * its credential expires.
 */
export type SessionOwner = {
  readonly id: string;
  /** The API or gateway key the session authenticated with, so one key's sessions can be ended. */
  readonly keyId?: string;
  /** When the credential expires (epoch ms); the session ends then. */
  readonly expiresAt?: number | null;
};

/** The ways a principal holds a live stream of events on an instance. */
export type SessionTransport = 'websocket' | 'sse';

/**
 * One live stream of data to a principal on this instance: a WebSocket
 * connection or an SSE subscription. (CLI push registrations are sessions
 * too, but they live in the push store, cluster-wide; see revocation.ts.)
 */
export type Session = {
  readonly id: string;
  readonly transport: SessionTransport;
  /** Set once the session's credentials were accepted. */
  readonly principal: SessionOwner | null;
  /**
   * Ends the session telling the client why: a WebSocket closes with the code
   * and reason, an SSE stream sends a last result with an error naming the
   * reason and completes.
   */
  end(closing: Closing): void;
};

export type SessionRegistry<S extends Session> = {
  add(session: S): void;
  /** Forgets a session that ended (and its expiry timer). */
  remove(session: S): void;
  /**
   * Records who the session belongs to and, for a credential that expires,
   * ends the session then; returns how many sessions that principal now has
   * on this instance, over every transport.
   */
  authenticate(session: S, principal: NonNullable<S['principal']>): number;
  get(id: string): S | undefined;
  /** Sessions on this instance, of one transport or of all. */
  size(transport?: SessionTransport): number;
  all(): IterableIterator<S>;
  of<T extends SessionTransport>(transport: T): Generator<Extract<S, { transport: T }>>;
  ofPrincipal(principalId: string): S[];
  /** Every distinct principal and key holding a session here: what re-validation checks. */
  owners(): NonNullable<S['principal']>[];
  /** Ends the sessions a match names (a principal's, one of its keys', or one session); returns how many. */
  endMatching(match: ConnectionMatch, closing: Closing): number;
};

/** The sessions of this instance, by id and by principal, with their expiry timers. */
export function createSessionRegistry<S extends Session>(log: Logger): SessionRegistry<S> {
  type Owner = NonNullable<S['principal']>;
  const sessions = new Map<string, S>();
  const byPrincipal = new Map<string, Set<S>>();
  const counts: Record<SessionTransport, number> = { websocket: 0, sse: 0 };
  const expiries = new Map<S, NodeJS.Timeout>();

  const keyOf = (owner: SessionOwner) => (owner.keyId === undefined ? owner.id : `${owner.id}\u0000${owner.keyId}`);

  function scheduleExpiry(session: S, owner: Owner) {
    if (owner.expiresAt === undefined || owner.expiresAt === null) return;
    const delay = Math.min(owner.expiresAt - Date.now(), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      expiries.delete(session);
      log.info({ audit: true, sessionId: session.id, transport: session.transport, principal: owner.id }, 'token expired; ending the session');
      session.end(Closings.tokenExpired);
    }, Math.max(0, delay));
    timer.unref();
    expiries.set(session, timer);
  }

  return {
    add(session) {
      sessions.set(session.id, session);
      counts[session.transport]++;
    },
    remove(session) {
      if (sessions.get(session.id) !== session) return;
      sessions.delete(session.id);
      counts[session.transport]--;
      clearTimeout(expiries.get(session));
      expiries.delete(session);
      const owner = session.principal;
      const own = owner && byPrincipal.get(owner.id);
      if (own?.delete(session) && own.size === 0) byPrincipal.delete(owner!.id);
    },
    authenticate(session, principal) {
      (session as { principal: SessionOwner | null }).principal = principal;
      let own = byPrincipal.get(principal.id);
      if (!own) byPrincipal.set(principal.id, (own = new Set()));
      own.add(session);
      scheduleExpiry(session, principal);
      return own.size;
    },
    get: (id) => sessions.get(id),
    size: (transport) => (transport ? counts[transport] : sessions.size),
    all: () => sessions.values(),
    *of(transport) {
      for (const session of sessions.values()) if (session.transport === transport) yield session as Extract<S, { transport: typeof transport }>;
    },
    ofPrincipal: (principalId) => [...(byPrincipal.get(principalId) ?? [])],
    owners() {
      const distinct = new Map<string, Owner>();
      for (const own of byPrincipal.values()) {
        for (const session of own) {
          const owner = session.principal as Owner;
          distinct.set(keyOf(owner), owner);
        }
      }
      return [...distinct.values()];
    },
    endMatching(match, closing) {
      const targets =
        'principalId' in match
          ? [...(byPrincipal.get(match.principalId) ?? [])].filter((s) => match.keyId === undefined || s.principal?.keyId === match.keyId)
          : [sessions.get(match.connectionId)].filter((s): s is S => s !== undefined);
      for (const session of targets) session.end(closing);
      return targets.length;
    },
  };
}
