import { describe, expect, it } from 'vitest';
import { gql, gqlOk, record, waitForSubscriptions, wsClient } from './helpers/client.js';
import { CHANNEL_EVENTS, type ChannelEventResult } from './helpers/channels.js';
import { ADMIN_TOKEN, type HeraldProcess } from './helpers/herald.js';
import { openAcked } from './helpers/raw-ws.js';
import { useCluster } from './helpers/servers.js';
import { serviceKey } from './helpers/tokens.js';
import { until } from './helpers/wait.js';

const ALERT = 'id channel severity status title details source dedupKey count acknowledgedBy acknowledgeNote resolvedBy';
const RAISE = `mutation ($input: RaiseAlertInput!) { raiseAlert(input: $input) { ${ALERT} } }`;
const ACK = `mutation ($id: ID!, $note: String) { acknowledgeAlert(id: $id, note: $note) { ${ALERT} } }`;
const RESOLVE = `mutation ($id: ID!, $note: String) { resolveAlert(id: $id, note: $note) { ${ALERT} } }`;

type AlertResult = { id: string; status: string; count: number; acknowledgedBy: string | null; [key: string]: unknown };
type AlertEvent = ChannelEventResult & { payload: { alert: AlertResult } };

describe('alerts across two instances on one Redis', () => {
  const cluster = useCluster(2, { CLUSTER_REPORT_INTERVAL_MS: '300' });
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];
  const watch = (server: HeraldProcess) => record<AlertEvent>(wsClient(server.wsUrl), CHANNEL_EVENTS, { channels: ['alerts'] }, 'channelEvents');

  it('raises, counts repeats of a dedupKey, acknowledges and resolves, and every watcher on every instance sees each change', async () => {
    const onA = watch(a);
    const onB = watch(b);
    await Promise.all([waitForSubscriptions(a.url, 1), waitForSubscriptions(b.url, 1)]);
    const input = { severity: 'CRITICAL', title: 'Disk full on db-1', details: { host: 'db-1', free: 0 }, source: 'monitor', dedupKey: 'disk-db-1' };
    const { raiseAlert: raised } = await gqlOk(a.url, RAISE, { input });
    expect(raised).toMatchObject({ channel: 'alerts', severity: 'CRITICAL', status: 'OPEN', count: 1, details: { host: 'db-1', free: 0 } });
    const { raiseAlert: again } = await gqlOk(b.url, RAISE, { input });
    expect(again).toMatchObject({ id: raised.id, count: 2 });

    const responder = await serviceKey(a.url, ['alerts:ack', 'channel:alerts:read'], 'responder');
    const { acknowledgeAlert: acked } = await gqlOk(b.url, ACK, { id: raised.id, note: 'on it' }, responder.secret);
    expect(acked).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgedBy: `key:${responder.apiKey.id}`, acknowledgeNote: 'on it' });
    const { acknowledgeAlert: twice } = await gqlOk(a.url, ACK, { id: raised.id });
    expect(twice).toEqual(acked);
    const { resolveAlert: resolved } = await gqlOk(a.url, RESOLVE, { id: raised.id, note: 'cleaned up' });
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolvedBy: 'admin' });

    for (const watcher of [onA, onB]) {
      const events = await watcher.waitForCount(4);
      expect(events.map((e) => [e.type, e.payload.alert.status, e.payload.alert.count])).toEqual([
        ['alert.raised', 'OPEN', 1],
        ['alert.raised', 'OPEN', 2],
        ['alert.acknowledged', 'ACKNOWLEDGED', 2],
        ['alert.resolved', 'RESOLVED', 2],
      ]);
      expect(events.every((e) => e.priority === 'CRITICAL')).toBe(true);
    }
    const late = await gql(b.url, ACK, { id: raised.id });
    expect(late.body.errors![0]).toMatchObject({ message: `Alert ${raised.id} is resolved: it can no longer be acknowledged`, extensions: { code: 'CONFLICT' } });
    // A new occurrence after it was resolved opens a new alert.
    const { raiseAlert: reopened } = await gqlOk(b.url, RAISE, { input });
    expect(reopened).toMatchObject({ status: 'OPEN', count: 1 });
    expect(reopened.id).not.toBe(raised.id);
    onA.dispose();
    onB.dispose();
  });

  it('lists alerts by status and severity, and needs the right scopes', async () => {
    const { raiseAlert } = await gqlOk(a.url, RAISE, { input: { channel: 'system', severity: 'LOW', title: 'Slow disk' } });
    const { alerts } = await gqlOk(b.url, '{ alerts(status: OPEN, severity: LOW) { id channel } }');
    expect(alerts).toContainEqual({ id: raiseAlert.id, channel: 'system' });
    expect((await gqlOk(b.url, 'query ($id: ID!) { alert(id: $id) { title } }', { id: raiseAlert.id })).alert).toEqual({ title: 'Slow disk' });

    const reader = (await serviceKey(a.url, ['channel:alerts:read'], 'alerts-reader')).secret;
    const refused = await gql(a.url, ACK, { id: raiseAlert.id }, reader);
    expect(refused.body.errors![0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    // It may not read the system channel: the alert is not there for it.
    expect((await gqlOk(a.url, 'query ($id: ID!) { alert(id: $id) { id } }', { id: raiseAlert.id }, reader)).alert).toBeNull();
    expect((await gql(a.url, RAISE, { input: { severity: 'HIGH', title: 'x' } }, reader)).body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN' });
    const unknown = await gql(a.url, ACK, { id: 'NOPE' });
    expect(unknown.body.errors![0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    const bad = await gql(a.url, RAISE, { input: { severity: 'HIGH', title: '  ' } });
    expect(bad.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'title' } });
  });

  it('serves connection management over REST with the same rights and errors', async () => {
    const socket = await openAcked(b.wsUrl, { authorization: `Bearer ${ADMIN_TOKEN}`, clientName: 'rest-target' });
    socket.send({ id: 'm', type: 'subscribe', payload: { query: 'subscription { systemMessages { kind message } }' } });
    const rest = (path: string, init: RequestInit = {}, token = ADMIN_TOKEN) =>
      fetch(`${a.origin}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
    // notify answers from what instances report: the subscription is reported with the connection's next list.
    const listed = await until(
      async () => (await (await rest('/api/v1/connections?clientName=rest-target')).json()).connections as Array<{ id: string; instanceId: string; systemMessages: boolean }>,
      (c) => c.length === 1 && c[0]!.systemMessages,
      'the connection to be reported with its systemMessages subscription',
    );
    expect(listed[0]!.instanceId).toBe('b');
    const notified = await rest(`/api/v1/connections/${listed[0]!.id}/notify`, { method: 'POST', body: JSON.stringify({ message: 'hello' }) });
    expect(await notified.json()).toEqual({ delivered: true });
    expect((await socket.next((m) => m.type === 'next')).payload).toEqual({ data: { systemMessages: { kind: 'DIRECT', message: 'hello' } } });
    expect(await (await rest('/api/v1/broadcast', { method: 'POST', body: JSON.stringify({ message: 'all' }) })).json()).toEqual({ sent: true });
    expect((await socket.next((m) => m.type === 'next')).payload).toEqual({ data: { systemMessages: { kind: 'BROADCAST', message: 'all' } } });

    const monitor = (await serviceKey(a.url, ['stats:read'], 'monitor')).secret;
    expect((await rest('/api/v1/connections', {}, monitor)).status).toBe(200);
    const forbidden = await rest('/api/v1/broadcast', { method: 'POST', body: JSON.stringify({ message: 'x' }) }, monitor);
    expect(forbidden.status).toBe(403);
    const empty = await rest('/api/v1/broadcast', { method: 'POST', body: JSON.stringify({ message: '' }) });
    expect(empty.status).toBe(400);
    expect((await empty.json()).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'message' });
    const badKind = await rest('/api/v1/connections?kind=robot');
    expect(badKind.status).toBe(400);
    expect((await rest('/api/v1/connections/%E0%A4%A/notify', { method: 'POST', body: '{}' })).status).toBe(400);
    socket.socket.close();
  });
});
