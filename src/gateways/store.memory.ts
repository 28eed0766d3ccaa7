import { NO_DELIVERIES, type Gateway, type GatewayDeliveryStats, type GatewayKeyRecord } from './model.js';
import type { GatewayStore } from './store.js';
import { byId } from '../input.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function createMemoryGatewayStore(): GatewayStore {
  const gateways = new Map<string, Gateway>();
  const keys = new Map<string, GatewayKeyRecord>();
  const used = new Map<string, string>();
  const stats = new Map<string, Mutable<GatewayDeliveryStats>>();
  const configs = new Map<string, { version: number; config: unknown }>();

  return {
    async create(gateway) {
      gateways.set(gateway.id, gateway);
      return gateway;
    },
    async get(id) {
      return gateways.get(id) ?? null;
    },
    async missing(ids) {
      return ids.filter((id) => !gateways.has(id));
    },
    async list() {
      return [...gateways.values()].sort(byId);
    },
    async delete(id) {
      if (!gateways.delete(id)) return false;
      for (const [keyId, key] of keys) {
        if (key.gatewayId !== id) continue;
        keys.delete(keyId);
        used.delete(keyId);
      }
      stats.delete(id);
      configs.delete(id);
      return true;
    },
    async addKey(key) {
      keys.set(key.id, key);
    },
    async getKey(keyId) {
      return keys.get(keyId) ?? null;
    },
    async revokeKeys(gatewayId, at) {
      let revoked = 0;
      for (const [keyId, key] of keys) {
        if (key.gatewayId === gatewayId && key.revokedAt === null) {
          keys.set(keyId, { ...key, revokedAt: at });
          revoked++;
        }
      }
      return revoked;
    },
    async revokeKey(gatewayId, keyId, at) {
      const key = keys.get(keyId);
      if (!key || key.gatewayId !== gatewayId) return null;
      const revoked = key.revokedAt === null ? { ...key, revokedAt: at } : key;
      keys.set(keyId, revoked);
      return revoked;
    },
    async keys(gatewayId) {
      return [...keys.values()]
        .filter((k) => k.gatewayId === gatewayId)
        .sort(byId)
        .map((k) => ({ ...k, lastUsedAt: used.get(k.id) ?? null }));
    },
    async recordKeyUse(keyId, at) {
      if (keys.has(keyId)) used.set(keyId, at);
    },
    async saveConfig(gatewayId, config) {
      const version = (configs.get(gatewayId)?.version ?? 0) + 1;
      configs.set(gatewayId, { version, config });
      return version;
    },
    async recordDeliveries(gatewayIds, outcome) {
      // Counted in place (one record per gateway, copied when read): this runs for every event sent.
      for (const gatewayId of gatewayIds) {
        let current = stats.get(gatewayId);
        if (!current) stats.set(gatewayId, (current = { ...NO_DELIVERIES }));
        if (outcome.ok) current.eventsSent++;
        else {
          current.failedDeliveries++;
          current.lastFailureAt = outcome.at;
          current.lastFailureReason = outcome.reason;
        }
      }
    },
    async deliveryStats(gatewayId) {
      const current = stats.get(gatewayId);
      return current ? { ...current } : NO_DELIVERIES;
    },
  };
}
