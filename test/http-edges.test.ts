import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { gql } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { rawHttp } from './helpers/raw-http.js';
import { useHerald } from './helpers/servers.js';

const get = (target: string, host: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nAccept: application/json\r\n${extra}Connection: close\r\n\r\n`;

/** The status a WebSocket upgrade was answered with (101 when accepted). */
function upgradeStatus(url: string, headers: Record<string, string> = {}) {
  return new Promise<number>((resolve) => {
    const socket = new WebSocket(url, ['graphql-transport-ws'], { headers });
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => {
      resolve(101);
      socket.terminate();
    });
    socket.on('error', () => {});
  });
}

/** No trace of the server's insides: no stack frames, no file paths, no request path echoed. */
function expectNoInternals(body: string, path?: string) {
  expect(body).not.toMatch(/\bat .+:\d+:\d+|node_modules|\.js:\d+|TypeError|Invalid URL/);
  if (path) expect(body).not.toContain(path);
}

describe('HTTP requests Yoga is not meant to see', () => {
  const herald = useHerald({ NODE_ENV: 'production' });
  const host = () => new URL(herald.origin).host;

  it.each(['/graphql/', '//graphql', '/x/graphql', '/graphql/../graphql', '/api/../graphql', '/GRAPHQL'])('answers %s with 404 without running the query', async (path) => {
    const response = await rawHttp(herald.origin, get(`${path}?query=%7B__typename%7D`, host(), `Authorization: Bearer ${ADMIN_TOKEN}\r\n`));
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
  });

  it('still answers /graphql, /health, /ready, /metrics and REST routes', async () => {
    const graphql = await rawHttp(herald.origin, get('/graphql?query=%7B__typename%7D', host(), `Authorization: Bearer ${ADMIN_TOKEN}\r\n`));
    expect(graphql.status).toBe(200);
    expect(JSON.parse(graphql.body)).toEqual({ data: { __typename: 'Query' } });
    for (const path of ['/health', '/ready']) expect((await fetch(`${herald.origin}${path}`)).status).toBe(200);
    expect((await fetch(`${herald.origin}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${herald.origin}/api/internal/v1/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
  });

  it('refuses WebSocket upgrades on path variants with 404', async () => {
    for (const path of ['/graphql/', '/api/v1/ws/', '/x/graphql']) expect(await upgradeStatus(`${herald.wsUrl.replace('/graphql', path)}`)).toBe(404);
    expect(await upgradeStatus(herald.wsUrl)).toBe(101);
  });

  it('answers a malformed Host with JSON, without a stack trace', async () => {
    const response = await rawHttp(herald.origin, get('/graphql', '[bad'));
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual({ errors: [{ message: 'The Host header is not a valid host', extensions: { code: 'BAD_REQUEST' } }] });
    expectNoInternals(response.body);
  });

  it('answers REST paths with bad percent-encoding with 400, not 500', async () => {
    const path = '/api/v1/apis/%E0%A4%A/deploy-revision';
    const response = await fetch(`${herald.origin}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ revisionId: 'r1', vhost: 'api.example.com', gatewayIds: ['gw'] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'BAD_USER_INPUT', message: 'apiId: is not valid percent-encoding' } });
  });

  it('answers any Host in production', async () => {
    const response = await rawHttp(herald.origin, get('/graphql?query=%7B__typename%7D', 'herald.example.com', `Authorization: Bearer ${ADMIN_TOKEN}\r\n`));
    expect(response.status).toBe(200);
  });
});

describe('DNS rebinding in development', () => {
  const herald = useHerald({ NODE_ENV: 'development' });
  const port = () => new URL(herald.origin).port;

  it('refuses a request whose Host is not local with 403 and JSON', async () => {
    // A page on attacker.example whose name now resolves to 127.0.0.1: the browser sends its own name.
    const response = await rawHttp(herald.origin, get('/graphql?query=%7Bstats%7Bmode%7D%7D', `attacker.example:${port()}`));
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body).errors[0].extensions.code).toBe('FORBIDDEN');
    expect(response.body).not.toContain('"data"');
    expect(await upgradeStatus(herald.wsUrl, { host: `attacker.example:${port()}` })).toBe(403);
  });

  it.each(['localhost', '127.0.0.1', '[::1]', 'LOCALHOST'])('serves Host %s', async (name) => {
    const response = await rawHttp(herald.origin, get('/graphql?query=%7B__typename%7D', `${name}:${port()}`));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves the usual clients', async () => {
    const { status } = await gql(herald.url, '{ __typename }');
    expect(status).toBe(200);
    expect(await upgradeStatus(herald.wsUrl)).toBe(101);
  });
});
