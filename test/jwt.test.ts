import { createServer, type Server } from 'node:http';
import { SignJWT } from 'jose';
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

  it('refuses a token without exp: 401 over HTTP, 4401 over WebSocket', async () => {
    const token = await userToken(good); // no expiresIn: no exp claim
    const http = await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, token);
    expect(http.status).toBe(401);
    expect(http.body.errors![0]!.message).toBe('Invalid credentials');
    expect((await connect(herald, token)).first).toEqual({ closed: { code: 4401, reason: 'Unauthorized: invalid credentials' } });
  });

  it('refuses a token that lives longer than JWT_MAX_AGE_SECONDS (a day by default), from iat or, without one, from now', async () => {
    const now = Math.floor(Date.now() / 1000);
    const tooLong = await userToken(good, { expiresIn: now + 86400 + 60 });
    expect((await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, tooLong)).status).toBe(401);
    expect((await connect(herald, tooLong)).first).toEqual({ closed: { code: 4401, reason: 'Unauthorized: invalid credentials' } });
    // Issued two days ago, good for three: still younger than its expiry, but its lifetime is three days.
    const oldIssue = await new SignJWT({ ...good, iat: now - 2 * 86400, exp: now + 86400 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JWT_SECRET));
    expect((await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, oldIssue)).status).toBe(401);
    // Without iat the lifetime counts from now.
    const noIat = await new SignJWT({ ...good, exp: now + 2 * 86400 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JWT_SECRET));
    expect((await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, noIat)).status).toBe(401);
    // A day exactly is allowed, with or without iat.
    const aDay = await userToken(good, { expiresIn: now + 86400 - 5 });
    expect((await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, aDay)).status).toBe(200);
    const aDayNoIat = await new SignJWT({ ...good, exp: now + 3600 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JWT_SECRET));
    expect((await gql(herald.url, '{ tasks(repository: "team-a") { id } }', {}, aDayNoIat)).status).toBe(200);
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

describe('JWT_MAX_AGE_SECONDS', () => {
  const herald = useHerald({ NODE_ENV: 'production', JWT_SECRET, JWT_MAX_AGE_SECONDS: '600' });

  it('refuses tokens that live longer than the setting and accepts shorter ones', async () => {
    const query = '{ tasks(repository: "team-a") { id } }';
    expect((await gql(herald.url, query, {}, await userToken(claims, { expiresIn: '11m' }))).status).toBe(401);
    expect((await gql(herald.url, query, {}, await userToken(claims, { expiresIn: '9m' }))).status).toBe(200);
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
  // Plain http for the key set is allowed in development only (production needs https and JWT_AUDIENCE).
  const herald = useHerald(() => ({ NODE_ENV: 'development', JWT_AUDIENCE: 'herald', JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json` }));
  afterAll(async () => {
    jwks?.close();
  });

  it('verifies tokens against the published keys, with claims as a space-separated scope string', async () => {
    const token = await signWith(ec, { sub: 'bo', repos: '*', scopes: 'tasks:read tasks:write', aud: 'herald' });
    const { body } = await gql(herald.url, 'mutation { createTask(input: { repository: "any", title: "by bo" }) { id } }', {}, token);
    expect(body.errors).toBeUndefined();
    const other = await keyPair('ES256');
    expect((await gql(herald.url, '{ tasks(repository: "any") { id } }', {}, await signWith(other, { sub: 'eve', repos: '*', aud: 'herald' }))).status).toBe(401);
    expect((await gql(herald.url, '{ tasks(repository: "any") { id } }', {}, await signWith(ec, { sub: 'eve', repos: '*', aud: 'elsewhere' }))).status).toBe(401);
  });
});
