import { describe, expect, it } from 'vitest';
import { createMemoryApiKeyStore } from '../../src/auth/api-keys.memory.js';
import { createCredentialCheck } from '../../src/auth/authenticator.js';
import type { Principal } from '../../src/auth/principal.js';
import { servicePrincipalId } from '../../src/auth/principal.js';
import { issueKey } from '../../src/auth/secret-keys.js';
import { createMemoryBus } from '../../src/events/bus.memory.js';
import { createMemoryGatewayStore } from '../../src/gateways/store.memory.js';
import { createPushRegistrations } from '../../src/push/registrations.js';
import { createMemoryCliStore } from '../../src/push/store.memory.js';

describe('a push registration whose key is revoked while it is being made', () => {
  it('is not kept: the request is FORBIDDEN and nothing is pushed to it', async () => {
    const apiKeys = createMemoryApiKeyStore();
    const cli = createMemoryCliStore();
    const issued = issueKey('hk');
    await apiKeys.create({ id: issued.id, name: 'ci', scopes: ['cli:register', 'tasks:read'], secretHash: issued.secretHash, createdAt: new Date().toISOString(), revokedAt: null });
    // The request authenticated with the key ...
    const principal: Principal = { kind: 'service', id: servicePrincipalId(issued.id), keyId: issued.id, name: 'ci', scopes: new Set(['cli:register', 'tasks:read']) };
    // ... and the key was revoked (finding no registration to deregister) before the registration was stored.
    await apiKeys.revoke(issued.id, new Date().toISOString());

    const registrations = createPushRegistrations({
      store: cli,
      bus: createMemoryBus(),
      urlPolicy: { allowedHosts: [], allowHttp: true, allowLoopback: true },
      minCliVersion: undefined,
      maxPerOwner: 10,
      poke: () => {},
      isPushing: () => true,
      credentialCheck: createCredentialCheck({ gateways: createMemoryGatewayStore(), apiKeys }),
      audit: () => {},
    });
    await expect(registrations.register(principal, { callbackUrl: 'http://127.0.0.1:9/hook', repositories: ['app'], clientVersion: '1.0.0' })).rejects.toMatchObject({
      message: 'Forbidden: key revoked',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await cli.list()).toEqual([]);
  });
});
