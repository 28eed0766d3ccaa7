import type { ReadFrom } from '../events/bus.js';
import { KEPT_DELIVERIES, NEW_ENDPOINT, type CliRegistration, type CliStore, type Delivery, type EndpointState } from './store.js';
import { byId } from '../input.js';

export function createMemoryCliStore(): CliStore {
  const registrations = new Map<string, CliRegistration>();
  const cursors = new Map<string, ReadFrom>();
  const states = new Map<string, EndpointState>();
  const deliveries = new Map<string, Map<string, Delivery>>();
  /** Sets the changed fields and keeps the others, as the Redis store's script does. */
  const mergeState = (id: string, change: Partial<EndpointState>) => states.set(id, { ...(states.get(id) ?? NEW_ENDPOINT), ...change });
  const remove = (id: string) => {
    cursors.delete(id);
    states.delete(id);
    deliveries.delete(id);
    return registrations.delete(id);
  };
  return {
    async create(registration, from, maxPerOwner) {
      if (maxPerOwner !== undefined) {
        let owned = 0;
        for (const r of registrations.values()) if (r.ownerId === registration.ownerId) owned++;
        if (owned >= maxPerOwner) return null;
      }
      registrations.set(registration.id, registration);
      cursors.set(registration.id, from);
      return registration;
    },
    async get(id) {
      return registrations.get(id) ?? null;
    },
    async list() {
      return [...registrations.values()].sort(byId);
    },
    async delete(id) {
      return remove(id);
    },
    async deleteByOwner(ownerId) {
      const owned = [...registrations.values()].filter((r) => r.ownerId === ownerId).map((r) => r.id).sort();
      for (const id of owned) remove(id);
      return owned;
    },
    async cursor(id) {
      return cursors.get(id) ?? null;
    },
    async setCursor(id, from) {
      if (registrations.has(id)) cursors.set(id, from);
    },
    async state(id) {
      return states.get(id) ?? NEW_ENDPOINT;
    },
    async updateState(id, change) {
      if (registrations.has(id)) mergeState(id, change);
    },
    async recordDelivery(delivery, progress) {
      const id = delivery.registrationId;
      if (!registrations.has(id)) return;
      let own = deliveries.get(id);
      if (!own) deliveries.set(id, (own = new Map()));
      own.delete(delivery.id); // re-insert: newest last
      own.set(delivery.id, delivery);
      if (own.size > KEPT_DELIVERIES) own.delete(own.keys().next().value!);
      if (progress?.state) mergeState(id, progress.state);
      if (progress?.cursor) cursors.set(id, progress.cursor);
    },
    async delivery(registrationId, id) {
      return deliveries.get(registrationId)?.get(id) ?? null;
    },
    async deliveries(registrationId, status, first) {
      const own = [...(deliveries.get(registrationId)?.values() ?? [])].reverse();
      return own.filter((d) => status === null || d.status === status).slice(0, first);
    },
  };
}
