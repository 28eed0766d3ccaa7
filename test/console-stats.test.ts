import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { createTask, gql, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient } from './helpers/client.js';
import { deploy, gatewayClient, registerGateway, waitForGatewayConnections } from './helpers/gateways.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { openRaw } from './helpers/raw-ws.js';
import { startReceiver } from './helpers/receiver.js';
import { useCluster, useHerald } from './helpers/servers.js';
import { serviceKey } from './helpers/tokens.js';
import { until } from './helpers/wait.js';

type Stats = {
  instanceId: string;
  sampledAt: string;
  connectionsByKind: Array<{ kind: string; connections: number }>;
  cluster: { connections: number; instances: Array<{ instanceId: string; connections: number }> };
  traffic: {
    windowSeconds: number;
    connectsPerSecond: number;
    disconnectsPerSecond: number;
    publishedPerSecond: number;
    deliveredPerSecond: number;
    latencyP50Ms: number | null;
    latencyP99Ms: number | null;
    rateLimitRefusals: number;
    families: Array<{ family: string; publishedPerSecond: number; deliveredPerSecond: number; latencyP50Ms: number | null; latencyP99Ms: number | null }>;
  };
};

const STATS = /* GraphQL */ `
  subscription ($intervalMs: Int) {
    serverStatsUpdates(intervalMs: $intervalMs) {
      instanceId
      sampledAt
      connectionsByKind { kind connections }
      cluster { connections instances { instanceId connections } }
      traffic {
        windowSeconds connectsPerSecond disconnectsPerSecond publishedPerSecond deliveredPerSecond latencyP50Ms latencyP99Ms rateLimitRefusals
        families { family publishedPerSecond deliveredPerSecond latencyP50Ms latencyP99Ms }
      }
    }
  }
`;

const kind = (s: Stats, name: string) => s.connectionsByKind.find((k) => k.kind === name)!.connections;
const family = (s: Stats, name: string) => s.traffic.families.find((f) => f.family === name)!;

/** Subscribes to serverStatsUpdates and hands back the recorder and a way to wait for an update that satisfies a condition. */
function watchStats(client: Client, intervalMs?: number) {
  const updates = record<Stats>(client, STATS, intervalMs === undefined ? {} : { intervalMs }, 'serverStatsUpdates');
  const next = async (ok: (s: Stats) => boolean, what: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ; ) {
      const values = await updates.waitForCount(seen + 1);
      for (; seen < values.length; seen++) if (ok(values[seen]!)) return values[seen]!;
      if (Date.now() > deadline) throw new Error(`no update showed ${what}; the last: ${JSON.stringify(values.at(-1))}`);
    }
  };
  return { updates, next };
}

