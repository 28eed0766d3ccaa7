import { newId } from '../ids.js';
import { gatewayPrincipalId } from '../auth/principal.js';
import { issueKey } from '../auth/secret-keys.js';
import { badInput, HeraldError, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { EventDraft, EventEnvelope } from '../events/envelope.js';
import { Topics } from '../events/topics.js';
import type { Logger } from '../log.js';
import { Closings } from '../sessions/close-codes.js';
import type { EndSessions } from '../sessions/revocation.js';
import { buildGateway, type Gateway } from './model.js';
import type { GatewayStore } from './store.js';


export type TargetStatus = 'DELIVERED' | 'NO_CONNECTION' | 'FAILED';

export type TargetResult = {
  readonly gatewayId: string;
  readonly status: TargetStatus;
  /**
   * Connections of the gateway subscribed to its events, as the cluster view
   * last reported them; at least the number of instances holding one when
   * DELIVERED, 0 otherwise.
   */
  readonly connections: number;
  readonly reason: string | null;
  readonly eventId: string | null;
};

export type GatewayService = ReturnType<typeof createGatewayService>;

/** An event a gateway did not get. */
type Failure = { readonly gatewayId: string; readonly eventType: string };

export const MAX_TARGETS = 1000;

/**
 * Gateway management and delivery, shared by the GraphQL fields and the REST
 * routes. `subscribers` tells, cluster-wide, how many connections of each of
 * the given gateways listen to its events right now (none: absent).
 */
export function createGatewayService(deps: {
  store: GatewayStore;
  bus: EventBus;
  endSessions: EndSessions;
  subscribers: (gatewayIds: readonly string[]) => Promise<ReadonlyMap<string, number>>;
  /** Events for gateways that reached no connection, or were not published, for the metrics. */
  onUndelivered?: (reason: 'no_connection' | 'publish_failed', count: number) => void;
  /** A gateway was deleted: what is kept about its deployments by gateway goes too. */
  onDeleted?: (gatewayId: string) => Promise<void>;
  log: Logger;
}) {
  const { store, bus, endSessions, log } = deps;
  const now = () => new Date().toISOString();

  async function requireGateway(id: string): Promise<Gateway> {
    const gateway = await store.get(id);
    if (!gateway) throw notFound('gateway', id);
    return gateway;
  }

  async function newKey(gateway: Gateway) {
    const key = issueKey('hgw');
    await store.addKey({ id: key.id, gatewayId: gateway.id, secretHash: key.secretHash, createdAt: now(), revokedAt: null });
    return { gateway, apiKey: key.token, keyId: key.id };
  }

  return {
    get: (id: string) => store.get(id),
    list: () => store.list(),
    deliveryStats: (id: string) => store.deliveryStats(id),

    async register(input: { name: string; vhosts?: readonly string[] | null }) {
      const gateway = await store.create(buildGateway(newId(), input, now()));
      log.info({ audit: true, gatewayId: gateway.id }, 'gateway registered');
      return newKey(gateway);
    },

    async rotateKey(gatewayId: string) {
      const registration = await newKey(await requireGateway(gatewayId));
      log.info({ audit: true, gatewayId, keyId: registration.keyId }, 'gateway key issued');
      return registration;
    },

    /** Every key of the gateway, revoked ones too, with its creation, last use and revocation. */
    async keys(gatewayId: string) {
      await requireGateway(gatewayId);
      return store.keys(gatewayId);
    },

    /** Revokes one key (ending only its sessions), or without `keyId` every key of the gateway. */
    async revokeKeys(gatewayId: string, keyId?: string) {
      const gateway = await requireGateway(gatewayId);
      if (keyId !== undefined) {
        if (!(await store.revokeKey(gatewayId, keyId, now()))) throw notFound('gateway key', keyId);
        await endSessions({ principalId: gatewayPrincipalId(gatewayId), keyId }, Closings.gatewayKeyRevoked);
        log.info({ audit: true, gatewayId, keyId }, 'gateway key revoked');
        return gateway;
      }
      const revoked = await store.revokeKeys(gatewayId, now());
      await endSessions({ principalId: gatewayPrincipalId(gatewayId) }, Closings.gatewayKeyRevoked);
      log.info({ audit: true, gatewayId, revoked }, 'gateway keys revoked');
      return gateway;
    },

    async delete(gatewayId: string) {
      const deleted = await store.delete(gatewayId);
      if (deleted) {
        await Promise.all([endSessions({ principalId: gatewayPrincipalId(gatewayId) }, Closings.gatewayDeleted), deps.onDeleted?.(gatewayId)]);
        log.info({ audit: true, gatewayId }, 'gateway deleted');
      }
      return deleted;
    },

    saveConfig: (gatewayId: string, config: unknown) => store.saveConfig(gatewayId, config),

    async totals() {
      const all = await store.list();
      const stats = await Promise.all(all.map((g) => store.deliveryStats(g.id)));
      return {
        gateways: all.length,
        eventsSent: stats.reduce((n, s) => n + s.eventsSent, 0),
        failedDeliveries: stats.reduce((n, s) => n + s.failedDeliveries, 0),
      };
    },

    /** Checks every target exists and every event fits before publishing any. */
    async validateTargets(gatewayIds: readonly string[]): Promise<string[]> {
      // The count is bounded by the input schema (validation/gateways.ts) before this runs.
      const unique = [...new Set(gatewayIds)];
      const unknown = await store.missing(unique);
      if (unknown.length > 0) throw badInput('gatewayIds', `unknown gateway(s): ${unknown.slice(0, 10).join(', ')}`);
      return unique;
    },

    /**
     * Publishes one event per target gateway, all in one step, and reports how
     * each one fared. An event too large for the bus is BAD_USER_INPUT and
     * nothing is published. DELIVERED: when the event was published, an
     * instance held a stream of the gateway's own connection on its events, as
     * that instance saw it (the bus counts the instances following the
     * gateway's presence topic, right before publishing; one that died no
     * longer counts). NO_CONNECTION: none did, so nobody received it live.
     * `alongside` (the deployment's own record) is written together with
     * the delivery counts, in the same round trip.
     */
    async dispatch(gatewayIds: readonly string[], makeDraft: (gatewayId: string) => EventDraft, alongside?: (results: TargetResult[]) => Promise<void>): Promise<TargetResult[]> {
      const drafts = gatewayIds.map(makeDraft);
      // Asked together, so that they share round trips: the listener count goes to Redis right before the publish.
      // Only a figure for the results: without it, the bus's count stands alone.
      const listening = deps.subscribers(gatewayIds).catch(() => new Map<string, number>());
      const counted = bus.listeners(gatewayIds.map(Topics.gatewayPresence));
      const published = bus.publishAll(drafts);
      let events: EventEnvelope[];
      let present: readonly number[];
      try {
        [present, events] = await Promise.all([counted, published]);
      } catch (err) {
        const [count, publish] = await Promise.allSettled([counted, published]);
        if (publish.status === 'fulfilled' && count.status === 'rejected') {
          // Published, not counted: the instances' own reports say who listens.
          const reported = await listening;
          [present, events] = [gatewayIds.map((id) => reported.get(id) ?? 0), publish.value];
        } else {
          const cause = publish.status === 'rejected' ? (publish.reason as Error) : (err as Error);
          if (cause instanceof HeraldError) throw cause;
          const reason = `publish failed: ${cause.message}`;
          deps.onUndelivered?.('publish_failed', gatewayIds.length);
          const results = gatewayIds.map((gatewayId): TargetResult => ({ gatewayId, status: 'FAILED', connections: 0, reason, eventId: null }));
          await Promise.all([recordFailures(gatewayIds.map((gatewayId, i) => ({ gatewayId, eventType: drafts[i]!.type })), reason), alongside?.(results)]);
          return results;
        }
      }
      const counts = await listening;
      const heard: string[] = [];
      const unheard: Failure[] = [];
      const results = gatewayIds.map((gatewayId, i): TargetResult => {
        const event = events[i]!;
        const instances = present[i]!;
        if (instances === 0) {
          unheard.push({ gatewayId, eventType: event.type });
          return { gatewayId, status: 'NO_CONNECTION', connections: 0, reason: 'no active connection', eventId: event.id };
        }
        heard.push(gatewayId);
        return { gatewayId, status: 'DELIVERED', connections: Math.max(instances, counts.get(gatewayId) ?? 0), reason: null, eventId: event.id };
      });
      if (unheard.length > 0) deps.onUndelivered?.('no_connection', unheard.length);
      await Promise.all([
        store.recordDeliveries(heard, { ok: true }).catch(() => {}),
        recordFailures(unheard, 'no active connection'),
        alongside?.(results),
      ]);
      return results;
    },

    recordSendFailure: (gatewayId: string, eventType: string, reason: string) => recordFailures([{ gatewayId, eventType }], reason),
  };

  async function recordFailures(failures: readonly Failure[], reason: string) {
    if (failures.length === 0) return;
    const at = now();
    for (const { gatewayId, eventType } of failures) log.error({ gatewayId, eventType, at, reason }, 'gateway event not delivered');
    await store.recordDeliveries(failures.map((f) => f.gatewayId), { ok: false, at, reason }).catch(() => {});
  }
}
