import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Authentication, Principal } from './principal.js';
import { isScope, type Scope } from './scopes.js';

export type JwtConfig = {
  /** HS256 secret, a PEM public key (RS256/ES256), or a JWKS URL: exactly one. */
  readonly key: { readonly kind: 'secret'; readonly secret: string } | { readonly kind: 'publicKey'; readonly pem: string } | { readonly kind: 'jwks'; readonly url: string };
  readonly algorithms: readonly string[];
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  /** The longest a token may live: from `iat` (or from now, without one) to `exp`. */
  readonly maxAgeSeconds: number;
};

export type JwtVerifier = (token: string) => Promise<Authentication>;

/**
 * Verifies user tokens with `jose`: signature with an allowlisted algorithm
 * (never `none`), `exp` (required) and `nbf`, a lifetime of at most
 * `maxAgeSeconds`, and issuer and audience when configured.
 */
export function createJwtVerifier(config: JwtConfig): JwtVerifier {
  const key: Uint8Array | KeyObject | ReturnType<typeof createRemoteJWKSet> =
    config.key.kind === 'secret'
      ? new TextEncoder().encode(config.key.secret)
      : config.key.kind === 'publicKey'
        ? createPublicKey(config.key.pem)
        : createRemoteJWKSet(new URL(config.key.url), { cooldownDuration: 30_000, timeoutDuration: 5_000 });

  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms: [...config.algorithms],
        ...(config.issuer ? { issuer: config.issuer } : {}),
        ...(config.audience ? { audience: config.audience } : {}),
        // A token without `exp` would be good forever: nothing could end it short of rotating the key.
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired', detail: 'token expired' };
      if (err instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: 'invalid', detail: `claim ${err.claim}: ${err.reason}` };
      const detail = err instanceof errors.JOSEError ? err.code : 'unverifiable token';
      return { ok: false, reason: 'invalid', detail };
    }
    const lifetime = lifetimeSeconds(payload, Date.now() / 1000);
    if (lifetime > config.maxAgeSeconds) return { ok: false, reason: 'invalid', detail: `lifetime ${Math.round(lifetime)} s over JWT_MAX_AGE_SECONDS` };
    const principal = principalFromClaims(payload);
    return principal ? { ok: true, principal } : { ok: false, reason: 'invalid', detail: 'claims not understood' };
  };
}

/**
 * How long a token lives: from `iat` to `exp`. Without `iat`, or with one in
 * the future (which would let a token outlive the limit from now), from now.
 */
function lifetimeSeconds(payload: JWTPayload, now: number): number {
  const issued = typeof payload.iat === 'number' && payload.iat <= now ? payload.iat : now;
  return (payload.exp as number) - issued;
}

/** Reads `sub`, `repos` and `channels` (a list, or "*") and `scopes` (a list or a space-separated string). */
export function principalFromClaims(payload: JWTPayload): Principal | undefined {
  const subject = payload.sub;
  if (typeof subject !== 'string' || subject === '' || subject.length > 200) return undefined;
  const repos = namesOf(payload.repos);
  const channels = namesOf(payload.channels);
  if (!repos || !channels) return undefined;
  return Object.freeze({
    kind: 'user',
    id: `user:${subject}`,
    subject,
    scopes: scopesOf(payload.scopes),
    repos,
    channels,
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
  });
}

function namesOf(claim: unknown): '*' | ReadonlySet<string> | undefined {
  if (claim === undefined) return new Set();
  if (claim === '*') return '*';
  if (!Array.isArray(claim) || !claim.every((r) => typeof r === 'string')) return undefined;
  return claim.includes('*') ? '*' : new Set(claim as string[]);
}

function scopesOf(claim: unknown): ReadonlySet<Scope> {
  const list = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : [];
  return new Set(list.filter((s): s is Scope => typeof s === 'string' && isScope(s)));
}

/** A compact JWS has three base64url parts. */
export const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
