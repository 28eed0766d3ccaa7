import { expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../src/auth/api-keys.js';
import { createMemoryApiKeyStore } from '../../src/auth/api-keys.memory.js';
import { createRedisApiKeyStore } from '../../src/auth/api-keys.redis.js';
import type { Scope } from '../../src/auth/scopes.js';
import { contract } from './backends.js';

const apiKey = (id: string, scopes: readonly Scope[] = ['tasks:read', 'tasks:write']): ApiKeyRecord => ({
  id,
  name: `service ${id}`,
  scopes,
  secretHash: `sha256-of-${id}`,
  createdAt: '2026-01-01T00:00:00.000Z',
  revokedAt: null,
});

contract('ApiKeyStore', { memory: createMemoryApiKeyStore, redis: createRedisApiKeyStore }, (make) => {
  it('creates and gets a key; an unknown id is null', async () => {
    const store = await make();
    const key = apiKey('01K', ['deploy:write', 'gateways:admin', 'stats:read']);
    expect(await store.create(key)).toEqual(key);
    expect(await store.get('01K')).toEqual(key);
    expect(await store.get('unknown')).toBeNull();
  });

  it('lists every key, in creation order when ids sort by creation', async () => {
    const store = await make();
    expect(await store.list()).toEqual([]);
    const keys = ['01A', '01B', '01C'].map((id) => apiKey(id));
    for (const key of keys) await store.create(key);
    expect(await store.list()).toEqual(keys);
  });

  // Ids are ULIDs: two made in the same millisecond need not sort in the order they were made.
  it('lists keys sorted by id whatever order they were created in', async () => {
    const store = await make();
    for (const id of ['01C', '01A', '01B']) await store.create(apiKey(id));
    expect((await store.list()).map((k) => k.id)).toEqual(['01A', '01B', '01C']);
  });

  it('revokes a key once: revoking again keeps the first time', async () => {
    const store = await make();
    await store.create(apiKey('k'));
    await store.create(apiKey('other'));
    const revoked = { ...apiKey('k'), revokedAt: '2026-02-01T00:00:00.000Z' };
    expect(await store.revoke('k', '2026-02-01T00:00:00.000Z')).toEqual(revoked);
    expect(await store.get('k')).toEqual(revoked);
    expect(await store.revoke('k', '2026-03-01T00:00:00.000Z')).toEqual(revoked);
    expect(await store.get('k')).toEqual(revoked);
    expect(await store.get('other')).toEqual(apiKey('other'));
    expect(await store.list()).toContainEqual(revoked);
  });

  it('revokes nothing for an unknown key', async () => {
    const store = await make();
    expect(await store.revoke('unknown', '2026-02-01T00:00:00.000Z')).toBeNull();
    expect(await store.get('unknown')).toBeNull();
    expect(await store.list()).toEqual([]);
  });

  it('keeps an empty scope list as an empty list, revoked or not', async () => {
    const store = await make();
    await store.create(apiKey('none', []));
    expect(await store.get('none')).toEqual(apiKey('none', []));
    expect((await store.revoke('none', '2026-02-01T00:00:00.000Z'))?.scopes).toEqual([]);
    expect(await store.get('none')).toEqual({ ...apiKey('none', []), revokedAt: '2026-02-01T00:00:00.000Z' });
    expect((await store.list())[0]?.scopes).toEqual([]);
  });
});
