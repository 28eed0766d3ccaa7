import { describe, expect, it } from 'vitest';
import { gql } from './helpers/client.js';
import { ADMIN_TOKEN, startHerald } from './helpers/herald.js';
import { openAcked } from './helpers/raw-ws.js';
import { useHerald } from './helpers/servers.js';

const queries: Array<[string, string, string]> = [
  // Depth is measured before fields are checked, so made-up nested fields serve.
  ['depth', `{ ${'a { '.repeat(11)}b${' }'.repeat(11)} }`, 'MAX_DEPTH'],
  ['aliases', `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: stats { mode }`).join(' ')} }`, 'MAX_ALIASES'],
  ['directives', `{ __typename ${'@include(if: true) '.repeat(11)} }`, 'MAX_DIRECTIVES'],
  ['tokens', `{ ${'__typename '.repeat(2001)} }`, 'MAX_TOKENS'],
];

describe('GraphQL query limits', () => {
  const herald = useHerald({ NODE_ENV: 'production', GRAPHQL_MAX_COST: '5000' });

  it.each(queries)('refuses too much %s over HTTP with a code naming the limit', async (_what, query, code) => {
    const { body } = await gql(herald.url, query);
    expect(body.errors![0]!.extensions).toMatchObject({ code });
    expect(body.data ?? null).toBeNull();
  });

  it.each(queries)('refuses too much %s over WebSocket for that operation only', async (_what, query, code) => {
    const raw = await openAcked(herald.wsUrl, { authorization: `Bearer ${ADMIN_TOKEN}` });
    raw.send({ id: 'x', type: 'subscribe', payload: { query } });
    expect(await raw.next((m) => m.id === 'x')).toMatchObject({ type: 'error', payload: [{ extensions: { code } }] });
    raw.send({ id: 'ok', type: 'subscribe', payload: { query: '{ stats { mode } }' } });
    expect(await raw.next((m) => m.id === 'ok')).toMatchObject({ type: 'next' });
    raw.socket.close();
  });

  it('gives no field suggestions in production', async () => {
    const { body } = await gql(herald.url, '{ stat { mode } }');
    expect(body.errors![0]!.message).not.toMatch(/Did you mean/);
  });
});

describe('HTTP hygiene', () => {
  const herald = useHerald({ NODE_ENV: 'production' });

  it("sets security headers on every response, with a strict CSP, and the console's same-origin CSP on GraphiQL's page", async () => {
    for (const response of [
      await fetch(`${herald.origin}/health`),
      await fetch(herald.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      await fetch(herald.url, { headers: { accept: 'text/html' } }),
    ]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/^default-src 'none'/);
      // GraphiQL's page loads nothing from elsewhere, and runs no inline script.
      if ((response.headers.get('content-type') ?? '').startsWith('text/html')) {
        expect(csp).toContain("script-src 'self';");
        expect(csp).toContain("connect-src 'self';");
        expect(csp).not.toMatch(/https?:|unpkg|\*|'unsafe-eval'/);
      }
      expect(response.headers.get('strict-transport-security')).toBeNull();
    }
    const proxied = await fetch(`${herald.origin}/health`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(proxied.headers.get('strict-transport-security')).toMatch(/^max-age=/);
  });

  it('answers a body that is not JSON with 415 and one over 1 MB with 413', async () => {
    const post = (body: string, type: string) =>
      fetch(herald.url, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${ADMIN_TOKEN}` }, body });
    expect((await post('query { stats { mode } }', 'application/graphql')).status).toBe(415);
    expect((await post('query=%7B%7D', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post(JSON.stringify({ query: '{ stats { mode } }', variables: { pad: 'x'.repeat(1024 * 1024) } }), 'application/json')).status).toBe(413);
    expect((await post(JSON.stringify({ query: '{ stats { mode } }' }), 'application/json; charset=utf-8')).status).toBe(200);
  });
});

describe('query cost', () => {
  it('refuses a query over GRAPHQL_MAX_COST with COST_LIMIT', async () => {
    const herald = await startHerald({ GRAPHQL_MAX_COST: '10' });
    const { body } = await gql(herald.url, '{ stats { mode instanceId uptimeSeconds connections subscriptions eventsPublished eventsDelivered } }');
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'COST_LIMIT' });
    const cheap = await gql(herald.url, '{ stats { mode } }');
    expect(cheap.body.errors).toBeUndefined();
    await herald.stop();
  });
});
