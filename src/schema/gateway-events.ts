import { z } from 'zod';
import { identifier as id } from '../input.js';
import { parseInput } from '../validation/parse.js';
import type { EventDraft, EventEnvelope } from '../events/envelope.js';
import { perEvent } from './shared-results.js';
import { builder } from './builder.js';
import { PriorityEnum } from './priority.js';

/**
 * The gateway event registry: the only place a gateway event type is named.
 * One entry = the wire type, the payload schema (checked before publishing)
 * and the GraphQL type clients select. The enum `GatewayEventType`, the union
 * `GatewayEventPayload` and the type filter of `gatewayEvents` all derive
 * from it; adding an event type is adding an entry here.
 */
type Ref<T> = ReturnType<typeof builder.objectRef<T>>;
type Implemented<T> = ReturnType<Ref<T>['implement']>;

function define<S extends z.ZodTypeAny>(wireType: string, payload: S, implement: (ref: (name: string) => Ref<z.infer<S>>) => Implemented<z.infer<S>>) {
  return { wireType, payload, type: implement((name) => builder.objectRef<z.infer<S>>(name)) };
}

export const GATEWAY_EVENTS = {
  API_DEPLOYED: define('api.deployed', z.object({ apiId: id, revisionId: id, vhost: z.string(), deploymentId: z.string() }), (ref) =>
    ref('ApiDeployed').implement({
      description: 'A revision of an API is to be served on a virtual host.',
      fields: (t) => ({
        apiId: t.exposeID('apiId'),
        revisionId: t.exposeID('revisionId'),
        vhost: t.exposeString('vhost'),
        deploymentId: t.exposeID('deploymentId'),
      }),
    }),
  ),
  API_UNDEPLOYED: define('api.undeployed', z.object({ apiId: id, deploymentId: z.string() }), (ref) =>
    ref('ApiUndeployed').implement({
      description: 'An API is no longer to be served.',
      fields: (t) => ({ apiId: t.exposeID('apiId'), deploymentId: t.exposeID('deploymentId') }),
    }),
  ),
  GATEWAY_CONFIG_UPDATED: define('gateway.config.updated', z.object({ version: z.number().int().positive(), config: z.unknown() }), (ref) =>
    ref('GatewayConfigUpdated').implement({
      description: "The gateway's configuration changed; `version` increases with every change.",
      fields: (t) => ({ version: t.exposeInt('version'), config: t.field({ type: 'JSON', resolve: (p) => p.config }) }),
    }),
  ),
};

export type GatewayEventKey = keyof typeof GATEWAY_EVENTS;
type PayloadOf<K extends GatewayEventKey> = z.infer<(typeof GATEWAY_EVENTS)[K]['payload']>;

const KEYS = Object.keys(GATEWAY_EVENTS) as GatewayEventKey[];
const KEY_BY_WIRE_TYPE = new Map(KEYS.map((key) => [GATEWAY_EVENTS[key].wireType, key]));

export const keyOfWireType = (wireType: string): GatewayEventKey | undefined => KEY_BY_WIRE_TYPE.get(wireType);
export const wireTypeOf = (key: GatewayEventKey) => GATEWAY_EVENTS[key].wireType;

export const gatewayTopic = (gatewayId: string) => `gateway:${gatewayId}`;
export const gatewayIdOfTopic = (topic: string) => topic.slice('gateway:'.length);

/** Builds a validated event for one gateway; a payload that breaks its schema is BAD_USER_INPUT. */
export function gatewayEventDraft<K extends GatewayEventKey>(key: K, gatewayId: string, payload: PayloadOf<K>, correlationId: string | null): EventDraft {
  return gatewayEventDrafts(key, payload, correlationId)(gatewayId);
}

/**
 * Validates a payload once and makes the same event for each gateway it is
 * given: the gateways of one deployment share the payload object.
 */
export function gatewayEventDrafts<K extends GatewayEventKey>(key: K, payload: PayloadOf<K>, correlationId: string | null): (gatewayId: string) => EventDraft {
  const parsed: unknown = parseInput(GATEWAY_EVENTS[key].payload, payload, 'payload');
  const type = GATEWAY_EVENTS[key].wireType;
  return (gatewayId) => ({ topic: gatewayTopic(gatewayId), type, correlationId, priority: 'NORMAL', expiresAt: null, payload: parsed });
}

export type GatewayEvent = EventEnvelope<string, Record<string, unknown>>;

export const GatewayEventTypeEnum = builder.enumType('GatewayEventType', { values: KEYS });

// Payload objects carry their registry key under a symbol so the union can
// tell its members apart without a field clients would see.
const KIND = Symbol('gateway-event-kind');
type TaggedPayload = Record<string, unknown> & { [KIND]: GatewayEventKey };

const GatewayEventPayload = builder.unionType('GatewayEventPayload', {
  types: KEYS.map((key) => GATEWAY_EVENTS[key].type),
  resolveType: (payload) => GATEWAY_EVENTS[(payload as unknown as TaggedPayload)[KIND]].type.name,
});

export const GatewayEventRef = builder.objectRef<GatewayEvent>('GatewayEvent').implement({
  description: 'An instruction for one gateway, in the order they were made for it.',
  fields: (t) => ({
    // id, gatewayId, sequence and cursor are each gateway's own; the rest is the same for every gateway of a deployment (see perEvent).
    id: t.id({ resolve: perEvent((e) => e.id) }),
    type: t.field({ type: GatewayEventTypeEnum, resolve: (e) => keyOfWireType(e.type)! }),
    gatewayId: t.id({ resolve: perEvent((e) => gatewayIdOfTopic(e.topic)) }),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
    correlationId: t.exposeString('correlationId', { nullable: true }),
    sequence: t.int({ description: 'Strictly increasing per gateway.', resolve: perEvent((e) => e.sequence) }),
    priority: t.expose('priority', { type: PriorityEnum }),
    cursor: t.string({ resolve: perEvent((e) => e.cursor) }),
    payload: t.field({
      type: GatewayEventPayload,
      resolve: (e) => ({ ...e.payload, [KIND]: keyOfWireType(e.type)! }) as never,
    }),
  }),
});
