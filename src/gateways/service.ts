import { newId } from '../ids.js';
import { gatewayPrincipalId } from '../auth/principal.js';
import { issueKey } from '../auth/secret-keys.js';
import { badInput, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { ControlChannel } from '../events/control.js';
import { serializeSealed, seal } from '../events/draft.js';
import type { EventDraft } from '../events/envelope.js';
import type { Logger } from '../log.js';
import { buildGateway, type Gateway, type GatewayStore } from '../store/gateways.js';

/** Close code and reason for connections of a gateway whose keys were revoked or that was deleted. */
export const GATEWAY_REVOKED = { code: 4403, reason: 'Forbidden: gateway key revoked' } as const;
export const GATEWAY_DELETED = { code: 4403, reason: 'Forbidden: gateway deleted' } as const;

export type TargetStatus = 'DELIVERED' | 'NO_CONNECTION' | 'FAILED';

export type TargetResult = {
  readonly gatewayId: string;
  readonly status: TargetStatus;
  /** Connections of the gateway subscribed to its events when the event was published. */
  readonly connections: number;
  readonly reason: string | null;
  readonly eventId: string | null;
};

export type GatewayService = ReturnType<typeof createGatewayService>;

export const MAX_TARGETS = 1000;

/**
 * Gateway management and delivery, shared by the GraphQL fields and the REST
 * routes. `subscribers` tells, cluster-wide, how many connections of each
 * gateway listen to its events right now.
 */
export function createGatewayService(deps: {
  store: GatewayStore;
  bus: EventBus;
  control: ControlChannel;
  subscribers: () => Promise<ReadonlyMap<string, number>>;
  countPublished: (topic: string) => void;
  log: Logger;
}) {
  const { store, bus, control, log } = deps;
  const now = () => new Date().toISOString();

  async function requireGateway(id: string): Promise<Gateway> {
    const gateway = await store.get(id);
    if (!gateway) throw notFound('gateway', id);
    return gateway;
  }

  async function newKey(gateway: Gateway) {
    const key = issueKey('hgw');
    await store.addKey({ id: key.id, gatewayId: gateway.id, secretHash: key.secretHash, createdAt: now(), revokedAt: null });
    return { gateway, apiKey: key.token };
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
      log.info({ audit: true, gatewayId }, 'gateway key issued');
      return registration;
    },

    async revokeKeys(gatewayId: string) {
      const gateway = await requireGateway(gatewayId);
      const revoked = await store.revokeKeys(gatewayId, now());
      await control.send({ kind: 'close-connections', match: { principalId: gatewayPrincipalId(gatewayId) }, ...GATEWAY_REVOKED });
      log.info({ audit: true, gatewayId, revoked }, 'gateway keys revoked');
      return gateway;
    },

    async delete(gatewayId: string) {
      const deleted = await store.delete(gatewayId);
      if (deleted) {
        await control.send({ kind: 'close-connections', match: { principalId: gatewayPrincipalId(gatewayId) }, ...GATEWAY_DELETED });
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
      const unique = [...new Set(gatewayIds)];
      if (unique.length === 0 || unique.length > MAX_TARGETS) throw badInput('gatewayIds', `must name 1-${MAX_TARGETS} gateways`);
      const found = await Promise.all(unique.map((id) => store.get(id)));
      const unknown = unique.filter((_, i) => found[i] === null);
      if (unknown.length > 0) throw badInput('gatewayIds', `unknown gateway(s): ${unknown.slice(0, 10).join(', ')}`);
      return unique;
    },

    /** Publishes one event per target gateway and reports how each one fared. */
    async dispatch(gatewayIds: readonly string[], makeDraft: (gatewayId: string) => EventDraft): Promise<TargetResult[]> {
      const drafts = gatewayIds.map((id) => seal(makeDraft(id)));
      for (const draft of drafts) serializeSealed(draft); // every size checked before any is sent
      const listening = await deps.subscribers();
      return Promise.all(
        drafts.map(async (draft, i): Promise<TargetResult> => {
          const gatewayId = gatewayIds[i]!;
          const connections = listening.get(gatewayId) ?? 0;
          try {
            await bus.publish(draft);
            deps.countPublished(draft.topic);
          } catch (err) {
            const reason = `publish failed: ${(err as Error).message}`;
            await recordFailure(gatewayId, draft.type, reason);
            return { gatewayId, status: 'FAILED', connections: 0, reason, eventId: null };
          }
          if (connections === 0) {
            await recordFailure(gatewayId, draft.type, 'no active connection');
            return { gatewayId, status: 'NO_CONNECTION', connections: 0, reason: 'no active connection', eventId: draft.id };
          }
          await store.recordDelivery(gatewayId, { ok: true }).catch(() => {});
          return { gatewayId, status: 'DELIVERED', connections, reason: null, eventId: draft.id };
        }),
      );
    },

    recordSendFailure: (gatewayId: string, eventType: string, reason: string) => recordFailure(gatewayId, eventType, reason),
  };

  async function recordFailure(gatewayId: string, eventType: string, reason: string) {
    const at = now();
    log.error({ gatewayId, eventType, at, reason }, 'gateway event not delivered');
    await store.recordDelivery(gatewayId, { ok: false, at, reason }).catch(() => {});
  }
}
