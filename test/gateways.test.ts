import type { Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlOk } from './helpers/client.js';
import { deploy, expectOwnCopies, gatewayClient, GATEWAY_PATH, registerGateway, waitForGatewayConnections } from './helpers/gateways.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { useHerald } from './helpers/servers.js';
import { openRaw } from './helpers/raw-ws.js';

describe('API gateways (one instance on Redis)', () => {
  const herald = useHerald({}, { redis: true });
  let gatewayUrl: string;
  let clients: Client[] = [];
  const track = <T extends { client: Client }>(g: T) => (clients.push(g.client), g);

  beforeAll(() => {
    gatewayUrl = herald.wsUrl.replace('/graphql', GATEWAY_PATH);
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    clients = [];
  });

  describe('connecting', () => {
    const connect = async (payload: Record<string, unknown>, headers: Record<string, string> = {}) => {
      const raw = await openRaw(gatewayUrl, { headers });
      raw.send({ type: 'connection_init', payload });
      return Promise.race([raw.next(), raw.closed.then((c) => ({ closed: c }))]);
    };

    it('acknowledges a good key with the connection id, gateway id and heartbeat interval', async () => {
      const { apiKey, gateway } = await registerGateway(herald.url, 'edge-1', ['api.example.com']);
      expect(apiKey).toMatch(/^hgw_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
      for (const [payload, headers] of [[{ apiKey }, {}], [{}, { authorization: `Bearer ${apiKey}` }]] as const) {
        expect(await connect(payload, headers)).toEqual({
          type: 'connection_ack',
          payload: { connectionId: expect.stringMatching(/^[0-9A-Z]{26}$/), gatewayId: gateway.id, heartbeatIntervalMs: 20000 },
        });
      }
    });

    it.each([
      ['no key', {}, { code: 4401, reason: 'Unauthorized: credentials required' }],
      ['an unknown key', { apiKey: `hgw_${'0'.repeat(26)}_${'a'.repeat(43)}` }, { code: 4401, reason: 'Unauthorized: invalid credentials' }],
      ['a key of the wrong shape', { apiKey: 'hgw_nonsense' }, { code: 4401, reason: 'Unauthorized: invalid credentials' }],
      ['the admin token', { authorization: `Bearer ${ADMIN_TOKEN}` }, { code: 4401, reason: 'Unauthorized: a gateway key is required' }],
    ])('closes a connection with %s with 4401', async (_what, payload, closed) => {
      expect(await connect(payload)).toEqual({ closed });
    });

    it('closes a connection with a revoked key with 4403, while a rotated key keeps working until revoked', async () => {
      const { apiKey: first, gateway } = await registerGateway(herald.url, 'edge-rotating');
      const { rotateGatewayKey } = await gqlOk(herald.url, 'mutation ($id: ID!) { rotateGatewayKey(gatewayId: $id) { apiKey } }', { id: gateway.id });
      expect(rotateGatewayKey.apiKey).not.toBe(first);
      for (const apiKey of [first, rotateGatewayKey.apiKey]) expect(await connect({ apiKey })).toMatchObject({ type: 'connection_ack' });

      await gqlOk(herald.url, 'mutation ($id: ID!) { revokeGatewayKey(gatewayId: $id) { id } }', { id: gateway.id });
      for (const apiKey of [first, rotateGatewayKey.apiKey]) {
        expect(await connect({ apiKey })).toEqual({ closed: { code: 4403, reason: 'Forbidden: key revoked' } });
      }
    });
  });

  describe('delivery', () => {
    it('delivers a deployment to the targeted gateway only, and reports each target', async () => {
      const a = await registerGateway(herald.url, 'edge-a');
      const b = await registerGateway(herald.url, 'edge-b');
      const offline = await registerGateway(herald.url, 'edge-offline');
      const onA = track(gatewayClient(herald.wsUrl, a.apiKey));
      const onB = track(gatewayClient(herald.wsUrl, b.apiKey));
      await waitForGatewayConnections(herald.url, a.gateway.id, 1);
      await waitForGatewayConnections(herald.url, b.gateway.id, 1);

      const result = await deploy(herald.url, [a.gateway.id, offline.gateway.id], { correlationId: 'req-1' });
      expect(result.targets).toEqual([
        { gatewayId: a.gateway.id, status: 'DELIVERED', connections: 1, reason: null, eventId: expect.any(String) },
        { gatewayId: offline.gateway.id, status: 'NO_CONNECTION', connections: 0, reason: 'no active connection', eventId: expect.any(String) },
      ]);
      const [event] = await onA.events.waitForCount(1);
      expect(event).toMatchObject({
        type: 'API_DEPLOYED',
        gatewayId: a.gateway.id,
        correlationId: 'req-1',
        sequence: 1,
        payload: { __typename: 'ApiDeployed', apiId: 'orders', revisionId: 'r1', vhost: 'api.example.com', deploymentId: result.id },
      });
      expect(event!.id).toBe(result.targets[0]!.eventId);

      // b was not targeted: a marker sent to b after the deployment arrives alone.
      await deploy(herald.url, [b.gateway.id], { revisionId: 'marker' });
      const [onlyB] = await onB.events.waitForCount(1);
      expect(onlyB!.payload.revisionId).toBe('marker');
      expect(onB.events.values).toHaveLength(1);

      const { gateway } = await gqlOk(
        herald.url,
        'query ($id: ID!) { gateway(id: $id) { connected delivery { eventsSent failedDeliveries lastFailureAt lastFailureReason } } }',
        { id: offline.gateway.id },
      );
      expect(gateway).toMatchObject({ connected: false, delivery: { eventsSent: 0, failedDeliveries: 1, lastFailureReason: 'no active connection' } });
      expect(Number.isNaN(Date.parse(gateway.delivery.lastFailureAt))).toBe(false);
      const { stats } = await gqlOk(herald.url, '{ stats { gateways { gateways eventsSent failedDeliveries } } }');
      expect(stats.gateways.eventsSent).toBeGreaterThanOrEqual(1);
      expect(stats.gateways.failedDeliveries).toBeGreaterThanOrEqual(1);
    });

    it('delivers to every connection of one gateway', async () => {
      const g = await registerGateway(herald.url, 'edge-twice');
      const one = track(gatewayClient(herald.wsUrl, g.apiKey));
      const two = track(gatewayClient(herald.wsUrl, g.apiKey));
      await waitForGatewayConnections(herald.url, g.gateway.id, 2);
      const result = await deploy(herald.url, [g.gateway.id]);
      expect(result.targets[0]).toMatchObject({ status: 'DELIVERED', connections: 2 });
      const [first] = await one.events.waitForCount(1);
      const [second] = await two.events.waitForCount(1);
      expect(second!.id).toBe(first!.id);
    });

    it('gives each gateway of a deployment its own id, gatewayId, sequence and cursor', async () => {
      await expectOwnCopies(herald, ['edge-x', 'edge-y', 'edge-z']);
    });

    it('delivers 200 deployments to one gateway in the order they were made', async () => {
      const g = await registerGateway(herald.url, 'edge-order');
      const { events } = track(gatewayClient(herald.wsUrl, g.apiKey));
      await waitForGatewayConnections(herald.url, g.gateway.id, 1);
      for (let i = 0; i < 200; i++) await deploy(herald.url, [g.gateway.id], { revisionId: `r${i}` });
      const got = await events.waitForCount(200);
      expect(got.map((e) => e.payload.revisionId)).toEqual(Array.from({ length: 200 }, (_, i) => `r${i}`));
      expect(got.map((e) => e.sequence)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    });

    it('sends undeploy and config events, and filters by type', async () => {
      const g = await registerGateway(herald.url, 'edge-types');
      const all = track(gatewayClient(herald.wsUrl, g.apiKey));
      const configOnly = track(gatewayClient(herald.wsUrl, g.apiKey, ['GATEWAY_CONFIG_UPDATED']));
      await waitForGatewayConnections(herald.url, g.gateway.id, 2);
      await deploy(herald.url, [g.gateway.id]);
      const { undeployApi } = await gqlOk(herald.url, 'mutation ($i: UndeployApiInput!) { undeployApi(input: $i) { id targets { status } } }', {
        i: { apiId: 'orders', gatewayIds: [g.gateway.id] },
      });
      const update = (config: unknown) =>
        gqlOk(herald.url, 'mutation ($i: UpdateGatewayConfigInput!) { updateGatewayConfig(input: $i) { version targets { status connections } } }', {
          i: { gatewayId: g.gateway.id, config },
        });
      expect((await update({ rateLimit: 10 })).updateGatewayConfig).toEqual({ version: 1, targets: [{ status: 'DELIVERED', connections: 2 }] });
      expect((await update({ rateLimit: 20 })).updateGatewayConfig.version).toBe(2);

      const events = await all.events.waitForCount(4);
      expect(events.map((e) => e.type)).toEqual(['API_DEPLOYED', 'API_UNDEPLOYED', 'GATEWAY_CONFIG_UPDATED', 'GATEWAY_CONFIG_UPDATED']);
      expect(events[1]!.payload).toEqual({ __typename: 'ApiUndeployed', apiId: 'orders', deploymentId: undeployApi.id });
      const configs = await configOnly.events.waitForCount(2);
      expect(configs.map((e) => e.payload)).toEqual([
        { __typename: 'GatewayConfigUpdated', version: 1, config: { rateLimit: 10 } },
        { __typename: 'GatewayConfigUpdated', version: 2, config: { rateLimit: 20 } },
      ]);
    });

    it('refuses unknown gateway ids and oversized payloads and publishes nothing', async () => {
      const g = await registerGateway(herald.url, 'edge-strict');
      const { events } = track(gatewayClient(herald.wsUrl, g.apiKey));
      await waitForGatewayConnections(herald.url, g.gateway.id, 1);

      const unknown = await gql(herald.url, 'mutation ($input: DeployApiRevisionInput!) { deployApiRevision(input: $input) { id } }', {
        input: { apiId: 'orders', revisionId: 'r1', vhost: 'api.example.com', gatewayIds: [g.gateway.id, 'no-such-gateway'], correlationId: 'strict-1' },
      });
      expect(unknown.body.errors![0]).toMatchObject({ message: 'gatewayIds: unknown gateway(s): no-such-gateway', extensions: { code: 'BAD_USER_INPUT' } });

      // An event over 1 MB cannot even be sent: the request body is over the 1 MB limit first.
      const huge = await gql(herald.url, 'mutation ($i: UpdateGatewayConfigInput!) { updateGatewayConfig(input: $i) { version } }', {
        i: { gatewayId: g.gateway.id, config: { blob: 'x'.repeat(1024 * 1024) } },
      });
      expect(huge.status).toBe(413);
      expect(huge.body.errors![0]!.extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });

      let deepConfig: unknown = 'leaf';
      for (let i = 0; i < 21; i++) deepConfig = { nested: deepConfig };
      const deep = await gql(herald.url, 'mutation ($i: UpdateGatewayConfigInput!) { updateGatewayConfig(input: $i) { version } }', {
        i: { gatewayId: g.gateway.id, config: deepConfig },
      });
      expect(deep.body.errors![0]).toMatchObject({ message: 'config: must nest at most 20 levels of objects and lists', extensions: { code: 'BAD_USER_INPUT', field: 'config' } });

      // The refused request left its correlation id free: corrected, it runs.
      await deploy(herald.url, [g.gateway.id], { revisionId: 'after', correlationId: 'strict-1' });
      const [first] = await events.waitForCount(1);
      expect(first!.payload.revisionId).toBe('after');
      expect(first!.sequence).toBe(1);
    });

    it('refuses gateways anything but their own events', async () => {
      const g = await registerGateway(herald.url, 'edge-limited');
      const other = await registerGateway(herald.url, 'edge-other');
      const denied = await gql(herald.url, 'mutation { registerGateway(input: { name: "x" }) { apiKey } }', {}, g.apiKey);
      expect(denied.body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN' });
      const raw = await openRaw(gatewayUrl);
      raw.send({ type: 'connection_init', payload: { apiKey: g.apiKey } });
      await raw.next();
      raw.send({ id: '1', type: 'subscribe', payload: { query: `subscription { gatewayEvents(gatewayId: "${other.gateway.id}") { id } }` } });
      expect(await raw.next((m) => m.id === '1')).toMatchObject({ type: 'next', payload: { errors: [{ extensions: { code: 'FORBIDDEN' } }] } });
      expect(await raw.next((m) => m.id === '1')).toEqual({ id: '1', type: 'complete' });
      raw.socket.close();
    });

    it('lets an admin watch one gateway and delete it, closing its connections with 4403', async () => {
      const g = await registerGateway(herald.url, 'edge-doomed');
      const raw = await openRaw(gatewayUrl);
      raw.send({ type: 'connection_init', payload: { apiKey: g.apiKey } });
      await raw.next();
      await deploy(herald.url, [g.gateway.id]);
      const redis = new Redis(herald.redis.url);
      const latest = () => redis.hexists('herald:{deployments}:deployment-latest', g.gateway.id);
      expect(await latest()).toBe(1);
      const { deleteGateway } = await gqlOk(herald.url, 'mutation ($id: ID!) { deleteGateway(id: $id) }', { id: g.gateway.id });
      expect(deleteGateway).toBe(true);
      expect(await raw.closed).toEqual({ code: 4403, reason: 'Forbidden: gateway deleted' });
      const { gateways } = await gqlOk(herald.url, '{ gateways { id } }');
      expect(gateways.map((x: { id: string }) => x.id)).not.toContain(g.gateway.id);
      // Nothing is kept by the gateway's id once it is gone: which deployment was its latest goes too.
      expect(await latest()).toBe(0);
      redis.disconnect();
    });
  });
});
