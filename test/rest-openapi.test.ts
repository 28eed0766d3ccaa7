import { describe, expect, it } from 'vitest';
import { ROUTES } from '../src/transport/rest-routes.js';
import { gqlOk } from './helpers/client.js';
import { deploy, gatewayClient, registerGateway, waitForGatewayConnections } from './helpers/gateways.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { useHerald } from './helpers/servers.js';
import { serviceKey } from './helpers/tokens.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('REST description and gateway stats', () => {
  const herald = useHerald();
  const get = (path: string, token = ADMIN_TOKEN) => fetch(`${herald.origin}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('describes exactly the routes the router has, each with a summary and responses', async () => {
    const response = await get('/api/openapi.json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { summary?: string; responses?: Record<string, unknown> }>> };
    expect(doc.openapi).toBe('3.1.0');
    const described = Object.entries(doc.paths).flatMap(([path, operations]) =>
      METHODS.filter((m) => m in operations).map((m) => {
        const op = operations[m]!;
        expect(op.summary, `${m} ${path}`).toBeTruthy();
        expect(Object.keys(op.responses ?? {}), `${m} ${path}`).toContain('200');
        return `${m.toUpperCase()} ${path}`;
      }),
    );
    // The router's own table, its `:name` parts written as OpenAPI's `{name}`.
    const routed = ROUTES.map((r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    expect(described.sort()).toEqual(routed.sort());
    // Each path parameter is declared.
    for (const [path, operations] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(operations) as { parameters?: { name: string; in: string }[] }[]) {
        expect((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name), path).toEqual(names);
      }
    }
  });

  it('lists per gateway its connections with connected-at and last heartbeat, events sent and the last failure, over REST and GraphQL', async () => {
    const online = await registerGateway(herald.url, 'stats-online');
    const offline = await registerGateway(herald.url, 'stats-offline');
    const { client, events } = gatewayClient(herald.wsUrl, online.apiKey);
    await waitForGatewayConnections(herald.url, online.gateway.id, 1);
    await deploy(herald.url, [online.gateway.id, offline.gateway.id]);
    await events.waitForCount(1);

    const body = (await (await get('/api/internal/v1/stats')).json()) as {
      gateways: { id: string; name: string; connections: { id: string; connectedAt: string; lastHeartbeatAt: string }[]; eventsSent: number; failedDeliveries: number; lastFailureReason: string | null; lastFailureAt: string | null }[];
    };
    const on = body.gateways.find((g) => g.id === online.gateway.id)!;
    const off = body.gateways.find((g) => g.id === offline.gateway.id)!;
    expect(on).toMatchObject({ name: 'stats-online', eventsSent: 1, failedDeliveries: 0, lastFailureReason: null });
    expect(on.connections).toHaveLength(1);
    expect(Date.parse(on.connections[0]!.connectedAt)).toBeLessThanOrEqual(Date.parse(on.connections[0]!.lastHeartbeatAt));
    expect(off).toMatchObject({ connections: [], eventsSent: 0, failedDeliveries: 1, lastFailureReason: 'no active connection' });
    expect(Date.parse(off.lastFailureAt!)).toBeGreaterThan(Date.now() - 60_000);

    const { gateways } = await gqlOk(herald.url, '{ gateways { id connections { id connectedAt lastHeartbeatAt } delivery { eventsSent failedDeliveries lastFailureReason lastFailureAt } } }');
    const gOn = gateways.find((g: { id: string }) => g.id === online.gateway.id);
    expect(gOn.connections.map((c: { id: string }) => c.id)).toEqual([on.connections[0]!.id]);
    expect(gOn.delivery).toMatchObject({ eventsSent: 1, failedDeliveries: 0 });
    expect(gateways.find((g: { id: string }) => g.id === offline.gateway.id).delivery).toEqual({ eventsSent: 0, failedDeliveries: 1, lastFailureReason: 'no active connection', lastFailureAt: off.lastFailureAt });

    // stats:read alone sees the counters, not the gateways.
    const reader = await serviceKey(herald.url, ['stats:read']);
    const limited = (await (await get('/api/internal/v1/stats', reader.secret)).json()) as { gateways: unknown; instances: unknown[] };
    expect(limited.gateways).toBeNull();
    expect(limited.instances).toHaveLength(1);
    events.dispose();
    await client.dispose();
  });
});
