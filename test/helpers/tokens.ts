import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { gqlOk } from './client.js';

export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef-0123456789';

/** An HS256 user token; claims override the defaults. */
export function userToken(claims: Record<string, unknown>, options: { secret?: string; expiresIn?: string | number; alg?: string } = {}) {
  const jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg: options.alg ?? 'HS256' }).setIssuedAt();
  if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
  return jwt.sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

/** An asymmetric key pair with its public half as PEM and as a JWK. */
export async function keyPair(alg: 'RS256' | 'ES256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, pem: await exportSPKI(publicKey), jwk: { ...(await exportJWK(publicKey)), alg, kid: `${alg}-test` } };
}

export function signWith(key: Awaited<ReturnType<typeof keyPair>>, claims: Record<string, unknown>, expiresIn: string | number = '10m') {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.jwk.kid }).setIssuedAt().setExpirationTime(expiresIn).sign(key.privateKey);
}

/** `alg: none`: a token with no signature at all. */
export function unsignedToken(claims: Record<string, unknown>) {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/** Creates a service API key with the scopes and returns its secret. */
export async function serviceKey(url: string, scopes: string[], name = `svc-${scopes.join('-').replaceAll('*', 'all') || 'none'}`) {
  const { createApiKey } = await gqlOk(url, 'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name scopes } } }', {
    input: { name, scopes },
  });
  return createApiKey as { secret: string; apiKey: { id: string; name: string; scopes: string[] } };
}
