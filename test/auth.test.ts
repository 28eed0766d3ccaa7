import { describe, expect, it } from 'vitest';
import { gql } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { openAcked, openRaw } from './helpers/raw-ws.js';
import { useHerald } from './helpers/servers.js';

describe('production mode', () => {
  const herald = useHerald({ NODE_ENV: 'production' });

  it.each([
    ['no credentials', {}, 'Authentication required'],
    ['a wrong token', { authorization: 'Bearer wrong-token-wrong-token' }, 'Invalid credentials'],
    ['a malformed header', { authorization: 'Basic abc' }, 'Invalid credentials'],
  ])('answers HTTP requests with %s with 401', async (_what, headers, message) => {
    const response = await fetch(herald.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ stats { mode } }' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('serves the admin token', async () => {
    const { status, body } = await gql(herald.url, '{ stats { mode } }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ stats: { mode: 'EMBEDDED' } });
  });

  it('keeps /health and /ready open to load balancers', async () => {
    expect((await fetch(`${herald.origin}/health`)).status).toBe(200);
    expect((await fetch(`${herald.origin}/ready`)).status).toBe(200);
  });

  it('serves the GraphiQL page, whose queries need credentials', async () => {
    const page = await fetch(herald.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/graphiql/i);
    const query = await fetch(`${herald.url}?query=${encodeURIComponent('{ stats { mode } }')}`, { headers: { accept: 'application/json' } });
    expect(query.status).toBe(401);
  });

  it.each([
    ['no credentials', {}, 'Unauthorized: credentials required'],
    ['a wrong token', { authorization: 'Bearer nope-nope-nope-nope' }, 'Unauthorized: invalid credentials'],
    ['a wrong token as `token`', { token: 'nope-nope-nope-nope' }, 'Unauthorized: invalid credentials'],
  ])('closes a WebSocket with %s with 4401', async (_what, payload, reason) => {
    const raw = await openRaw(herald.wsUrl);
    raw.send({ type: 'connection_init', payload });
    expect(await raw.closed).toEqual({ code: 4401, reason });
    expect(raw.messages).toEqual([]);
  });

  it.each([
    ['`authorization` in connection_init', { authorization: `Bearer ${ADMIN_TOKEN}` }, {}],
    ['`token` in connection_init', { token: ADMIN_TOKEN }, {}],
    ['an Authorization header on the upgrade', {}, { authorization: `Bearer ${ADMIN_TOKEN}` }],
  ])('accepts the admin token as %s and acknowledges with the connection id', async (_what, payload, headers) => {
    const raw = await openRaw(herald.wsUrl, { headers });
    raw.send({ type: 'connection_init', payload });
    const ack = await raw.next();
    expect(ack).toEqual({ type: 'connection_ack', payload: { connectionId: expect.stringMatching(/^[0-9A-Z]{26}$/), heartbeatIntervalMs: 20000 } });
    raw.socket.close();
  });
});

describe('development mode', () => {
  const herald = useHerald({ NODE_ENV: 'development' });

  it('lets anonymous callers in over HTTP and WebSocket', async () => {
    expect((await gql(herald.url, '{ stats { mode } }', {}, null)).status).toBe(200);
    const raw = await openAcked(herald.wsUrl, {});
    raw.socket.close();
  });

  it('still refuses a wrong token', async () => {
    expect((await gql(herald.url, '{ stats { mode } }', {}, 'wrong-token-wrong-token')).status).toBe(401);
    const raw = await openRaw(herald.wsUrl);
    raw.send({ type: 'connection_init', payload: { token: 'wrong-token-wrong-token' } });
    expect((await raw.closed).code).toBe(4401);
  });

  it('serves GraphiQL to a browser', async () => {
    const response = await fetch(herald.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/graphiql/i);
  });
});
