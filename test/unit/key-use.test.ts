import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { createMemoryApiKeyStore } from '../../src/auth/api-keys.memory.js';
import { issueKey } from '../../src/auth/secret-keys.js';
import { buildGateway } from '../../src/gateways/model.js';
import { createMemoryGatewayStore } from '../../src/gateways/store.memory.js';

describe('recording when a gateway key was last used', () => {
  it('writes at most once a minute per key however often it authenticates', async () => {
    const gateways = createMemoryGatewayStore();
    const writes: string[] = [];
    const counted = { ...gateways, recordKeyUse: (keyId: string, at: string) => (writes.push(keyId), gateways.recordKeyUse(keyId, at)) };
    await gateways.create(buildGateway('g', { name: 'edge' }, new Date().toISOString()));
    const [one, two] = [issueKey('hgw'), issueKey('hgw')];
    for (const key of [one, two]) await gateways.addKey({ id: key.id, gatewayId: 'g', secretHash: key.secretHash, createdAt: new Date().toISOString(), revokedAt: null });
    const authenticator = createAuthenticator({ adminToken: 'admin-token-0123456789', allowAnonymous: false, gateways: counted, apiKeys: createMemoryApiKeyStore(), jwt: undefined });

    for (let i = 0; i < 5; i++) expect((await authenticator.authenticate(one.token)).ok).toBe(true);
    await authenticator.authenticate(two.token);
    expect(writes).toEqual([one.id, two.id]);
    const keys = await gateways.keys('g');
    expect(keys.every((k) => k.lastUsedAt !== null)).toBe(true);
    // A refused key is not a use.
    await gateways.revokeKey('g', two.id, new Date().toISOString());
    expect((await authenticator.authenticate(two.token)).ok).toBe(false);
    expect(writes).toEqual([one.id, two.id]);
  });
});