describe('serverStatsUpdates', () => {
  const herald = useHerald({ PUSH_HEALTH_INTERVAL_MS: '100', PUSH_RETRY_BASE_MS: '20', GATEWAY_ACK_TIMEOUT_MS: '60000' });
  const clients: Client[] = [];
  const client = (options: Parameters<typeof wsClient>[1] = {}) => {
    const c = wsClient(herald.wsUrl, options);
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });

  it('sends the stats at once, then every intervalMs', async () => {
    const { updates } = watchStats(client(), 250);
    const [first, second, third] = await updates.waitForCount(3);
    expect(first!.instanceId).toBe(herald.app.instanceId);
    const gap = Date.parse(third!.sampledAt) - Date.parse(second!.sampledAt);
    expect(gap).toBeGreaterThanOrEqual(200);
    expect(gap).toBeLessThan(1_000);
    expect(first!.traffic.families.map((f) => f.family)).toEqual(['TASKS', 'GATEWAYS', 'CHANNELS', 'ALERTS']);
  });

  it('defaults to one update a second and refuses intervals outside 250-60000 ms', async () => {
    const { updates } = watchStats(client());
    const [a, b] = await updates.waitForCount(2);
    expect(Date.parse(b!.sampledAt) - Date.parse(a!.sampledAt)).toBeGreaterThanOrEqual(900);
    for (const intervalMs of [100, 60_001]) {
      const refused = record(client(), STATS, { intervalMs }, 'serverStatsUpdates');
      await refused.ended;
      expect(JSON.stringify(refused.errors)).toContain('intervalMs');
      expect(JSON.stringify(refused.errors)).toContain('BAD_USER_INPUT');
    }
  });

  it('counts connections by kind of client, and connects per second', async () => {
    const { next } = watchStats(client({ connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}`, clientName: 'stats-watcher' } }), 250);
    const before = await next((s) => kind(s, 'SERVICE') >= 1, 'the watcher itself as a service');
    const cli = client({ connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}`, clientName: 'herald-cli', clientVersion: '1.0.0' } });
    const browser = client({ webSocketImpl: class extends (await import('ws')).default {
      constructor(url: string, protocols: string[]) {
        super(url, protocols, { headers: { origin: herald.origin } });
      }
    } });
    const cliEvents = record(cli, TASK_EVENTS, { repositories: ['kinds'] });
    const browserEvents = record(browser, TASK_EVENTS, { repositories: ['kinds'] });
    await waitForSubscriptions(herald.url, 2);
    const after = await next((s) => kind(s, 'CLI') === kind(before, 'CLI') + 1 && kind(s, 'BROWSER') === kind(before, 'BROWSER') + 1, 'a CLI and a browser more');
    expect(after.traffic.connectsPerSecond).toBeGreaterThan(0);
    expect(after.cluster.connections).toBe(after.connectionsByKind.reduce((n, k) => n + k.connections, 0));
    cliEvents.dispose();
    browserEvents.dispose();
  });

  it('shows events published and delivered per second per family, with delivery latency', async () => {
    const { next } = watchStats(client(), 250);
    const events = record(client(), TASK_EVENTS, { repositories: ['traffic'] });
    await waitForSubscriptions(herald.url, 1);
    for (let i = 0; i < 5; i++) await createTask(herald.url, 'traffic', `t${i}`);
    await events.waitForCount(5);
    await gqlOk(herald.url, 'mutation { raiseAlert(input: { severity: HIGH, title: "disk full" }) { id } }');
    const s = await next((x) => family(x, 'TASKS').deliveredPerSecond > 0 && family(x, 'ALERTS').publishedPerSecond > 0, 'task deliveries and an alert');
    expect(family(s, 'TASKS').publishedPerSecond).toBeGreaterThan(0);
    expect(family(s, 'TASKS').latencyP50Ms).not.toBeNull();
    expect(family(s, 'TASKS').latencyP99Ms!).toBeGreaterThanOrEqual(family(s, 'TASKS').latencyP50Ms!);
    expect(family(s, 'CHANNELS').publishedPerSecond).toBe(0);
    expect(s.traffic.publishedPerSecond).toBeGreaterThanOrEqual(family(s, 'TASKS').publishedPerSecond);
    events.dispose();
  });

  it('shows push endpoints with health, breaker, success rate and backlog', async () => {
    const receiver = await startReceiver({ fallback: { status: 200, delayMs: 300 } });
    try {
      const { registerCli } = await gqlOk(herald.url, 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }', {
        input: { callbackUrl: receiver.url, repositories: ['pushed'], clientVersion: '1.0.0', name: 'laptop' },
      });
      for (let i = 0; i < 4; i++) await createTask(herald.url, 'pushed', `p${i}`);
      const endpoint = async () =>
        ((await gqlOk(herald.url, '{ stats { pushEndpoints { id name host healthy breakerState delivered failed successRate backlog } } }')).stats.pushEndpoints as Array<Record<string, any>>).find(
          (e) => e.id === registerCli.id,
        )!;
      const busy = await until(endpoint, (e) => e.backlog > 0, 'a backlog while the endpoint is slow');
      expect(busy).toMatchObject({ name: 'laptop', host: new URL(receiver.url).host, breakerState: 'CLOSED' });
      const done = await until(endpoint, (e) => e.delivered === 4 && e.backlog === 0, 'every event delivered', 15_000);
      expect(done.successRate).toBe(1);
      expect(done).not.toHaveProperty('callbackUrl');
      await until(endpoint, (e) => e.healthy === true, 'a health check');
      await gqlOk(herald.url, 'mutation ($id: ID!) { deregisterCli(id: $id) }', { id: registerCli.id });
    } finally {
      await receiver.close();
    }
  });

  it('shows gateways with their connections, last heartbeat and last deployment with its acknowledgements', async () => {
    const { apiKey, gateway } = await registerGateway(herald.url, 'edge-stats');
    const { client: gw, events } = gatewayClient(herald.wsUrl, apiKey);
    clients.push(gw);
    await waitForGatewayConnections(herald.url, gateway.id, 1);
    const deployment = await deploy(herald.url, [gateway.id], { correlationId: 'release-7' });
    const [event] = await events.waitForCount(1);
    const health = async () =>
      ((await gqlOk(herald.url, '{ stats { gatewayHealth { id name connections lastHeartbeatAt delivery { eventsSent } lastDeployment { id correlationId acknowledged targets { gatewayId status } } } } }')).stats
        .gatewayHealth as Array<Record<string, any>>).find((g) => g.id === gateway.id)!;
    const before = await health();
    expect(before).toMatchObject({ name: 'edge-stats', connections: 1, lastDeployment: { id: deployment.id, correlationId: 'release-7', acknowledged: 0 } });
    expect(Date.parse(before.lastHeartbeatAt)).toBeGreaterThan(0);
    await gqlOk(herald.url, 'mutation ($id: ID!) { acknowledgeGatewayEvent(eventId: $id) { id } }', { id: event!.id }, apiKey);
    const after = await health();
    expect(after.lastDeployment).toMatchObject({ acknowledged: 1, targets: [{ gatewayId: gateway.id, status: 'ACKNOWLEDGED' }] });
  });

  it('is for the admin and the console scope; stats:read alone is not enough', async () => {
    const monitor = await serviceKey(herald.url, ['stats:read']);
    const refused = record(client({ connectionParams: { authorization: `Bearer ${monitor.secret}` } }), STATS, {}, 'serverStatsUpdates');
    await refused.ended;
    expect(JSON.stringify(refused.errors)).toContain('FORBIDDEN');
    const operator = await serviceKey(herald.url, ['console']);
    const { updates } = watchStats(client({ connectionParams: { authorization: `Bearer ${operator.secret}` } }));
    await updates.waitForCount(1);
    // The console reads what stats:read reads.
    expect((await gql(herald.url, '{ connections { id } }', {}, operator.secret)).body.errors).toBeUndefined();
  });
});

