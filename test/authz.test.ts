import { beforeAll, describe, expect, it } from 'vitest';
import { createTask, gql, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient, type TaskEventResult } from './helpers/client.js';
import { registerGateway } from './helpers/gateways.js';
import { JWT_SECRET, serviceKey, userToken } from './helpers/tokens.js';
import { useHerald } from './helpers/servers.js';

/** Every role against every guarded field, in production mode. */
describe('authorization', () => {
  const tokens: Record<string, string> = {};

  const herald = useHerald({ NODE_ENV: 'production', JWT_SECRET });
  beforeAll(async () => {
    tokens.writer = (await serviceKey(herald.url, ['tasks:write', 'tasks:read'])).secret;
    tokens.reader = (await serviceKey(herald.url, ['tasks:read'])).secret;
    tokens.deployer = (await serviceKey(herald.url, ['deploy:write'])).secret;
    tokens.gatewayAdmin = (await serviceKey(herald.url, ['gateways:admin'])).secret;
    tokens.monitor = (await serviceKey(herald.url, ['stats:read'])).secret;
    tokens.nothing = (await serviceKey(herald.url, [])).secret;
    tokens.user = await userToken({ sub: 'ana', repos: ['team-a', 'team-b'], scopes: 'tasks:write' }, { expiresIn: '10m' });
    tokens.gateway = (await registerGateway(herald.url, 'authz-edge')).apiKey;
    await createTask(herald.url, 'team-a', 'seed a');
    await createTask(herald.url, 'team-c', 'seed c');
  });

  const code = async (query: string, token: string, variables: Record<string, unknown> = {}) => {
    const { status, body } = await gql(herald.url, query, variables, token);
    expect(status).toBe(200);
    return body.errors ? (body.errors[0]!.extensions?.code as string) : 'OK';
  };

  const gatewayId = async () => (await gqlOk(herald.url, '{ gateways { id } }')).gateways[0].id as string;

  const fields: Array<[string, () => Promise<[string, Record<string, unknown>]>, string[]]> = [
    ['createTask in team-a', async () => ['mutation { createTask(input: { repository: "team-a", title: "t" }) { id } }', {}], ['writer', 'user']],
    ['tasks of team-a', async () => ['{ tasks(repository: "team-a") { id } }', {}], ['writer', 'reader', 'user']],
    ['tasks of team-c', async () => ['{ tasks(repository: "team-c") { id } }', {}], ['writer', 'reader']],
    ['stats', async () => ['{ stats { mode } }', {}], ['monitor']],
    ['connections', async () => ['{ connections { id } }', {}], ['monitor']],
    ['gateways', async () => ['{ gateways { id } }', {}], ['gatewayAdmin']],
    ['registerGateway', async () => ['mutation { registerGateway(input: { name: "g" }) { apiKey } }', {}], ['gatewayAdmin']],
    [
      'deployApiRevision',
      async () => ['mutation ($g: [ID!]!) { deployApiRevision(input: { apiId: "a", revisionId: "r", vhost: "h.example.com", gatewayIds: $g }) { id } }', { g: [await gatewayId()] }],
      ['deployer'],
    ],
    ['apiKeys', async () => ['{ apiKeys { id } }', {}], []],
    ['createApiKey', async () => ['mutation { createApiKey(input: { name: "x", scopes: [] }) { secret } }', {}], []],
    ['broadcast', async () => ['mutation { broadcast(message: "hi") }', {}], []],
  ];
  const roles = ['writer', 'reader', 'deployer', 'gatewayAdmin', 'monitor', 'nothing', 'user', 'gateway'];

  it.each(fields)('%s: allowed for exactly the roles that hold the right, FORBIDDEN for the rest', async (_field, make, allowed) => {
    const [query, variables] = await make();
    const outcome: Record<string, string> = {};
    for (const role of roles) outcome[role] = await code(query, tokens[role]!, variables);
    const expected = Object.fromEntries(roles.map((r) => [r, allowed.includes(r) ? 'OK' : 'FORBIDDEN']));
    expect(outcome).toEqual(expected);
    expect(await code(query, 'test-admin-token-0123456789', variables)).toBe('OK');
  });

  it('names the repository a caller may not read, rather than filtering it out', async () => {
    const { body } = await gql(herald.url, '{ tasks(repository: "team-c") { id } }', {}, tokens.user);
    expect(body.errors![0]).toMatchObject({ message: 'Not allowed to read repository team-c', extensions: { code: 'FORBIDDEN', repository: 'team-c' } });
    const task = await createTask(herald.url, 'team-c', 'hidden');
    const single = await gql(herald.url, 'query ($id: ID!) { task(id: $id) { id } }', { id: task.id }, tokens.user);
    expect(single.body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', repository: 'team-c' });
    const write = await gql(herald.url, 'mutation ($id: ID!) { deleteTask(id: $id) { id } }', { id: task.id }, tokens.user);
    expect(write.body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', repository: 'team-c' });
  });

  it('refuses a subscription naming an unreadable repository, and reads "*" as every readable one', async () => {
    const client = wsClient(herald.wsUrl, { connectionParams: { authorization: `Bearer ${tokens.user}` } });
    const refused = record(client, TASK_EVENTS, { repositories: ['team-a', 'team-c'] });
    await refused.ended;
    expect(JSON.stringify(refused.errors)).toContain('Not allowed to read repository team-c');

    const all = record<TaskEventResult>(client, TASK_EVENTS, { repositories: ['*'] });
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'team-c', 'not for ana');
    await createTask(herald.url, 'team-a', 'for ana 1');
    await createTask(herald.url, 'team-b', 'for ana 2');
    const got = await all.waitForCount(2);
    expect(got.map((e) => e.task!.title)).toEqual(['for ana 1', 'for ana 2']);
    await client.dispose();
  });

  it('refuses anonymous callers in production', async () => {
    expect((await gql(herald.url, '{ stats { mode } }', {}, null)).status).toBe(401);
  });

  it('hides the schema from non-admins in production', async () => {
    const introspect = '{ __schema { queryType { name } } }';
    expect((await gql(herald.url, introspect, {}, tokens.monitor)).body.errors![0]!.message).toMatch(/introspection/i);
    expect((await gqlOk(herald.url, introspect)).__schema.queryType.name).toBe('Query');
  });
});
