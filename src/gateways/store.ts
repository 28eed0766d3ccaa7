import type { DeliveryOutcome, Gateway, GatewayDeliveryStats, GatewayKeyRecord } from './model.js';

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
  /** Stores a new configuration and returns its version (1, 2, ... per gateway). */
  saveConfig(gatewayId: string, config: unknown): Promise<number>;
  /** Counts one event's outcome for each of the gateways. */
  recordDeliveries(gatewayIds: readonly string[], outcome: DeliveryOutcome): Promise<void>;
  deliveryStats(gatewayId: string): Promise<GatewayDeliveryStats>;
}
