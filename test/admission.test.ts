import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startHerald, type Herald } from './helpers/herald.js';
import { wsClient } from './helpers/client.js';
import { openAcked, openRaw } from './helpers/raw-ws.js';
import { serviceKey } from './helpers/tokens.js';
import { gqlOk } from './helpers/client.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** The HTTP status a refused upgrade got, with its headers. */
function upgradeRefusal(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const socket = new WebSocket(url, ['graphql-transport-ws'], { headers });
    socket.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      socket.terminate();
    });
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('error', () => {});
  });
}

describe('connection admission', () => {
  let herald: Herald | undefined;
  afterEach(async () => {
    await herald?.stop();
    herald = undefined;
  });

  it('refuses a browser origin that is not listed with 403, and lets listed origins and non-browsers in', async () => {
    herald = await startHerald({ NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example.com' });
    expect((await upgradeRefusal(herald.wsUrl, { origin: 'https://evil.example.com' })).status).toBe(403);
    (await openAcked(herald.wsUrl, auth)).socket.close();
    const listed = await openRaw(herald.wsUrl, { headers: { origin: 'https://app.example.com' } });
    listed.socket.close();
  });

  it('lets local origins in by default in development, and no others', async () => {
    herald = await startHerald({ NODE_ENV: 'development' });
    (await openRaw(herald.wsUrl, { headers: { origin: 'http://localhost:5173' } })).socket.close();
    expect((await upgradeRefusal(herald.wsUrl, { origin: 'https://example.com' })).status).toBe(403);
  });

  describe('connection-attempt budgets', () => {
    const tooMany = /^Too many connection attempts from this address; retry in \d+ s$/;
    /** Upgrades and leaves before connection_init, as a scanner or a broken client does. */
    const bareAttempt = async (url: string, headers: Record<string, string> = {}) => {
      const raw = await openRaw(url, { headers });
      raw.socket.close();
      await raw.closed;
    };
    const anonymous = async (url: string, headers: Record<string, string> = {}) => {
      const raw = await openRaw(url, { headers });
      raw.send({ type: 'connection_init', payload: {} });
      return Promise.race([raw.next((m) => m.type === 'connection_ack').then(() => raw), raw.closed]);
    };

    it('lets authenticated clients in after 60 bare attempts from their address, and refuses further anonymous ones with 1013', async () => {
      herald = await startHerald({ NODE_ENV: 'development' });
      for (let i = 0; i < 60; i++) await bareAttempt(herald.wsUrl);
      // A stock graphql-ws client, credentials in connection_init.
      const client = wsClient(herald.wsUrl);
      const result = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: '{ stats { mode } }' }, { next: resolve, error: reject, complete: () => {} });
      });
      expect(result).toEqual({ data: { stats: { mode: 'EMBEDDED' } } });
      await client.dispose();
      // Credentials in the upgrade's headers.
      const viaHeader = await openRaw(herald.wsUrl, { headers: auth });
      viaHeader.send({ type: 'connection_init', payload: {} });
      expect(await viaHeader.next()).toMatchObject({ type: 'connection_ack' });
      viaHeader.socket.close();
      const refused = await anonymous(herald.wsUrl);
      expect(refused).toEqual({ code: 1013, reason: expect.stringMatching(tooMany) });
    });

    it('never charges authenticated connections to the anonymous budget', async () => {
      herald = await startHerald({ WS_RATE_LIMIT_PER_MINUTE: '2' });
      for (let i = 0; i < 4; i++) (await openAcked(herald.wsUrl, auth)).socket.close();
      for (let i = 0; i < 2; i++) ((await anonymous(herald.wsUrl)) as Awaited<ReturnType<typeof openRaw>>).socket.close();
      expect(await anonymous(herald.wsUrl)).toEqual({ code: 1013, reason: expect.stringMatching(tooMany) });
    });

    it('limits authenticated connections per address with a budget of their own', async () => {
      herald = await startHerald({ WS_AUTHENTICATED_RATE_LIMIT_PER_MINUTE: '2' });
      for (let i = 0; i < 2; i++) (await openAcked(herald.wsUrl, auth)).socket.close();
      const third = await openRaw(herald.wsUrl);
      third.send({ type: 'connection_init', payload: auth });
      expect(await third.closed).toEqual({ code: 1013, reason: expect.stringMatching(tooMany) });
    });

    it('counts IPv6 clients by their /64', async () => {
      herald = await startHerald({ WS_RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY: '1' });
      const from = (address: string) => ({ 'x-forwarded-for': address });
      ((await anonymous(herald.wsUrl, from('2001:db8:1:2::a'))) as Awaited<ReturnType<typeof openRaw>>).socket.close();
      expect(await anonymous(herald.wsUrl, from('2001:db8:1:2:ffff:ffff:ffff:b'))).toEqual({ code: 1013, reason: expect.stringMatching(tooMany) });
      ((await anonymous(herald.wsUrl, from('2001:db8:1:3::a'))) as Awaited<ReturnType<typeof openRaw>>).socket.close();
    });

    it('lets at most 20 connections of an address over its budget wait for credentials, closing the oldest', async () => {
      herald = await startHerald({ WS_RATE_LIMIT_PER_MINUTE: '1' });
      await bareAttempt(herald.wsUrl);
      const waiting = [];
      for (let i = 0; i < 21; i++) waiting.push(await openRaw(herald.wsUrl));
      expect(await waiting[0]!.closed).toEqual({ code: 1013, reason: 'Too many connections from this address waiting to authenticate' });
      // The newest may still show credentials and get in.
      waiting[20]!.send({ type: 'connection_init', payload: auth });
      expect(await waiting[20]!.next()).toMatchObject({ type: 'connection_ack' });
      for (const w of waiting) w.socket.terminate();
    });
  });

  it('closes connections beyond the instance limit with 1013', async () => {
    herald = await startHerald({ WS_MAX_CONNECTIONS: '2' });
    const open = [await openAcked(herald.wsUrl, auth), await openAcked(herald.wsUrl, auth)];
    const third = await openRaw(herald.wsUrl);
    expect(await third.closed).toEqual({ code: 1013, reason: 'Server is at its connection limit' });
    for (const o of open) o.socket.close();
  });

  it('closes connections beyond the per-principal limit with 1013, counting each principal apart', async () => {
    herald = await startHerald({ WS_MAX_CONNECTIONS_PER_PRINCIPAL: '2' });
    const open = [await openAcked(herald.wsUrl, auth), await openAcked(herald.wsUrl, auth)];
    const raw = await openRaw(herald.wsUrl);
    raw.send({ type: 'connection_init', payload: auth });
    expect(await raw.closed).toEqual({ code: 1013, reason: 'Too many connections for these credentials (2)' });
    // The refused connection was never counted open, so its close takes nothing off the gauge.
    const metrics = await (await fetch(`${herald.origin}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/^herald_connections_open\{kind="admin"\} 2$/m);
    const { secret } = await serviceKey(herald.url, ['tasks:read']);
    (await openAcked(herald.wsUrl, { authorization: `Bearer ${secret}` })).socket.close();
    for (const o of open) o.socket.close();
  });

  it('closes a connection that does not send connection_init in time with 4408', async () => {
    herald = await startHerald({ WS_CONNECTION_INIT_TIMEOUT_MS: '200' });
    expect(await (await openRaw(herald.wsUrl)).closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
  });

  it('refuses operations beyond the per-connection limit with LIMIT_EXCEEDED and keeps the socket', async () => {
    herald = await startHerald({ WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' });
    const raw = await openAcked(herald.wsUrl, auth);
    for (const id of ['1', '2', '3']) {
      raw.send({ id, type: 'subscribe', payload: { query: `subscription { taskEvents(repositories: ["r${id}"]) { id } }` } });
    }
    expect(await raw.next((m) => m.id === '3')).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'LIMIT_EXCEEDED' } }] });
    raw.send({ id: '1', type: 'complete' });
    raw.send({ id: '4', type: 'subscribe', payload: { query: '{ stats { mode } }' } });
    expect(await raw.next((m) => m.id === '4')).toMatchObject({ type: 'next' });
    raw.socket.close();
  });

  describe('client versions', () => {
    it.each([
      [{ clientName: 'herald-cli', clientVersion: '1.9.9' }, 'herald-cli 2.0.0 or newer is required; this is 1.9.9'],
      [{ clientName: 'herald-cli' }, 'herald-cli 2.0.0 or newer is required; no version was sent (X-Herald-Version or clientVersion)'],
      [{ clientName: 'herald-cli', clientVersion: 'latest' }, 'herald-cli 2.0.0 or newer is required; "latest" is not a version'],
      // A client that names itself nothing and is neither a browser nor a gateway is taken for a CLI.
      [{}, 'herald-cli 2.0.0 or newer is required; no version was sent (X-Herald-Version or clientVersion)'],
      [{ clientVersion: '1.0.0' }, 'herald-cli 2.0.0 or newer is required; this is 1.0.0'],
    ])('closes %o with 4400 saying which version is needed', async (params, reason) => {
      herald = await startHerald({ MIN_CLI_VERSION: '2.0.0' });
      const raw = await openRaw(herald.wsUrl);
      raw.send({ type: 'connection_init', payload: { ...auth, ...params } });
      expect(await raw.closed).toEqual({ code: 4400, reason });
    });

    it.each([
      [{ clientName: 'dash\u0007board' }, 'clientName: must be 1-100 letters, digits or . _ - / @'],
      [{ clientName: 'x'.repeat(101) }, 'clientName: must be 1-100 letters, digits or . _ - / @'],
      [{ clientName: 42 }, 'clientName: must be a string'],
      [{ clientName: 'dashboard', clientVersion: '1.0 beta' }, 'clientVersion: must be 1-50 letters, digits or . + _ -'],
      [{ clientName: 'dashboard', clientVersion: { major: 1 } }, 'clientVersion: must be a string'],
    ])('closes %o with 4400 naming the field, as other input is checked', async (params, reason) => {
      herald = await startHerald();
      const raw = await openRaw(herald.wsUrl);
      raw.send({ type: 'connection_init', payload: { ...auth, ...params } });
      expect(await raw.closed).toEqual({ code: 4400, reason });
    });

    it('refuses a client name in the upgrade headers that is not one', async () => {
      herald = await startHerald();
      const raw = await openRaw(herald.wsUrl, { headers: { 'x-client-name': 'two words' } });
      raw.send({ type: 'connection_init', payload: auth });
      expect(await raw.closed).toEqual({ code: 4400, reason: 'clientName: must be 1-100 letters, digits or . _ - / @' });
    });

    it('reads the version from X-Herald-Version on the upgrade (and from X-Version, its earlier name)', async () => {
      herald = await startHerald({ MIN_CLI_VERSION: '2.0.0' });
      (await openAcked(herald.wsUrl, { ...auth, clientName: 'herald-cli', clientVersion: '2.0.0' })).socket.close();
      const upgrade = async (headers: Record<string, string>) => {
        const raw = await openRaw(herald!.wsUrl, { headers });
        raw.send({ type: 'connection_init', payload: auth });
        return Promise.race([raw.next((m) => m.type === 'connection_ack').then(() => (raw.socket.close(), 'ack')), raw.closed]);
      };
      expect(await upgrade({ 'x-client-name': 'herald-cli', 'x-herald-version': '2.1.0' })).toBe('ack');
      expect(await upgrade({ 'x-herald-version': '2.0.0' })).toBe('ack');
      expect(await upgrade({ 'x-herald-version': '1.4.2' })).toEqual({ code: 4400, reason: 'herald-cli 2.0.0 or newer is required; this is 1.4.2' });
      expect(await upgrade({ 'x-client-name': 'herald-cli', 'x-version': '2.0.0' })).toBe('ack');
      expect(await upgrade({ 'x-client-name': 'herald-cli', 'x-version': '1.0.0' })).toEqual({ code: 4400, reason: 'herald-cli 2.0.0 or newer is required; this is 1.0.0' });
    });

    it('does not ask browsers, gateways or clients with another name', async () => {
      herald = await startHerald({ MIN_CLI_VERSION: '2.0.0' });
      (await openAcked(herald.wsUrl, { ...auth, clientName: 'dashboard' })).socket.close();
      const browser = await openRaw(herald.wsUrl, { headers: { origin: 'http://localhost:5173' } });
      browser.send({ type: 'connection_init', payload: auth });
      expect(await browser.next()).toMatchObject({ type: 'connection_ack' });
      browser.socket.close();
      const { registerGateway: g } = await gqlOk(herald.url, 'mutation { registerGateway(input: { name: "edge-v" }) { apiKey } }');
      (await openAcked(herald.wsUrl.replace('/graphql', '/api/internal/v1/ws/gateways/connect'), { apiKey: g.apiKey })).socket.close();
      (await openAcked(herald.wsUrl, { apiKey: g.apiKey })).socket.close();
    });

    it('asks nothing of unnamed clients when MIN_CLI_VERSION is unset', async () => {
      herald = await startHerald();
      (await openAcked(herald.wsUrl, auth)).socket.close();
    });
  });
});

describe('CORS over HTTP', () => {
  let herald: Herald | undefined;
  afterEach(async () => {
    await herald?.stop();
    herald = undefined;
  });

  it('allows listed origins with credentials and gives other origins no CORS headers', async () => {
    herald = await startHerald({ NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example.com' });
    const preflight = (origin: string) =>
      fetch(herald!.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const refused = await preflight('https://evil.example.com');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});
