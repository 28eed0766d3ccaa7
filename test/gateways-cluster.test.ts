import { describe, expect, it } from 'vitest';
import { gql, gqlOk, record, wsClient } from './helpers/client.js';
import { deploy, gatewayClient, GATEWAY_PATH, registerGateway, waitForGatewayConnections } from './helpers/gateways.js';
import type { HeraldProcess } from './helpers/herald.js';
import { openRaw } from './helpers/raw-ws.js';
import { until } from './helpers/wait.js';
import { useCluster } from './helpers/servers.js';

describe('gateways across instances', () => {

  const cluster = useCluster(2, { CLUSTER_REPORT_INTERVAL_MS: '200' });
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];

  it('delivers a deployment made on one instance to a gateway connected to the other, and shows it cluster-wide', async () => {
    const g = await registerGateway(a.url, 'edge-far');
    const { client, events } = gatewayClient(b.wsUrl, g.apiKey);
    await waitForGatewayConnections(a.url, g.gateway.id, 1);

    const result = await deploy(a.url, [g.gateway.id]);
    expect(result.targets).toEqual([expect.objectContaining({ status: 'DELIVERED', connections: 1 })]);
    const [event] = await events.waitForCount(1);
    expect(event!.payload.deploymentId).toBe(result.id);

    const { gateway, connections, stats } = await gqlOk(
      a.url,
      `query ($id: ID!) {
        gateway(id: $id) { connected connections { instanceId gatewayId principalKind eventsSent } }
        connections { instanceId gatewayId }
        stats { instanceId cluster { connections instances { instanceId connections } } }
      }`,
      { id: g.gateway.id },
    );
    expect(gateway.connected).toBe(true);
    expect(gateway.connections).toEqual([{ instanceId: 'b', gatewayId: g.gateway.id, principalKind: 'gateway', eventsSent: expect.any(Number) }]);
    expect(connections).toContainEqual({ instanceId: 'b', gatewayId: g.gateway.id });
    expect(stats.instanceId).toBe('a');
    expect(stats.cluster.instances).toEqual([
      { instanceId: 'a', connections: 0 },
      { instanceId: 'b', connections: 1 },
    ]);
    // Per-connection counters travel with the next periodic report.
    await until(
      () => gqlOk(a.url, 'query ($id: ID!) { gateway(id: $id) { connections { eventsSent } } }', { id: g.gateway.id }),
      (d) => d.gateway.connections[0]?.eventsSent === 1,
      'eventsSent to be reported',
    );
    await client.dispose();
  });

  it('counts one event sent for each gateway a deployment reached, on whichever instance', async () => {
    const near = await registerGateway(a.url, 'edge-count-near');
    const far = await registerGateway(a.url, 'edge-count-far');
    const away = await registerGateway(a.url, 'edge-count-away');
    const onA = gatewayClient(a.wsUrl, near.apiKey);
    const onB = gatewayClient(b.wsUrl, far.apiKey);
    // Deployed through b, which learns of a's connections from a's periodic report.
    await waitForGatewayConnections(b.url, near.gateway.id, 1);
    await waitForGatewayConnections(b.url, far.gateway.id, 1);

    const result = await deploy(b.url, [near.gateway.id, far.gateway.id, away.gateway.id]);
    expect(result.targets.map((t: { status: string }) => t.status)).toEqual(['DELIVERED', 'DELIVERED', 'NO_CONNECTION']);
    await onA.events.waitForCount(1);
    await onB.events.waitForCount(1);
    const delivery = (id: string) => gqlOk(a.url, 'query ($id: ID!) { gateway(id: $id) { delivery { eventsSent failedDeliveries } } }', { id });
    // Counted after the deployment answers, so read until the counts arrive.
    for (const g of [near, far]) await until(() => delivery(g.gateway.id), (d) => d.gateway.delivery.eventsSent === 1, `${g.gateway.name} to count its event`);
    expect((await delivery(near.gateway.id)).gateway.delivery).toEqual({ eventsSent: 1, failedDeliveries: 0 });
    expect((await delivery(far.gateway.id)).gateway.delivery).toEqual({ eventsSent: 1, failedDeliveries: 0 });
    await until(() => delivery(away.gateway.id), (d) => d.gateway.delivery.failedDeliveries === 1, 'the unreachable gateway to count a failure');
    expect((await delivery(away.gateway.id)).gateway.delivery).toEqual({ eventsSent: 0, failedDeliveries: 1 });
    await onA.client.dispose();
    await onB.client.dispose();
  });

  it('closes a gateway connection on the other instance within a second of revocation', async () => {
    const g = await registerGateway(a.url, 'edge-revoked');
    const raw = await openRaw(b.wsUrl.replace('/graphql', GATEWAY_PATH));
    raw.send({ type: 'connection_init', payload: { apiKey: g.apiKey } });
    expect(await raw.next()).toMatchObject({ type: 'connection_ack' });

    const revokedAt = Date.now();
    await gqlOk(a.url, 'mutation ($id: ID!) { revokeGatewayKey(gatewayId: $id) { id } }', { id: g.gateway.id });
    expect(await raw.closed).toEqual({ code: 4403, reason: 'Forbidden: gateway key revoked' });
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
  });

  it('rotates keys one by one: retiring the old key closes only its connections, on every instance', async () => {
    const { registerGateway: first } = await gqlOk(a.url, 'mutation { registerGateway(input: { name: "edge-rotating" }) { apiKey keyId gateway { id } } }');
    const gatewayId = first.gateway.id as string;
    const { rotateGatewayKey: second } = await gqlOk(a.url, 'mutation ($id: ID!) { rotateGatewayKey(gatewayId: $id) { apiKey keyId } }', { id: gatewayId });
    expect(second.keyId).not.toBe(first.keyId);
    const connect = async (url: string, apiKey: string) => {
      const raw = await openRaw(url.replace('/graphql', GATEWAY_PATH));
      raw.send({ type: 'connection_init', payload: { apiKey } });
      return { raw, first: await Promise.race([raw.next(), raw.closed]) };
    };
    const oldOnB = await connect(b.wsUrl, first.apiKey);
    const newOnB = await connect(b.wsUrl, second.apiKey);
    const newOnA = await connect(a.wsUrl, second.apiKey);
    for (const c of [oldOnB, newOnB, newOnA]) expect(c.first).toMatchObject({ type: 'connection_ack' });

    const keys = () => gqlOk(a.url, 'query ($id: ID!) { gatewayKeys(gatewayId: $id) { id createdAt lastUsedAt revokedAt } }', { id: gatewayId }).then((d) => d.gatewayKeys);
    // Each key's use is recorded when it authenticates.
    const used = await until(keys, (k) => k.every((key: { lastUsedAt: string | null }) => key.lastUsedAt !== null), 'both keys to show a last use');
    expect(used.map((k: { id: string }) => k.id)).toEqual([first.keyId, second.keyId].sort());
    expect(used.every((k: { revokedAt: string | null }) => k.revokedAt === null)).toBe(true);

    const revokedAt = Date.now();
    await gqlOk(a.url, 'mutation ($id: ID!, $key: ID!) { revokeGatewayKey(gatewayId: $id, keyId: $key) { id } }', { id: gatewayId, key: first.keyId });
    expect(await oldOnB.raw.closed).toEqual({ code: 4403, reason: 'Forbidden: gateway key revoked' });
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    // The new key's connections stay, on both instances, and still get the gateway's events.
    newOnB.raw.send({ id: 'e', type: 'subscribe', payload: { query: 'subscription { gatewayEvents { type } }' } });
    await waitForGatewayConnections(a.url, gatewayId, 1);
    expect((await deploy(a.url, [gatewayId])).targets[0]).toMatchObject({ status: 'DELIVERED' });
    expect(await newOnB.raw.next((m) => m.id === 'e')).toMatchObject({ type: 'next', payload: { data: { gatewayEvents: { type: 'API_DEPLOYED' } } } });
    expect(newOnA.raw.socket.readyState).toBe(newOnA.raw.socket.OPEN);
    expect((await connect(a.wsUrl, first.apiKey)).first).toEqual({ code: 4403, reason: 'Forbidden: key revoked' });
    const listed = await keys();
    expect(listed.map((k: { id: string; revokedAt: string | null }) => [k.id, k.revokedAt !== null])).toEqual(
      [[first.keyId, true], [second.keyId, false]].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );

    // An unknown key, or another gateway's, is NOT_FOUND; without keyId every key goes.
    const other = await registerGateway(a.url, 'edge-other');
    const { body } = await gql(a.url, 'mutation ($id: ID!, $key: ID!) { revokeGatewayKey(gatewayId: $id, keyId: $key) { id } }', { id: other.gateway.id, key: second.keyId });
    expect(body.errors![0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    await gqlOk(a.url, 'mutation ($id: ID!) { revokeGatewayKey(gatewayId: $id) { id } }', { id: gatewayId });
    expect(await newOnA.raw.closed).toEqual({ code: 4403, reason: 'Forbidden: gateway key revoked' });
    expect(await newOnB.raw.closed).toEqual({ code: 4403, reason: 'Forbidden: gateway key revoked' });
  });

  it('drops the connections of an instance that dies from the cluster view', async () => {
    const g = await registerGateway(a.url, 'edge-orphan');
    gatewayClient(b.wsUrl, g.apiKey);
    await waitForGatewayConnections(a.url, g.gateway.id, 1);
    b.kill('SIGKILL');
    await b.exited;
    await waitForGatewayConnections(a.url, g.gateway.id, 0);
    const { stats } = await gqlOk(a.url, '{ stats { cluster { instances { instanceId } } } }');
    expect(stats.cluster.instances).toEqual([{ instanceId: 'a' }]);
    const result = await deploy(a.url, [g.gateway.id]);
    expect(result.targets[0]).toMatchObject({ status: 'NO_CONNECTION' });
  });
});

describe('what a deployment reports, as the instances see it when it is published', () => {
  // Reports are written on every change, and then only every minute: a dead instance's report lasts three.
  const cluster = useCluster(2, { CLUSTER_REPORT_INTERVAL_MS: '60000' });
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];

  it('does not count an admin watching a gateway as the gateway listening', async () => {
    const g = await registerGateway(a.url, 'edge-watched');
    const admin = wsClient(b.wsUrl);
    const watched = record(admin, 'subscription ($id: ID) { gatewayEvents(gatewayId: $id) { id } }', { id: g.gateway.id }, 'gatewayEvents');
    await until(() => gqlOk(b.url, '{ stats { subscriptions } }'), (d) => d.stats.subscriptions === 1, 'the admin subscription');
    const result = await deploy(a.url, [g.gateway.id]);
    expect(result.targets[0]).toMatchObject({ status: 'NO_CONNECTION', connections: 0 });
    expect(await watched.waitForCount(1)).toHaveLength(1);
    await admin.dispose();
  });

  it('reports NO_CONNECTION for a gateway whose instance died, while the cluster view still lists its connection', async () => {
    const g = await registerGateway(a.url, 'edge-gone');
    const { client } = gatewayClient(b.wsUrl, g.apiKey);
    await waitForGatewayConnections(a.url, g.gateway.id, 1);
    expect((await deploy(a.url, [g.gateway.id])).targets[0]).toMatchObject({ status: 'DELIVERED', connections: 1 });

    b.kill('SIGKILL');
    await b.exited;
    const { gateway } = await gqlOk(a.url, 'query ($id: ID!) { gateway(id: $id) { connected } }', { id: g.gateway.id });
    expect(gateway.connected).toBe(true); // b's last report has not expired yet
    expect((await deploy(a.url, [g.gateway.id])).targets[0]).toMatchObject({ status: 'NO_CONNECTION', connections: 0, reason: 'no active connection' });
    await client.dispose();
  });
});
