import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { CREATE_TASK, gql, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient } from './helpers/client.js';
import { startCluster, type Cluster } from './helpers/cluster.js';
import { TOPOLOGIES } from './helpers/redis-topologies.js';
import { ADMIN_TOKEN, runMainUntilExit, startHerald, type HeraldProcess } from './helpers/herald.js';
import { serviceKey } from './helpers/tokens.js';
import { until } from './helpers/wait.js';
import { useHerald } from './helpers/servers.js';

const SET = 'mutation ($input: SetRateLimitInput!) { setRateLimit(input: $input) { field max windowSeconds burst source } }';
const RULES = '{ rateLimits { field max windowSeconds burst source } }';

/** Sets a rule as the admin (who is never limited). */
const setRule = (url: string, field: string, max: number, windowSeconds = 60, burst = 0) => gqlOk(url, SET, { input: { field, max, windowSeconds, burst } });

/** One createTask as `token` (null: anonymous), with the X-Forwarded-For a proxy would add. */
async function create(url: string, token: string | null, forwardedFor?: string) {
  const { status, body, headers } = await gql(url, CREATE_TASK, { input: { repository: 'limits', title: 'one more' } }, token, forwardedFor ? { 'x-forwarded-for': forwardedFor } : {});
  return { status, body, retryAfter: headers.get('retry-after') };
}

const admitted = (results: Array<{ status: number }>) => results.filter((r) => r.status === 200).length;

