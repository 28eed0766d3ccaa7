import { describe, expect, it } from 'vitest';
import { createTask, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient } from './helpers/client.js';
import { deploy, registerGateway } from './helpers/gateways.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { openRaw } from './helpers/raw-ws.js';
import { serviceKey } from './helpers/tokens.js';
import { until } from './helpers/wait.js';
import { useHerald } from './helpers/servers.js';

/** Parses Prometheus text format into `name{labels}` -> value, failing on any malformed line. */
function parse(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|[Nn]a[Nn]|\+Inf|-Inf)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    values.set(match[1]!, Number(match[2]));
  }
  return values;
}

describe('/metrics', () => {
  const scrape = async (token = ADMIN_TOKEN) => {
    const response = await fetch(`${herald.origin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return parse(await response.text());
  };
  const herald = useHerald({ NODE_ENV: 'production' });

  it('needs stats:read in production, refusing with the JSON errors of every other HTTP path', async () => {
    const refusal = async (response: Response) => [response.status, ((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code];
    expect(await refusal(await fetch(`${herald.origin}/metrics`))).toEqual([401, 'UNAUTHENTICATED']);
    const { secret } = await serviceKey(herald.url, ['tasks:read']);
    expect(await refusal(await fetch(`${herald.origin}/metrics`, { headers: { authorization: `Bearer ${secret}` } }))).toEqual([403, 'FORBIDDEN']);
    const monitor = await serviceKey(herald.url, ['stats:read']);
    await scrape(monitor.secret);
  });

  it('counts connections, rejections, events, latency and HTTP requests', async () => {
    const before = await scrape();
    const client = wsClient(herald.wsUrl);
    const events = record(client, TASK_EVENTS, { repositories: ['metered'] });
    await waitForSubscriptions(herald.url, 1);
    const refused = await openRaw(herald.wsUrl);
    refused.send({ type: 'connection_init', payload: { token: 'wrong-wrong-wrong-wrong' } });
    await refused.closed;
    await createTask(herald.url, 'metered', 'one');
    await createTask(herald.url, 'metered', 'two');
    await events.waitForCount(2);

    const after = await scrape();
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(after.get('herald_connections_open{kind="admin"}')).toBe(1);
    expect(after.get('herald_subscriptions_active')).toBe(1);
    expect(delta('herald_connection_attempts_total')).toBe(2);
    expect(delta('herald_connection_rejections_total{reason="invalid"}')).toBe(1);
    expect(delta('herald_events_published_total{family="repo"}')).toBe(2);
    expect(delta('herald_events_delivered_total{family="repo"}')).toBe(2);
    expect(delta('herald_delivery_latency_seconds_count{family="repo"}')).toBe(2);
    expect(delta('herald_http_requests_total{operation="anonymous",status="200"}')).toBeGreaterThanOrEqual(2);
    expect(after.has('herald_slow_consumer_disconnects_total')).toBe(true);
    expect(after.has('herald_heartbeat_rtt_seconds_count')).toBe(true);
    await client.dispose();
  });

  it('counts each event of a deployment to many gateways, in the metric and in stats', async () => {
    const gateways = await Promise.all(['m-1', 'm-2', 'm-3'].map((name) => registerGateway(herald.url, name)));
    const before = await scrape();
    const statsBefore = (await gqlOk(herald.url, '{ stats { eventsPublished } }')).stats.eventsPublished as number;
    await deploy(herald.url, gateways.map((g) => g.gateway.id));
    const after = await scrape();
    expect((after.get('herald_events_published_total{family="gateway"}') ?? 0) - (before.get('herald_events_published_total{family="gateway"}') ?? 0)).toBe(3);
    expect((await gqlOk(herald.url, '{ stats { eventsPublished } }')).stats.eventsPublished).toBe(statsBefore + 3);
  });
});

describe('counting what is published', () => {
  const herald = useHerald({ PUSH_RETRY_BASE_MS: '20', PUSH_MAX_ATTEMPTS: '1' });

  it('counts every event published through the instance, whoever publishes it', async () => {
    const published = async () => (await gqlOk(herald.url, '{ stats { eventsPublished } }')).stats.eventsPublished as number;
    const before = await published();
    await createTask(herald.url, 'counted', 'a task');
    await gqlOk(herald.url, 'mutation { broadcast(message: "to everyone") }');
    const gateways = await Promise.all(['g1', 'g2'].map((name) => registerGateway(herald.url, name)));
    await deploy(herald.url, gateways.map((g) => g.gateway.id));
    // A push that fails is handed to the CLI's fallback topic: one more event.
    const { registerCli } = await gqlOk(herald.url, 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }', {
      input: { callbackUrl: 'http://127.0.0.1:9/hook', repositories: ['pushed'], clientVersion: '1.0.0' },
    });
    await createTask(herald.url, 'pushed', 'not taken');
    // Published even though no WebSocket of the CLI listens (so the delivery is FAILED): a later `after:` finds it.
    await until(() => gqlOk(herald.url, 'query ($id: ID!) { deliveries(registrationId: $id) { status } }', { id: registerCli.id }), (d) => d.deliveries[0]?.status === 'FAILED', 'the push to be given up');
    // task + broadcast + two gateway events + task + fallback
    expect((await published()) - before).toBe(6);
  });
});
