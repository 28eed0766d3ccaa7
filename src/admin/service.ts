import type { Principal } from '../auth/principal.js';
import type { ConnectionReport } from '../cluster/directory.js';
import type { ClusterView } from '../cluster/view.js';
import type { EventBus } from '../events/bus.js';
import type { ControlChannel } from '../events/control.js';
import { Topics } from '../events/topics.js';
import { newId } from '../ids.js';
import { parseInput } from '../input.js';
import type { Audit } from '../log.js';
import { Close } from '../sessions/close-codes.js';
import { broadcastArgs, connectionsArgs, disconnectArgs, notifyConnectionArgs } from './input.js';
import { closeReason, type SystemMessagePayload } from './messages.js';

export type AdminService = ReturnType<typeof createAdminService>;

/**
 * Operating on connections anywhere in the cluster: list them, close one,
 * message one or all. Commands travel on the control channel (one instance
 * holds the connection); broadcasts on the event bus.
 */
export function createAdminService(deps: { cluster: ClusterView; control: ControlChannel; bus: EventBus; audit: Audit }) {
  const { cluster, control, bus, audit } = deps;
  const find = async (id: string) => (await cluster.connections()).find((c) => c.id === id);
  return {
    /** Open connections of every live instance, oldest first, a page at a time. */
    async connections(args: unknown): Promise<ConnectionReport[]> {
      const { filter, first, after } = parseInput(connectionsArgs, args);
      const matches = (c: ConnectionReport) =>
        (!filter?.kind || c.principalKind === filter.kind) &&
        (!filter?.principalId || c.principalId === filter.principalId) &&
        (!filter?.clientName || c.clientName === filter.clientName) &&
        (!after || c.id > after);
      const all = await cluster.connections();
      return all.filter(matches).sort((a, b) => (a.id < b.id ? -1 : 1)).slice(0, first);
    },

    /** Closes a connection wherever it is; false when no instance reports it. */
    async disconnect(principal: Principal, args: unknown): Promise<boolean> {
      const { connectionId: id, reason } = parseInput(disconnectArgs, args);
      const found = (await find(id)) !== undefined;
      await control.send({ kind: 'close-connections', match: { connectionId: id }, code: Close.Disconnected, reason: closeReason(reason) });
      audit({ action: 'disconnect', principal: principal.id, connectionId: id, reason: reason ?? null });
      return found;
    },

    /**
     * Sends a message to one connection's systemMessages subscriptions; false
     * when no instance reports such a subscription on that connection (none,
     * or no such connection): then nobody receives it.
     */
    async notify(principal: Principal, args: unknown): Promise<boolean> {
      const { connectionId: id, message } = parseInput(notifyConnectionArgs, args);
      const target = await find(id);
      // Sent even so: a subscription that started since its instance last reported gets it.
      await control.send({ kind: 'notify', connectionId: id, id: newId(), message, timestamp: new Date().toISOString() });
      audit({ action: 'notifyConnection', principal: principal.id, connectionId: id });
      return target?.systemMessages === true;
    },

    /** Sends a message to every systemMessages subscription on every instance. */
    async broadcast(principal: Principal, args: unknown): Promise<true> {
      const { message } = parseInput(broadcastArgs, args);
      await bus.publish({
        topic: Topics.system,
        type: 'system.broadcast',
        correlationId: null,
        priority: 'HIGH',
        expiresAt: null,
        payload: { kind: 'BROADCAST', message } satisfies SystemMessagePayload,
      });
      audit({ action: 'broadcast', principal: principal.id });
      return true;
    },
  };
}
