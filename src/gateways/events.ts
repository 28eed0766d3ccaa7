import { z } from '../zod.js';
import type { EventDraft, EventEnvelope } from '../events/envelope.js';
import { Topics } from '../events/topics.js';
import { identifier as id, parseInput } from '../input.js';

/**
 * The gateway event registry: the only place a gateway event type is named.
 * One entry = its key (what clients select, `GatewayEventType`), the wire
 * type and the payload schema, checked before publishing. The GraphQL types
 * (schema/gateway-events.ts) are made per key; adding an event type is adding
 * an entry here and its GraphQL type there.
 */
export const GATEWAY_EVENTS = {
  API_DEPLOYED: { wireType: 'api.deployed', payload: z.object({ apiId: id, revisionId: id, vhost: z.string(), deploymentId: z.string() }) },
  API_UNDEPLOYED: { wireType: 'api.undeployed', payload: z.object({ apiId: id, deploymentId: z.string() }) },
  GATEWAY_CONFIG_UPDATED: { wireType: 'gateway.config.updated', payload: z.object({ version: z.number().int().positive(), config: z.unknown() }) },
} as const;

export type GatewayEventKey = keyof typeof GATEWAY_EVENTS;
export type GatewayEventPayloadOf<K extends GatewayEventKey> = z.infer<(typeof GATEWAY_EVENTS)[K]['payload']>;

export const GATEWAY_EVENT_KEYS = Object.keys(GATEWAY_EVENTS) as GatewayEventKey[];
const KEY_BY_WIRE_TYPE = new Map(GATEWAY_EVENT_KEYS.map((key) => [GATEWAY_EVENTS[key].wireType as string, key]));

export const keyOfWireType = (wireType: string): GatewayEventKey | undefined => KEY_BY_WIRE_TYPE.get(wireType);
export const wireTypeOf = (key: GatewayEventKey): string => GATEWAY_EVENTS[key].wireType;

export type GatewayEvent = EventEnvelope<string, Record<string, unknown>>;

/** Builds a validated event for one gateway; a payload that breaks its schema is BAD_USER_INPUT. */
export function gatewayEventDraft<K extends GatewayEventKey>(key: K, gatewayId: string, payload: GatewayEventPayloadOf<K>, correlationId: string | null): EventDraft {
  return gatewayEventDrafts(key, payload, correlationId)(gatewayId);
}

/**
 * Validates a payload once and makes the same event for each gateway it is
 * given: the gateways of one deployment share the payload object.
 */
export function gatewayEventDrafts<K extends GatewayEventKey>(key: K, payload: GatewayEventPayloadOf<K>, correlationId: string | null): (gatewayId: string) => EventDraft {
  const parsed: unknown = parseInput(GATEWAY_EVENTS[key].payload, payload, 'payload');
  const type = GATEWAY_EVENTS[key].wireType;
  return (gatewayId) => ({ topic: Topics.gateway(gatewayId), type, correlationId, priority: 'NORMAL', expiresAt: null, payload: parsed });
}
