import type { CliRegistration } from './store.js';
import { attempt } from './attempt.js';
import type { Leadership } from './leader.js';
import { resolveTarget } from './url-policy.js';
import { startWorker, type WorkerDeps } from './worker.js';
import type { Audit } from '../log.js';

/**
 * Runs the push workers on the instance that leads (see leader.ts), one per
 * registration, and checks every endpoint's health. Registrations are read
 * from the store, so one made on any instance is picked up by the leader.
 */
export function createPushDispatcher(deps: WorkerDeps & { leadership: Leadership; audit: Audit }) {
  const { store, settings, log, leadership } = deps;
  const workers = new Map<string, { stop(): Promise<void> }>();
  /** Whose registration each worker pushes, to stop a revoked principal's at once. */
  const owners = new Map<string, string>();
  /** Registrations stopped that way: a reconcile that read the store before they were deleted must not start them again. */
  const retired = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let lastHealthCheck = 0;
  let leading = false;
  let busy = false;

  async function reconcile() {
    if (busy) return;
    busy = true;
    try {
      const lead = await leadership.claim();
      if (lead !== leading) log.info({ leading: lead }, lead ? 'pushing for the cluster' : 'no longer pushing');
      leading = lead;
      const registrations = lead ? await store.list() : [];
      const wanted = new Set(registrations.map((r) => r.id));
      for (const [id, worker] of workers) {
        if (!wanted.has(id)) {
          workers.delete(id);
          owners.delete(id);
          await worker.stop();
        }
      }
      for (const id of retired) if (!wanted.has(id)) retired.delete(id);
      for (const registration of registrations) {
        if (workers.has(registration.id) || retired.has(registration.id)) continue;
        workers.set(registration.id, startWorker(registration, deps));
        owners.set(registration.id, registration.ownerId);
      }
      if (lead && Date.now() - lastHealthCheck >= settings.healthIntervalMs) {
        lastHealthCheck = Date.now();
        await Promise.all(registrations.map(checkHealth));
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'push dispatcher paused by a backend error');
    } finally {
      busy = false;
    }
  }

  /** GET <callbackUrl>/health; an endpoint unreachable for too long is deregistered. */
  async function checkHealth(registration: CliRegistration) {
    const url = new URL(`${registration.callbackUrl.replace(/\/+$/, '')}/health`);
    let reachable = false;
    let healthy = false;
    try {
      const outcome = await attempt({ target: await resolveTarget(url, settings.urlPolicy), body: '', headers: { 'user-agent': 'herald-push' }, timeoutMs: settings.timeoutMs, method: 'GET' });
      healthy = outcome.kind === 'delivered';
      // Any HTTP answer means the endpoint is there; only transport failures make it unreachable.
      reachable = outcome.status !== undefined;
    } catch {
      reachable = false;
    }
    const now = Date.now();
    const state = await store.state(registration.id);
    const unreachableSince = reachable ? null : (state.unreachableSince ?? now);
    if (unreachableSince !== null && now - unreachableSince >= settings.endpointExpiryMs) {
      await store.delete(registration.id);
      deps.audit({ action: 'deregisterCli', principal: 'herald', registrationId: registration.id, reason: `unreachable since ${new Date(unreachableSince).toISOString()}` });
      return;
    }
    await store.updateState(registration.id, { healthy, lastHealthCheckAt: new Date(now).toISOString(), unreachableSince });
  }

  return {
    /** Whether this instance is the one pushing. */
    isPushing: () => leading,
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
      for (const [id, owner] of owners) {
        if (owner !== ownerId) continue;
        const worker = workers.get(id);
        workers.delete(id);
        owners.delete(id);
        retired.add(id);
        void worker?.stop();
      }
    },
    async stop() {
      clearInterval(timer);
      await Promise.all([...workers.values()].map((w) => w.stop()));
      workers.clear();
      owners.clear();
      await leadership.release();
    },
  };
}
