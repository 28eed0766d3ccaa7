import type { ControlChannel } from '../events/control.js';
import type { Logger } from '../log.js';
import type { Closing } from './close-codes.js';
import type { Session, SessionRegistry } from './registry.js';
import type { RevocationStore } from './store.js';

/** Whose sessions a revocation ends: a principal's, or only those made with one of its keys. */
export type RevokedSessions = { readonly principalId: string; readonly keyId?: string };

/**
 * Ends every session of a principal, wherever it is: its CLI push
 * registrations (deregistered, so no further POST is sent), and its
 * WebSocket connections and SSE streams on every instance (through the
 * control channel, within a second). The revocation generation moves too, so
 * an instance that missed the command finds out at its next check.
 */
export type EndSessions = (whose: RevokedSessions, closing: Closing) => Promise<void>;

export function createSessionEnder(deps: {
  control: ControlChannel;
  store: RevocationStore;
  /** Deletes the push registrations the principal owns; returns their ids. */
  deregisterPush: (ownerId: string) => Promise<string[]>;
  log: Logger;
}): EndSessions {
  return async (whose, closing) => {
    // Registrations belong to a principal, not to one of its keys (a gateway, the only principal with several keys, has none).
    // Deleted before the command goes out: the instance that pushes stops their workers when it arrives, and must not find them again.
    const deregistered = whose.keyId === undefined ? await deps.deregisterPush(whose.principalId) : [];
    await deps.store.bump();
    await deps.control.send({ kind: 'close-connections', match: whose, ...closing });
    if (deregistered.length > 0) deps.log.info({ audit: true, principal: whose.principalId, registrations: deregistered }, 'push registrations deregistered');
  };
}

/**
 * Checks the live sessions of this instance again whenever the revocation
 * generation moved: for each principal and key holding a session here, asks
 * `check` whether its credential still holds, and ends the sessions of those
 * that do not. This catches revocations whose control command never arrived
 * (the instance's pub/sub connection was down when it was sent). After a
 * move the next check looks again, for sessions whose credentials were being
 * checked while the revocation happened.
 */
export function startRevalidation<S extends Session>(deps: {
  registry: SessionRegistry<S>;
  store: RevocationStore;
  /** The closing for a session whose credential no longer holds; undefined while it holds. */
  check: (principal: NonNullable<S['principal']>) => Promise<Closing | undefined>;
  intervalMs: number;
  log: Logger;
}): { stop(): void } {
  const { registry, log } = deps;
  let seen: number | undefined;
  let again = false;
  let running = false;
  let failing = false;

  async function tick() {
    if (running) return;
    running = true;
    try {
      const generation = await deps.store.generation();
      const moved = seen !== undefined && generation !== seen;
      if (moved || again) {
        again = moved;
        await recheck();
      }
      seen = generation;
      if (failing) log.info({ component: 'sessions' }, 'revocation checks restored');
      failing = false;
    } catch (err) {
      // Redis is away: checked again at the next tick, the generation still unseen.
      if (!failing) log.warn({ component: 'sessions', err: (err as Error).message }, 'cannot check for revocations; will retry');
      failing = true;
    } finally {
      running = false;
    }
  }

  async function recheck() {
    for (const principal of registry.owners()) {
      const closing = await deps.check(principal);
      if (!closing) continue;
      const ended = registry.endMatching({ principalId: principal.id, ...(principal.keyId === undefined ? {} : { keyId: principal.keyId }) }, closing);
      if (ended > 0) log.info({ audit: true, principal: principal.id, keyId: principal.keyId, ended }, 'ended sessions whose credentials were revoked');
    }
  }

  void tick();
  const timer = setInterval(() => void tick(), deps.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
