import type { Client } from 'graphql-ws';
import { expect } from 'vitest';
import { gqlOk, record, wsClient, type Recorder } from './client.js';

export const GATEWAY_PATH = '/api/internal/v1/ws/gateways/connect';

export type GatewayEventResult = {
  id: string;
  type: 'API_DEPLOYED' | 'API_UNDEPLOYED' | 'GATEWAY_CONFIG_UPDATED';
  gatewayId: string;
  timestamp: string;
  correlationId: string | null;
  sequence: number;
  cursor: string;
  payload: Record<string, unknown> & { __typename: string };
};

export const GATEWAY_EVENTS = /* GraphQL */ `
  subscription ($types: [GatewayEventType!]) {
    gatewayEvents(types: $types) {
      id type gatewayId timestamp correlationId sequence cursor
      payload {
        __typename
        ... on ApiDeployed { apiId revisionId vhost deploymentId }
        ... on ApiUndeployed { apiId deploymentId }
        ... on GatewayConfigUpdated { version config }
      }
    }
  }
`;

export async function registerGateway(url: string, name: string, vhosts: string[] = []) {
  const { registerGateway: r } = await gqlOk(
    url,
    'mutation ($input: RegisterGatewayInput!) { registerGateway(input: $input) { apiKey gateway { id name } } }',
    { input: { name, vhosts } },
  );
  return r as { apiKey: string; gateway: { id: string; name: string } };
}

export const DEPLOY = /* GraphQL */ `
  mutation ($input: DeployApiRevisionInput!) {
    deployApiRevision(input: $input) {
      id apiId revisionId vhost correlationId
      targets { gatewayId status connections reason eventId }
    }
  }
`;

export function deploy(url: string, gatewayIds: string[], extra: Record<string, unknown> = {}) {
  return gqlOk(url, DEPLOY, { input: { apiId: 'orders', revisionId: 'r1', vhost: 'api.example.com', gatewayIds, ...extra } }).then(
    (d) => d.deployApiRevision as { id: string; targets: Array<{ gatewayId: string; status: string; connections: number; reason: string | null; eventId: string | null }> },
  );
}

/** A gateway's graphql-ws client on the gateway endpoint, subscribed to its events. */
export function gatewayClient(wsUrl: string, apiKey: string, types?: string[]): { client: Client; events: Recorder<GatewayEventResult> } {
  const client = wsClient(wsUrl.replace('/graphql', GATEWAY_PATH), { connectionParams: { apiKey } });
  const events = record<GatewayEventResult>(client, GATEWAY_EVENTS, types ? { types } : {}, 'gatewayEvents');
  return { client, events };
}

/** Waits until the cluster view of `url` shows `count` listening connections of the gateway. */
export async function waitForGatewayConnections(url: string, gatewayId: string, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { gateway } = await gqlOk(url, 'query ($id: ID!) { gateway(id: $id) { connections { subscriptions } } }', { id: gatewayId });
    const listening = (gateway.connections as Array<{ subscriptions: number }>).filter((c) => c.subscriptions > 0).length;
    if (listening === count) return;
    if (Date.now() > deadline) throw new Error(`gateway ${gatewayId} has ${listening} of ${count} listening connections`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Connects one gateway per name, deploys to the first alone and then to all
 * of them at once; returns what that second deployment reported and the last
 * event each gateway received (its own copy of the second deployment).
 */
async function deployToEach(herald: { url: string; wsUrl: string }, names: readonly string[]) {
  const gateways = await Promise.all(names.map((name) => registerGateway(herald.url, name)));
  const listeners = gateways.map((g) => gatewayClient(herald.wsUrl, g.apiKey));
  try {
    for (const g of gateways) await waitForGatewayConnections(herald.url, g.gateway.id, 1);
    await deploy(herald.url, [gateways[0]!.gateway.id], { revisionId: 'first' });
    const { id, targets } = await deploy(herald.url, gateways.map((g) => g.gateway.id), { revisionId: 'all' });
    const received = await Promise.all(listeners.map(async (l, i) => (await l.events.waitForCount(i === 0 ? 2 : 1)).at(-1)!));
    return { id, targets, received };
  } finally {
    await Promise.all(listeners.map((l) => l.client.dispose()));
  }
}

/** What a user checks of a deployment to many gateways: each gets its own id, gatewayId, sequence and cursor, and the same payload. */
export async function expectOwnCopies(herald: { url: string; wsUrl: string }, names: readonly string[]) {
  const { id, targets, received } = await deployToEach(herald, names);
  expect(received.map((e) => [e.id, e.gatewayId, e.sequence])).toEqual(targets.map((t, i) => [t.eventId, t.gatewayId, i === 0 ? 2 : 1]));
  expect(new Set(received.map((e) => e.cursor)).size).toBe(names.length);
  for (const e of received) expect(e.payload).toMatchObject({ revisionId: 'all', deploymentId: id });
}
