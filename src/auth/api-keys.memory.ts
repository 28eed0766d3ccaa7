import type { ApiKeyRecord, ApiKeyStore } from './api-keys.js';
import { byId } from '../input.js';

export function createMemoryApiKeyStore(): ApiKeyStore {
  const keys = new Map<string, ApiKeyRecord>();
  return {
    async create(key) {
      keys.set(key.id, key);
      return key;
    },
    async get(id) {
      return keys.get(id) ?? null;
    },
    async list() {
      return [...keys.values()].sort(byId);
    },
    async revoke(id, at) {
      const key = keys.get(id);
      if (!key) return null;
      const revoked = key.revokedAt ? key : { ...key, revokedAt: at };
      keys.set(id, revoked);
      return revoked;
    },
  };
}
