import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createTask, gql, gqlOk, waitForStatus, waitForSubscriptions } from './helpers/client.js';
import type { HeraldProcess } from './helpers/herald.js';
import { openAcked, type RawSocket } from './helpers/raw-ws.js';
import { startReceiver } from './helpers/receiver.js';
import { useCluster } from './helpers/servers.js';
import { openSse } from './helpers/sse.js';
import { JWT_SECRET, serviceKey, userToken } from './helpers/tokens.js';

const TASK_EVENTS = 'subscription ($r: [String!]!) { taskEvents(repositories: $r) { type task { title } } }';
const REGISTER = 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }';
const REVOKE = 'mutation ($id: ID!) { revokeApiKey(id: $id) { id } }';
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** A WebSocket of the key, subscribed to the repository. */
async function subscribedSocket(wsUrl: string, secret: string, repository: string): Promise<RawSocket> {
  const raw = await openAcked(wsUrl, auth(secret));
  raw.send({ id: '1', type: 'subscribe', payload: { query: TASK_EVENTS, variables: { r: [repository] } } });
  return raw;
}

describe('revoking a key ends every session it holds, on every instance', () => {
  const cluster = useCluster(2, { PUSH_LEADER_TTL_MS: '1000', PUSH_RETRY_BASE_MS: '20', PUSH_RETRY_MAX_MS: '100', JWT_SECRET });
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];

  it('closes its WebSockets (4403), ends its SSE streams with FORBIDDEN and deregisters its push endpoints, within a second', async () => {
    const { secret, apiKey } = await serviceKey(a.url, ['tasks:read', 'cli:register']);
    const revokedHook = await startReceiver();
    // The admin's endpoint on the same repository: while it keeps getting events, pushing goes on.
    const witnessHook = await startReceiver();
    const ws = await subscribedSocket(b.wsUrl, secret, 'revoked');
    const sse = await openSse(b.url, TASK_EVENTS, { r: ['revoked'] }, secret);
    const watcher = await openSse(b.url, TASK_EVENTS, { r: ['revoked'] });
    // Counted before the push registrations: the push leader's workers, on either instance, subscribe too.
    await waitForSubscriptions(b.url, 3);
    await gqlOk(a.url, REGISTER, { input: { callbackUrl: revokedHook.url, repositories: ['revoked'], clientVersion: '1.0.0' } }, secret);
    await gqlOk(a.url, REGISTER, { input: { callbackUrl: witnessHook.url, repositories: ['revoked'], clientVersion: '1.0.0' } });

    await createTask(a.url, 'revoked', 'before');
    await ws.next((m) => m.type === 'next');
    await sse.waitForCount(1);
    await revokedHook.until(() => revokedHook.posts().length === 1);
    await witnessHook.until(() => witnessHook.posts().length === 1);

    const revokedAt = Date.now();
    await gqlOk(a.url, REVOKE, { id: apiKey.id });
    expect(await ws.closed).toEqual({ code: 4403, reason: 'Forbidden: key revoked' });
    await sse.ended;
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    expect(sse.values.at(-1)).toEqual({ errors: [{ message: 'Forbidden: key revoked', extensions: { code: 'FORBIDDEN' } }] });
    expect(sse.events.at(-1)!.event).toBe('complete');

    const { cliEndpoints } = await gqlOk(b.url, '{ cliEndpoints { callbackUrl } }');
    expect(cliEndpoints).toEqual([{ callbackUrl: witnessHook.url }]);
    for (const title of ['after', 'later']) await createTask(b.url, 'revoked', title);
    await watcher.waitForCount(3);
    await witnessHook.until(() => witnessHook.posts().length === 3);
    expect(revokedHook.posts().map((p) => JSON.parse(p.body).payload.task.title)).toEqual(['before']);
    // The revoked key gets nowhere any more.
    expect((await gql(b.url, '{ tasks(repository: "revoked") { id } }', {}, secret)).status).toBe(403);
    watcher.close();
    await Promise.all([revokedHook.close(), witnessHook.close()]);
  });

  it('does not take push registrations from a user token, which cannot be revoked', async () => {
    const token = await userToken({ sub: 'ana', repos: ['mine'], scopes: ['cli:register'] }, { expiresIn: '10m' });
    const { body } = await gql(a.url, REGISTER, { input: { callbackUrl: 'http://127.0.0.1:9/hook', repositories: ['mine'], clientVersion: '1.0.0' } }, token);
    expect(body.errors![0]).toMatchObject({ message: 'CLI push registrations need an API key (with cli:register), not a user token', extensions: { code: 'FORBIDDEN' } });
  });
});

describe('a revocation an instance did not hear', () => {
  const cluster = useCluster(2);
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];

  it('still ends the sessions of the key within a few seconds', async () => {
    const { secret, apiKey } = await serviceKey(a.url, ['tasks:read']);
    const ws = await subscribedSocket(b.wsUrl, secret, 'unheard');
    const sse = await openSse(b.url, TASK_EVENTS, { r: ['unheard'] }, secret);
    await waitForSubscriptions(b.url, 2);

    // Every pub/sub connection is killed and kept from reconnecting while the key is revoked,
    // so the revocation's announcement reaches no instance.
    const redis = new Redis(cluster.redis.url);
    try {
      await redis.config('SET', 'maxclients', '1');
      await redis.client('KILL', 'TYPE', 'pubsub');
      await waitForStatus(`${b.origin}/ready`, 503);
      await waitForStatus(`${a.origin}/ready`, 503);
      const revokedAt = Date.now();
      await gqlOk(a.url, REVOKE, { id: apiKey.id });
      await redis.config('SET', 'maxclients', '10000');

      const ended = await Promise.race([Promise.all([ws.closed, sse.ended]), new Promise((resolve) => setTimeout(resolve, 10_000, 'still open'))]);
      expect(ended).not.toBe('still open');
      expect(await ws.closed).toEqual({ code: 4403, reason: 'Forbidden: key revoked' });
      expect(sse.values.at(-1)).toEqual({ errors: [{ message: 'Forbidden: key revoked', extensions: { code: 'FORBIDDEN' } }] });
      expect(Date.now() - revokedAt).toBeLessThan(5_000);
      await waitForStatus(`${b.origin}/ready`, 200);
    } finally {
      await redis.config('SET', 'maxclients', '10000');
      redis.disconnect();
    }
  });
});
