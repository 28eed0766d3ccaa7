import { hash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyStore } from './api-keys.js';
import { looksLikeJwt, type JwtVerifier } from './jwt.js';
import { Closings, type Closing } from '../sessions/close-codes.js';
import { ADMIN, ANONYMOUS, gatewayPrincipal, gatewayPrincipalId, servicePrincipalId, type Authentication, type Principal } from './principal.js';
import { parseKey, prefixOf, secretMatches } from './secret-keys.js';

export type Authenticator = {
  /** Checks a bearer token (without the `Bearer ` prefix); undefined means none was given. */
  authenticate(token: string | undefined): Promise<Authentication>;
  /** Whether a caller without credentials may proceed (development mode only). */
  readonly allowAnonymous: boolean;
};

/**
 * Where gateway keys are looked up (the gateway store): only what checking a
 * key needs, so authentication does not depend on the gateways room.
 */
export type GatewayKeys = {
  getKey(keyId: string): Promise<{ readonly id: string; readonly gatewayId: string; readonly secretHash: string; readonly revokedAt: string | null } | null>;
  /** Records when a key last authenticated (for `gatewayKeys`). */
  recordKeyUse(keyId: string, at: string): Promise<void>;
};

/** A key's use is written at most this often per key and instance: a thousand gateways reconnecting must not cost a thousand writes each time. */
const KEY_USE_EVERY_MS = 60_000;

// Comparing fixed-length digests keeps the comparison constant-time whatever the token's length.
// One-shot hashing: no Hash object per request.
const digest = (value: string) => hash('sha256', value, 'buffer');

/** Tells a credential's kind by its shape, then checks it against where such credentials live. */
export function createAuthenticator(options: {
  adminToken: string;
  allowAnonymous: boolean;
  gateways: GatewayKeys;
  apiKeys: ApiKeyStore;
  jwt: JwtVerifier | undefined;
}): Authenticator {
  const adminDigest = digest(options.adminToken);
  const recorded = new Map<string, number>();
  const recordUse = (keyId: string) => {
    const now = Date.now();
    if (now - (recorded.get(keyId) ?? -Infinity) < KEY_USE_EVERY_MS) return;
    if (recorded.size >= 10_000) for (const [id, at] of recorded) if (now - at >= KEY_USE_EVERY_MS) recorded.delete(id);
    recorded.set(keyId, now);
    // Bookkeeping only: a failed write is tried again at the key's next use.
    options.gateways.recordKeyUse(keyId, new Date(now).toISOString()).catch(() => recorded.delete(keyId));
  };
  return {
    allowAnonymous: options.allowAnonymous,
    async authenticate(token) {
      if (token === undefined || token === '') {
        return options.allowAnonymous ? { ok: true, principal: ANONYMOUS } : { ok: false, reason: 'missing' };
      }
      if (timingSafeEqual(digest(token), adminDigest)) return { ok: true, principal: ADMIN };
      const prefix = prefixOf(token);
      if (prefix) {
        const result = await checkKey(options, token);
        if (result.ok && result.principal.kind === 'gateway') recordUse(result.principal.keyId);
        return result;
      }
      if (options.jwt && looksLikeJwt(token)) return options.jwt(token);
      return { ok: false, reason: 'invalid' };
    },
  };
}

async function checkKey(stores: { gateways: GatewayKeys; apiKeys: ApiKeyStore }, token: string): Promise<Authentication> {
  const parsed = parseKey(token);
  if (!parsed) return { ok: false, reason: 'invalid', detail: 'malformed key' };
  if (parsed.prefix === 'hgw') {
    const record = await stores.gateways.getKey(parsed.id);
    if (!record || !secretMatches(record.secretHash, parsed.secret)) return { ok: false, reason: 'invalid', detail: 'unknown key' };
    if (record.revokedAt !== null) return { ok: false, reason: 'revoked', principalId: gatewayPrincipalId(record.gatewayId) };
    return { ok: true, principal: gatewayPrincipal(record.gatewayId, record.id) };
  }
  const record = await stores.apiKeys.get(parsed.id);
  if (!record || !secretMatches(record.secretHash, parsed.secret)) return { ok: false, reason: 'invalid', detail: 'unknown key' };
  const id = servicePrincipalId(record.id);
  if (record.revokedAt !== null) return { ok: false, reason: 'revoked', principalId: id };
  return { ok: true, principal: Object.freeze({ kind: 'service', id, keyId: record.id, name: record.name, scopes: new Set(record.scopes) }) };
}

/**
 * Whether the key a principal authenticated with still holds: the closing
 * for a session of a key revoked (or a gateway deleted) since, else
 * undefined. Tokens and the admin token are not revoked this way (a token
 * ends at its `exp`).
 */
export function createCredentialCheck(stores: { gateways: GatewayKeys; apiKeys: ApiKeyStore }): (principal: Principal) => Promise<Closing | undefined> {
  return async (principal) => {
    switch (principal.kind) {
      case 'gateway': {
        // Deleting a gateway deletes its keys.
        const key = await stores.gateways.getKey(principal.keyId);
        if (!key) return Closings.gatewayDeleted;
        return key.revokedAt === null ? undefined : Closings.gatewayKeyRevoked;
      }
      case 'service': {
        const key = await stores.apiKeys.get(principal.keyId);
        return key && key.revokedAt === null ? undefined : Closings.keyRevoked;
      }
      case 'admin':
      case 'anonymous':
      case 'user':
        return undefined;
    }
  };
}

/** Extracts the token of an `Authorization: Bearer <token>` header value. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : header; // malformed: kept, so it is refused as invalid rather than read as absent
}
