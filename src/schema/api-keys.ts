import type { ApiKeyRecord } from '../auth/api-keys.js';
import { SCOPES } from '../auth/scopes.js';
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
    scopes: t.stringList({ required: true, description: `Any of: ${SCOPES.join(', ')}; and channel:<name>:read, channel:<name>:publish, where <name> may be * for every channel.` }),
  }),
});

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
    resolve: (_r, args, ctx) => ctx.services.apiKeys.create(ctx.principal, args.input),
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    description: 'Revokes the key and closes its open connections on every instance (4403).',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => ctx.services.apiKeys.revoke(ctx.principal, args.id),
  }),
}));
