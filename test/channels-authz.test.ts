import { describe, expect, it } from 'vitest';
import { gql, gqlOk, record, waitForSubscriptions, wsClient } from './helpers/client.js';
import { CHANNEL_EVENTS, publish, publishRefused } from './helpers/channels.js';
import { useHerald } from './helpers/servers.js';
import { JWT_SECRET, serviceKey, userToken } from './helpers/tokens.js';

describe('who may read and publish which channel', () => {
  const herald = useHerald({ NODE_ENV: 'production', JWT_SECRET });

  /** The error a subscription ends with, or 'OK' once it is live (it is then ended). */
  async function subscribeAs(token: string, channels: string[]): Promise<string> {
    await waitForSubscriptions(herald.url, 0);
    const client = wsClient(herald.wsUrl, { connectionParams: { authorization: `Bearer ${token}` } });
    const events = record(client, CHANNEL_EVENTS, { channels }, 'channelEvents');
    const refused = events.ended.then(() => events.errors.map((e) => `${(e as { extensions: { code: string } }).extensions.code}: ${(e as Error).message}`).join('; '));
    const live = waitForSubscriptions(herald.url, 1).then(async () => {
      // A live subscription answers a publish with the event.
      await publish(herald.url, { channel: channels[0] === '*' ? 'system' : channels[0]!, type: 'probe', payload: {} });
      await events.waitForCount(1);
      return 'OK';
    }, () => 'never live');
    const outcome = await Promise.race([refused, live]);
    await client.dispose();
    return outcome;
  }

  it('reads a channel with channel:<name>:read, every channel with channel:*:read, and names the refused one', async () => {
    const threats = (await serviceKey(herald.url, ['channel:threats:read'])).secret;
    const everything = (await serviceKey(herald.url, ['channel:*:read'])).secret;
    expect(await subscribeAs(threats, ['threats'])).toBe('OK');
    expect(await subscribeAs(threats, ['threats', 'alerts'])).toBe('FORBIDDEN: Not allowed to read channel alerts');
    expect(await subscribeAs(everything, ['*'])).toBe('OK');
    expect(await subscribeAs(threats, ['nope'])).toBe('NOT_FOUND: channel nope not found');
    const polled = await gql(herald.url, '{ events(topics: ["channel:alerts"]) { hasMore } }', {}, threats);
    expect(polled.body.errors![0]).toMatchObject({ message: 'Not allowed to read channel alerts', extensions: { code: 'FORBIDDEN' } });
  });

  it('reads the channels a user token names in its channels claim', async () => {
    const token = await userToken({ sub: 'ana', channels: ['threats'] }, { expiresIn: '10m' });
    expect(await subscribeAs(token, ['threats'])).toBe('OK');
    expect(await subscribeAs(token, ['network'])).toBe('FORBIDDEN: Not allowed to read channel network');
    const all = await userToken({ sub: 'bo', channels: '*' }, { expiresIn: '10m' });
    expect(await subscribeAs(all, ['*'])).toBe('OK');
  });

  it('publishes only with channel:<name>:publish (or channel:*:publish)', async () => {
    const reader = (await serviceKey(herald.url, ['channel:threats:read'])).secret;
    const writer = (await serviceKey(herald.url, ['channel:threats:publish'])).secret;
    const anyWriter = (await serviceKey(herald.url, ['channel:*:publish'])).secret;
    const event = { channel: 'threats', type: 'threat.detected', payload: {} };
    expect(await publishRefused(herald.url, event, reader)).toMatchObject({ message: 'Not allowed to publish on channel threats', extensions: { code: 'FORBIDDEN' } });
    expect(await publish(herald.url, event, writer)).toMatchObject({ channel: 'threats' });
    expect(await publishRefused(herald.url, { ...event, channel: 'alerts' }, writer)).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(await publish(herald.url, { ...event, channel: 'alerts' }, anyWriter)).toMatchObject({ channel: 'alerts' });
    const rest = await fetch(`${herald.origin}/api/v1/channels/threats/events`, { method: 'POST', headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' }, body: JSON.stringify(event) });
    expect(rest.status).toBe(403);
  });

  it('lets only the admin define channels, and refuses unknown scopes at key creation', async () => {
    const writer = (await serviceKey(herald.url, ['channel:*:publish'])).secret;
    const { body } = await gql(herald.url, 'mutation { defineChannel(input: { name: "mine" }) { name } }', {}, writer);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN' });
    const refused = await gql(herald.url, 'mutation { createApiKey(input: { name: "k", scopes: ["channel:Bad:read", "channel:x:delete"] }) { secret } }');
    expect(refused.body.errors![0]!.message).toMatch(/^scopes: unknown scope\(s\): channel:Bad:read, channel:x:delete/);
  });
});

describe('bad channel input', () => {
  const herald = useHerald();

  it.each([
    ['an unknown channel', { channel: 'nope', type: 't', payload: {} }, 'NOT_FOUND', /^channel nope not found$/],
    ['a bad channel name', { channel: 'Bad Name', type: 't', payload: {} }, 'BAD_USER_INPUT', /^channel: must be 1-64 characters/],
    ['a bad type name', { channel: 'threats', type: '9lives', payload: {} }, 'BAD_USER_INPUT', /^type: must be 1-100 characters/],
    ['a payload over the channel limit', { channel: 'threats', type: 't', payload: { blob: 'x'.repeat(70_000) } }, 'BAD_USER_INPUT', /^payload: must be at most 65536 bytes as JSON on channel threats$/],
    ['an expiry in the past', { channel: 'threats', type: 't', payload: {}, expiresAt: '2020-01-01T00:00:00Z' }, 'BAD_USER_INPUT', /^expiresAt: must be in the future/],
    ['both expiry forms', { channel: 'threats', type: 't', payload: {}, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), ttlSeconds: 5 }, 'BAD_USER_INPUT', /^ttlSeconds: give expiresAt or ttlSeconds, not both$/],
  ])('refuses %s, naming the field, and publishes nothing', async (_what, input, code, message) => {
    const before = (await gqlOk(herald.url, '{ stats { eventsPublished } }')).stats.eventsPublished;
    const error = await publishRefused(herald.url, input);
    expect(error.extensions).toMatchObject({ code });
    expect(error.message).toMatch(message);
    expect((await gqlOk(herald.url, '{ stats { eventsPublished } }')).stats.eventsPublished).toBe(before);
  });

  it('refuses a batch over 1000 events, and an idempotency key on a batched event', async () => {
    const many = Array.from({ length: 1001 }, () => ({ channel: 'packets', type: 'p', payload: {} }));
    const { body } = await gql(herald.url, 'mutation ($inputs: [PublishEventInput!]!) { publishEvents(inputs: $inputs) { id } }', { inputs: many });
    expect(body.errors![0]).toMatchObject({ message: 'inputs: must hold 1-1000 events', extensions: { code: 'BAD_USER_INPUT' } });
    const keyed = await gql(herald.url, 'mutation ($inputs: [PublishEventInput!]!) { publishEvents(inputs: $inputs) { id } }', { inputs: [{ channel: 'packets', type: 'p', payload: {}, idempotencyKey: 'k' }] });
    expect(keyed.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'inputs.0.idempotencyKey' });
  });

  it('publishes a repeat with the same idempotency key once', async () => {
    const input = { channel: 'threats', type: 't', payload: { n: 1 }, idempotencyKey: 'once' };
    const first = await publish(herald.url, input);
    const again = await publish(herald.url, input);
    expect(again.id).toBe(first.id);
    const batch = 'mutation ($inputs: [PublishEventInput!]!) { publishEvents(inputs: $inputs, idempotencyKey: "batch-1") { id } }';
    const [b1, b2] = await Promise.all([gqlOk(herald.url, batch, { inputs: [{ channel: 'threats', type: 't', payload: {} }] }), gqlOk(herald.url, batch, { inputs: [{ channel: 'threats', type: 't', payload: {} }] })]);
    expect(b2.publishEvents).toEqual(b1.publishEvents);
  });
});
