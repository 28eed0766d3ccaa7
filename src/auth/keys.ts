import { notFound } from '../errors.js';
import { parseId, parseInput } from '../input.js';
import type { Audit } from '../log.js';
import { Closings } from '../sessions/close-codes.js';
import type { EndSessions } from '../sessions/revocation.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-keys.js';
import { createApiKeyInput } from './input.js';
import { servicePrincipalId, type Principal } from './principal.js';
import { issueKey } from './secret-keys.js';

export type ApiKeyService = ReturnType<typeof createApiKeyService>;

/** Service API keys: issued with a secret shown once, revoked with every session they hold ended everywhere. */
export function createApiKeyService(deps: { store: ApiKeyStore; endSessions: EndSessions; audit: Audit }) {
  const { store, endSessions, audit } = deps;
  return {
    list: () => store.list(),

    async create(principal: Principal, rawInput: unknown): Promise<{ apiKey: ApiKeyRecord; secret: string }> {
      const input = parseInput(createApiKeyInput, rawInput);
      const key = issueKey('hk');
      const record = await store.create({
        id: key.id,
        name: input.name,
        scopes: [...new Set(input.scopes)],
        secretHash: key.secretHash,
        createdAt: new Date().toISOString(),
        revokedAt: null,
      });
      audit({ action: 'createApiKey', principal: principal.id, keyId: record.id, scopes: record.scopes });
      return { apiKey: record, secret: key.token };
    },

    async revoke(principal: Principal, rawId: string | number): Promise<ApiKeyRecord> {
      const id = parseId(rawId, 'id');
      const record = await store.revoke(id, new Date().toISOString());
      if (!record) throw notFound('API key', id);
      await endSessions({ principalId: servicePrincipalId(record.id) }, Closings.keyRevoked);
      audit({ action: 'revokeApiKey', principal: principal.id, keyId: record.id });
      return record;
    },
  };
}
