import type { DeliveryOutcome, Gateway, GatewayDeliveryStats, GatewayKeyRecord, GatewayKeyUse } from './model.js';

export interface GatewayStore {
  create(gateway: Gateway): Promise<Gateway>;
  get(id: string): Promise<Gateway | null>;
  /** Those of the ids that name no gateway. */
  missing(ids: readonly string[]): Promise<string[]>;
  /** Every gateway, by id (that is, in creation order). */
  list(): Promise<Gateway[]>;
  /** Removes the gateway with its keys and statistics; false when there was none. */
  delete(id: string): Promise<boolean>;
  addKey(key: GatewayKeyRecord): Promise<void>;
  getKey(keyId: string): Promise<GatewayKeyRecord | null>;
  /** Revokes every key of the gateway that is not revoked yet; returns how many. */
  revokeKeys(gatewayId: string, at: string): Promise<number>;
  /**
   * Revokes one key of the gateway (a key revoked before keeps its time) and
   * returns it; null when the gateway has no such key.
   */
  revokeKey(gatewayId: string, keyId: string, at: string): Promise<GatewayKeyRecord | null>;
  /** Every key of the gateway, revoked ones too, by id (that is, in creation order), with its last use. */
  keys(gatewayId: string): Promise<GatewayKeyUse[]>;
  /** Records that a key authenticated at `at`; nothing for a key that no longer exists. */
  recordKeyUse(keyId: string, at: string): Promise<void>;
  /** Stores a new configuration and returns its version (1, 2, ... per gateway). */
  saveConfig(gatewayId: string, config: unknown): Promise<number>;
  /** Counts one event's outcome for each of the gateways. */
  recordDeliveries(gatewayIds: readonly string[], outcome: DeliveryOutcome): Promise<void>;
  deliveryStats(gatewayId: string): Promise<GatewayDeliveryStats>;
  /** Writes what the store counted and has not stored yet (a store that writes as it counts has none). */
  flush?(): Promise<void>;
}