describe('serverStatsUpdates across a cluster', () => {
  const cluster = useCluster(2, { CLUSTER_REPORT_INTERVAL_MS: '250' });

  it("sums every instance's connections and traffic", async () => {
    const [a, b] = cluster.instances;
    const watcher = wsClient(a!.wsUrl);
    const other = wsClient(b!.wsUrl, { connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}`, clientName: 'herald-cli', clientVersion: '1.0.0' } });
    try {
      const { next } = watchStats(watcher, 250);
      const events = record(other, TASK_EVENTS, { repositories: ['far'] });
      await waitForSubscriptions(b!.url, 1);
      for (let i = 0; i < 3; i++) await createTask(b!.url, 'far', `f${i}`);
      await events.waitForCount(3);
      // Traffic is a rate over the last seconds: on a busy machine b's report can come after those
      // three have left the window, so b keeps publishing, one task every 500 ms, until a shows it.
      let shown = false;
      const publishing = (async () => {
        for (let i = 3; !shown && i < 40; i++) {
          await createTask(b!.url, 'far', `f${i}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      })();
      const s = await next(
        (x) => x.cluster.instances.length === 2 && kind(x, 'CLI') === 1 && family(x, 'TASKS').deliveredPerSecond > 0,
        "instance b's CLI connection and its deliveries",
      ).finally(() => (shown = true));
      await publishing;
      expect(s.instanceId).toBe(a!.logs.find((l) => l.msg === 'herald listening')!.instance);
      expect(s.cluster.instances.find((i) => i.instanceId !== s.instanceId)!.connections).toBe(1);
      expect(family(s, 'TASKS').publishedPerSecond).toBeGreaterThan(0);
      expect(family(s, 'TASKS').latencyP99Ms).not.toBeNull();
    } finally {
      await Promise.all([watcher.dispose(), other.dispose()]);
    }
  });
});

describe('the console in production', () => {
  const herald = useHerald({ NODE_ENV: 'production' });

  it('lets principals with the console scope introspect, and no one else but the admin', async () => {
    const introspect = '{ __schema { queryType { name } } }';
    const reader = await serviceKey(herald.url, ['tasks:read', 'stats:read']);
    expect((await gql(herald.url, introspect, {}, reader.secret)).body.errors?.[0]?.message).toMatch(/introspection/i);
    const operator = await serviceKey(herald.url, ['console']);
    expect((await gqlOk(herald.url, introspect, {}, operator.secret)).__schema.queryType.name).toBe('Query');
    expect((await gqlOk(herald.url, '{ viewer { kind console } }', {}, operator.secret)).viewer).toEqual({ kind: 'service', console: true });
    expect((await gqlOk(herald.url, '{ viewer { kind console } }', {}, reader.secret)).viewer).toEqual({ kind: 'service', console: false });
  });

  it('takes WebSockets from pages it served itself, and still refuses other origins', async () => {
    const own = await openRaw(herald.wsUrl, { headers: { origin: herald.origin } });
    own.send({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await own.next()).type).toBe('connection_ack');
    own.socket.close();
    await expect(openRaw(herald.wsUrl, { headers: { origin: 'https://elsewhere.example' } })).rejects.toThrow(/403/);
  });
});
