import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ulid } from 'ulid';

/**
 * Gateway API keys: `hgw_<keyId>_<secret>`. The key id finds the record; only
 * a SHA-256 of the secret is stored. A fast hash is enough because the secret
 * is 256 random bits, not a password a person chose.
 */
export type GatewayKeyRecord = {
  readonly id: string;
  readonly gatewayId: string;
  readonly secretHash: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
};

const PREFIX = 'hgw_';
const KEY_PATTERN = /^hgw_([0-9A-Z]{26})_([A-Za-z0-9_-]{43})$/;

export function issueGatewayKey(gatewayId: string, now: string): { apiKey: string; record: GatewayKeyRecord } {
  const id = ulid();
  const secret = randomBytes(32).toString('base64url');
  return { apiKey: `${PREFIX}${id}_${secret}`, record: { id, gatewayId, secretHash: hash(secret), createdAt: now, revokedAt: null } };
}

export function parseGatewayKey(token: string): { keyId: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(token);
  return match ? { keyId: match[1]!, secret: match[2]! } : undefined;
}

export const looksLikeGatewayKey = (token: string) => token.startsWith(PREFIX);

export function secretMatches(record: GatewayKeyRecord, secret: string): boolean {
  return timingSafeEqual(Buffer.from(record.secretHash, 'hex'), Buffer.from(hash(secret), 'hex'));
}

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');
