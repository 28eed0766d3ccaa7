import { describe, expect, it } from 'vitest';
import { gql, gqlOk } from './helpers/client.js';
import { deploy, gatewayClient, registerGateway, waitForGatewayConnections } from './helpers/gateways.js';
import type { HeraldProcess } from './helpers/herald.js';
import { useCluster } from './helpers/servers.js';
import { until } from './helpers/wait.js';

const STATUS = 'query ($c: String!) { deployment(correlationId: $c) { id kind correlationId acknowledged targets { gatewayId eventId status acknowledgedAt overdue } } }';
const ACK = 'mutation ($id: ID!) { acknowledgeGatewayEvent(eventId: $id) { acknowledged } }';

describe('gateways confirm the events they applied', () => {
  const cluster = useCluster(2, { CLUSTER_REPORT_INTERVAL_MS: '200', GATEWAY_ACK_TIMEOUT_MS: '500' });
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];

  it('shows which targets of a deployment confirmed, over their own connection, and which did not in time', async () => {
    const [near, far] = await Promise.all([registerGateway(a.url, 'edge-near'), registerGateway(a.url, 'edge-far')]);
    const onA = gatewayClient(a.wsUrl, near.apiKey);
    const onB = gatewayClient(b.wsUrl, far.apiKey);
    await Promise.all([waitForGatewayConnections(a.url, near.gateway.id, 1), waitForGatewayConnections(a.url, far.gateway.id, 1)]);
    const result = await deploy(b.url, [near.gateway.id, far.gateway.id], { correlationId: 'release-42' });
    const [event] = await onA.events.waitForCount(1);
    await onB.events.waitForCount(1);

    // The gateway confirms over the connection it receives on (graphql-ws runs mutations too).
    const confirmed = await new Promise<Record<string, unknown>>((resolve, reject) =>
      onA.client.subscribe({ query: ACK, variables: { id: event!.id } }, { next: (r) => resolve(r as Record<string, unknown>), error: reject, complete: () => {} }),
    );
    expect(confirmed).toEqual({ data: { acknowledgeGatewayEvent: { acknowledged: 1 } } });
    const again = await new Promise<Record<string, unknown>>((resolve, reject) =>
      onA.client.subscribe({ query: ACK, variables: { id: event!.id } }, { next: (r) => resolve(r as Record<string, unknown>), error: reject, complete: () => {} }),
    );
    expect(again).toEqual(confirmed);

    const { deployment } = await gqlOk(a.url, STATUS, { c: 'release-42' });
    expect(deployment).toMatchObject({ id: result.id, kind: 'DEPLOY', correlationId: 'release-42', acknowledged: 1 });
    const byGateway = Object.fromEntries(deployment.targets.map((t: { gatewayId: string }) => [t.gatewayId, t]));
    expect(byGateway[near.gateway.id]).toMatchObject({ status: 'ACKNOWLEDGED', eventId: event!.id, acknowledgedAt: expect.any(String), overdue: false });
    expect(byGateway[far.gateway.id]).toMatchObject({ status: 'DELIVERED', acknowledgedAt: null });
    const late = await until(() => gqlOk(a.url, STATUS, { c: result.id }), (d) => d.deployment.targets.some((t: { overdue: boolean }) => t.overdue), 'the far gateway to be overdue');
    expect(late.deployment.targets.filter((t: { overdue: boolean }) => t.overdue).map((t: { gatewayId: string }) => t.gatewayId)).toEqual([far.gateway.id]);

    // A gateway may only confirm its own events, and only gateways confirm.
    const farKey = far.apiKey;
    const notOwn = await gql(a.url, ACK, { id: event!.id }, farKey);
    expect(notOwn.body.errors![0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    const byAdmin = await gql(a.url, ACK, { id: event!.id });
    expect(byAdmin.body.errors![0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect((await gqlOk(a.url, STATUS, { c: 'no-such-release' })).deployment).toBeNull();
    await Promise.all([onA.client.dispose(), onB.client.dispose()]);
  });
});
