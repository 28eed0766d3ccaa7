import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTask, gqlOk, record, TASK_EVENTS, waitForStatus, wsClient } from './helpers/client.js';
import { deploy, gatewayClient, registerGateway, waitForGatewayConnections } from './helpers/gateways.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { startNginx, type Nginx } from './helpers/nginx.js';
import { openRaw } from './helpers/raw-ws.js';
import { useCluster } from './helpers/servers.js';
import { openSse } from './helpers/sse.js';
import { until } from './helpers/wait.js';

/**
 * docker-compose.yml's topology as local processes: one Redis, two Herald
 * instances in production mode with TRUST_PROXY=1, and nginx in front with
 * deploy/nginx.conf (test/helpers/nginx.ts); then
 * deploy/docker-compose.cluster.yml's, the same on a Redis Cluster of three
 * primaries. Every client below talks to
 * nginx only; the instances are asked directly only for what a test needs to
 * know about where things landed.
 */

/** Authenticated WebSocket connections per client address and instance per minute. */
const AUTHENTICATED_BUDGET = 3;

/** A WebSocket class whose connections leave from `localAddress` (a loopback address of its own, 127.0.0.x), with extra headers. */
function webSocketFrom(localAddress: string, headers: Record<string, string> = {}) {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { localAddress, headers });
    }
  };
}

const stats = (url: string) => gqlOk(url, '{ stats { instanceId subscriptions eventsPublished } }').then((d) => d.stats as { instanceId: string; subscriptions: number; eventsPublished: number });

