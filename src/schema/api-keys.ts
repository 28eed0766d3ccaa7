import { servicePrincipalId } from '../auth/principal.js';
import { SCOPES } from '../auth/scopes.js';
import { issueKey } from '../auth/secret-keys.js';
import { notFound } from '../errors.js';
import type { ApiKeyRecord } from '../auth/api-keys.js';
import { createApiKeyInput } from '../auth/input.js';
import { parseId, parseInput } from '../validation/parse.js';
import { builder } from './builder.js';

const ApiKeyRef = builder.objectRef<ApiKeyRecord>('ApiKey').implement({
  description: 'A service API key. The secret is never shown again after creation.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    scopes: t.exposeStringList('scopes'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const ApiKeyCreatedRef = builder.objectRef<{ apiKey: ApiKeyRecord; secret: string }>('ApiKeyCreated').implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, resolve: (c) => c.apiKey }),
    secret: t.exposeString('secret', { description: 'The bearer token for this key. Shown once; only a hash is stored.' }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.stringList({ required: true, description: `Any of: ${SCOPES.join(', ')}.` }),
  }),
});

export const REVOKED_KEY = { code: 4403, reason: 'Forbidden: key revoked' } as const;

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: [ApiKeyRef],
    authScopes: { admin: true },
    resolve: (_r, _a, ctx) => ctx.services.apiKeys.list(),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: ApiKeyCreatedRef,
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: async (_r, args, ctx) => {
      const input = parseInput(createApiKeyInput, args.input);
      const key = issueKey('hk');
      const record = await ctx.services.apiKeys.create({
        id: key.id,
        name: input.name,
        scopes: [...new Set(input.scopes)],
        secretHash: key.secretHash,
        createdAt: new Date().toISOString(),
        revokedAt: null,
      });
      ctx.services.audit({ action: 'createApiKey', principal: ctx.principal.id, keyId: record.id, scopes: record.scopes });
      return { apiKey: record, secret: key.token };
    },
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    description: 'Revokes the key and closes its open connections on every instance (4403).',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, args, ctx) => {
      const id = parseId(args.id, 'id');
      const record = await ctx.services.apiKeys.revoke(id, new Date().toISOString());
      if (!record) throw notFound('API key', id);
      await ctx.services.control.send({ kind: 'close-connections', match: { principalId: servicePrincipalId(record.id) }, ...REVOKED_KEY });
      ctx.services.audit({ action: 'revokeApiKey', principal: ctx.principal.id, keyId: record.id });
      return record;
    },
  }),
}));
