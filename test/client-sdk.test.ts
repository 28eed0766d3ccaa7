import { spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createHeraldClient,
  ChannelEventBatchesDocument,
  ChannelEventsDocument,
  CreateTaskDocument,
  GatewayEventsDocument,
  HeraldClientError,
  StatsDocument,
  TaskEventsDocument,
  type GatewayEventsSubscription,
  type Health,
  type HeraldClient,
  type TaskEventsSubscription,
  type Transport,
} from '../src/client/index.js';
import { createTask, gqlOk, waitForSubscriptions } from './helpers/client.js';
import { ADMIN_TOKEN, spawnHerald, type HeraldProcess } from './helpers/herald.js';
import { freePort } from './helpers/ports.js';
import { startProxy, type Proxy } from './helpers/proxy.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { useHerald } from './helpers/servers.js';
import { JWT_SECRET, userToken } from './helpers/tokens.js';
import { until } from './helpers/wait.js';

type TaskEvent = TaskEventsSubscription['taskEvents'];

/** Quick settings for tests: short waits everywhere, so a switch or a reconnect takes a fraction of a second. */
const QUICK = {
  retry: { baseMs: 50, maxMs: 300 },
  keepAlive: { intervalMs: 1000, timeoutMs: 1000 },
  poll: { intervalMs: 100 },
  probeIntervalMs: 300,
  connectTimeoutMs: 2000,
} as const;

/** The SDK subscribed to task events of the repositories, recording what the application sees. */
function listen(client: HeraldClient, repositories: string[], after?: string) {
  const events: TaskEvent[] = [];
  const errors: HeraldClientError[] = [];
  const gaps: unknown[] = [];
  const sub = client.subscribe(TaskEventsDocument, { repositories, ...(after ? { after } : {}) }, {
    next: (data) => void events.push(data.taskEvents),
    error: (error) => void errors.push(error),
    gap: (info) => void gaps.push(info),
  });
  return { events, errors, gaps, sub, titles: () => events.map((e) => e.task?.title), count: (n: number, timeoutMs = 15_000) => until(() => events.length, (l) => l >= n, `${n} events`, timeoutMs) };
}

/**
 * A fetch for a polling client that tells when each subscription's first
 * poll with a cursor went out. The poller starts a subscription only once
 * its cursor for "now" is taken, so from then on nothing published is missed.
 */
function pollsWatched() {
  const seen = new Set<string>();
  const waiters = new Map<string, () => void>();
  const fetchAndNote: typeof fetch = (input, init) => {
    if (typeof init?.body === 'string' && init.body.includes('query HeraldPoll')) {
      const { variables } = JSON.parse(init.body) as { variables: { topics: string[]; after: string | null } };
      const key = variables.topics.join(',');
      if (variables.after !== null && !seen.has(key)) {
        seen.add(key);
        waiters.get(key)?.();
      }
    }
    return fetch(input, init);
  };
  /** Resolves once a subscription to these topics polls after its cursor for "now". */
  const polling = (topics: string[]) =>
    new Promise<void>((resolve) => (seen.has(topics.join(',')) ? resolve() : waiters.set(topics.join(','), resolve)));
  return { fetch: fetchAndNote, polling };
}

const onTransport = (client: HeraldClient, transport: Transport, timeoutMs = 15_000) =>
  until(() => [client.state, client.transport] as const, ([state, t]) => state === 'connected' && t === transport, `the client on ${transport}`, timeoutMs);

describe('the client SDK disposed while its WebSocket connects', () => {
  it('ends its process cleanly: the aborted handshake is not an unheard error', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/dispose-while-connecting.ts'], { encoding: 'utf8', timeout: 30_000 });
    expect({ status: run.status, stdout: run.stdout.trim(), stderr: run.stderr }).toEqual({ status: 0, stdout: 'disposed', stderr: '' });
  });
});

