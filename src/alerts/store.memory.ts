import type { Alert } from './model.js';
import { matches, opened, type AlertStore } from './store.js';

export function createMemoryAlertStore(): AlertStore {
  const alerts = new Map<string, Alert>();
  /** Unresolved alerts by channel and dedupKey. */
  const open = new Map<string, string>();
  const dedupOf = (alert: Pick<Alert, 'channel' | 'dedupKey'>) => (alert.dedupKey === null ? undefined : `${alert.channel}\u0000${alert.dedupKey}`);
  const change = (id: string, apply: (alert: Alert) => Alert | undefined) => {
    const alert = alerts.get(id);
    if (!alert) return null;
    const next = apply(alert);
    if (!next) return { alert, changed: false };
    alerts.set(id, next);
    return { alert: next, changed: true };
  };
  return {
    async raise(candidate) {
      const key = dedupOf(candidate);
      const existing = key === undefined ? undefined : alerts.get(open.get(key) ?? '');
      if (existing) {
        const alert = { ...existing, count: existing.count + 1, lastRaisedAt: candidate.raisedAt };
        alerts.set(alert.id, alert);
        return { alert, changed: true, repeated: true };
      }
      const alert = opened(candidate);
      alerts.set(alert.id, alert);
      if (key !== undefined) open.set(key, alert.id);
      return { alert, changed: true, repeated: false };
    },
    async acknowledge(id, by, note, at) {
      return change(id, (alert) => (alert.status !== 'OPEN' ? undefined : { ...alert, status: 'ACKNOWLEDGED', acknowledgedAt: at, acknowledgedBy: by, acknowledgeNote: note }));
    },
    async resolve(id, by, note, at) {
      return change(id, (alert) => {
        if (alert.status === 'RESOLVED') return undefined;
        const key = dedupOf(alert);
        if (key !== undefined && open.get(key) === alert.id) open.delete(key);
        return { ...alert, status: 'RESOLVED', resolvedAt: at, resolvedBy: by, resolveNote: note };
      });
    },
    async get(id) {
      return alerts.get(id) ?? null;
    },
    async list(query) {
      return [...alerts.values()]
        .filter((a) => matches(a, query))
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .slice(0, query.first);
    },
  };
}
