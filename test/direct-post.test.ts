import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_TASK, gql } from './helpers/client.js';
import { ADMIN_TOKEN, spawnHerald, type HeraldProcess } from './helpers/herald.js';
import { rawHttp } from './helpers/raw-http.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { serviceKey } from './helpers/tokens.js';
import { until } from './helpers/wait.js';

/**
 * Plain JSON POSTs to /graphql are answered by the direct path
 * (src/transport/graphql-post.ts), not by Yoga's Fetch API layer. Every
 * guarantee must hold there too: each test below counts, through
 * herald_http_direct_requests_total, that its requests took that path, and
 * compares answers with a server that has the path turned off.
 */

const rules = join(mkdtempSync(join(tmpdir(), 'herald-direct-')), 'rules.yaml');
writeFileSync(rules, 'Mutation.updateTask: { max: 2, windowSeconds: 60 }\n');
const env = { NODE_ENV: 'production', RATE_LIMITS_FILE: rules, GRAPHQL_MAX_DEPTH: '4', LOG_LEVEL: 'info' };

let redis: RedisServer;
let direct: HeraldProcess;
let yoga: HeraldProcess;
let writer: string;
let reader: string;

beforeAll(async () => {
  redis = await startRedis();
  [direct, yoga] = await Promise.all([
    spawnHerald({ ...env, REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'direct:' }),
    spawnHerald({ ...env, REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'yoga:', GRAPHQL_DIRECT_POST: 'false' }),
  ]);
  writer = (await serviceKey(direct.url, ['tasks:write', 'tasks:read'])).secret;
  reader = (await serviceKey(direct.url, ['tasks:read'])).secret;
});
afterAll(async () => {
  for (const server of [direct, yoga]) {
    server?.kill('SIGTERM');
    await server?.exited;
  }
  await redis?.stop();
});