describe('the client SDK against an in-process server', () => {
  const herald = useHerald({ EVENT_RETENTION_COUNT: '20' });
  const clients: HeraldClient[] = [];
  const make = (options: Partial<Parameters<typeof createHeraldClient>[0]> = {}) => {
    const client = createHeraldClient({ url: herald.url, token: ADMIN_TOKEN, clientName: 'sdk-test', ...QUICK, ...options });
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await waitForSubscriptions(herald.url, 0);
  });

  it('delivers typed events over WebSocket, answers typed requests and reports its health', async () => {
    const client = make();
    const got = listen(client, ['sdk-basic']);
    await waitForSubscriptions(herald.url, 1);
    const created = await client.request(CreateTaskDocument, { input: { repository: 'sdk-basic', title: 'one' } });
    expect(created.createTask.title).toBe('one');
    await got.count(1);
    expect(got.events[0]).toMatchObject({ type: 'CREATED', repository: 'sdk-basic', task: { id: created.createTask.id, title: 'one', status: 'TODO' } });
    const stats = await client.request(StatsDocument);
    expect(stats.stats.subscriptions).toBeGreaterThanOrEqual(1);
    const health = client.health();
    expect(health).toMatchObject({ transport: 'ws', state: 'connected', eventsReceived: 1, reconnects: 0, subscriptions: 1 });
    expect(health.score).toBeGreaterThanOrEqual(90);
    expect(health.lastEventAgeMs).toBeGreaterThanOrEqual(0);
  });

  it('is an async iterable when no handler is given, and unsubscribing ends the iteration', async () => {
    const client = make();
    const sub = client.subscribe(TaskEventsDocument, { repositories: ['sdk-iter'] });
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'sdk-iter', 'a');
    await createTask(herald.url, 'sdk-iter', 'b');
    const titles: string[] = [];
    for await (const data of sub) {
      titles.push(data.taskEvents.task!.title);
      if (titles.length === 2) break; // ends the subscription
    }
    expect(titles).toEqual(['a', 'b']);
    await waitForSubscriptions(herald.url, 0);
  });

  it('rejects a refused request with the server code, and an unreachable server with UNREACHABLE', async () => {
    const client = make();
    await expect(client.request(CreateTaskDocument, { input: { repository: 'bad repo name!', title: 'x' } })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    const nowhere = make({ url: `http://127.0.0.1:${await freePort()}/graphql` });
    const error = await nowhere.request(StatsDocument).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldClientError);
    expect(error).toMatchObject({ code: 'UNREACHABLE', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('fails for good with UNAUTHENTICATED when the token is refused, ending its subscriptions', async () => {
    const production = await spawnHerald({ NODE_ENV: 'production' });
    try {
      const client = make({ url: production.url, token: 'not-a-valid-token' });
      const states: string[] = [];
      client.on('state', ({ state }) => void states.push(state));
      const got = listen(client, ['sdk-auth']);
      await until(() => got.errors.length, (n) => n > 0, 'the subscription to fail');
      expect(got.errors[0]).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(client.state).toBe('failed');
      expect(states).toContain('failed');
      await expect(client.request(StatsDocument)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      await production.stop();
    }
  });

  it('reports a gap when its cursor is past retention, then goes on from now', async () => {
    const client = make();
    const first = listen(client, ['sdk-gap']);
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'sdk-gap', 'start');
    await first.count(1);
    const old = first.events[0]!.cursor;
    first.sub.unsubscribe();
    for (let i = 0; i < 40; i++) await createTask(herald.url, 'sdk-gap', `n${i}`);
    const gaps: unknown[] = [];
    client.on('gap', (info) => void gaps.push(info));
    const late = listen(client, ['sdk-gap'], old);
    await until(() => late.gaps.length, (n) => n === 1, 'the gap');
    expect(gaps).toHaveLength(1);
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'sdk-gap', 'after the gap');
    await late.count(1);
    expect(late.titles()).toEqual(['after the gap']);
    expect(client.health().gaps).toBe(1);
  });

  it('polls gateway events into the subscription\'s own shape, union payloads and filters included', async () => {
    const { registerGateway } = await gqlOk(herald.url, 'mutation { registerGateway(input: { name: "polled-gw" }) { gateway { id } } }');
    const gatewayId = registerGateway.gateway.id as string;
    const watched = pollsWatched();
    const client = make({ transports: ['poll'], fetch: watched.fetch });
    const events: GatewayEventsSubscription['gatewayEvents'][] = [];
    client.subscribe(GatewayEventsDocument, { gatewayId, types: ['API_DEPLOYED', 'GATEWAY_CONFIG_UPDATED'] }, { next: (d) => void events.push(d.gatewayEvents) });
    await onTransport(client, 'poll');
    await watched.polling([`gateway:${gatewayId}`]);
    await gqlOk(herald.url, 'mutation ($input: DeployApiRevisionInput!) { deployApiRevision(input: $input) { id } }', { input: { apiId: 'orders', revisionId: 'r1', vhost: 'api.example.com', gatewayIds: [gatewayId] } });
    await gqlOk(herald.url, 'mutation ($input: UndeployApiInput!) { undeployApi(input: $input) { id } }', { input: { apiId: 'orders', gatewayIds: [gatewayId] } });
    await gqlOk(herald.url, 'mutation ($input: UpdateGatewayConfigInput!) { updateGatewayConfig(input: $input) { version } }', { input: { gatewayId, config: { tls: true } } });
    await until(() => events.length, (n) => n === 2, 'two events (the undeploy filtered out)');
    expect(events[0]).toMatchObject({ type: 'API_DEPLOYED', gatewayId, sequence: 1, payload: { __typename: 'ApiDeployed', apiId: 'orders', revisionId: 'r1', vhost: 'api.example.com' } });
    expect(events[1]).toMatchObject({ type: 'GATEWAY_CONFIG_UPDATED', sequence: 3, payload: { __typename: 'GatewayConfigUpdated', config: { tls: true } } });
    expect(Object.keys(events[0]!.payload).sort()).toEqual(['__typename', 'apiId', 'deploymentId', 'revisionId', 'vhost']);
  });

  it('gives the same results over WebSocket and over polling: tasks, channels (types, where) and gateway events', async () => {
    const { registerGateway } = await gqlOk(herald.url, 'mutation { registerGateway(input: { name: "same-gw" }) { gateway { id } } }');
    const gatewayId = registerGateway.gateway.id as string;
    const cases = [
      { document: TaskEventsDocument, variables: { repositories: ['same-shape'], minPriority: 'NORMAL' }, field: 'taskEvents' },
      { document: ChannelEventsDocument, variables: { channels: ['threats'], types: ['threat.detected'], where: { severity: ['high', 'critical'] } }, field: 'channelEvents' },
      { document: GatewayEventsDocument, variables: { gatewayId }, field: 'gatewayEvents' },
    ] as const;
    const ws = make();
    const watched = pollsWatched();
    const poll = make({ transports: ['poll'], fetch: watched.fetch });
    const got = { ws: cases.map(() => [] as unknown[]), poll: cases.map(() => [] as unknown[]) };
    for (const [kind, client] of [['ws', ws], ['poll', poll]] as const) {
      cases.forEach((c, i) => client.subscribe(c.document as never, c.variables as never, { next: (data: Record<string, unknown>) => void got[kind][i]!.push(data[c.field]) }));
    }
    await onTransport(ws, 'ws');
    await onTransport(poll, 'poll');
    await waitForSubscriptions(herald.url, 3);
    await Promise.all([['repo:same-shape'], ['channel:threats'], [`gateway:${gatewayId}`]].map(watched.polling));
    await gqlOk(herald.url, 'mutation { a: createTask(input: { repository: "same-shape", title: "kept", priority: HIGH }) { id } b: createTask(input: { repository: "same-shape", title: "too low", priority: LOW }) { id } }');
    for (const [type, payload] of [
      ['threat.detected', { severity: 'high', ip: '203.0.113.9' }],
      ['threat.detected', { severity: 'low', ip: '203.0.113.10' }],
      ['scan.seen', { severity: 'high', ip: '198.51.100.4' }],
      ['threat.detected', { severity: 'critical', ip: '203.0.113.11' }],
    ] as const) {
      await gqlOk(herald.url, 'mutation ($input: PublishEventInput!) { publishEvent(input: $input) { id } }', { input: { channel: 'threats', type, payload } });
    }
    await gqlOk(herald.url, 'mutation ($input: DeployApiRevisionInput!) { deployApiRevision(input: $input) { id } }', { input: { apiId: 'orders', revisionId: 'r2', vhost: 'api.example.com', gatewayIds: [gatewayId] } });
    await until(() => got.poll.map((l) => l.length), (n) => n.join() === '1,2,1', 'the polled events', 10_000);
    await until(() => got.ws.map((l) => l.length), (n) => n.join() === '1,2,1', 'the events over WebSocket');
    expect(got.poll).toEqual(got.ws);
    expect((got.poll[1] as Array<{ payload: { ip: string } }>).map((e) => e.payload.ip)).toEqual(['203.0.113.9', '203.0.113.11']);
  });

  it('resumes a batch subscription (channelEventBatches) after the last event of its last batch', async () => {
    const sockets: WebSocket[] = [];
    class Tracked extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.push(this);
      }
    }
    const client = make({ webSocketImpl: Tracked });
    const got: number[] = [];
    client.subscribe(ChannelEventBatchesDocument, { channels: ['system'], types: ['sdk.batch'], maxDelayMs: 20 }, {
      next: (data) => void got.push(...data.channelEventBatches.map((e) => (e.payload as { n: number }).n)),
    });
    await waitForSubscriptions(herald.url, 1);
    const publish = (n: number) => gqlOk(herald.url, 'mutation ($input: PublishEventInput!) { publishEvent(input: $input) { id } }', { input: { channel: 'system', type: 'sdk.batch', payload: { n } } });
    for (let n = 0; n < 3; n++) await publish(n);
    await until(() => got.length, (l) => l === 3, 'the first batches');
    sockets.at(-1)!.terminate();
    for (let n = 3; n < 6; n++) await publish(n);
    await until(() => got.length, (l) => l >= 6, 'the batches after the cut');
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(client.health().reconnects).toBe(1);
  });

  it('calls the health alert when the score stays low, and again when it recovers', async () => {
    const port = await freePort();
    const alerts: Health[] = [];
    const recovered: Health[] = [];
    const client = make({ url: `http://127.0.0.1:${port}/graphql`, healthAlert: { below: 50, forMs: 300, onAlert: (h) => void alerts.push(h), onRecover: (h) => void recovered.push(h) } });
    const got = listen(client, ['sdk-alert']);
    await until(() => alerts.length, (n) => n === 1, 'the alert', 10_000);
    expect(alerts[0]).toMatchObject({ state: expect.stringMatching(/connecting|reconnecting/), transport: null });
    expect(alerts[0]!.score).toBeLessThan(50);
    // The server comes up on the address the client keeps trying.
    const late = await spawnHerald({ PORT: String(port) });
    try {
      await until(() => recovered.length, (n) => n === 1, 'the recovery', 15_000);
      expect(client.state).toBe('connected');
      await waitForSubscriptions(late.url, 1);
      await createTask(late.url, 'sdk-alert', 'seen');
      await got.count(1);
    } finally {
      await client.dispose();
      await late.stop();
    }
  });
});

