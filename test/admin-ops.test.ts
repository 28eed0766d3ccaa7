import { afterAll, describe, expect, it } from 'vitest';
import { gqlOk, record, TASK_EVENTS, wsClient } from './helpers/client.js';
import type { HeraldProcess } from './helpers/herald.js';
import { openAcked, type RawSocket } from './helpers/raw-ws.js';
import { serviceKey } from './helpers/tokens.js';
import { until } from './helpers/wait.js';
import { useCluster } from './helpers/servers.js';

type ConnectionRow = { id: string; instanceId: string; principalKind: string; clientName: string | null; subscriptions: number; systemMessages: boolean };

describe('operating connections across instances', () => {
  const sockets: RawSocket[] = [];

  const cluster = useCluster(2, { CLUSTER_REPORT_INTERVAL_MS: '200' });
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];
  afterAll(async () => {
    for (const s of sockets) s.socket.terminate();
  });

  const open = async (server: HeraldProcess, payload: Record<string, unknown>) => {
    const socket = await openAcked(server.wsUrl, payload);
    sockets.push(socket);
    return socket;
  };
  const listConnections = (filter: Record<string, unknown> = {}, first?: number, after?: string) =>
    gqlOk(
      a.url,
      'query ($f: ConnectionFilter, $first: Int, $after: ID) { connections(filter: $f, first: $first, after: $after) { id instanceId principalKind clientName heartbeatRttMs eventsDropped subscriptions systemMessages } }',
      { f: filter, first, after },
    ).then((d) => d.connections as ConnectionRow[]);

  it('closes the connections of a revoked API key on another instance within a second', async () => {
    const key = await serviceKey(a.url, ['tasks:read'], 'doomed-service');
    const socket = await open(b, { authorization: `Bearer ${key.secret}` });
    const revokedAt = Date.now();
    const { revokeApiKey } = await gqlOk(a.url, 'mutation ($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }', { id: key.apiKey.id });
    expect(revokeApiKey.revokedAt).not.toBeNull();
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Forbidden: key revoked' });
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    const { apiKeys } = await gqlOk(a.url, '{ apiKeys { id name scopes revokedAt } }');
    expect(apiKeys).toContainEqual({ id: key.apiKey.id, name: 'doomed-service', scopes: ['tasks:read'], revokedAt: revokeApiKey.revokedAt });
    // The secret is everything after the key id; base64url may itself hold underscores.
    expect(JSON.stringify(apiKeys)).not.toContain(/^hk_[0-9A-Z]{26}_(.+)$/.exec(key.secret)![1]);
  });

  it('lists the connections of every instance, filtered and paged', async () => {
    await open(a, { clientName: 'dash-a' });
    await open(b, { clientName: 'dash-b' });
    await open(b, { clientName: 'cli' });
    const all = await until(() => listConnections({ kind: 'anonymous' }), (rows) => rows.length === 3, 'three anonymous connections');
    expect(all.map((c) => [c.instanceId, c.clientName]).sort()).toEqual([['a', 'dash-a'], ['b', 'cli'], ['b', 'dash-b']]);
    expect((await listConnections({ clientName: 'cli' })).map((c) => c.instanceId)).toEqual(['b']);
    const page1 = await listConnections({ kind: 'anonymous' }, 2);
    const page2 = await listConnections({ kind: 'anonymous' }, 2, page1[1]!.id);
    expect([...page1, ...page2].map((c) => c.id)).toEqual(all.map((c) => c.id));
  });

  it('disconnects a connection held by another instance with 4000 and the reason', async () => {
    const target = await open(b, { clientName: 'to-disconnect' });
    const row = (await until(() => listConnections({ clientName: 'to-disconnect' }), (rows) => rows.length === 1, 'the cluster view'))[0]!;
    const { disconnect } = await gqlOk(a.url, 'mutation ($id: ID!) { disconnect(connectionId: $id, reason: "maintenance") }', { id: row.id });
    expect(disconnect).toBe(true);
    expect(await target.closed).toEqual({ code: 4000, reason: 'Disconnected by an administrator: maintenance' });
  });

  it('cuts a long reason to what a close frame holds (123 bytes), whatever its characters', async () => {
    const target = await open(b, { clientName: 'to-disconnect-long' });
    const row = (await until(() => listConnections({ clientName: 'to-disconnect-long' }), (rows) => rows.length === 1, 'the cluster view'))[0]!;
    const { disconnect } = await gqlOk(a.url, 'mutation ($id: ID!, $r: String) { disconnect(connectionId: $id, reason: $r) }', { id: row.id, r: 'é'.repeat(200) });
    expect(disconnect).toBe(true);
    const closed = await target.closed;
    expect(closed.code).toBe(4000);
    expect(closed.reason).toMatch(/^Disconnected by an administrator: é+$/);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect((await gqlOk(b.url, '{ stats { mode } }')).stats.mode).toBeTruthy();
  });

  it('sends a message to one connection and a broadcast to all, across instances', async () => {
    const query = 'subscription { systemMessages { kind message } }';
    const onB = wsClient(b.wsUrl, { connectionParams: { clientName: 'listener-b' } });
    const onA = wsClient(a.wsUrl, { connectionParams: { clientName: 'listener-a' } });
    const fromB = record<{ kind: string; message: string }>(onB, query, {}, 'systemMessages');
    const fromA = record<{ kind: string; message: string }>(onA, query, {}, 'systemMessages');
    // notifyConnection answers from the cluster view: wait until it shows the subscription.
    const rowB = (await until(() => listConnections({ clientName: 'listener-b' }), (r) => r.length === 1 && r[0]!.systemMessages, 'listener-b'))[0]!;
    await until(() => gqlOk(b.url, '{ stats { subscriptions } }'), (d) => d.stats.subscriptions >= 1, 'a subscription on b');
    await until(() => gqlOk(a.url, '{ stats { subscriptions } }'), (d) => d.stats.subscriptions >= 1, 'a subscription on a');

    expect((await gqlOk(a.url, 'mutation ($id: ID!) { notifyConnection(connectionId: $id, message: "just you") }', { id: rowB.id })).notifyConnection).toBe(true);
    expect(await fromB.waitForCount(1)).toEqual([{ kind: 'DIRECT', message: 'just you' }]);
    await gqlOk(a.url, 'mutation { broadcast(message: "everyone") }');
    expect(await fromB.waitForCount(2)).toEqual([{ kind: 'DIRECT', message: 'just you' }, { kind: 'BROADCAST', message: 'everyone' }]);
    expect(await fromA.waitForCount(1)).toEqual([{ kind: 'BROADCAST', message: 'everyone' }]);
    await onA.dispose();
    await onB.dispose();
  });

  it('answers notifyConnection with false for a connection without a systemMessages subscription, whichever instance holds it', async () => {
    const client = wsClient(b.wsUrl, { connectionParams: { clientName: 'no-system-messages' } });
    const tasks = record(client, TASK_EVENTS, { repositories: ['quiet'] });
    const row = (await until(() => listConnections({ clientName: 'no-system-messages' }), (r) => r.length === 1 && r[0]!.subscriptions === 1, 'its taskEvents subscription'))[0]!;
    expect(row.systemMessages).toBe(false);
    const notify = (server: HeraldProcess, id: string) =>
      gqlOk(server.url, 'mutation ($id: ID!) { notifyConnection(connectionId: $id, message: "anyone there?") }', { id }).then((d) => d.notifyConnection as boolean);
    expect(await notify(a, row.id)).toBe(false);
    expect(await notify(b, row.id)).toBe(false);
    expect(await notify(a, '01NOSUCHCONNECTION0000000')).toBe(false);

    const messages = record<{ kind: string; message: string }>(client, 'subscription { systemMessages { kind message } }', {}, 'systemMessages');
    await until(() => listConnections({ clientName: 'no-system-messages' }), (r) => r[0]!.systemMessages, 'its systemMessages subscription');
    expect(await notify(a, row.id)).toBe(true);
    expect(await messages.waitForCount(1)).toEqual([{ kind: 'DIRECT', message: 'anyone there?' }]);
    tasks.dispose();
    await client.dispose();
  });

  it('drops the connections of an instance that dies', async () => {
    await open(b, { clientName: 'orphan' });
    await until(() => listConnections({ clientName: 'orphan' }), (rows) => rows.length === 1, 'the orphan connection');
    b.kill('SIGKILL');
    await b.exited;
    await until(() => listConnections(), (rows) => rows.every((c) => c.instanceId === 'a'), 'only a to remain');
  });
});