/** How many requests the direct path answered so far. */
async function directCount(server: HeraldProcess = direct): Promise<number> {
  const response = await fetch(`${server.origin}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const line = (await response.text()).split('\n').find((l) => l.startsWith('herald_http_direct_requests_total '));
  expect(line, 'herald_http_direct_requests_total in /metrics').toBeDefined();
  return Number(line!.split(' ')[1]);
}

/** Runs `requests` and checks that exactly `expected` of them took the direct path. */
async function viaDirect<T>(expected: number, requests: () => Promise<T>): Promise<T> {
  const before = await directCount();
  const result = await requests();
  expect(await directCount()).toBe(before + expected);
  return result;
}

const input = (title: string, extra: Record<string, unknown> = {}) => ({ input: { repository: 'direct', title, ...extra } });
const codes = (body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => body.errors?.map((e) => e.extensions?.code);

describe('the direct POST path', () => {
  it('runs a mutation for a caller with the scope, and counts it by operation and status', async () => {
    const { status, body, headers } = await viaDirect(1, () => gql(direct.url, CREATE_TASK, input('one'), writer));
    expect(status).toBe(200);
    expect(body.data?.createTask).toMatchObject({ title: 'one', repository: 'direct' });
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
    const metrics = await (await fetch(`${direct.origin}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(metrics).toMatch(/herald_http_requests_total\{operation="anonymous",status="200"\} [1-9]/);
  });

  it('refuses anonymous callers, wrong tokens and revoked keys in production, and audits them', async () => {
    const anonymous = await viaDirect(1, () => gql(direct.url, CREATE_TASK, input('anon'), null));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(codes(anonymous.body)).toEqual(['UNAUTHENTICATED']);
    const wrong = await viaDirect(1, () => gql(direct.url, CREATE_TASK, input('wrong'), 'hk_not-a-real-key'));
    expect(wrong.status).toBe(401);
    await until(() => direct.logs.filter((l) => l.msg === 'authentication failed' && l.transport === 'http'), (found) => found.length >= 2, 'audit lines of the refusals');

    const key = await serviceKey(direct.url, ['tasks:write'], 'to-revoke');
    await gql(direct.url, 'mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', { id: key.apiKey.id });
    const revoked = await viaDirect(1, () => gql(direct.url, CREATE_TASK, input('revoked'), key.secret));
    expect(revoked.status).toBe(403);
    expect(codes(revoked.body)).toEqual(['FORBIDDEN']);
  });

  it('refuses a wrong token before it reads the body', async () => {
    const { hostname, port } = new URL(direct.origin);
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    // A body of 100 KB is declared, and only its first bytes are sent.
    socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer hk_wrong\r\nContent-Length: 100000\r\n\r\n{"query":`);
    await until(() => text, (t) => t.includes('\r\n\r\n'), 'the answer');
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1.1 401 /);
  });

  it('refuses a caller without the scope', async () => {
    const { status, body } = await viaDirect(1, () => gql(direct.url, CREATE_TASK, input('no scope'), reader));
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(codes(body)).toEqual(['FORBIDDEN']);
  });

  it('applies the query limits, and audits the refusal with who sent it', async () => {
    const { body } = await viaDirect(1, () => gql(direct.url, '{ a { b { c { d { e { f } } } } } }', {}, reader));
    expect(codes(body)).toContain('MAX_DEPTH');
    await until(() => direct.logs.filter((l) => l.audit && l.action === 'query-refused' && l.reason === 'MAX_DEPTH'), (found) => found.length > 0, 'a query-refused audit line');
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: tasks(repository: "direct") { id }`).join(' ');
    const refused = await viaDirect(1, () => gql(direct.url, `{ ${aliases} }`, {}, reader));
    expect(codes(refused.body)).toContain('MAX_ALIASES');
  });

  it('refuses bad input with BAD_USER_INPUT', async () => {
    const { status, body } = await viaDirect(1, () => gql(direct.url, CREATE_TASK, input(''), writer));
    expect(status).toBe(200);
    expect(codes(body)).toEqual(['BAD_USER_INPUT']);
    const variables = await viaDirect(1, () => gql(direct.url, CREATE_TASK, { input: { repository: 'direct' } }, writer));
    expect(variables.status).toBe(400);
  });

  it('returns the first result for a repeated idempotency key', async () => {
    const [first, second] = await viaDirect(2, async () => [
      await gql(direct.url, CREATE_TASK, input('once', { idempotencyKey: 'direct-key-1' }), writer),
      await gql(direct.url, CREATE_TASK, input('once', { idempotencyKey: 'direct-key-1' }), writer),
    ]);
    expect(first!.body.data?.createTask.id).toBeTruthy();
    expect(second!.body.data?.createTask.id).toBe(first!.body.data?.createTask.id);
  });

  it('masks an unexpected error and logs it, as Yoga does', async () => {
    // A task whose stored record is not an object: reading its fields throws a TypeError.
    const corrupt = async (server: HeraldProcess, prefix: string, token: string) => {
      const created = await gql(server.url, CREATE_TASK, input('to corrupt'), token);
      const id = created.body.data?.createTask.id as string;
      const client = new Redis(redis.url);
      await client.set(`${prefix}{tasks}:task:${id}`, '5');
      client.disconnect();
      return id;
    };
    const id = await corrupt(direct, 'direct:', writer);
    const read = 'query ($id: ID!) { task(id: $id) { id title } }';
    const { status, body } = await viaDirect(1, () => gql(direct.url, read, { id }, reader));
    expect(body.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    expect(JSON.stringify(body)).not.toMatch(/TypeError|Cannot|undefined/);
    // What is hidden from the caller is logged, once, as an error.
    await until(() => direct.logs.filter((l) => l.level >= 50 && l.component === 'yoga'), (found) => found.length === 1, 'the error in the log');

    const writerOnYoga = (await serviceKey(yoga.url, ['tasks:write', 'tasks:read'])).secret;
    const other = await corrupt(yoga, 'yoga:', writerOnYoga);
    const reference = await gql(yoga.url, read, { id: other }, writerOnYoga);
    expect({ status, body }).toEqual({ status: reference.status, body: reference.body });
  });

  it('answers over the rate limit with 429, RATE_LIMITED and Retry-After', async () => {
    const created = await gql(direct.url, CREATE_TASK, input('limited'), writer);
    const id = created.body.data?.createTask.id as string;
    const update = 'mutation ($id: ID!) { updateTask(id: $id, input: { title: "again" }) { id } }';
    const results = await viaDirect(3, async () => [await gql(direct.url, update, { id }, writer), await gql(direct.url, update, { id }, writer), await gql(direct.url, update, { id }, writer)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 429]);
    const refused = results[2]!;
    expect(codes(refused.body)).toEqual(['RATE_LIMITED']);
    const retryAfter = refused.body.errors![0]!.extensions!.retryAfter as number;
    expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
    expect(refused.body.errors![0]!.extensions).not.toHaveProperty('http');
  });

  it('withholds introspection from non-admins in production', async () => {
    const { body } = await viaDirect(1, () => gql(direct.url, '{ __schema { queryType { name } } }', {}, reader));
    expect(new Set(codes(body))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    const admin = await viaDirect(1, () => gql(direct.url, '{ __schema { queryType { name } } }', {}, ADMIN_TOKEN));
    expect(admin.body.data?.__schema).toEqual({ queryType: { name: 'Query' } });
    // The admin's document passed validation; the same text from a reader still does not.
    const after = await viaDirect(1, () => gql(direct.url, '{ __schema { queryType { name } } }', {}, reader));
    expect(new Set(codes(after.body))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  });

  it('leaves to Yoga what it does not take, which answers as before', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const post = (headers: Record<string, string>, text = body) =>
      fetch(direct.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${reader}`, ...headers }, body: text });
    const answers = await viaDirect(0, async () => [
      await post({ origin: 'https://elsewhere.example' }),
      await post({ accept: 'text/event-stream' }),
      await post({}, JSON.stringify([{ query: '{ __typename }' }])),
      await post({}, '{"query":'),
      await post({}, JSON.stringify({ query: '{ __typename }', extra: 1 })),
      await post({ accept: 'application/json' }, JSON.stringify({ query: 'subscription { taskEvents(repositories: ["x"]) { id } }' })),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 400, 400, 400, 406]);
    // A subscription that may stream becomes a server-sent event stream, as on Yoga's path.
    const stream = await viaDirect(0, () => post({}, JSON.stringify({ query: 'subscription { taskEvents(repositories: ["direct"]) { type } }' })));
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reading = stream.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const created = gql(direct.url, CREATE_TASK, input('streamed'), writer);
    while (!text.includes('CREATED')) text += decoder.decode((await reading.read()).value);
    await created;
    await reading.cancel();
  });
});

describe('answers of the direct path and of Yoga', () => {
  /** Status, headers that say anything (not the date) and body, for comparison. */
  const shape = async (response: { status: number; headers: Record<string, string>; body: string }) => {
    const { date: _date, ...headers } = response.headers;
    return { status: response.status, headers, body: response.body };
  };
  const raw = async (server: HeraldProcess, token: string | null, payload: string, more = '') =>
    shape(
      await rawHttp(
        server.origin,
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${more}${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
      ),
    );

  it('are the same, byte for byte, for refusals and errors', async () => {
    const readerOnYoga = (await serviceKey(yoga.url, ['tasks:read'])).secret;
    const cases: Array<[string | null, string, string?]> = [
      [null, JSON.stringify({ query: '{ __typename }' })],
      ['hk_wrong', JSON.stringify({ query: '{ __typename }' })],
      ['READER', JSON.stringify({ query: '{ __typename }' })],
      ['READER', JSON.stringify({ query: '{ nope }' })],
      ['READER', JSON.stringify({ query: '{ __typename ' })],
      ['READER', JSON.stringify({ query: 'query A { __typename } query B { __typename }' })],
      ['READER', JSON.stringify({ query: 'query A { __typename }', operationName: 'C' })],
      ['READER', JSON.stringify({ query: '{ __schema { types { name } } }' })],
      ['READER', JSON.stringify({ query: CREATE_TASK, variables: input('x') })],
      ['READER', JSON.stringify({ query: CREATE_TASK, variables: { input: { title: 'x' } } })],
      ['READER', JSON.stringify({ query: '{ task(id: "nope") { id } }' })],
      ['READER', JSON.stringify({ query: '{ a { b { c { d { e } } } } }' })],
      ['READER', JSON.stringify({ query: '{ __typename }' }), 'Accept: application/graphql-response+json\r\n'],
      ['READER', JSON.stringify({ query: '{ nope }' }), 'Accept: application/graphql-response+json\r\n'],
      ['READER', JSON.stringify({ query: '{ __typename }' }), 'X-Forwarded-Proto: https\r\n'],
      ['READER', JSON.stringify({ query: '{ nope }' }), 'Accept: application/graphql-response+json, application/json\r\n'],
      ['READER', JSON.stringify({ query: '{ nope }' }), 'Accept: application/json, application/graphql-response+json\r\n'],
      ['READER', JSON.stringify({ query: '{ nope }' }), 'Accept: */*\r\n'],
    ];
    const before = await directCount();
    // Twice: a document that passed once runs without Yoga's pipeline the second time (operation-plans.ts).
    for (const pass of [1, 2]) {
      for (const [token, payload, more] of cases) {
        const [a, b] = [
          await raw(direct, token === 'READER' ? reader : token, payload, more),
          await raw(yoga, token === 'READER' ? readerOnYoga : token, payload, more),
        ];
        expect({ pass, payload, more, ...a }).toEqual({ pass, payload, more, ...b });
      }
    }
    expect(await directCount()).toBe(before + 2 * cases.length);
    expect(await directCount(yoga)).toBe(0);
  });
});