describe('failover: WebSocket blocked, then SSE blocked, then WebSocket allowed again', () => {
  const herald = useHerald();
  let proxy: Proxy;
  beforeAll(async () => {
    proxy = await startProxy(herald.url);
  });
  afterAll(() => proxy.close());

  it('switches WebSocket → SSE → polling → WebSocket while events keep coming, and the application sees every event exactly once, in order', async () => {
    proxy.allow('ws', false);
    const client = createHeraldClient({ url: proxy.url, token: ADMIN_TOKEN, ...QUICK });
    const transports: Array<Transport | null> = [];
    client.on('state', ({ state, transport }) => state === 'connected' && transports.push(transport));
    const got = listen(client, ['failover']);
    // A publisher running through every switch, so each one happens with events in flight.
    let published = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await createTask(herald.url, 'failover', `e${published++}`);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    const more = (n: number) => {
      const target = got.events.length + n;
      return got.count(target);
    };
    try {
      await onTransport(client, 'sse');
      expect(proxy.refused.ws).toBeGreaterThan(0);
      await waitForSubscriptions(herald.url, 1);
      await more(5);

      // SSE is refused too, and the open stream cut: polling.
      proxy.allow('sse', false);
      await onTransport(client, 'poll');
      await more(5);

      // The proxy lets WebSockets through again: the next probe moves back.
      proxy.allow('ws', true);
      await onTransport(client, 'ws');
      await more(5);
    } finally {
      publishing = false;
      await publisher;
      proxy.allow('ws', true);
      proxy.allow('sse', true);
    }
    try {
      await until(() => got.events.at(-1)?.sequence, (sequence) => sequence === published, 'the last event published');
      // The subscription started from "now" once it was live: everything after its first event arrives, once, in order.
      const first = got.events[0]!.sequence;
      expect(got.events.map((e) => e.sequence)).toEqual(Array.from({ length: published - first + 1 }, (_, i) => first + i));
      expect(got.titles()).toEqual(Array.from({ length: published - first + 1 }, (_, i) => `e${first - 1 + i}`));
      expect(transports).toEqual(['sse', 'poll', 'ws']);
      expect(client.health()).toMatchObject({ transport: 'ws', switches: 2 });
      expect(got.errors).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('falls back to polling straight away when only SSE is allowed to fail, with transports ["ws", "poll"]', async () => {
    proxy.allow('ws', false);
    const client = createHeraldClient({ url: proxy.url, token: ADMIN_TOKEN, transports: ['ws', 'poll'], ...QUICK });
    const got = listen(client, ['only-poll']);
    try {
      await onTransport(client, 'poll');
      await createTask(herald.url, 'only-poll', 'polled');
      await got.count(1);
      expect(got.events[0]).toMatchObject({ type: 'CREATED', task: { title: 'polled' } });
    } finally {
      proxy.allow('ws', true);
      await client.dispose();
    }
  });
});

describe('a server killed and restarted mid-stream (Redis keeps the log)', () => {
  let redis: RedisServer;
  let port: number;
  let a: HeraldProcess;
  let b: HeraldProcess;
  beforeAll(async () => {
    redis = await startRedis();
    port = await freePort();
    [a, b] = await Promise.all([spawnHerald({ REDIS_URL: redis.url, PORT: String(port), HERALD_INSTANCE_ID: 'a' }), spawnHerald({ REDIS_URL: redis.url, HERALD_INSTANCE_ID: 'b' })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('resumes after the restart with no gap and no duplicate, even for events published while it was down', async () => {
    const client = createHeraldClient({ url: a.url, token: ADMIN_TOKEN, ...QUICK });
    const got = listen(client, ['restart']);
    try {
      await waitForSubscriptions(a.url, 1);
      for (let i = 0; i < 5; i++) await createTask(a.url, 'restart', `r${i}`);
      await got.count(5);
      a.kill('SIGKILL');
      await a.exited;
      await until(() => client.state, (s) => s === 'reconnecting', 'the client to notice');
      for (let i = 5; i < 10; i++) await createTask(b.url, 'restart', `r${i}`);
      a = await spawnHerald({ REDIS_URL: redis.url, PORT: String(port), HERALD_INSTANCE_ID: 'a' });
      await got.count(10);
      for (let i = 10; i < 15; i++) await createTask(b.url, 'restart', `r${i}`);
      await got.count(15);
      expect(got.titles()).toEqual(Array.from({ length: 15 }, (_, i) => `r${i}`));
      expect(client.health()).toMatchObject({ transport: 'ws', state: 'connected', reconnects: 1, duplicatesDropped: 0 });
    } finally {
      await client.dispose();
    }
  });
});

describe('keep-alive against a frozen server (SIGSTOP)', () => {
  let herald: HeraldProcess;
  beforeAll(async () => {
    herald = await spawnHerald();
  });
  afterAll(async () => {
    herald.kill('SIGCONT');
    await herald.stop();
  });

  it('notices the missing pong, reconnects once the server runs again, and loses nothing', async () => {
    const client = createHeraldClient({ url: herald.url, token: ADMIN_TOKEN, ...QUICK, keepAlive: { intervalMs: 200, timeoutMs: 400 }, connectTimeoutMs: 1000 });
    const errors: string[] = [];
    client.on('error', (e) => void errors.push(e.code));
    const got = listen(client, ['frozen']);
    try {
      await waitForSubscriptions(herald.url, 1);
      await createTask(herald.url, 'frozen', 'before');
      await got.count(1);
      herald.kill('SIGSTOP');
      await until(() => client.state, (s) => s === 'reconnecting', 'the client to notice the frozen server', 10_000);
      expect(errors).toContain('KEEPALIVE_TIMEOUT');
      herald.kill('SIGCONT');
      await onTransport(client, 'ws');
      await waitForSubscriptions(herald.url, 1);
      await createTask(herald.url, 'frozen', 'after');
      await got.count(2);
      expect(got.titles()).toEqual(['before', 'after']);
      expect(client.health().reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      await client.dispose();
    }
  });
});

describe('token refresh', () => {
  const herald = useHerald({ NODE_ENV: 'production', JWT_SECRET });

  it('fetches a fresh token when the server closes on expiry (4403) and resumes without a gap', async () => {
    let fetched = 0;
    const getToken = () => {
      fetched++;
      return userToken({ sub: 'refresher', repos: ['refresh'], scopes: ['tasks:read'] }, { expiresIn: '2s' });
    };
    const client = createHeraldClient({ url: herald.url, getToken, ...QUICK });
    const got = listen(client, ['refresh']);
    try {
      await waitForSubscriptions(herald.url, 1);
      const deadline = Date.now() + 4500; // past two expiries
      let n = 0;
      while (Date.now() < deadline) {
        await gqlOk(herald.url, 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }', { input: { repository: 'refresh', title: `t${n++}` } });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await got.count(n);
      expect(got.titles()).toEqual(Array.from({ length: n }, (_, i) => `t${i}`));
      expect(fetched).toBeGreaterThanOrEqual(3);
      expect(client.health().reconnects).toBeGreaterThanOrEqual(2);
      expect(got.errors).toEqual([]);
    } finally {
      await client.dispose();
    }
  });
});
