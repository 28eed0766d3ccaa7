import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '../ids.js';

/**
 * Secret keys: `<prefix>_<keyId>_<secret>`. The key id finds the record; only
 * a SHA-256 of the secret is stored. A fast hash is enough because the secret
 * is 256 random bits, not a password a person chose. Prefixes tell the kinds
 * apart: `hgw` gateway keys, `hk` service API keys.
 */
export type KeyPrefix = 'hgw' | 'hk';

export type IssuedKey = { readonly token: string; readonly id: string; readonly secretHash: string };

export function issueKey(prefix: KeyPrefix): IssuedKey {
  const id = newId();
  const secret = randomBytes(32).toString('base64url');
  return { token: `${prefix}_${id}_${secret}`, id, secretHash: hashOf(secret) };
}

const PATTERN = /^(hgw|hk)_([0-9A-Z]{26})_([A-Za-z0-9_-]{43})$/;

/** The prefix a token claims, whether or not it is well formed. */
export function prefixOf(token: string): KeyPrefix | undefined {
  return token.startsWith('hgw_') ? 'hgw' : token.startsWith('hk_') ? 'hk' : undefined;
}

export function parseKey(token: string): { prefix: KeyPrefix; id: string; secret: string } | undefined {
  const match = PATTERN.exec(token);
  return match ? { prefix: match[1] as KeyPrefix, id: match[2]!, secret: match[3]! } : undefined;
}

export function secretMatches(secretHash: string, secret: string): boolean {
  const stored = Buffer.from(secretHash, 'hex');
  const given = hash('sha256', secret, 'buffer');
  return stored.length === given.length && timingSafeEqual(stored, given);
}

const hashOf = (secret: string) => hash('sha256', secret, 'hex');
