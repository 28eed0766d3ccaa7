/** Gateways, their keys and how events for them fared. */

/** A gateway key as stored: never the secret, only its SHA-256. */
export type GatewayKeyRecord = {
  readonly id: string;
  readonly gatewayId: string;
  readonly secretHash: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
};

/** A gateway key as listed: its record, and when it was last used to authenticate (to about a minute). */
export type GatewayKeyUse = GatewayKeyRecord & { readonly lastUsedAt: string | null };

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

/** A gateway from input that passed validation (input.ts); repeated hosts count once. */
export function buildGateway(id: string, input: { name: string; vhosts?: readonly string[] | null }, now: string): Gateway {
  return { id, name: input.name, vhosts: [...new Set(input.vhosts ?? [])], createdAt: now };
}