describe('rate limits on one instance', () => {
  const herald = useHerald({ TRUST_PROXY: '1' });

  it('limit every mutation, subscription start and log read by default, and list where each rule comes from', async () => {
    const { rateLimits } = await gqlOk(herald.url, RULES);
    expect(rateLimits).toEqual(
      expect.arrayContaining([
        { field: 'Mutation.*', max: 600, windowSeconds: 60, burst: 120, source: 'DEFAULT' },
        { field: 'Subscription.*', max: 120, windowSeconds: 60, burst: 60, source: 'DEFAULT' },
        { field: 'Query.events', max: 300, windowSeconds: 60, burst: 60, source: 'DEFAULT' },
      ]),
    );
  });

  it('refuse the call past the limit with RATE_LIMITED, retryAfter, 429 and Retry-After', async () => {
    const rule = await setRule(herald.url, 'Mutation.createTask', 3);
    expect(rule.setRateLimit).toEqual({ field: 'Mutation.createTask', max: 3, windowSeconds: 60, burst: 0, source: 'LIVE' });
    const ip = '203.0.113.10';
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await create(herald.url, null, ip));
    expect(results.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    const refused = results[3]!;
    expect(refused.status).toBe(429);
    const error = refused.body.errors![0]! as { extensions: Record<string, unknown> };
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', field: 'Mutation.createTask' });
    expect(error.extensions.retryAfter).toBeGreaterThanOrEqual(1);
    expect(error.extensions.retryAfter).toBeLessThanOrEqual(60);
    expect(refused.retryAfter).toBe(String(error.extensions.retryAfter));
    expect(error.extensions).not.toHaveProperty('http');
    expect(await metric(herald.url, 'herald_rate_limited_total{field="Mutation.createTask"}')).toBe(1);
    // Another client behind the same proxy has its own window.
    expect((await create(herald.url, null, '203.0.113.11')).status).toBe(200);
  });

  it('count aliases of one field one call each, so a batch cannot slip past', async () => {
    await setRule(herald.url, 'Mutation.deleteTask', 2);
    const aliased = `mutation { a: deleteTask(id: "x1") { id } b: deleteTask(id: "x2") { id } c: deleteTask(id: "x3") { id } }`;
    const { status, body } = await gql(herald.url, aliased, {}, null);
    expect(status).toBe(429);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', field: 'Mutation.deleteTask' });
  });

  it('let a quiet client burst above the limit, but no further', async () => {
    await setRule(herald.url, 'Mutation.updateTask', 3, 60, 2);
    const update = `mutation { updateTask(id: "nope", input: { title: "x" }) { id } }`;
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetchAs(herald.url, update, '198.51.100.7')).status);
    // 3 within the limit and 2 borrowed answer (NOT_FOUND, status 200); the 6th is refused.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('limit subscription starts over WebSocket with the same error', async () => {
    await setRule(herald.url, 'Subscription.taskEvents', 2);
    const client = wsClient(herald.wsUrl, { connectionParams: {} });
    try {
      const first = record(client, TASK_EVENTS, { repositories: ['ws-limits'] });
      const second = record(client, TASK_EVENTS, { repositories: ['ws-limits'] });
      const third = record(client, TASK_EVENTS, { repositories: ['ws-limits'] });
      await third.ended;
      expect(third.errors).toMatchObject([{ extensions: { code: 'RATE_LIMITED', field: 'Subscription.taskEvents' } }]);
      await waitForSubscriptions(herald.url, 2);
      expect([first.errors, second.errors]).toEqual([[], []]);
    } finally {
      await client.dispose();
    }
  });

  it('never limit a principal with ratelimit:bypass, and count other keys apart', async () => {
    await setRule(herald.url, 'Mutation.createTask', 2);
    const bypass = await serviceKey(herald.url, ['tasks:write', 'ratelimit:bypass'], 'bypass');
    const plain = await serviceKey(herald.url, ['tasks:write'], 'plain');
    const bypassed = await Promise.all(Array.from({ length: 5 }, () => create(herald.url, bypass.secret)));
    expect(admitted(bypassed)).toBe(5);
    const limited = [];
    for (let i = 0; i < 3; i++) limited.push(await create(herald.url, plain.secret));
    expect(limited.map((r) => r.status)).toEqual([200, 200, 429]);
  });

  it('count the REST deploy route as Mutation.deployApiRevision, answering 429 with Retry-After', async () => {
    await setRule(herald.url, 'Mutation.deployApiRevision', 1);
    const key = await serviceKey(herald.url, ['deploy:write'], 'rest-deployer');
    const post = () =>
      fetch(new URL('/api/v1/apis/orders/deploy-revision', herald.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` },
        body: JSON.stringify({ revisionId: 'r1', vhost: 'api.example.com', gatewayIds: ['unknown-gateway'] }),
      });
    expect((await post()).status).toBe(400); // admitted, then refused for the unknown gateway
    const refused = await post();
    expect(refused.status).toBe(429);
    const { error } = (await refused.json()) as { error: { code: string; retryAfter: number } };
    expect(error.code).toBe('RATE_LIMITED');
    expect(refused.headers.get('retry-after')).toBe(String(error.retryAfter));
  });

  it('refuse a rule for a field the schema does not have, or a bad number, naming the input', async () => {
    const unknown = await gql(herald.url, SET, { input: { field: 'Mutation.nope', max: 1, windowSeconds: 1 } });
    expect(unknown.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'field' });
    const zero = await gql(herald.url, SET, { input: { field: 'Mutation.createTask', max: 0, windowSeconds: 1 } });
    expect(zero.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'max' });
  });

  it('let only the admin see and change rules', async () => {
    const key = await serviceKey(herald.url, ['tasks:write', 'stats:read'], 'not-admin');
    const { body } = await gql(herald.url, SET, { input: { field: 'Mutation.createTask', max: 1000, windowSeconds: 1 } }, key.secret);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect((await gql(herald.url, RULES, {}, key.secret)).body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('drop a live rule with resetRateLimit, so the default applies again', async () => {
    await setRule(herald.url, 'Mutation.registerCli', 1);
    expect((await gqlOk(herald.url, 'mutation { resetRateLimit(field: "Mutation.registerCli") }')).resetRateLimit).toBe(true);
    const { rateLimits } = await gqlOk(herald.url, RULES);
    expect(rateLimits.find((r: { field: string }) => r.field === 'Mutation.registerCli')).toBeUndefined();
  });
});

/** One operation as an anonymous caller behind a proxy that reports `ip`. */
const fetchAs = (url: string, query: string, ip: string) => gql(url, query, {}, null, { 'x-forwarded-for': ip });

describe('client addresses', () => {
  const herald = useHerald(); // TRUST_PROXY off: X-Forwarded-For is the client's to invent

  it('ignore X-Forwarded-For unless a proxy is trusted, so a client cannot dodge its limit', async () => {
    await setRule(herald.url, 'Mutation.createTask', 2);
    const statuses = [];
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) statuses.push((await create(herald.url, null, ip)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe('RATE_LIMITS_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-limits-'));

  it('sets rules from YAML (or JSON) over the defaults', async () => {
    const file = join(dir, 'limits.yaml');
    writeFileSync(file, 'Mutation.createTask:\n  max: 1\n  windowSeconds: 60\nSubscription.*: { max: 10, windowSeconds: 30, burst: 5 }\n');
    const herald = await startHerald({ RATE_LIMITS_FILE: file });
    try {
      const { rateLimits } = await gqlOk(herald.url, RULES);
      expect(rateLimits).toEqual(
        expect.arrayContaining([
          { field: 'Mutation.createTask', max: 1, windowSeconds: 60, burst: 0, source: 'FILE' },
          { field: 'Subscription.*', max: 10, windowSeconds: 30, burst: 5, source: 'FILE' },
        ]),
      );
      expect((await create(herald.url, null)).status).toBe(200);
      expect((await create(herald.url, null)).status).toBe(429);
    } finally {
      await herald.stop();
    }
  });

  it('stops the start with one line naming the file and the problem', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ 'Mutation.createTsk': { max: 1, windowSeconds: 60 } }));
    // A field the schema lacks is only known once the server is built: the start still stops with one line.
    const unknownField = runMainUntilExit({ RATE_LIMITS_FILE: file });
    expect(unknownField.status).toBe(1);
    expect(unknownField.stderr.trim()).toMatch(/^Invalid configuration: RATE_LIMITS_FILE .*bad\.json: Mutation\.createTsk Mutation has no field createTsk$/);
    writeFileSync(file, JSON.stringify({ 'Mutation.createTask': { max: -1, windowSeconds: 60 } }));
    expect(() => loadConfig({ RATE_LIMITS_FILE: file })).toThrow(ConfigError);
    expect(() => loadConfig({ RATE_LIMITS_FILE: file })).toThrow(/Mutation\.createTask\.max must be at least 1/);
    writeFileSync(file, JSON.stringify({ 'createTask': { max: 1, windowSeconds: 60 } }));
    expect(() => loadConfig({ RATE_LIMITS_FILE: file })).toThrow(/RATE_LIMITS_FILE .*bad\.json: createTask must be Query\.<field>/);
  });
});

describe.each(TOPOLOGIES)('rate limits across three instances on one Redis (%s)', (topology) => {
  let cluster: Cluster;
  let instances: HeraldProcess[];
  const logs = new Map<HeraldProcess, string[]>();

  beforeAll(async () => {
    // A rule from the file, not a live one: the restarted Redis below starts empty.
    const file = join(mkdtempSync(join(tmpdir(), 'herald-limits-')), 'limits.json');
    writeFileSync(file, JSON.stringify({ 'Query.rateLimits': { max: 6, windowSeconds: 60 } }));
    // Rules are also re-read every report interval: at 3 s, a change seen within a second came over the control channel.
    cluster = await startCluster(3, { CLUSTER_REPORT_INTERVAL_MS: '3000', RATE_LIMITS_FILE: file }, topology);
    instances = cluster.instances;
    for (const instance of instances) {
      const lines: string[] = [];
      logs.set(instance, lines);
      instance.child.stdout!.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    }
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('apply a live change on every instance within a second', async () => {
    const before = Date.now();
    await setRule(instances[0]!.url, 'Mutation.createTask', 100);
    const seen = await Promise.all(
      instances.map(async (instance) => {
        await until(
          () => gqlOk(instance.url, RULES),
          (d) => d.rateLimits.some((r: { field: string; max: number }) => r.field === 'Mutation.createTask' && r.max === 100),
          'the new rule',
          1_000,
        );
        return Date.now() - before;
      }),
    );
    expect(Math.max(...seen)).toBeLessThan(1_000);
  });

  it('admit 100 of a limit of 100 in total, whichever instance each call reaches', async () => {
    const key = await serviceKey(instances[0]!.url, ['tasks:write'], 'spread');
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => create(instances[i % 3]!.url, key.secret)));
    expect(admitted(results)).toBe(100);
    expect(results.filter((r) => r.status === 429)).toHaveLength(50);
    // Each instance got 50 calls: windows of their own would have admitted all 150.
  });

  it('write one audit line when a client starts being refused, not one per refusal', () => {
    const audits = [...logs.values()].flat().filter((line) => line.includes('"action":"rate-limited"'));
    expect(audits.length).toBeGreaterThan(0);
    expect(audits.length).toBeLessThanOrEqual(3); // at most the first refusal on each instance this minute
    expect(JSON.parse(audits[0]!)).toMatchObject({ audit: true, action: 'rate-limited', fields: ['Mutation.createTask'], refusals: 1 });
  });

  // Stops the one redis-server; what a Cluster or Sentinel failover does is tested in redis-topologies.test.ts.
  if (topology === 'single') it('fall back to local windows while Redis is down, then share again when it is back', async () => {
    const [a] = instances as [HeraldProcess];
    // The limiter must know all three instances before Redis goes.
    await until(() => metric(a.url, 'herald_ratelimit_instances'), (n) => n === 3, 'three instances known', 10_000);
    await cluster.redis.stop();
    try {
      // 6 per minute across three instances: 2 each while they cannot agree.
      const local = [];
      for (let i = 0; i < 3; i++) local.push((await gql(a.url, RULES, {}, null)).status);
      expect(local).toEqual([200, 200, 429]);
      expect((await fetch(`${a.origin}/health`)).status).toBe(200);
      expect(await metric(a.url, 'herald_ratelimit_degraded')).toBe(1);
      expect(await metric(a.url, 'herald_ratelimit_fallbacks_total')).toBeGreaterThanOrEqual(1);
      const warnings = logs.get(a)!.filter((line) => line.includes('rate limits fall back to local windows'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, instances: 3 });
    } finally {
      await cluster.redis.restart();
    }
    for (const instance of instances) await until(() => fetch(`${instance.origin}/ready`).then((r) => r.status), (s) => s === 200, 'ready again', 10_000);
    // Back on the shared window, which saw none of the local calls: 6 in all.
    const shared = [];
    for (let i = 0; i < 7; i++) shared.push((await gql(instances[i % 3]!.url, RULES, {}, null)).status);
    expect(shared).toEqual([200, 200, 200, 200, 200, 200, 429]);
    expect(await metric(a.url, 'herald_ratelimit_degraded')).toBe(0);
  });
});

async function metric(graphqlUrl: string, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', graphqlUrl), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}
