/**
 * An alert with a lifecycle: raised (OPEN), acknowledged by someone who is on
 * it, resolved. While it is not resolved, raising it again with the same
 * `dedupKey` on the same channel counts another occurrence instead of opening
 * another alert. Every change is an event on the alert's channel.
 */
export const ALERT_SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export type Alert = {
  readonly id: string;
  readonly channel: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly details: unknown;
  readonly source: string | null;
  readonly dedupKey: string | null;
  readonly status: AlertStatus;
  /** Occurrences: 1, plus one per repeat of its dedupKey while it was not resolved. */
  readonly count: number;
  readonly raisedAt: string;
  readonly lastRaisedAt: string;
  readonly raisedBy: string;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly acknowledgeNote: string | null;
  readonly resolvedAt: string | null;
  readonly resolvedBy: string | null;
  readonly resolveNote: string | null;
};

/** The event types of an alert's changes, on its channel. */
export const ALERT_EVENTS = {
  raised: 'alert.raised',
  acknowledged: 'alert.acknowledged',
  resolved: 'alert.resolved',
} as const;

/** The priority an alert's events carry: its severity, on the event priority scale. */
export const ALERT_PRIORITY = { LOW: 'LOW', MEDIUM: 'NORMAL', HIGH: 'HIGH', CRITICAL: 'CRITICAL' } as const satisfies Record<AlertSeverity, 'LOW' | 'NORMAL' | 'HIGH' | 'CRITICAL'>;
