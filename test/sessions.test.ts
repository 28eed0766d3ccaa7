import { describe, expect, it } from 'vitest';
import { createTask, gql, gqlOk, waitForSubscriptions } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { openAcked, openRaw } from './helpers/raw-ws.js';
import { useHerald } from './helpers/servers.js';
import { openSse } from './helpers/sse.js';
import { JWT_SECRET, serviceKey, userToken } from './helpers/tokens.js';

const TASK_EVENTS = 'subscription ($r: [String!]!) { taskEvents(repositories: $r) { type task { title } } }';
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('SSE subscriptions count toward the connection limits', () => {
  describe('per principal', () => {
    const herald = useHerald({ WS_MAX_CONNECTIONS_PER_PRINCIPAL: '2' });

    it('counts SSE streams and WebSockets together: beyond the limit SSE gets 429 with Retry-After, a WebSocket 1013', async () => {
      const { secret } = await serviceKey(herald.url, ['tasks:read']);
      const first = await openSse(herald.url, TASK_EVENTS, { r: ['limits'] }, secret);
      expect(first.status).toBe(200);
      const ws = await openAcked(herald.wsUrl, auth(secret));

      const refused = await openSse(herald.url, TASK_EVENTS, { r: ['limits'] }, secret);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      await refused.ended;
      expect(refused.values).toEqual([
        { errors: [{ message: 'Too many connections for these credentials (2)', extensions: { code: 'LIMIT_EXCEEDED', retryAfter: 5 } }] },
      ]);
      const third = await openRaw(herald.wsUrl);
      third.send({ type: 'connection_init', payload: auth(secret) });
      expect(await third.closed).toEqual({ code: 1013, reason: 'Too many connections for these credentials (2)' });

      // Other principals have their own budget; a stream that ends frees its place.
      expect((await openSse(herald.url, TASK_EVENTS, { r: ['limits'] }, ADMIN_TOKEN)).status).toBe(200);
      first.close();
      await waitForSubscriptions(herald.url, 1);
      const again = await openSse(herald.url, TASK_EVENTS, { r: ['limits'] }, secret);
      expect(again.status).toBe(200);
      again.close();
      ws.socket.close();
    });
  });

  describe('per instance', () => {
    const herald = useHerald({ WS_MAX_CONNECTIONS: '2' });

    it('counts SSE streams as connections: beyond the limit SSE gets 503 with Retry-After, a WebSocket 1013', async () => {
      const streams = [await openSse(herald.url, TASK_EVENTS, { r: ['full'] }), await openSse(herald.url, TASK_EVENTS, { r: ['full'] })];
      expect(streams.map((s) => s.status)).toEqual([200, 200]);
      const refused = await openSse(herald.url, TASK_EVENTS, { r: ['full'] });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      await refused.ended;
      expect(refused.values[0]!.errors).toEqual([{ message: 'Server is at its connection limit', extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 } }]);
      const ws = await openRaw(herald.wsUrl);
      expect(await ws.closed).toEqual({ code: 1013, reason: 'Server is at its connection limit' });
      // Queries and mutations over HTTP are not sessions and still work.
      await createTask(herald.url, 'full', 'still served');
      expect((await streams[0]!.waitForCount(1))[0]).toEqual({ data: { taskEvents: { type: 'CREATED', task: { title: 'still served' } } } });
      for (const s of streams) s.close();
    });
  });
});

describe('SSE streams and expiring tokens', () => {
  const herald = useHerald({ JWT_SECRET });

  it('ends an SSE stream when its token expires: a last FORBIDDEN result naming the reason, then complete', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const token = await userToken({ sub: 'ana', repos: ['expiring'], scopes: ['tasks:read'] }, { expiresIn: expiresAt });
    const sse = await openSse(herald.url, TASK_EVENTS, { r: ['expiring'] }, token);
    expect(sse.status).toBe(200);
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'expiring', 'before expiry');
    await sse.waitForCount(1);
    await sse.ended;
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt * 1000);
    expect(sse.values).toEqual([
      { data: { taskEvents: { type: 'CREATED', task: { title: 'before expiry' } } } },
      { errors: [{ message: 'Forbidden: token expired', extensions: { code: 'FORBIDDEN' } }] },
    ]);
    expect(sse.events.at(-1)!.event).toBe('complete');
    await waitForSubscriptions(herald.url, 0);
  });
});

describe('subscriptions over HTTP without an event stream', () => {
  const herald = useHerald();

  it('answers 406 and leaves no subscription running', async () => {
    const { status, body } = await gql(herald.url, 'subscription { taskEvents(repositories: ["plain"]) { id } }', {}, ADMIN_TOKEN, { accept: 'application/json' });
    expect(status).toBe(406);
    expect(body.errors![0]).toMatchObject({ extensions: { code: 'NOT_ACCEPTABLE' } });
    expect((await gqlOk(herald.url, '{ stats { subscriptions } }')).stats.subscriptions).toBe(0);
  });
});
