import type { Alert, AlertSeverity, AlertStatus } from './model.js';

/** What raising asks for: a new alert, unless an unresolved one of the channel has its dedupKey. */
export type AlertCandidate = Omit<Alert, 'status' | 'count' | 'lastRaisedAt' | 'acknowledgedAt' | 'acknowledgedBy' | 'acknowledgeNote' | 'resolvedAt' | 'resolvedBy' | 'resolveNote'>;

/** The outcome of a change: the alert as it now is, and whether anything changed. */
export type AlertChange = { readonly alert: Alert; readonly changed: boolean };

export type AlertQuery = {
  readonly status: AlertStatus | null;
  readonly severity: AlertSeverity | null;
  readonly channels: readonly string[] | '*';
  readonly first: number;
  /** The id of the last alert of the previous page. */
  readonly after: string | null;
};

/**
 * Alerts and their lifecycle. Each change is one atomic step, so instances
 * racing to raise the same dedupKey, or to acknowledge one alert, agree.
 */
export interface AlertStore {
  /**
   * Opens the candidate, or, when an alert of its channel with its dedupKey
   * is not resolved, counts one more occurrence of that one (`changed` is
   * then true, and the returned alert keeps its id).
   */
  raise(candidate: AlertCandidate): Promise<AlertChange & { readonly repeated: boolean }>;
  /** Marks it acknowledged (`changed` false when it already was); null when there is no such alert; a resolved one is returned unchanged. */
  acknowledge(id: string, by: string, note: string | null, at: string): Promise<AlertChange | null>;
  /** Marks it resolved (`changed` false when it already was); null when there is no such alert. */
  resolve(id: string, by: string, note: string | null, at: string): Promise<AlertChange | null>;
  get(id: string): Promise<Alert | null>;
  /** Newest first (by id). */
  list(query: AlertQuery): Promise<Alert[]>;
}

/** The alert a candidate opens. */
export const opened = (candidate: AlertCandidate): Alert => ({
  ...candidate,
  status: 'OPEN',
  count: 1,
  lastRaisedAt: candidate.raisedAt,
  acknowledgedAt: null,
  acknowledgedBy: null,
  acknowledgeNote: null,
  resolvedAt: null,
  resolvedBy: null,
  resolveNote: null,
});

/** Whether an alert is on a page of the query (before `first` is applied). */
export function matches(alert: Alert, query: AlertQuery): boolean {
  return (
    (query.status === null || alert.status === query.status) &&
    (query.severity === null || alert.severity === query.severity) &&
    (query.channels === '*' || query.channels.includes(alert.channel)) &&
    (query.after === null || alert.id < query.after)
  );
}
