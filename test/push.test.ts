import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { verify } from '../src/push/signature.js';
import { createTask, gql, gqlOk, record, wsClient } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { freePort } from './helpers/ports.js';
import { startReceiver } from './helpers/receiver.js';
import { serviceKey } from './helpers/tokens.js';
import { until } from './helpers/wait.js';
import { useHerald } from './helpers/servers.js';

const REGISTER = 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id secret callbackUrl repositories createdAt } }';

describe('pushing to CLI endpoints', () => {
  const receivers: Array<{ close(): Promise<void> }> = [];

  const herald = useHerald({
      PUSH_RETRY_BASE_MS: '20',
      PUSH_RETRY_MAX_MS: '100',
      PUSH_TIMEOUT_MS: '300',
      PUSH_BREAKER_THRESHOLD: '5',
      PUSH_BREAKER_OPEN_MS: '500',
      PUSH_HEALTH_INTERVAL_MS: '100',
      PUSH_ENDPOINT_EXPIRY_MS: '400',
      MIN_CLI_VERSION: '1.0.0',
    });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  const register = async (callbackUrl: string, repositories: string[]) =>
    (await gqlOk(herald.url, REGISTER, { input: { callbackUrl, repositories, clientVersion: '1.2.0', name: 'dev laptop' } })).registerCli as {
      id: string;
      secret: string;
    };
  const deliveries = async (id: string) =>
    (await gqlOk(herald.url, 'query ($id: ID!) { deliveries(registrationId: $id, first: 100) { eventId status attempts lastError latencyMs } }', { id })).deliveries as Array<{
      eventId: string;
      status: string;
      attempts: number;
      lastError: string | null;
      latencyMs: number | null;
    }>;

  it('POSTs each event as signed JSON, and tracks the delivery', async () => {
    const r = await receiver();
    const { id, secret } = await register(r.url, ['push-basic']);
    const task = await createTask(herald.url, 'push-basic', 'pushed');
    await r.until(() => r.posts().length === 1);
    const [request] = r.posts();
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['x-herald-event']).toBe('task.created');
    expect(request!.headers['x-herald-delivery']).toMatch(/^[0-9A-Z]{26}$/);
    expect(verify(secret, request!.headers['x-herald-timestamp'] as string, request!.body, request!.headers['x-herald-signature'] as string)).toBe(true);
    const event = JSON.parse(request!.body);
    expect(event).toMatchObject({ topic: 'repo:push-basic', type: 'task.created', sequence: 1, payload: { taskId: task.id } });
    const [delivery] = await until(() => deliveries(id), (d) => d[0]?.status === 'DELIVERED', 'the delivery to be recorded');
    expect(delivery).toMatchObject({ eventId: event.id, status: 'DELIVERED', attempts: 1, lastError: null });
    expect(delivery!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('records a delivery once, with the outcome of its first attempt, not before it', async () => {
    const r = await receiver({ script: [{ status: 200, delayMs: 200 }] });
    const { id } = await register(r.url, ['push-one-write']);
    await createTask(herald.url, 'push-one-write', 'answered late');
    await r.until(() => r.arrivedPosts().length === 1);
    // The first attempt is under way: nothing is written for it yet.
    expect(await deliveries(id)).toEqual([]);
    const [delivery] = await until(() => deliveries(id), (d) => d.length > 0, 'the outcome to be recorded');
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 1, lastError: null });
  });

  it('retries 500, 500 and delivers on the third attempt', async () => {
    const r = await receiver({ script: [{ status: 500 }, { status: 500 }] });
    const { id } = await register(r.url, ['push-retry']);
    await createTask(herald.url, 'push-retry', 'third time');
    await r.until(() => r.delivered().length === 1);
    expect(r.posts().map((p) => p.status)).toEqual([500, 500, 200]);
    expect(new Set(r.posts().map((p) => p.headers['x-herald-delivery'])).size).toBe(1);
    const [delivery] = await until(() => deliveries(id), (d) => d[0]?.status === 'DELIVERED', 'delivered');
    expect(delivery).toMatchObject({ attempts: 3 });
  });

  it('retries after a timeout', async () => {
    const r = await receiver({ script: [{ status: 200, delayMs: 600 }] });
    const { id } = await register(r.url, ['push-timeout']);
    await createTask(herald.url, 'push-timeout', 'slow then fast');
    const [delivery] = await until(() => deliveries(id), (d) => d[0]?.status === 'DELIVERED', 'delivered after a timeout');
    expect(delivery).toMatchObject({ attempts: 2 });
  });

  it('does not retry 410, and calls the event FAILED when no WebSocket of the CLI listens', async () => {
    const r = await receiver({ script: [{ status: 410 }] });
    const { id } = await register(r.url, ['push-gone']);
    await createTask(herald.url, 'push-gone', 'gone');
    const [delivery] = await until(() => deliveries(id), (d) => d[0]?.status === 'FAILED' || d[0]?.status === 'FALLBACK', 'the push to be given up');
    expect(delivery).toMatchObject({ status: 'FAILED', attempts: 1, lastError: 'HTTP 410' });
    expect(r.posts()).toHaveLength(1);
    const endpoint = (await gqlOk(herald.url, '{ cliEndpoints { id failed fallback notificationSubscriptions } }')).cliEndpoints.find((e: { id: string }) => e.id === id);
    expect(endpoint).toMatchObject({ failed: 1, fallback: 0, notificationSubscriptions: 0 });
  });

  it('waits as long as Retry-After says', async () => {
    const r = await receiver({ script: [{ status: 429, headers: { 'retry-after': '1' } }] });
    await register(r.url, ['push-later']);
    await createTask(herald.url, 'push-later', 'later');
    await r.until(() => r.posts().length === 2);
    const [first, second] = r.posts();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it('delivers in order per endpoint, even when attempts fail', async () => {
    const r = await receiver({ fallback: (n) => ({ status: n % 3 === 1 ? 503 : 200 }) });
    await register(r.url, ['push-order']);
    for (let i = 0; i < 15; i++) await createTask(herald.url, 'push-order', `o${i}`);
    await r.until(() => r.delivered().length === 15);
    expect(r.delivered().map((p) => JSON.parse(p.body).sequence)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it('opens the breaker after 5 failures, falls back over the WebSocket, and half-opens to recover', async () => {
    let failing = true;
    const r = await receiver({ fallback: () => ({ status: failing ? 500 : 200 }) });
    const { id } = await register(r.url, ['push-breaker']);
    // The CLI names its registration in connection_init, as the herald CLI does.
    const client = wsClient(herald.wsUrl, { connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}`, cliRegistrationId: id, clientName: 'herald-cli', clientVersion: '1.2.0' } });
    const notes = record<{ reason: string; event: { type: string; payload: { task: { title: string } } } }>(
      client,
      'subscription { cliNotifications { reason event { type payload } } }',
      {},
      'cliNotifications',
    );
    const endpoint = async () =>
      (await gqlOk(herald.url, '{ cliEndpoints { id breakerState consecutiveFailures failed fallback notificationSubscriptions } }')).cliEndpoints.find((e: { id: string }) => e.id === id);
    await until(endpoint, (e) => e.notificationSubscriptions === 1, 'the notification subscription');
    await createTask(herald.url, 'push-breaker', 'b1');
    const [note] = await notes.waitForCount(1);
    expect(note).toMatchObject({ reason: 'circuit breaker open', event: { type: 'task.created', payload: { task: { title: 'b1' } } } });
    expect(r.posts()).toHaveLength(5);
    // A live subscription took it: FALLBACK, not FAILED.
    const [given] = await until(() => deliveries(id), (d) => d[0]?.status === 'FALLBACK' || d[0]?.status === 'FAILED', 'the push to be given up');
    expect(given).toMatchObject({ status: 'FALLBACK', attempts: 5, lastError: 'HTTP 500' });
    expect(await endpoint()).toMatchObject({ breakerState: 'OPEN', consecutiveFailures: 5, failed: 1, fallback: 1 });

    failing = false;
    await new Promise((resolve) => setTimeout(resolve, 550)); // the breaker's open time
    await createTask(herald.url, 'push-breaker', 'b2');
    await r.until(() => r.delivered().length === 1);
    expect(JSON.parse(r.delivered()[0]!.body).payload.task.title).toBe('b2');
    await until(endpoint, (e) => e.breakerState === 'CLOSED', 'the breaker to close');
    await client.dispose();
  });

  it('refuses callback URLs that could reach internal services, naming the rule', async () => {
    for (const [callbackUrl, rule] of [
      ['http://169.254.169.254/latest/meta-data', 'host'],
      ['http://10.0.0.1/hook', 'host'],
      ['https://example.com/hook', 'host'],
      ['file:///etc/passwd', 'scheme'],
    ]) {
      const { body } = await gql(herald.url, REGISTER, { input: { callbackUrl, repositories: ['x'], clientVersion: '1.0.0' } });
      expect(body.errors![0]!.extensions, callbackUrl).toMatchObject({ code: 'BAD_USER_INPUT', field: 'callbackUrl', rule });
    }
  });

  it('refuses a CLI older than MIN_CLI_VERSION', async () => {
    const { body } = await gql(herald.url, REGISTER, { input: { callbackUrl: 'http://127.0.0.1:1/hook', repositories: ['x'], clientVersion: '0.9.0' } });
    expect(body.errors![0]).toMatchObject({ message: 'clientVersion: herald-cli 1.0.0 or newer is required', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('deregisters an endpoint that stays unreachable', async () => {
    const r = await receiver();
    const { id } = await register(r.url, ['push-gone-away']);
    await r.close();
    await until(
      () => gqlOk(herald.url, '{ cliEndpoints { id } }'),
      (d) => !d.cliEndpoints.some((e: { id: string }) => e.id === id),
      'the endpoint to be deregistered',
    );
  });
});

describe('what pushes say about failures', () => {
  const receivers: Array<{ close(): Promise<void> }> = [];
  const herald = useHerald({ PUSH_RETRY_BASE_MS: '20', PUSH_RETRY_MAX_MS: '100', PUSH_TIMEOUT_MS: '300', PUSH_HEALTH_INTERVAL_MS: '100' });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  const register = async (callbackUrl: string, repository: string) =>
    (await gqlOk(herald.url, REGISTER, { input: { callbackUrl, repositories: [repository], clientVersion: '1.2.0' } })).registerCli.id as string;
  const firstError = (id: string) =>
    until(
      async () => (await gqlOk(herald.url, 'query ($id: ID!) { deliveries(registrationId: $id, first: 1) { lastError } }', { id })).deliveries[0]?.lastError as string | undefined,
      (e) => e !== undefined && e !== null,
      'a failed attempt',
    );
  const endpoint = async (id: string) =>
    (await gqlOk(herald.url, '{ cliEndpoints { id healthy lastHealthError } }')).cliEndpoints.find((e: { id: string }) => e.id === id) as { healthy: boolean | null; lastHealthError: string | null };

  it('names a refused connection in generic words, in deliveries and in health, never the socket error', async () => {
    const id = await register(`http://127.0.0.1:${await freePort()}/hook`, 'fail-refused');
    await createTask(herald.url, 'fail-refused', 'nobody listens');
    expect(await firstError(id)).toBe('connection refused');
    expect(await until(() => endpoint(id), (e) => e.healthy === false, 'a failed health check')).toMatchObject({ lastHealthError: 'connection refused' });
  });

  it('names a timeout as such', async () => {
    const r = await startReceiver({ fallback: { status: 200, delayMs: 600 } });
    receivers.push(r);
    const id = await register(r.url, 'fail-timeout');
    await createTask(herald.url, 'fail-timeout', 'too slow');
    expect(await firstError(id)).toBe('timeout');
  });

  it('gives the status of a failed health check, and clears it once the check passes', async () => {
    const r = await startReceiver({ health: 404 });
    receivers.push(r);
    const id = await register(r.url, 'fail-health');
    expect(await until(() => endpoint(id), (e) => e.healthy === false, 'a failed health check')).toMatchObject({ lastHealthError: 'HTTP 404' });
    r.setHealth(200);
    expect(await until(() => endpoint(id), (e) => e.healthy === true, 'a passed health check')).toMatchObject({ lastHealthError: null });
  });
});

describe('push registrations per principal', () => {
  const herald = useHerald({ PUSH_MAX_REGISTRATIONS_PER_OWNER: '2' });
  const register = (token: string) =>
    gql(herald.url, 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }', { input: { callbackUrl: 'http://127.0.0.1:9/hook', repositories: ['limited'], clientVersion: '1.0.0' } }, token);

  it('refuses a principal its registration past PUSH_MAX_REGISTRATIONS_PER_OWNER, and counts each principal apart', async () => {
    const [a, b] = [await serviceKey(herald.url, ['cli:register', 'tasks:read'], 'cli-a'), await serviceKey(herald.url, ['cli:register', 'tasks:read'], 'cli-b')];
    const first = await register(a.secret);
    expect((await register(a.secret)).body.errors).toBeUndefined();
    const refused = await register(a.secret);
    expect(refused.body.errors?.[0]).toMatchObject({
      message: 'registerCli: at most 2 push registrations per principal (PUSH_MAX_REGISTRATIONS_PER_OWNER); deregister one first',
      extensions: { code: 'BAD_USER_INPUT', rule: 'limit', limit: 2 },
    });
    expect((await register(b.secret)).body.errors).toBeUndefined();
    // Deregistering frees a place.
    await gqlOk(herald.url, 'mutation ($id: ID!) { deregisterCli(id: $id) }', { id: first.body.data!.registerCli.id }, a.secret);
    expect((await register(a.secret)).body.errors).toBeUndefined();
  });

  it('lets only as many through as the limit when they arrive at once', async () => {
    const key = await serviceKey(herald.url, ['cli:register', 'tasks:read'], 'cli-burst');
    const results = await Promise.all(Array.from({ length: 6 }, () => register(key.secret)));
    expect(results.filter((r) => !r.body.errors).length).toBe(2);
  });
});

describe('an idle push worker', () => {
  const herald = useHerald({}, { redis: true });

  /** How many XRANGE calls (log reads) Redis has served so far. */
  const logReads = async () => {
    const redis = new Redis(herald.redis.url);
    try {
      const stats = await redis.info('commandstats');
      return Number(/cmdstat_xrange:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    } finally {
      redis.disconnect();
    }
  };

  it('reads the log only when an event of its repositories arrives', async () => {
    const r = await startReceiver();
    try {
      const { registerCli } = await gqlOk(herald.url, REGISTER, { input: { callbackUrl: r.url, repositories: ['idle'], clientVersion: '1.0.0' } });
      await createTask(herald.url, 'idle', 'wakes the worker');
      await until(
        () => gqlOk(herald.url, 'query ($id: ID!) { deliveries(registrationId: $id) { status } }', { id: registerCli.id }),
        (d) => d.deliveries[0]?.status === 'DELIVERED',
        'the first push',
      );
      const before = await logReads();
      // Nothing happens for a while: there is no event to await, the quiet itself is what is measured.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await logReads()).toBe(before);
      // A live event still wakes it at once, long before any safety poll.
      await createTask(herald.url, 'idle', 'wakes it again');
      await until(() => r.delivered().length, (n) => n === 2, 'the second push', 5_000);
      expect(await logReads()).toBeGreaterThan(before);
    } finally {
      await r.close();
    }
  });
});
