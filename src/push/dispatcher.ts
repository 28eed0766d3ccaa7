import { createSharedLogReader } from '../events/shared-reader.js';
import type { CliRegistration } from './store.js';
import { attempt, targetFailure } from './attempt.js';
import { Deposed, type Leadership } from './leader.js';
import type { AttemptOutcome } from './policy.js';
import { resolveTarget } from './url-policy.js';
import { startWorker, type Lead, type WorkerDeps } from './worker.js';
import type { Audit } from '../log.js';

/**
 * Runs the push workers on the instance that leads (see leader.ts), one per
 * registration, and checks every endpoint's health. Registrations are read
 * from the store, so one made on any instance is picked up by the leader.
 *
 * This instance believes it leads only while its lease holds: from the moment
 * it asked for the lock, for the lock's lifetime. Redis counts the lock's
 * lifetime from a later moment, so the lease ends here first, and by the time
 * another instance can take the lock, this one has stopped starting pushes
 * (a request already on its way is the one exception: see docs/push.md). Its
 * workers write with the lead's fencing token, so a write arriving after a
 * takeover is refused, and the worker stops.
 */
export function createPushDispatcher(deps: WorkerDeps & { leadership: Leadership; audit: Audit }) {
  const { store, settings, log, leadership } = deps;
  // Each with whose registration it pushes, to stop a revoked principal's at once.
  const workers = new Map<string, { readonly ownerId: string; stop(): Promise<void> }>();
  const logs = createSharedLogReader(deps.bus);
  /** Registrations stopped that way: a reconcile that read the store before they were deleted must not start them again. */
  const retired = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let lastHealthCheck = 0;
  /** The fencing token of this instance's lead; null while it does not lead. */
  let token: number | null = null;
  let leaseUntil = 0;
  let busy = false;

  const leading = () => token !== null && Date.now() < leaseUntil;
  const lead = (fence: number): Lead => ({
    fence,
    mayPush: () => token === fence && leading(),
    deposed: () => {
      if (token !== fence) return;
      log.warn({ fence }, 'another instance took over pushing; stopping');
      leaseUntil = 0;
      void reconcile();
    },
  });

  async function stopWorkers() {
    const stopping = [...workers.values()];
    workers.clear();
    await Promise.all(stopping.map((w) => w.stop()));
  }

  async function reconcile() {
    if (busy) return;
    busy = true;
    try {
      const askedAt = Date.now();
      const claimed = await leadership.claim();
      if (claimed !== null) leaseUntil = askedAt + settings.leaderTtlMs;
      if (claimed !== token) {
        // Workers write for one lead: a new lead, or none, starts them afresh.
        token = null;
        await stopWorkers();
        token = claimed;
        log.info({ leading: claimed !== null, fence: claimed }, claimed !== null ? 'pushing for the cluster' : 'no longer pushing');
      }
      const registrations = claimed !== null ? await store.list() : [];
      const wanted = new Set(registrations.map((r) => r.id));
      for (const [id, worker] of workers) {
        if (!wanted.has(id)) {
          workers.delete(id);
          await worker.stop();
        }
      }
      if (claimed === null) return;
      for (const id of retired) if (!wanted.has(id)) retired.delete(id);
      for (const registration of registrations) {
        if (workers.has(registration.id) || retired.has(registration.id)) continue;
        workers.set(registration.id, { ownerId: registration.ownerId, ...startWorker(registration, deps, lead(claimed), logs) });
      }
      if (Date.now() - lastHealthCheck >= settings.healthIntervalMs) {
        lastHealthCheck = Date.now();
        await Promise.all(registrations.map((r) => checkHealth(r, lead(claimed))));
      }
    } catch (err) {
      if (err instanceof Deposed) return;
      log.warn({ err: (err as Error).message }, 'push dispatcher paused by a backend error');
    } finally {
      busy = false;
    }
  }

  /** GET <callbackUrl>/health; an endpoint unreachable for too long is deregistered. */
  async function checkHealth(registration: CliRegistration, current: Lead) {
    const url = new URL(`${registration.callbackUrl.replace(/\/+$/, '')}/health`);
    let outcome: AttemptOutcome;
    try {
      outcome = await attempt({ target: await resolveTarget(url, settings.urlPolicy), body: '', headers: { 'user-agent': 'herald-push' }, timeoutMs: settings.timeoutMs, method: 'GET' });
    } catch (err) {
      outcome = targetFailure(err);
    }
    const healthy = outcome.kind === 'delivered';
    // Any HTTP answer means the endpoint is there; only transport failures make it unreachable.
    const reachable = outcome.status !== undefined;
    const lastHealthError = outcome.kind === 'failed' ? outcome.error : null;
    if (outcome.kind === 'failed') log.debug({ registrationId: registration.id, reason: outcome.error, detail: outcome.detail }, 'health check failed');
    if (!current.mayPush()) return;
    const now = Date.now();
    const state = await store.state(registration.id);
    const unreachableSince = reachable ? null : (state.unreachableSince ?? now);
    if (unreachableSince !== null && now - unreachableSince >= settings.endpointExpiryMs) {
      await store.delete(registration.id);
      deps.audit({ action: 'deregisterCli', principal: 'herald', registrationId: registration.id, reason: `unreachable since ${new Date(unreachableSince).toISOString()}` });
      return;
    }
    try {
      await store.updateState(registration.id, { healthy, lastHealthError, lastHealthCheckAt: new Date(now).toISOString(), unreachableSince }, current.fence);
    } catch (err) {
      if (err instanceof Deposed) current.deposed();
      else throw err;
    }
  }

  return {
    /** Whether this instance is the one pushing. */
    isPushing: leading,
    start() {
      void reconcile();
      // Renew well within the lock's lifetime; check health no less often than asked.
      timer = setInterval(() => void reconcile(), Math.min(settings.leaderTtlMs / 3, settings.healthIntervalMs, 1_000));
      timer.unref();
    },
    /** Looks at the registrations now rather than at the next tick. */
    poke: () => void reconcile(),
    /**
     * Stops, at once, pushing the registrations of a principal whose
     * credentials were revoked (they are deleted from the store first):
     * nothing published from now on is sent to them.
     */
    stopOwner(ownerId: string) {
      for (const [id, worker] of workers) {
        if (worker.ownerId !== ownerId) continue;
        workers.delete(id);
        retired.add(id);
        void worker.stop();
      }
    },
    async stop() {
      clearInterval(timer);
      token = null;
      await stopWorkers();
      await leadership.release();
    },
  };
}
