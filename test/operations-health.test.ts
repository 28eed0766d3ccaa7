import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL_EVENTS, type ChannelEventResult } from './helpers/channels.js';
import { createTask, gql, gqlOk, record, TASK_EVENTS, wsClient } from './helpers/client.js';
import { openRaw } from './helpers/raw-ws.js';
import { useCluster, useHerald } from './helpers/servers.js';
import { serviceKey } from './helpers/tokens.js';
import { until } from './helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-ops-'));
const thresholdsFile = join(dir, 'thresholds.yaml');
// Lag high enough that only a blocked loop reaches it, low enough for the clear level to be reached at once when idle.
writeFileSync(thresholdsFile, 'eventLoopLagMs: { raise: 150, clear: 100, severity: HIGH }\n');

const DIAGNOSTICS = /* GraphQL */ `
  query ($id: ID!) {
    connectionDiagnostics(connectionId: $id) {
      connectionId open clientName closeCode closeReason healthScore eventsSent
      timeline { kind detail }
      deliveries { eventId type topic latencyMs }
      pongs { rttMs }
    }
  }
`;

const blockFor = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy: this process is the server too, so its event loop stalls for real.
  }
};

describe('alert thresholds', () => {
  const server = useHerald({ THRESHOLDS_FILE: thresholdsFile, ALERT_EVALUATION_INTERVAL_MS: '100' });

  it('raises an alert on the system channel when the event loop lags, visible through alerts, and resolves it once the lag is gone', async () => {
    const client = wsClient(server.wsUrl);
    const events = record<ChannelEventResult>(client, CHANNEL_EVENTS, { channels: ['system'], types: ['alert.raised', 'alert.resolved'] }, 'channelEvents');
    await until(() => gqlOk(server.url, '{ stats { subscriptions } }'), (d) => d.stats.subscriptions === 1, 'the subscription');
    // Stall the loop in slices until the watch, which runs between them, has seen it.
    const deadline = Date.now() + 15_000;
    while (events.values.length === 0) {
      if (Date.now() > deadline) throw new Error('no alert raised within 15 s of a stalled event loop');
      blockFor(250);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const raised = events.values[0]!;
    expect(raised.type).toBe('alert.raised');
    const alert = (raised.payload as { alert: { id: string; channel: string; severity: string; source: string; dedupKey: string; status: string; details: { threshold: string; value: number } } }).alert;
    expect(alert).toMatchObject({ channel: 'system', severity: 'HIGH', source: 'herald-thresholds', status: 'OPEN' });
    expect(alert.dedupKey).toMatch(/^threshold:eventLoopLagMs:/);
    expect(alert.details.threshold).toBe('eventLoopLagMs');
    expect(alert.details.value).toBeGreaterThanOrEqual(150);
    const open = await gqlOk(server.url, '{ alerts(status: OPEN) { id source } }');
    expect(open.alerts).toContainEqual({ id: alert.id, source: 'herald-thresholds' });

    const [, resolved] = await events.waitForCount(2);
    expect(resolved!.type).toBe('alert.resolved');
    expect((resolved!.payload as { alert: { id: string; status: string } }).alert).toMatchObject({ id: alert.id, status: 'RESOLVED' });
    // Resolved once: no second raise followed while idle.
    const { alert: after } = await gqlOk(server.url, 'query ($id: ID!) { alert(id: $id) { status count } }', { id: alert.id });
    expect(after).toEqual({ status: 'RESOLVED', count: 1 });
    events.dispose();
    await client.dispose();
  });

  it('lists the thresholds with their source and changes one live; bad input and non-admins are refused', async () => {
    const { alertThresholds } = await gqlOk(server.url, '{ alertThresholds { name raise clear severity enabled source } }');
    expect(alertThresholds).toHaveLength(7);
    expect(alertThresholds).toContainEqual({ name: 'eventLoopLagMs', raise: 150, clear: 100, severity: 'HIGH', enabled: true, source: 'FILE' });
    expect(alertThresholds).toContainEqual(expect.objectContaining({ name: 'errorRate', source: 'DEFAULT' }));

    const set = await gqlOk(server.url, 'mutation { setAlertThreshold(input: { name: slowConsumerDropsPerMinute, raise: 40, severity: CRITICAL }) { name raise clear severity source } }');
    expect(set.setAlertThreshold).toEqual({ name: 'slowConsumerDropsPerMinute', raise: 40, clear: 8, severity: 'CRITICAL', source: 'LIVE' });

    const bad = await gql(server.url, 'mutation { setAlertThreshold(input: { name: errorRate, raise: 0.1, clear: 0.5 }) { name } }');
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.body.errors?.[0]?.message).toMatch(/clear: must not be above raise/);
    const reader = await serviceKey(server.url, ['stats:read']);
    const refused = await gql(server.url, 'mutation { setAlertThreshold(input: { name: errorRate, raise: 0.1 }) { name } }', {}, reader.secret);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    expect((await gqlOk(server.url, 'mutation { resetAlertThreshold(name: slowConsumerDropsPerMinute) }')).resetAlertThreshold).toBe(true);
    expect((await gqlOk(server.url, 'mutation { resetAlertThreshold(name: slowConsumerDropsPerMinute) }')).resetAlertThreshold).toBe(false);
  });
});

