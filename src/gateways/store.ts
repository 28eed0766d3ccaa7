/** A gateway key as stored: never the secret, only its SHA-256. */
export type GatewayKeyRecord = {
  readonly id: string;
  readonly gatewayId: string;
  readonly secretHash: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
};

export type Gateway = {
  readonly id: string;
  readonly name: string;
  readonly vhosts: readonly string[];
  readonly createdAt: string;
};

/** How events for one gateway fared, cluster-wide. */
export type GatewayDeliveryStats = {
  readonly eventsSent: number;
  readonly failedDeliveries: number;
  readonly lastFailureAt: string | null;
  readonly lastFailureReason: string | null;
};

export type DeliveryOutcome = { readonly ok: true } | { readonly ok: false; readonly at: string; readonly reason: string };

export const NO_DELIVERIES: GatewayDeliveryStats = { eventsSent: 0, failedDeliveries: 0, lastFailureAt: null, lastFailureReason: null };

export interface GatewayStore {
  create(gateway: Gateway): Promise<Gateway>;
  get(id: string): Promise<Gateway | null>;
  /** Those of the ids that name no gateway. */
  missing(ids: readonly string[]): Promise<string[]>;
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

/** A gateway from input that passed validation (src/validation/gateways.ts); repeated hosts count once. */
export function buildGateway(id: string, input: { name: string; vhosts?: readonly string[] | null }, now: string): Gateway {
  return { id, name: input.name, vhosts: [...new Set(input.vhosts ?? [])], createdAt: now };
}
