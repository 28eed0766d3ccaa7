import { describe, expect, it } from 'vitest';
import { CREATE_TASK, gqlOk } from './helpers/client.js';
import { useHerald } from './helpers/servers.js';
import { JWT_SECRET, userToken } from './helpers/tokens.js';

describe('idempotency keys are per caller', () => {
  const herald = useHerald({ NODE_ENV: 'production', JWT_SECRET }, { redis: true });

  it('never answers one user with the result another user got, however their ids and keys line up', async () => {
    // Subjects may hold ':'. Joined as operation:principal:key, both calls were createTask:user:a:b:c.
    const first = await userToken({ sub: 'a', repos: ['team-a'], scopes: ['tasks:read', 'tasks:write'] }, { expiresIn: '5m' });
    const second = await userToken({ sub: 'a:b', repos: ['team-b'], scopes: ['tasks:read', 'tasks:write'] }, { expiresIn: '5m' });
    const made = await gqlOk(herald.url, CREATE_TASK, { input: { repository: 'team-a', title: 'secret plan', idempotencyKey: 'b:c' } }, first);
    const other = await gqlOk(herald.url, CREATE_TASK, { input: { repository: 'team-b', title: 'own task', idempotencyKey: 'c' } }, second);
    expect(other.createTask).toMatchObject({ repository: 'team-b', title: 'own task' });
    expect(other.createTask.id).not.toBe(made.createTask.id);
    // A repeat by the same caller is still answered with its first result.
    const repeat = await gqlOk(herald.url, CREATE_TASK, { input: { repository: 'team-b', title: 'own task', idempotencyKey: 'c' } }, second);
    expect(repeat.createTask.id).toBe(other.createTask.id);
  });
});