describe('connection health and diagnostics', () => {
  const server = useHerald({ WS_HEARTBEAT_INTERVAL_MS: '100' });

  it('shows a health score per connection and keeps the timeline of a closed connection, with its close code and reason', async () => {
    const client = wsClient(server.wsUrl, { connectionParams: { authorization: 'Bearer test-admin-token-0123456789', clientName: 'diagnosed' } });
    const events = record(client, TASK_EVENTS, { repositories: ['diag'] });
    await until(() => gqlOk(server.url, '{ stats { subscriptions } }'), (d) => d.stats.subscriptions === 1, 'the subscription');
    const task = await createTask(server.url, 'diag', 'one');
    await events.waitForCount(1);
    const { connections } = await until(
      () => gqlOk(server.url, '{ connections(filter: { clientName: "diagnosed" }) { id healthScore heartbeatRttMs } }'),
      (d) => d.connections.length === 1 && d.connections[0].heartbeatRttMs !== null,
      'a pong',
    );
    const id = connections[0].id as string;
    expect(connections[0].healthScore).toBe(100);

    const live = (await gqlOk(server.url, DIAGNOSTICS, { id })).connectionDiagnostics;
    expect(live).toMatchObject({ connectionId: id, open: true, clientName: 'diagnosed', closeCode: null, healthScore: 100 });
    expect(live.pongs.length).toBeGreaterThan(0);

    const closed = new Promise<{ code: number; reason: string }>((resolve) => client.on('closed', (e) => resolve(e as { code: number; reason: string })));
    await gqlOk(server.url, 'mutation ($id: ID!) { disconnect(connectionId: $id, reason: "maintenance window") }', { id });
    expect((await closed).code).toBe(4000);

    const after = (await gqlOk(server.url, DIAGNOSTICS, { id })).connectionDiagnostics;
    expect(after).toMatchObject({ open: false, closeCode: 4000, closeReason: 'Disconnected by an administrator: maintenance window', eventsSent: 1 });
    expect(after.timeline.map((e: { kind: string }) => e.kind)).toEqual(['CONNECTED', 'AUTHENTICATED', 'SUBSCRIBED', 'CLOSED']);
    expect(after.timeline[2].detail).toMatch(/taskEvents|TaskEvents/);
    expect(after.deliveries).toEqual([expect.objectContaining({ type: 'task.created', topic: 'repo:diag' })]);
    expect(after.deliveries[0].latencyMs).toBeGreaterThanOrEqual(0);
    expect(task.id).toBeTruthy();
    await client.dispose();
  });

  it('scores a connection that stops answering pings lower, and answers null for an unknown id and BAD_USER_INPUT for a bad one', async () => {
    const socket = await openRaw(server.wsUrl, { autoPong: false });
    socket.send({ type: 'connection_init', payload: { authorization: 'Bearer test-admin-token-0123456789', clientName: 'silent' } });
    await socket.next((m) => m.type === 'connection_ack');
    const { connections } = await until(
      () => gqlOk(server.url, '{ connections(filter: { clientName: "silent" }) { id healthScore } }'),
      (d) => d.connections.length === 1 && d.connections[0].healthScore < 100,
      'the score to fall',
    );
    expect(connections[0].healthScore).toBeLessThanOrEqual(70);
    socket.socket.close();
    expect((await gqlOk(server.url, DIAGNOSTICS, { id: '01HZZZZZZZZZZZZZZZZZZZZZZZ' })).connectionDiagnostics).toBeNull();
    const bad = await gql(server.url, DIAGNOSTICS, { id: 'not an id!' });
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('alert thresholds in Redis mode', () => {
  const server = useHerald({ ALERT_EVALUATION_INTERVAL_MS: '100', THRESHOLDS_FILE: redisThresholds() }, { redis: true });

  it('marks Redis unreachable while it is stopped, then raises and resolves the alert once Redis is back to store it', async () => {
    const crossed = async () => {
      const text = await (await fetch(`${server.origin}/metrics`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } })).text();
      return /herald_alert_thresholds_crossed\{threshold="redisUnreachableSeconds"\} 1/.test(text);
    };
    expect(await crossed()).toBe(false);
    await server.redis.pause();
    try {
      await until(crossed, (yes) => yes, 'the threshold to be crossed', 10_000);
    } finally {
      await server.redis.restart();
    }
    const alerts = await until(
      async () => (await gql(server.url, '{ alerts(status: RESOLVED) { channel source dedupKey resolveNote } }')).body.data?.alerts ?? [],
      (list: { dedupKey: string }[]) => list.some((a) => a.dedupKey.startsWith('threshold:redisUnreachableSeconds:')),
      'the resolved alert',
      15_000,
    );
    expect(alerts.find((a: { dedupKey: string }) => a.dedupKey.startsWith('threshold:redisUnreachableSeconds:'))).toMatchObject({ channel: 'system', source: 'herald-thresholds' });
    expect(await crossed()).toBe(false);
  });
});

function redisThresholds() {
  const path = join(dir, 'redis-thresholds.yaml');
  writeFileSync(path, 'redisUnreachableSeconds: { raise: 0.3, clear: 0.1 }\n');
  return path;
}

describe('connection diagnostics across instances', () => {
  const cluster = useCluster(2, { CLUSTER_REPORT_INTERVAL_MS: '200' });

  it('answers on the instance that holds the connection, and names that instance elsewhere', async () => {
    const [a, b] = cluster.instances;
    const socket = await openRaw(b!.wsUrl);
    socket.send({ type: 'connection_init', payload: { authorization: 'Bearer test-admin-token-0123456789', clientName: 'on-b' } });
    await socket.next((m) => m.type === 'connection_ack');
    const { connections } = await until(
      () => gqlOk(a!.url, '{ connections(filter: { clientName: "on-b" }) { id instanceId healthScore } }'),
      (d) => d.connections.length === 1,
      'the cluster view',
    );
    const [row] = connections;
    expect(row.healthScore).toBe(100);
    expect((await gqlOk(b!.url, DIAGNOSTICS, { id: row.id })).connectionDiagnostics).toMatchObject({ connectionId: row.id, open: true, clientName: 'on-b' });
    const elsewhere = await gql(a!.url, DIAGNOSTICS, { id: row.id });
    expect(elsewhere.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', instanceId: row.instanceId });
    socket.socket.close();
  });
});
