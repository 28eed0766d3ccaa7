import { GATEWAY_EVENT_KEYS, keyOfWireType, type GatewayEvent, type GatewayEventKey, type GatewayEventPayloadOf } from '../gateways/events.js';
import { Topics } from '../events/topics.js';
import { builder } from './builder.js';
import { PriorityEnum } from './priority.js';
import { perEvent } from './shared-results.js';

/** The GraphQL type of each gateway event's payload, by registry key (see gateways/events.ts). */
const PAYLOAD_TYPES: { readonly [K in GatewayEventKey]: ReturnType<ReturnType<typeof builder.objectRef<GatewayEventPayloadOf<K>>>['implement']> } = {
  API_DEPLOYED: builder.objectRef<GatewayEventPayloadOf<'API_DEPLOYED'>>('ApiDeployed').implement({
    description: 'A revision of an API is to be served on a virtual host.',
    fields: (t) => ({
      apiId: t.exposeID('apiId'),
      revisionId: t.exposeID('revisionId'),
      vhost: t.exposeString('vhost'),
      deploymentId: t.exposeID('deploymentId'),
    }),
  }),
  API_UNDEPLOYED: builder.objectRef<GatewayEventPayloadOf<'API_UNDEPLOYED'>>('ApiUndeployed').implement({
    description: 'An API is no longer to be served.',
    fields: (t) => ({ apiId: t.exposeID('apiId'), deploymentId: t.exposeID('deploymentId') }),
  }),
  GATEWAY_CONFIG_UPDATED: builder.objectRef<GatewayEventPayloadOf<'GATEWAY_CONFIG_UPDATED'>>('GatewayConfigUpdated').implement({
    description: "The gateway's configuration changed; `version` increases with every change.",
    fields: (t) => ({ version: t.exposeInt('version'), config: t.field({ type: 'JSON', resolve: (p) => p.config }) }),
  }),
};

export const GatewayEventTypeEnum = builder.enumType('GatewayEventType', { values: GATEWAY_EVENT_KEYS });

// Payload objects carry their registry key under a symbol so the union can
// tell its members apart without a field clients would see.
const KIND = Symbol('gateway-event-kind');
type TaggedPayload = Record<string, unknown> & { [KIND]: GatewayEventKey };

const GatewayEventPayload = builder.unionType('GatewayEventPayload', {
  types: GATEWAY_EVENT_KEYS.map((key) => PAYLOAD_TYPES[key]),
  resolveType: (payload) => PAYLOAD_TYPES[(payload as unknown as TaggedPayload)[KIND]].name,
});

export const GatewayEventRef = builder.objectRef<GatewayEvent>('GatewayEvent').implement({
  description: 'An instruction for one gateway, in the order they were made for it.',
  fields: (t) => ({
    // id, gatewayId, sequence and cursor are each gateway's own; the rest is the same for every gateway of a deployment (see perEvent).
    id: t.id({ resolve: perEvent((e) => e.id) }),
    type: t.field({ type: GatewayEventTypeEnum, resolve: (e) => keyOfWireType(e.type)! }),
    gatewayId: t.id({ resolve: perEvent((e) => Topics.gatewayIdOf(e.topic)) }),
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
