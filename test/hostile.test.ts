import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, gql, record, TASK_EVENTS, waitForSubscriptions, wsClient, type Recorder, type TaskEventResult } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { openAcked, openRaw } from './helpers/raw-ws.js';
import { useHerald } from './helpers/servers.js';

/**
 * Hostile clients: generated garbage over HTTP and WebSocket. Each input gets
 * an answer or a close code from a known set, and a healthy client subscribed
 * on the side gets every event and every answer throughout.
 */
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const WS_CLOSE_CODES = new Set([1002, 1006, 1007, 1009, 1013, 4400, 4401, 4403, 4406, 4408, 4409, 4429]);
const HTTP_STATUSES = new Set([200, 400, 401, 404, 405, 406, 411, 413, 415]);
const RUNS = 60;

describe('hostile clients', () => {
  let healthyEvents: Recorder<TaskEventResult>;
  const healthy = () => wsClient(herald.wsUrl);
  let healthyClient: ReturnType<typeof healthy>;
  let published = 0;
  let inputs = 0;

  const herald = useHerald({ NODE_ENV: 'production', WS_RATE_LIMIT_PER_MINUTE: '100000', WS_CONNECTION_INIT_TIMEOUT_MS: '300' });
  beforeAll(async () => {
    healthyClient = healthy();
    healthyEvents = record<TaskEventResult>(healthyClient, TASK_EVENTS, { repositories: ['calm'] });
    await waitForSubscriptions(herald.url, 1);
  });
  afterAll(async () => {
    expect(inputs).toBeGreaterThanOrEqual(200);
    const got = await healthyEvents.waitForCount(published);
    expect(got.map((e) => e.task!.title)).toEqual(Array.from({ length: published }, (_, i) => `calm-${i}`));
    await healthyClient.dispose();
  });

  /** The healthy client is still served: a mutation answers and its event arrives. */
  const stillServing = async () => {
    await createTask(herald.url, 'calm', `calm-${published++}`);
    await healthyEvents.waitForCount(published);
  };

  it('answers random HTTP bodies, content types and queries with a known status', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')), fc.constantFrom('{"query":', '[]', 'null', '{"query":1}', '{"query":"{","variables":"x"}')),
        fc.constantFrom('application/json', 'text/plain', 'application/graphql', 'multipart/form-data; boundary=x', ''),
        async (body, type) => {
          inputs++;
          const response = await fetch(herald.url, { method: 'POST', headers: { ...(type ? { 'content-type': type } : {}), ...auth }, body });
          expect(HTTP_STATUSES.has(response.status), `status ${response.status} for ${JSON.stringify(body).slice(0, 80)}`).toBe(true);
          await response.arrayBuffer();
        },
      ),
      { numRuns: RUNS },
    );
    await stillServing();
  });

  it('answers random GraphQL documents with errors, never a crash', async () => {
    const tokens = fc.constantFrom('{', '}', '(', ')', 'query', 'subscription', 'mutation', 'stats', 'mode', '...', 'on', '@include', '$x', ':', '"s"', '1', '[', ']', '#', 'fragment', '__schema', 'a');
    await fc.assert(
      fc.asyncProperty(fc.array(tokens, { maxLength: 40 }), async (parts) => {
        inputs++;
        const { status, body } = await gql(herald.url, parts.join(' '));
        expect([200, 400]).toContain(status);
        if (status === 400) expect(body.errors?.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
    await stillServing();
  });

  it('closes WebSockets that send garbage with a known code', async () => {
    const frames = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ type: fc.string(), id: fc.option(fc.string()), payload: fc.anything() }).map((m) => JSON.stringify(m)),
      fc.constantFrom(
        JSON.stringify({ type: 'subscribe', id: '1', payload: { query: '{ stats { mode } }' } }), // before connection_init
        JSON.stringify({ type: 'connection_init' }),
        JSON.stringify({ type: 'ping' }),
        JSON.stringify({ type: 'complete', id: 'nope' }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(frames, { minLength: 1, maxLength: 5 }), async (sequence) => {
        inputs++;
        const raw = await openRaw(herald.wsUrl);
        for (const frame of sequence) raw.send(frame);
        const outcome = await Promise.race([raw.closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 1_000))]);
        if (outcome === 'open') raw.socket.close();
        else expect(WS_CLOSE_CODES.has(outcome.code), `close ${outcome.code} after ${JSON.stringify(sequence).slice(0, 120)}`).toBe(true);
      }),
      { numRuns: 40 },
    );
    await stillServing();
  });

  it('survives protocol abuse: duplicate ids, second init, floods of subscriptions, half-open sockets, slowloris', async () => {
    // Thousands of subscribe messages on one socket: refused beyond the per-connection limit, socket kept.
    const flood = await openAcked(herald.wsUrl, auth);
    for (let i = 0; i < 2_000; i++) flood.send({ id: `f${i}`, type: 'subscribe', payload: { query: `subscription { taskEvents(repositories: ["flood${i % 7}"]) { id } }` } });
    expect(await flood.next((m) => m.type === 'error')).toMatchObject({ payload: [{ extensions: { code: 'LIMIT_EXCEEDED' } }] });
    flood.socket.terminate();
    inputs += 2_000;

    // Half-open TCP connections and a slowloris request: they hold a socket, nothing else.
    const { port } = new URL(herald.url);
    const idle = Array.from({ length: 20 }, () => connect(Number(port), '127.0.0.1'));
    const slow = connect(Number(port), '127.0.0.1');
    slow.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"qu');
    inputs += 21;
    await stillServing();
    for (const s of [...idle, slow]) s.destroy();

    // Huge variables and an alias bomb over WebSocket.
    const bomb = await openAcked(herald.wsUrl, auth);
    bomb.send({ id: 'a', type: 'subscribe', payload: { query: `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: stats { mode }`).join(' ')} }` } });
    expect(await bomb.next((m) => m.id === 'a')).toMatchObject({ type: 'error' });
    bomb.send({ id: 'v', type: 'subscribe', payload: { query: '{ stats { mode } }', variables: { x: 'y'.repeat(600 * 1024) } } });
    expect((await bomb.closed).code).toBe(1009);
    inputs += 2;
    await stillServing();
  });
});
