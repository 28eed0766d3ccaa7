import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gql, gqlOk, record, waitForSubscriptions, wsClient } from './helpers/client.js';
import { CHANNEL_EVENTS, PUBLISH_MANY, publish, publishRefused, type ChannelEventResult } from './helpers/channels.js';
import { ADMIN_TOKEN, runMainUntilExit, type HeraldProcess } from './helpers/herald.js';
import { useCluster } from './helpers/servers.js';
import { openSse } from './helpers/sse.js';
import { until } from './helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-channels-'));
const channelsFile = join(dir, 'channels.yaml');
writeFileSync(
  channelsFile,
  `- name: sensors
  description: Sensor heartbeats
  defaultPriority: LOW
  types:
    - name: sensor.heartbeat
      schemaVersion: 2
      schema: { type: object, required: [sensorId], properties: { sensorId: { type: string } } }
- name: short
  retentionCount: 3
`,
);

describe('channels across two instances on one Redis', () => {
  const cluster = useCluster(2, { CHANNELS_FILE: channelsFile, CLUSTER_REPORT_INTERVAL_MS: '300' });
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];
  const follow = (server: HeraldProcess, variables: Record<string, unknown>) => record<ChannelEventResult>(wsClient(server.wsUrl), CHANNEL_EVENTS, variables, 'channelEvents');

  it('delivers an event published on one instance to a subscriber on the other, with everything the publisher set', async () => {
    const events = follow(b, { channels: ['threats'] });
    await waitForSubscriptions(b.url, 1);
    const sent = await publish(a.url, { channel: 'threats', type: 'threat.detected', payload: { severity: 'high', ip: '203.0.113.9' }, source: 'sensor-12', schemaVersion: 3, correlationId: 'c-1', ttlSeconds: 600 });
    expect(sent).toMatchObject({ channel: 'threats', type: 'threat.detected', priority: 'HIGH', source: 'sensor-12', schemaVersion: 3, correlationId: 'c-1' });
    const [got] = await events.waitForCount(1);
    expect(got).toEqual(sent);
    events.dispose();
  });

  it('publishes a batch in one step, and refuses a batch with a bad item whole, naming it by index', async () => {
    const events = follow(b, { channels: ['network', 'threats'] });
    await waitForSubscriptions(b.url, 1);
    const inputs = [
      { channel: 'network', type: 'flow', payload: { n: 1 } },
      { channel: 'threats', type: 'threat.detected', payload: { n: 2 }, priority: 'CRITICAL' },
      { channel: 'network', type: 'flow', payload: { n: 3 } },
    ];
    const { publishEvents } = await gqlOk(a.url, PUBLISH_MANY, { inputs });
    expect(publishEvents.map((e: ChannelEventResult) => [e.channel, (e.payload as { n: number }).n])).toEqual([['network', 1], ['threats', 2], ['network', 3]]);
    const received = await events.waitForCount(3);
    expect(received.map((e) => e.id)).toEqual(publishEvents.map((e: ChannelEventResult) => e.id));

    const bad = [...inputs, { channel: 'sensors', type: 'sensor.heartbeat', payload: { sensorId: 7 } }, { channel: 'nope', type: 'x', payload: {} }];
    const { body } = await gql(a.url, PUBLISH_MANY, { inputs: bad });
    expect(body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', index: 3, field: 'inputs.3.payload' } });
    expect((body.errors![0]!.extensions as { errors: Array<{ index: number; code: string }> }).errors.map((e) => [e.index, e.code])).toEqual([[3, 'BAD_USER_INPUT'], [4, 'NOT_FOUND']]);
    await publish(a.url, { channel: 'network', type: 'flow', payload: { n: 4 } });
    // Nothing of the refused batch arrived: the next event is the one published after it.
    expect((await events.waitForCount(4))[3]!.payload).toEqual({ n: 4 });
    events.dispose();
  });

  it('checks events against a channel file registry, and against a channel defined live on another instance', async () => {
    expect((await publishRefused(a.url, { channel: 'sensors', type: 'sensor.boot', payload: {} })).message).toMatch(/^type: channel sensors takes sensor\.heartbeat; not sensor\.boot/);
    expect((await publishRefused(a.url, { channel: 'sensors', type: 'sensor.heartbeat', payload: { sensorId: 1 } })).message).toMatch(/^payload: does not meet the schema of sensor\.heartbeat: payload\/sensorId must be string/);
    expect(await publish(a.url, { channel: 'sensors', type: 'sensor.heartbeat', payload: { sensorId: 's-1' } })).toMatchObject({ priority: 'LOW' });

    const define = 'mutation ($input: DefineChannelInput!) { defineChannel(input: $input) { name source defaultPriority types { name } } }';
    const input = { name: 'audit-trail', defaultPriority: 'HIGH', types: [{ name: 'login', schema: { type: 'object', required: ['user'] } }] };
    expect((await gqlOk(a.url, define, { input })).defineChannel).toEqual({ name: 'audit-trail', source: 'LIVE', defaultPriority: 'HIGH', types: [{ name: 'login' }] });
    await until(() => gqlOk(b.url, '{ channels { name } }'), (d) => d.channels.some((c: { name: string }) => c.name === 'audit-trail'), 'b to know the channel');
    expect((await publishRefused(b.url, { channel: 'audit-trail', type: 'login', payload: {} })).message).toMatch(/must have required property 'user'/);
    expect(await publish(b.url, { channel: 'audit-trail', type: 'login', payload: { user: 'ana' } })).toMatchObject({ priority: 'HIGH' });

    const badSchema = await gql(a.url, define, { input: { name: 'broken', types: [{ name: 't', schema: { type: 'nonsense' } }] } });
    expect(badSchema.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'types.0.schema' } });
    expect((await gqlOk(a.url, 'mutation { deleteChannel(name: "audit-trail") }')).deleteChannel).toBe(true);
    await until(() => gqlOk(b.url, '{ channels { name } }'), (d) => !d.channels.some((c: { name: string }) => c.name === 'audit-trail'), 'b to forget the channel');
    expect((await publishRefused(b.url, { channel: 'audit-trail', type: 'login', payload: { user: 'ana' } })).extensions).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('filters on payload fields, types and priority, evaluated per subscription', async () => {
    const severe = follow(b, { channels: ['threats'], where: { severity: ['high', 'critical'], sensorId: 's-12' } });
    const typed = follow(b, { channels: ['threats'], types: ['threat.cleared'] });
    const urgent = follow(a, { channels: ['threats'], minPriority: 'CRITICAL' });
    await waitForSubscriptions(b.url, 2);
    await waitForSubscriptions(a.url, 1);
    const events = [
      { type: 'threat.detected', payload: { severity: 'low', sensorId: 's-12' } },
      { type: 'threat.detected', payload: { severity: 'critical', sensorId: 's-12' }, priority: 'CRITICAL' },
      { type: 'threat.detected', payload: { severity: 'high', sensorId: 's-9' } },
      { type: 'threat.cleared', payload: { severity: 'high', sensorId: 's-12' } },
    ];
    for (const e of events) await publish(a.url, { channel: 'threats', ...e });
    expect((await severe.waitForCount(2)).map((e) => e.type)).toEqual(['threat.detected', 'threat.cleared']);
    expect((await typed.waitForCount(1)).map((e) => e.payload)).toEqual([{ severity: 'high', sensorId: 's-12' }]);
    expect((await urgent.waitForCount(1)).map((e) => e.priority)).toEqual(['CRITICAL']);
    for (const r of [severe, typed, urgent]) r.dispose();
    const refused = record(wsClient(b.wsUrl), CHANNEL_EVENTS, { channels: ['threats'], where: { severity: { $gt: 1 } } }, 'channelEvents');
    await refused.ended;
    expect(refused.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'where' } });
  });

  it('catches up highest priority first when asked, and skips what expired while the subscriber was away', async () => {
    const { eventsCursor } = await gqlOk(a.url, '{ eventsCursor }');
    for (const [priority, n] of [['LOW', 1], ['HIGH', 2], ['NORMAL', 3], ['CRITICAL', 4], ['HIGH', 5]] as const) {
      await publish(a.url, { channel: 'system', type: 'health', payload: { n }, priority });
    }
    const expiring = await publish(a.url, { channel: 'system', type: 'health', payload: { n: 6 }, ttlSeconds: 1 });
    await until(() => Date.now(), (now) => now > Date.parse(expiring.expiresAt!), 'the event to expire');
    const caughtUp = follow(b, { channels: ['system'], after: eventsCursor, order: 'PRIORITY' });
    const got = await caughtUp.waitForCount(5);
    expect(got.map((e) => (e.payload as { n: number }).n)).toEqual([4, 2, 5, 3, 1]);
    await publish(a.url, { channel: 'system', type: 'health', payload: { n: 7 }, priority: 'LOW' });
    expect((await caughtUp.waitForCount(6))[5]!.payload).toEqual({ n: 7 });
    caughtUp.dispose();
    const polled = await gqlOk(b.url, 'query ($after: String) { events(topics: ["channel:system"], after: $after) { events { payload } } }', { after: eventsCursor });
    expect(polled.events.events.map((e: { payload: { n: number } }) => e.payload.n)).toEqual([1, 2, 3, 4, 5, 7]);
  });

  it("keeps a channel's own retention, and says so to a cursor it outlived", async () => {
    const first = await publish(a.url, { channel: 'short', type: 'tick', payload: { n: 0 } });
    for (let n = 1; n <= 20; n++) await publish(a.url, { channel: 'short', type: 'tick', payload: { n } });
    const stale = record(wsClient(b.wsUrl), CHANNEL_EVENTS, { channels: ['short'], after: first.cursor }, 'channelEvents');
    await stale.ended;
    expect(stale.errors[0]).toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
  });

  it('serves channels over SSE and REST, with the same checks', async () => {
    const stream = await openSse(b.url, CHANNEL_EVENTS, { channels: ['packets'] });
    await waitForSubscriptions(b.url, 1);
    const post = (body: unknown) =>
      fetch(`${a.origin}/api/v1/channels/packets/events`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const one = await post({ type: 'packet', payload: { bytes: 60 } });
    expect(one.status).toBe(200);
    expect((await one.json()).event).toMatchObject({ topic: 'channel:packets', type: 'packet', priority: 'LOW' });
    const many = await post([{ type: 'packet', payload: { bytes: 61 } }, { type: 'packet', payload: { bytes: 62 } }]);
    expect((await many.json()).events).toHaveLength(2);
    const wrong = await post({ channel: 'threats', type: 'packet', payload: {} });
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'channel' });
    const got = await stream.waitForCount(3);
    expect(got.map((v) => (v.data!.channelEvents as ChannelEventResult).payload)).toEqual([{ bytes: 60 }, { bytes: 61 }, { bytes: 62 }]);
    stream.close();
    const listed = await fetch(`${b.origin}/api/v1/channels`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await listed.json()).channels.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['alerts', 'network', 'packets', 'sensors', 'short', 'system', 'threats']));
  });
});

describe('CHANNELS_FILE', () => {
  it('stops the start with one line naming the file, the channel and the problem', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, '- name: ok\n- name: Bad_Name\n');
    const named = runMainUntilExit({ CHANNELS_FILE: bad });
    expect(named.status).toBe(1);
    expect(named.stderr.trim()).toMatch(/^Invalid configuration: CHANNELS_FILE .*bad\.yaml: channel 1\.name must be 1-64 characters/);
    writeFileSync(bad, '- name: ok\n  types: [{ name: t, schema: { type: nonsense } }]\n');
    const schema = runMainUntilExit({ CHANNELS_FILE: bad });
    expect(schema.status).toBe(1);
    expect(schema.stderr.trim()).toMatch(/^Invalid configuration: CHANNELS_FILE .*bad\.yaml: channel ok: types\.0\.schema: is not a JSON Schema/);
  });
});