describe.each([
  ['docker-compose.yml', 'single'],
  ['deploy/docker-compose.cluster.yml', 'cluster'],
] as const)('the topology of %s as processes, through nginx', (_file, topology) => {
  const { instances } = useCluster(2, { NODE_ENV: 'production', TRUST_PROXY: '1', WS_AUTHENTICATED_RATE_LIMIT_PER_MINUTE: String(AUTHENTICATED_BUDGET) }, topology);
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startNginx(instances.map((i) => new URL(i.url).host));
    await waitForStatus(nginx.url.replace('/graphql', '/ready'), 200);
  });
  afterAll(() => nginx?.stop());

  it('delivers a task created through one instance to a WebSocket subscriber on the other', async () => {
    // nginx sends each new connection to the instance with fewer open ones: one subscriber lands on each.
    const clients = [wsClient(nginx.wsUrl), wsClient(nginx.wsUrl)];
    const subscribers = [];
    try {
      for (const client of clients) {
        subscribers.push(record(client, TASK_EVENTS, { repositories: ['tour'] }));
        const expected = subscribers.length;
        await until(() => Promise.all(instances.map((i) => stats(i.url))), (s) => s.reduce((n, x) => n + x.subscriptions, 0) === expected, 'subscriptions');
      }
      const before = await Promise.all(instances.map((i) => stats(i.url)));
      expect(before.map((s) => s.subscriptions)).toEqual([1, 1]);

      const task = await createTask(nginx.url, 'tour', 'Try Herald');
      const after = await Promise.all(instances.map((i) => stats(i.url)));
      // Exactly one instance ran the mutation; the subscriber on the other got it through Redis.
      expect(after.map((s, i) => s.eventsPublished - before[i]!.eventsPublished).sort()).toEqual([0, 1]);
      for (const subscriber of subscribers) {
        const [event] = await subscriber.waitForCount(1);
        expect(event).toMatchObject({ type: 'CREATED', taskId: task.id, repository: 'tour', changedBy: 'admin' });
      }
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });

  it('passes Server-Sent Events on as they happen', async () => {
    const sse = await openSse(nginx.url, 'subscription { taskEvents(repositories: ["sse"]) { type taskId } }');
    try {
      expect(sse.status).toBe(200);
      expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await until(() => Promise.all(instances.map((i) => stats(i.url))), (s) => s.reduce((n, x) => n + x.subscriptions, 0) === 1, 'the SSE subscription');
      const first = await createTask(nginx.url, 'sse', 'one');
      expect((await sse.waitForCount(1))[0]).toEqual({ data: { taskEvents: { type: 'CREATED', taskId: first.id } } });
      // The stream is still open and the next event comes through on its own, not held in a proxy buffer.
      const second = await createTask(nginx.url, 'sse', 'two');
      expect((await sse.waitForCount(2))[1]).toEqual({ data: { taskEvents: { type: 'CREATED', taskId: second.id } } });
    } finally {
      sse.close();
    }
  });

  it("shows each client's own address, not nginx's nor one the client wrote in X-Forwarded-For", async () => {
    const client = wsClient(nginx.wsUrl, {
      webSocketImpl: webSocketFrom('127.0.0.2', { 'x-forwarded-for': '203.0.113.7' }),
      connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}`, clientName: 'address-check' },
    });
    const events = record(client, TASK_EVENTS, { repositories: ['address'] });
    try {
      const [connection] = await until(
        () => gqlOk(nginx.url, '{ connections(filter: { clientName: "address-check" }) { remoteAddress subscriptions } }').then((d) => d.connections as Array<{ remoteAddress: string; subscriptions: number }>),
        (c) => c.length === 1 && c[0]!.subscriptions === 1,
        'the connection in the cluster view',
      );
      expect(connection!.remoteAddress).toBe('127.0.0.2');
    } finally {
      events.dispose();
      await client.dispose();
    }
  });

  it("counts connection attempts against the client's address, whatever X-Forwarded-For it sends", async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    // Each instance lets an address in AUTHENTICATED_BUDGET times a minute; with two instances the
    // attempt after twice that many is refused at the latest, unless the invented addresses were believed.
    const outcomes: string[] = [];
    for (let i = 0; i <= 2 * AUTHENTICATED_BUDGET && !outcomes.includes('refused'); i++) {
      const raw = await openRaw(nginx.wsUrl, { headers: { 'x-forwarded-for': `198.51.100.${i + 1}` }, localAddress: '127.0.0.3' });
      raw.send({ type: 'connection_init', payload: auth });
      const outcome = await Promise.race([raw.next((m) => m.type === 'connection_ack').then(() => 'acked'), raw.closed.then((c) => (c.code === 1013 ? 'refused' : `closed ${c.code}`))]);
      outcomes.push(outcome);
      raw.socket.close();
    }
    expect(outcomes.at(-1)).toBe('refused');
    // The instance that refused wrote an audit line naming the client's address.
    const audits = await until(
      () => instances.flatMap((i) => i.logs).filter((l) => l.action === 'connection-rate-limited'),
      (lines) => lines.length > 0,
      'the audit line of the refusal',
    );
    expect(audits.map((a) => a.ip)).toEqual(['127.0.0.3']);
    // Another address behind the same nginx has its own budget.
    const other = await openRaw(nginx.wsUrl, { localAddress: '127.0.0.4' });
    other.send({ type: 'connection_init', payload: auth });
    expect(await other.next()).toMatchObject({ type: 'connection_ack' });
    other.socket.close();
  });

  it('lets a gateway connect and receive the deployment meant for it', async () => {
    const { apiKey, gateway } = await registerGateway(nginx.url, 'edge-1', ['api.example.com']);
    const listener = gatewayClient(nginx.wsUrl, apiKey);
    try {
      await waitForGatewayConnections(nginx.url, gateway.id, 1);
      const deployment = await deploy(nginx.url, [gateway.id]);
      expect(deployment.targets).toEqual([expect.objectContaining({ gatewayId: gateway.id, status: 'DELIVERED', connections: 1 })]);
      const [event] = await listener.events.waitForCount(1);
      expect(event).toMatchObject({ type: 'API_DEPLOYED', gatewayId: gateway.id, payload: { apiId: 'orders', revisionId: 'r1', vhost: 'api.example.com', deploymentId: deployment.id } });
    } finally {
      await listener.client.dispose();
    }
  });

  // Last: it stops an instance for good.
  it('moves WebSocket clients to the other instance when one stops', async () => {
    const client = wsClient(nginx.wsUrl, { retryAttempts: 5, retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)) });
    const events = record(client, TASK_EVENTS, { repositories: ['failover'] });
    try {
      const holder = (await until(() => Promise.all(instances.map((i) => stats(i.url))), (s) => s.some((x) => x.subscriptions === 1), 'the subscription')).findIndex((x) => x.subscriptions === 1);
      const [stopping, staying] = [instances[holder]!, instances[1 - holder]!];
      await stopping.stop();
      expect(await stopping.exited).toBe(0);
      // Closed with 1001, the client reconnects through nginx, which now reaches only the other instance.
      await until(() => stats(staying.url), (s) => s.subscriptions === 1, 'the subscription on the other instance', 10_000);
      const task = await createTask(nginx.url, 'failover', 'after the stop');
      expect((await events.waitForCount(1))[0]).toMatchObject({ type: 'CREATED', taskId: task.id });
    } finally {
      events.dispose();
      await client.dispose();
    }
  });
});
