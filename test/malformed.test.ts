import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, gql, record, TASK_EVENTS, waitForSubscriptions, wsClient, type Recorder, type TaskEventResult } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { openAcked, openRaw } from './helpers/raw-ws.js';
import { useHerald } from './helpers/servers.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('malformed input', () => {
  let healthy: Client;
  let healthyEvents: Recorder<TaskEventResult>;
  let published = 0;

  const herald = useHerald();
  beforeAll(async () => {
    // A well-behaved client subscribed on the side the whole time.
    healthy = wsClient(herald.wsUrl);
    healthyEvents = record<TaskEventResult>(healthy, TASK_EVENTS, { repositories: ['healthy'] });
    await waitForSubscriptions(herald.url, 1);
  });
  afterAll(async () => {
    // Every event published during the abuse reached the healthy client, in order.
    const received = await healthyEvents.waitForCount(published);
    expect(received.map((e) => e.task!.title)).toEqual(Array.from({ length: published }, (_, i) => `h${i}`));
    await healthy?.dispose();
  });

  const stillServing = async () => {
    await createTask(herald.url, 'healthy', `h${published++}`);
    await healthyEvents.waitForCount(published);
  };

  describe('over HTTP', () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(herald.url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers }, body });

    it('answers a body that is not JSON with 400', async () => {
      const response = await post('{"query": ');
      expect(response.status).toBe(400);
      expect((await response.json()).errors[0].message).toMatch(/JSON/i);
      await stillServing();
    });

    it('answers a syntax error with 400 and where it is', async () => {
      const response = await post(JSON.stringify({ query: '{ stats { ' }), { accept: 'application/graphql-response+json' });
      expect(response.status).toBe(400);
      const { errors } = await response.json();
      expect(errors[0].message).toMatch(/^Syntax Error/);
      expect(errors[0].locations).toEqual([{ line: 1, column: 11 }]);
      await stillServing();
    });

    it('answers an unknown field with a validation error', async () => {
      const { body } = await gql(herald.url, '{ nope }');
      expect(body.errors![0]!.message).toBe('Cannot query field "nope" on type "Query".');
      await stillServing();
    });

    it('answers a request without a query with 400', async () => {
      const response = await post(JSON.stringify({ variables: {} }), { accept: 'application/graphql-response+json' });
      expect(response.status).toBe(400);
      expect((await response.json()).errors[0].message).toMatch(/query/i);
    });

    it('answers variables of the wrong type with an error naming the variable', async () => {
      const { body } = await gql(herald.url, 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }', { input: { repository: 1 } });
      expect(body.errors![0]!.message).toMatch(/\$input/);
      await stillServing();
    });

    it('refuses batched requests', async () => {
      const response = await post(JSON.stringify([{ query: '{ stats { mode } }' }, { query: '{ stats { mode } }' }]));
      expect(response.status).toBe(400);
    });
  });

  describe('over WebSocket', () => {
    it('closes with 4400 on a message that is not JSON', async () => {
      const raw = await openAcked(herald.wsUrl, auth);
      raw.send('}{ not json');
      expect(await raw.closed).toEqual({ code: 4400, reason: 'Invalid message received' });
      await stillServing();
    });

    it('closes with 4400 on a message that is a JSON string, even of a valid message', async () => {
      const raw = await openAcked(herald.wsUrl, auth);
      raw.send(JSON.stringify(JSON.stringify({ type: 'ping' })));
      expect(await raw.closed).toEqual({ code: 4400, reason: 'Invalid message received' });
    });

    it('closes with 4400 on an unknown message type', async () => {
      const raw = await openAcked(herald.wsUrl, auth);
      raw.send({ type: 'shout', payload: {} });
      expect((await raw.closed).code).toBe(4400);
    });

    it('closes with 4401 on a subscribe before connection_init', async () => {
      const raw = await openRaw(herald.wsUrl);
      raw.send({ id: '1', type: 'subscribe', payload: { query: '{ stats { mode } }' } });
      expect(await raw.closed).toEqual({ code: 4401, reason: 'Unauthorized' });
    });

    it('closes with 4429 on a second connection_init', async () => {
      const raw = await openAcked(herald.wsUrl, auth);
      raw.send({ type: 'connection_init', payload: auth });
      expect((await raw.closed).code).toBe(4429);
    });

    it('closes with 4409 on a duplicate subscription id', async () => {
      const raw = await openAcked(herald.wsUrl, auth);
      const subscribe = { id: 'same', type: 'subscribe', payload: { query: 'subscription { taskEvents(repositories: ["dup"]) { id } }' } };
      raw.send(subscribe);
      raw.send(subscribe);
      expect(await raw.closed).toEqual({ code: 4409, reason: 'Subscriber for same already exists' });
      await stillServing();
    });

    it('answers a syntax error with an error for that operation and keeps the socket', async () => {
      const raw = await openAcked(herald.wsUrl, auth);
      raw.send({ id: 'bad', type: 'subscribe', payload: { query: 'subscription { taskEvents(' } });
      const error = await raw.next((m) => m.id === 'bad');
      expect(error).toMatchObject({ type: 'error', payload: [{ message: expect.stringMatching(/^Syntax Error/) }] });
      raw.send({ id: 'ok', type: 'subscribe', payload: { query: '{ stats { mode } }' } });
      expect(await raw.next((m) => m.id === 'ok')).toEqual({ id: 'ok', type: 'next', payload: { data: { stats: { mode: 'EMBEDDED' } } } });
      raw.socket.close();
    });

    it('answers a validation error per operation', async () => {
      const raw = await openAcked(herald.wsUrl, auth);
      raw.send({ id: 'v', type: 'subscribe', payload: { query: 'subscription { nothing }' } });
      expect(await raw.next((m) => m.id === 'v')).toMatchObject({ type: 'error', payload: [{ message: 'Cannot query field "nothing" on type "Subscription".' }] });
      raw.socket.close();
    });

    it('closes with 1009 on a message over 512 KB', async () => {
      const raw = await openAcked(herald.wsUrl, auth);
      raw.send({ id: 'big', type: 'subscribe', payload: { query: '{ stats { mode } }', variables: { pad: 'x'.repeat(600 * 1024) } } });
      expect((await raw.closed).code).toBe(1009);
      await stillServing();
    });

    it('closes with 4406 when the client does not speak graphql-transport-ws', async () => {
      const raw = await openRaw(herald.wsUrl, { protocol: null });
      expect(await raw.closed).toEqual({ code: 4406, reason: 'Subprotocol not acceptable' });
    });

    it('closes with 4408 when connection_init does not come within 3 seconds', async () => {
      const raw = await openRaw(herald.wsUrl);
      expect(await raw.closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    });

    it('refuses an upgrade on a path that is not a WebSocket endpoint', async () => {
      const socket = new WebSocket(herald.wsUrl.replace('/graphql', '/elsewhere'), ['graphql-transport-ws']);
      const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
      expect(error.message).toBe('Unexpected server response: 404');
    });

    it('accepts the same protocol at /api/v1/ws', async () => {
      const raw = await openAcked(herald.wsUrl.replace('/graphql', '/api/v1/ws'), auth);
      raw.send({ id: 'q', type: 'subscribe', payload: { query: '{ stats { mode } }' } });
      expect(await raw.next((m) => m.id === 'q')).toMatchObject({ type: 'next' });
      raw.socket.close();
      await stillServing();
    });
  });
});
