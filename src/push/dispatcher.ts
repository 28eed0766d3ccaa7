import type { CliRegistration } from './store.js';
import { attempt, targetFailure } from './attempt.js';
import type { AttemptOutcome } from './policy.js';
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
          await worker.stop();
        }
      }
      for (const registration of registrations) if (!workers.has(registration.id)) workers.set(registration.id, startWorker(registration, deps));
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
    const now = Date.now();
    const state = await store.state(registration.id);
    const unreachableSince = reachable ? null : (state.unreachableSince ?? now);
    if (unreachableSince !== null && now - unreachableSince >= settings.endpointExpiryMs) {
      await store.delete(registration.id);
      deps.audit({ action: 'deregisterCli', principal: 'herald', registrationId: registration.id, reason: `unreachable since ${new Date(unreachableSince).toISOString()}` });
      return;
    }
    await store.updateState(registration.id, { healthy, lastHealthError, lastHealthCheckAt: new Date(now).toISOString(), unreachableSince });
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
    async stop() {
      clearInterval(timer);
      await Promise.all([...workers.values()].map((w) => w.stop()));
      workers.clear();
      await leadership.release();
    },
  };
}
