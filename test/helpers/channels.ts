import { gql, gqlOk } from './client.js';
import { ADMIN_TOKEN } from './herald.js';

export type ChannelEventResult = {
  id: string;
  channel: string;
  type: string;
  payload: unknown;
  priority: string;
  sequence: number;
  cursor: string;
  expiresAt: string | null;
  correlationId: string | null;
  source: string | null;
  schemaVersion: number | null;
};

const FIELDS = 'id channel type payload priority sequence cursor expiresAt correlationId source schemaVersion';

export const CHANNEL_EVENTS = /* GraphQL */ `
  subscription ($channels: [String!]!, $after: String, $minPriority: Priority, $types: [String!], $where: JSON, $order: EventOrder) {
    channelEvents(channels: $channels, after: $after, minPriority: $minPriority, types: $types, where: $where, order: $order) { ${FIELDS} }
  }
`;

export const PUBLISH = `mutation ($input: PublishEventInput!) { publishEvent(input: $input) { ${FIELDS} } }`;
export const PUBLISH_MANY = `mutation ($inputs: [PublishEventInput!]!, $key: String) { publishEvents(inputs: $inputs, idempotencyKey: $key) { ${FIELDS} } }`;

/** Publishes one event and returns it, failing the test on any error. */
export async function publish(url: string, input: Record<string, unknown>, token: string | null = ADMIN_TOKEN): Promise<ChannelEventResult> {
  return (await gqlOk(url, PUBLISH, { input }, token)).publishEvent as ChannelEventResult;
}

/** Publishes one event and returns the refusal's first error. */
export async function publishRefused(url: string, input: Record<string, unknown>, token: string | null = ADMIN_TOKEN) {
  const { body } = await gql(url, PUBLISH, { input }, token);
  if (!body.errors) throw new Error(`expected a refusal, got ${JSON.stringify(body.data)}`);
  return body.errors[0]!;
}
