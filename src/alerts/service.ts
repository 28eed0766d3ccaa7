import type { Principal } from '../auth/principal.js';
import { canPublishChannel, canReadChannel, hasScope, readsEveryChannel } from '../auth/scopes.js';
import type { ChannelRegistry } from '../channels/registry.js';
import { HeraldError, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { Topics } from '../events/topics.js';
import { newId } from '../ids.js';
import { parseInput } from '../input.js';
import type { Audit } from '../log.js';
import { alertChangeArgs, alertsArgs, raiseAlertInput } from './input.js';
import { ALERT_EVENTS, ALERT_PRIORITY, type Alert } from './model.js';
import type { AlertStore } from './store.js';

export type AlertService = ReturnType<typeof createAlertService>;

/** The channel alerts go to when the one raising them names none. */
export const DEFAULT_ALERT_CHANNEL = 'alerts';

/**
 * Raising, acknowledging and resolving alerts. Each change is stored in one
 * atomic step, then announced on the alert's channel (`alert.raised`,
 * `alert.acknowledged`, `alert.resolved`, with the alert as it now is), so
 * every dashboard sees an acknowledgement at once. Raising needs the right
 * to publish on the channel; acknowledging and resolving need `alerts:ack`
 * (and the right to read the channel).
 */
export function createAlertService(deps: {
  store: AlertStore;
  registry: ChannelRegistry;
  bus: EventBus;
  audit: Audit;
  /** Each change that took effect, for the metrics. */
  onChange?: (state: 'raised' | 'acknowledged' | 'resolved') => void;
}) {
  const { store, registry, bus, audit } = deps;

  const announce = (alert: Alert, type: string, correlationId: string | null = null) =>
    bus.publish({ topic: Topics.channel(alert.channel), type, correlationId, priority: ALERT_PRIORITY[alert.severity], expiresAt: null, source: alert.source, payload: { alert } });

  /** An alert the caller may see: NOT_FOUND otherwise, so ids do not leak. */
  async function visible(principal: Principal, id: string): Promise<Alert> {
    const alert = await store.get(id);
    if (!alert || !canReadChannel(principal, alert.channel)) throw notFound('alert', id);
    return alert;
  }

  async function change(principal: Principal, raw: unknown, to: 'ACKNOWLEDGED' | 'RESOLVED'): Promise<Alert> {
    const { id, note } = parseInput(alertChangeArgs, raw);
    if (!hasScope(principal, 'alerts:ack')) throw new HeraldError('FORBIDDEN', 'Not allowed: needs scope alerts:ack', { scope: 'alerts:ack' });
    await visible(principal, id);
    const at = new Date().toISOString();
    const result = to === 'ACKNOWLEDGED' ? await store.acknowledge(id, principal.id, note ?? null, at) : await store.resolve(id, principal.id, note ?? null, at);
    if (!result) throw notFound('alert', id);
    if (to === 'ACKNOWLEDGED' && result.alert.status === 'RESOLVED') throw new HeraldError('CONFLICT', `Alert ${id} is resolved: it can no longer be acknowledged`, { id });
    if (result.changed) {
      deps.onChange?.(to === 'ACKNOWLEDGED' ? 'acknowledged' : 'resolved');
      await announce(result.alert, to === 'ACKNOWLEDGED' ? ALERT_EVENTS.acknowledged : ALERT_EVENTS.resolved);
      audit({ action: to === 'ACKNOWLEDGED' ? 'acknowledgeAlert' : 'resolveAlert', principal: principal.id, alertId: id });
    }
    return result.alert;
  }

  return {
    async raise(principal: Principal, raw: unknown): Promise<Alert> {
      const input = parseInput(raiseAlertInput, raw);
      const channel = registry.require(input.channel ?? DEFAULT_ALERT_CHANNEL).name;
      if (!canPublishChannel(principal, channel)) throw new HeraldError('FORBIDDEN', `Not allowed to raise alerts on channel ${channel}`, { channel });
      const { alert, repeated } = await store.raise({
        id: newId(),
        channel,
        severity: input.severity,
        title: input.title,
        details: input.details ?? null,
        source: input.source ?? null,
        dedupKey: input.dedupKey ?? null,
        raisedAt: new Date().toISOString(),
        raisedBy: principal.id,
      });
      deps.onChange?.('raised');
      await announce(alert, ALERT_EVENTS.raised);
      if (!repeated) audit({ action: 'raiseAlert', principal: principal.id, alertId: alert.id, severity: alert.severity });
      return alert;
    },
    acknowledge: (principal: Principal, raw: unknown) => change(principal, raw, 'ACKNOWLEDGED'),
    resolve: (principal: Principal, raw: unknown) => change(principal, raw, 'RESOLVED'),
    get: (principal: Principal, id: string) => visible(principal, id).catch((err: unknown) => (err instanceof HeraldError && err.code === 'NOT_FOUND' ? null : Promise.reject(err))),
    /** Alerts of the channels the caller may read, newest first. */
    async list(principal: Principal, raw: unknown): Promise<Alert[]> {
      const { status, severity, first, after } = parseInput(alertsArgs, raw);
      const channels = readsEveryChannel(principal) ? '*' : registry.list().map((c) => c.name).filter((name) => canReadChannel(principal, name));
      return store.list({ status: status ?? null, severity: severity ?? null, channels, first, after: after ?? null });
    },
  };
}
