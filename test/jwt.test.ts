import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/client.js';
import { type Herald } from './helpers/herald.js';
import { openRaw } from './helpers/raw-ws.js';
import { JWT_SECRET, keyPair, signWith, unsignedToken, userToken } from './helpers/tokens.js';
import { useHerald } from './helpers/servers.js';

async function connect(herald: Herald, token: string) {
  const raw = await openRaw(herald.wsUrl);
  raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  return { raw, first: await Promise.race([raw.next(), raw.closed.then((closed) => ({ closed }))]) };
}

const claims = { sub: 'ana', repos: ['team-a'], scopes: ['tasks:read'] };

describe('JWT with HS256, issuer and audience', () => {
  const herald = useHerald({ NODE_ENV: 'production', JWT_SECRET, JWT_ISSUER: 'https://id.example.com', JWT_AUDIENCE: 'herald' });

  const good = { ...claims, iss: 'https://id.example.com', aud: 'herald' };

  it('accepts a valid token over HTTP and WebSocket', async () => {
    const token = await userToken(good, { expiresIn: '5m' });
    expect((await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, token)).body).toEqual({ data: { tasks: [] } });
    expect((await connect(herald, token)).first).toMatchObject({ type: 'connection_ack' });
  });

  it.each([
    ['a wrong issuer', () => userToken({ ...good, iss: 'https://evil.example.com' }, { expiresIn: '5m' })],
    ['a wrong audience', () => userToken({ ...good, aud: 'someone-else' }, { expiresIn: '5m' })],
    ['a tampered payload', async () => {
      const [h, , s] = (await userToken(good, { expiresIn: '5m' })).split('.');
      return `${h}.${Buffer.from(JSON.stringify({ ...good, repos: '*' })).toString('base64url')}.${s}`;
    }],
    ['another secret', () => userToken(good, { expiresIn: '5m', secret: 'another-secret-another-secret-another' })],
    ['alg none', async () => unsignedToken({ ...good, exp: Math.floor(Date.now() / 1000) + 300 })],
    ['a token not yet valid (nbf)', async () => userToken({ ...good, nbf: Math.floor(Date.now() / 1000) + 600 }, { expiresIn: '20m' })],
    ['no subject', () => userToken({ iss: good.iss, aud: good.aud }, { expiresIn: '5m' })],
  ])('refuses %s: 401 over HTTP, 4401 over WebSocket', async (_what, make) => {
    const token = await make();
    expect((await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, token)).status).toBe(401);
    expect((await connect(herald, token)).first).toEqual({ closed: { code: 4401, reason: 'Unauthorized: invalid credentials' } });
  });

  it('answers an expired token with 4403 (retryable with a fresh token) and 401 over HTTP', async () => {
    const token = await userToken(good, { expiresIn: Math.floor(Date.now() / 1000) - 10 });
    const http = await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, token);
    expect(http.status).toBe(401);
    expect(http.body.errors![0]!.message).toBe('Token expired');
    expect((await connect(herald, token)).first).toEqual({ closed: { code: 4403, reason: 'Forbidden: token expired' } });
  });

  it('closes an open connection with 4403 when its token expires', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const token = await userToken(good, { expiresIn: expiresAt });
    const { raw, first } = await connect(herald, token);
    expect(first).toMatchObject({ type: 'connection_ack' });
    expect(await raw.closed).toEqual({ code: 4403, reason: 'Forbidden: token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt * 1000);
  });
});

describe('JWT with RS256 from a PEM public key', () => {
  let rsa: Awaited<ReturnType<typeof keyPair>>;
  beforeAll(async () => {
    rsa = await keyPair('RS256');
  });
  const herald = useHerald(() => ({ NODE_ENV: 'production', JWT_PUBLIC_KEY: rsa.pem }));

  it('accepts tokens signed with the private key and refuses an HS256 token made with the public key as secret', async () => {
    expect((await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, await signWith(rsa, claims))).status).toBe(200);
    const confused = await userToken(claims, { expiresIn: '5m', secret: rsa.pem });
    expect((await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, confused)).status).toBe(401);
  });
});

describe('JWT with ES256 from a JWKS URL', () => {
  let jwks: Server;
  let ec: Awaited<ReturnType<typeof keyPair>>;
  beforeAll(async () => {
    ec = await keyPair('ES256');
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [ec.jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  });
  const herald = useHerald(() => ({ NODE_ENV: 'production', JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json` }));
  afterAll(async () => {
    jwks?.close();
  });

  it('verifies tokens against the published keys, with claims as a space-separated scope string', async () => {
    const token = await signWith(ec, { sub: 'bo', repos: '*', scopes: 'tasks:read tasks:write' });
    const { body } = await gql(herald.url, 'mutation { createTask(input: { repository: "any", title: "by bo" }) { id } }', {}, token);
    expect(body.errors).toBeUndefined();
    const other = await keyPair('ES256');
    expect((await gql(herald.url, '{ tasks(repository: "any") { id } }', {}, await signWith(other, { sub: 'eve', repos: '*' }))).status).toBe(401);
  });
});
