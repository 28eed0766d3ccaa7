import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatewayStore } from '../store/gateways.js';
import { looksLikeGatewayKey, parseGatewayKey, secretMatches } from './gateway-keys.js';
import { ADMIN, ANONYMOUS, gatewayPrincipal, type Authentication } from './principal.js';

export type Authenticator = {
  /** Checks a bearer token (without the `Bearer ` prefix); undefined means none was given. */
  authenticate(token: string | undefined): Promise<Authentication>;
  /** Whether a caller without credentials may proceed (development mode only). */
  readonly allowAnonymous: boolean;
};

// Comparing fixed-length digests keeps the comparison constant-time whatever the token's length.
const digest = (value: string) => createHash('sha256').update(value).digest();

export function createAuthenticator(options: { adminToken: string; allowAnonymous: boolean; gateways: GatewayStore }): Authenticator {
  const adminDigest = digest(options.adminToken);
  return {
    allowAnonymous: options.allowAnonymous,
    async authenticate(token) {
      if (token === undefined || token === '') {
        return options.allowAnonymous ? { ok: true, principal: ANONYMOUS } : { ok: false, reason: 'missing' };
      }
      if (timingSafeEqual(digest(token), adminDigest)) return { ok: true, principal: ADMIN };
      if (looksLikeGatewayKey(token)) return authenticateGateway(options.gateways, token);
      return { ok: false, reason: 'invalid' };
    },
  };
}

async function authenticateGateway(gateways: GatewayStore, token: string): Promise<Authentication> {
  const parsed = parseGatewayKey(token);
  if (!parsed) return { ok: false, reason: 'invalid' };
  const record = await gateways.getKey(parsed.keyId);
  if (!record || !secretMatches(record, parsed.secret)) return { ok: false, reason: 'invalid' };
  if (record.revokedAt !== null) return { ok: false, reason: 'revoked', gatewayId: record.gatewayId };
  return { ok: true, principal: gatewayPrincipal(record.gatewayId, record.id) };
}

/** Extracts the token of an `Authorization: Bearer <token>` header value. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : header; // malformed: kept, so it is refused as invalid rather than read as absent
}
