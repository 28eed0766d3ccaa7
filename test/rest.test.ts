import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayClient, registerGateway, waitForGatewayConnections } from './helpers/gateways.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { useHerald } from './helpers/servers.js';

describe('REST routes for services', () => {
  let gateway: { apiKey: string; gateway: { id: string } };

  const herald = useHerald({ NODE_ENV: 'production' });
  beforeAll(async () => {
    gateway = await registerGateway(herald.url, 'edge-rest');
  });

  const deploy = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${herald.origin}/api/v1/apis/orders/deploy-revision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
      body,
    });

  it('deploys a revision like the GraphQL mutation does', async () => {
    const { client, events } = gatewayClient(herald.wsUrl, gateway.apiKey);
    await waitForGatewayConnections(herald.url, gateway.gateway.id, 1);
    const response = await deploy(JSON.stringify({ revisionId: 'r7', vhost: 'api.example.com', gatewayIds: [gateway.gateway.id], correlationId: 'ci-42' }));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      apiId: 'orders',
      revisionId: 'r7',
      vhost: 'api.example.com',
      correlationId: 'ci-42',
      targets: [{ gatewayId: gateway.gateway.id, status: 'DELIVERED', connections: 1, reason: null }],
    });
    const [event] = await events.waitForCount(1);
    expect(event!.payload).toMatchObject({ apiId: 'orders', revisionId: 'r7', deploymentId: body.id });
    await client.dispose();
  });

  it.each([
    ['a body that is not JSON', '{', {}, 400, 'BAD_USER_INPUT'],
    ['a missing field', JSON.stringify({ vhost: 'a.example.com', gatewayIds: [] }), {}, 400, 'BAD_USER_INPUT'],
    ['an unknown gateway', JSON.stringify({ revisionId: 'r', vhost: 'a.example.com', gatewayIds: ['nope'] }), {}, 400, 'BAD_USER_INPUT'],
    ['no credentials', JSON.stringify({}), { authorization: '' }, 401, 'UNAUTHENTICATED'],
    ['a wrong token', JSON.stringify({}), { authorization: 'Bearer wrong-wrong-wrong-wrong' }, 401, 'UNAUTHENTICATED'],
    ['a text body', 'revisionId=r', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a body over 1 MB', JSON.stringify({ revisionId: 'x'.repeat(1024 * 1024) }), {}, 413, 'PAYLOAD_TOO_LARGE'],
  ])('answers %s with %i', async (_what, body, headers, status, code) => {
    const response = await deploy(body, headers);
    expect(response.status).toBe(status);
    const json = await response.json();
    expect(json.error?.code ?? json.errors?.[0]?.extensions?.code).toBe(code);
  });

  it('answers a gateway key with 403', async () => {
    const response = await deploy(JSON.stringify({ revisionId: 'r', vhost: 'a.example.com', gatewayIds: [gateway.gateway.id] }), {
      authorization: `Bearer ${gateway.apiKey}`,
    });
    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('FORBIDDEN');
  });

  it('serves stats to an admin', async () => {
    const response = await fetch(`${herald.origin}/api/internal/v1/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.instance).toMatchObject({ mode: 'EMBEDDED', eventsPublished: 1 });
    expect(body.instances).toHaveLength(1);
    expect((await fetch(`${herald.origin}/api/internal/v1/stats`)).status).toBe(401);
  });
});

describe('the gateway event registry', () => {
  // Server code only: the client SDK and the CLI (src/client, src/cli) speak the public API,
  // whose typed operations name the GraphQL types as any client's documents do.
  it('is the only place in src/ that names a gateway event type, with its GraphQL face', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const root = new URL('../src', import.meta.url).pathname;
    const files = (function walk(dir: string): string[] {
      return readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        const skipped = name === 'generated' || (dir === root && (name === 'client' || name === 'cli'));
        return statSync(path).isDirectory() ? (skipped ? [] : walk(path)) : [path];
      });
    })(root);
    const naming = (pattern: RegExp) => files.filter((f) => pattern.test(readFileSync(f, 'utf8'))).map((f) => f.slice(root.length));
    expect(naming(/'(api\.deployed|api\.undeployed|gateway\.config\.updated)'/)).toEqual(['/gateways/events.ts']);
    expect(naming(/\b(ApiDeployed|ApiUndeployed|GatewayConfigUpdated)\b/)).toEqual(['/schema/gateway-events.ts']);
  });
});
