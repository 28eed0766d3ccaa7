import { ADMIN } from '../auth/principal.js';
import { badInput } from '../errors.js';
import type { Logger } from '../log.js';
import { evaluate, type Sample, type Transition } from './evaluator.js';
import type { AlertService } from './service.js';
import type { ThresholdStore } from './thresholds-store.js';
import {
  completeThreshold,
  isThresholdName,
  mergeThresholds,
  THRESHOLD_DESCRIPTIONS,
  THRESHOLD_NAMES,
  thresholdSchema,
  type ThresholdEntry,
  type ThresholdName,
  type ThresholdSettings,
} from './thresholds.js';

/** Where threshold alerts go: the built-in channel for system health. */
export const THRESHOLD_CHANNEL = 'system';
export const THRESHOLD_SOURCE = 'herald-thresholds';

export type ThresholdWatch = ReturnType<typeof createThresholdWatch>;

/**
 * Checks the thresholds every interval against a fresh sample and raises or
 * resolves their alerts on the `system` channel through the alert service,
 * so they are deduplicated and acknowledgeable like any alert. Each instance
 * watches itself: the alert's dedupKey names the threshold and the instance.
 * An alert that cannot be raised now (Redis away) is tried again at the next
 * check; if its condition ended meanwhile it is raised and resolved at once,
 * so the episode still shows.
 */
export function createThresholdWatch(deps: {
  instanceId: string;
  fileThresholds: Readonly<Record<string, ThresholdSettings>>;
  store: ThresholdStore;
  alerts: AlertService;
  sample: () => Promise<Sample>;
  intervalMs: number;
  onCrossed?: (name: ThresholdName, crossed: boolean) => void;
  log: Logger;
}) {
  const { alerts, log } = deps;
  let live: Record<string, ThresholdSettings> = {};
  let state = new Set<ThresholdName>();
  /** The open alert of each crossed threshold; absent while its raise is still to be made. */
  const raised = new Map<ThresholdName, string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const thresholds = () => mergeThresholds(deps.fileThresholds, live);
  const dedupKey = (name: ThresholdName) => `threshold:${name}:${deps.instanceId}`;
  const shown = (value: number | null) => (value === null ? 'unknown' : String(Math.round(value * 1000) / 1000));

  async function raise(t: ThresholdEntry, value: number | null) {
    const alert = await alerts.raise(ADMIN, {
      channel: THRESHOLD_CHANNEL,
      severity: t.severity,
      title: `${t.name} at ${shown(value)} (raise at ${t.raise}) on ${deps.instanceId}`,
      details: { threshold: t.name, description: THRESHOLD_DESCRIPTIONS[t.name], value, raise: t.raise, clear: t.clear, instanceId: deps.instanceId },
      source: THRESHOLD_SOURCE,
      dedupKey: dedupKey(t.name),
    });
    raised.set(t.name, alert.id);
  }

  async function apply(transition: Transition) {
    const { threshold: t, value } = transition;
    if (transition.kind === 'raise') {
      log.warn({ component: 'thresholds', threshold: t.name, value, raise: t.raise }, 'threshold crossed');
      deps.onCrossed?.(t.name, true);
      await raise(t, value).catch((err: Error) => log.warn({ component: 'thresholds', threshold: t.name, err: err.message }, 'could not raise the alert; will retry'));
      return;
    }
    log.info({ component: 'thresholds', threshold: t.name, value, clear: t.clear }, 'threshold cleared');
    deps.onCrossed?.(t.name, false);
    try {
      if (!raised.has(t.name)) await raise(t, value);
      await alerts.resolve(ADMIN, { id: raised.get(t.name)!, note: `${t.name} at ${shown(value)}, below ${t.clear}` });
      raised.delete(t.name);
    } catch (err) {
      // Stays crossed, so the next check tries the resolve again.
      state.add(t.name);
      log.warn({ component: 'thresholds', threshold: t.name, err: (err as Error).message }, 'could not resolve the alert; will retry');
    }
  }

  async function check() {
    live = await deps.store.all().catch(() => live);
    const current = thresholds();
    const result = evaluate(current, await deps.sample(), state);
    state = result.state;
    for (const transition of result.transitions) await apply(transition);
    // Crossed but not raised yet (Redis was away): try again.
    for (const name of state) {
      if (raised.has(name) || result.transitions.some((t) => t.threshold.name === name)) continue;
      const t = current.find((c) => c.name === name)!;
      await raise(t, null).catch(() => {});
    }
  }

  const tick = () => {
    running ??= check()
      .catch((err: Error) => log.warn({ component: 'thresholds', err: err.message }, 'threshold check failed'))
      .finally(() => (running = undefined));
  };

  return {
    list: async (): Promise<ThresholdEntry[]> => {
      live = await deps.store.all().catch(() => live);
      return thresholds();
    },
    /** Sets a threshold live on every instance (each reads the store at its next check). */
    async set(raw: { name: string; raise: number; clear?: number | null; severity?: string | null; enabled?: boolean | null }): Promise<ThresholdEntry> {
      if (!isThresholdName(raw.name)) throw badInput('name', `is not a threshold (one of ${THRESHOLD_NAMES.join(', ')})`);
      const parsed = thresholdSchema.safeParse({
        raise: raw.raise,
        ...(raw.clear == null ? {} : { clear: raw.clear }),
        ...(raw.severity == null ? {} : { severity: raw.severity }),
        ...(raw.enabled == null ? {} : { enabled: raw.enabled }),
      });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw badInput(String(issue.path[0] ?? 'input'), issue.message);
      }
      const base = thresholds().find((t) => t.name === raw.name)!;
      const settings = completeThreshold(raw.name, parsed.data, base);
      await deps.store.set(raw.name, settings);
      live = { ...live, [raw.name]: settings };
      return thresholds().find((t) => t.name === raw.name)!;
    },
    async reset(name: string): Promise<boolean> {
      if (!isThresholdName(name)) throw badInput('name', `is not a threshold (one of ${THRESHOLD_NAMES.join(', ')})`);
      const removed = await deps.store.remove(name);
      const { [name]: _dropped, ...rest } = live;
      live = rest;
      return removed;
    },
    /** Runs one check now (and waits for it); the timer runs them every interval. */
    async checkNow() {
      tick();
      await running;
    },
    start() {
      timer = setInterval(tick, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
