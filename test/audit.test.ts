import { pino } from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { gql } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { openAcked } from './helpers/raw-ws.js';
import { serviceKey } from './helpers/tokens.js';
import { until } from './helpers/wait.js';

type AuditLine = { audit?: boolean; action?: string; ip?: string; principal?: string; identity?: string; reason?: string; origin?: string; transport?: string };

describe('refusals in the audit log', () => {
  let app: App;
  let url: string;
  const lines: AuditLine[] = [];
  const audited = (action: string, match: (line: AuditLine) => boolean = () => true) =>
    until(() => lines.filter((l) => l.audit && l.action === action && match(l)), (found) => found.length > 0, `an audit line ${action}`);

  beforeAll(async () => {
    const config = loadConfig({ PORT: '0', HERALD_ADMIN_TOKEN: ADMIN_TOKEN, NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example.com', WS_MAX_PAYLOAD_BYTES: '1024', TRUST_PROXY: '1' });
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as AuditLine) });
    app = buildApp(config, logger);
    url = (await app.start()).url;
  });
  afterAll(() => app?.stop());

  it('record a query refused by a limit, with who sent it, from where, and which limit', async () => {
    const deep = `{ ${'a { '.repeat(11)}b${' }'.repeat(11)} }`;
    const { body } = await gql(url, deep, {}, ADMIN_TOKEN, { 'x-forwarded-for': '203.0.113.5' });
    expect(body.errors![0]!.extensions!.code).toBe('MAX_DEPTH');
    const [line] = await audited('query-refused', (l) => l.ip === '203.0.113.5');
    expect(line).toMatchObject({ principal: 'admin', reason: 'MAX_DEPTH' });
  });

  it('record a refused credential with the address it came from on every HTTP path: JSON POST and SSE', async () => {
    const refused = await gql(url, '{ stats { mode } }', {}, 'not-a-valid-token-at-all', { 'x-forwarded-for': '203.0.113.7' });
    expect(refused.status).toBe(401);
    const sse = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: 'Bearer not-a-valid-token-either', 'x-forwarded-for': '203.0.113.8' },
      body: JSON.stringify({ query: 'subscription { taskEvents(repositories: ["a"]) { id } }' }),
    });
    expect(sse.status).toBe(401);
    const failed = (ip: string) => until(() => lines.filter((l) => (l as { msg?: string }).msg === 'authentication failed' && l.ip === ip), (found) => found.length > 0, `a refusal from ${ip}`);
    await failed('203.0.113.7');
    await failed('203.0.113.8');
    // And on the metrics endpoint, which answers before the GraphQL path's own check.
    const metrics = await fetch(url.replace('/graphql', '/metrics'), { headers: { authorization: 'Bearer not-a-valid-token-for-metrics', 'x-forwarded-for': '203.0.113.9' } });
    expect(metrics.status).toBe(401);
    await failed('203.0.113.9');
  });

  it('record the same refusal over WebSocket', async () => {
    const raw = await openAcked(url.replace(/^http/, 'ws'), { authorization: `Bearer ${ADMIN_TOKEN}` });
    raw.send({ id: 'x', type: 'subscribe', payload: { query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: stats { mode }`).join(' ')} }` } });
    await raw.next((m) => m.id === 'x');
    raw.socket.close();
    const [line] = await audited('query-refused', (l) => l.reason === 'MAX_ALIASES');
    expect(line).toMatchObject({ principal: 'admin', ip: '127.0.0.1' });
  });

  it('record a body too large and a body that is not JSON', async () => {
    const post = (headers: Record<string, string>, body: string) => fetch(url, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, body });
    expect((await post({ 'content-type': 'application/json' }, 'x'.repeat(1024 * 1024 + 1))).status).toBe(413);
    expect((await post({ 'content-type': 'text/plain' }, '{}')).status).toBe(415);
    await audited('size-refused', (l) => l.transport === 'http' && l.reason === 'PAYLOAD_TOO_LARGE');
    await audited('request-refused', (l) => l.reason === 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('record a WebSocket message over the limit (closed 1009)', async () => {
    const raw = await openAcked(url.replace(/^http/, 'ws'), { authorization: `Bearer ${ADMIN_TOKEN}` });
    raw.send({ id: 'big', type: 'subscribe', payload: { query: `{ __typename }`, variables: { pad: 'x'.repeat(2048) } } });
    expect((await raw.closed).code).toBe(1009);
    await audited('size-refused', (l) => l.transport === 'ws' && l.principal === 'admin');
  });

  it('record a browser origin refused, on an upgrade and on HTTP', async () => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), ['graphql-transport-ws'], { headers: { origin: 'https://evil.example' } });
    const status = await new Promise<number>((resolve) => socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
    await audited('cors-refused', (l) => l.transport === 'ws' && l.origin === 'https://evil.example');
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, origin: 'https://evil.example' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    await audited('cors-refused', (l) => l.transport === 'http' && l.origin === 'https://evil.example');
  });

  it('record rate-limit refusals per client', async () => {
    await gql(url, 'mutation { setRateLimit(input: { field: "Mutation.createTask", max: 1, windowSeconds: 60 }) { field } }');
    const key = await serviceKey(url, ['tasks:write'], 'audited');
    const create = () => gql(url, 'mutation { createTask(input: { repository: "audit", title: "t" }) { id } }', {}, key.secret);
    expect((await create()).status).toBe(200);
    expect((await create()).status).toBe(429);
    const [line] = await audited('rate-limited', (l) => l.identity === `key:${key.apiKey.id}`);
    expect(line).toMatchObject({ ip: '127.0.0.1' });
  });
});
