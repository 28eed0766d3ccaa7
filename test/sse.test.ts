import { describe, expect, it } from 'vitest';
import { createTask, waitForSubscriptions } from './helpers/client.js';
import { useHerald } from './helpers/servers.js';
import { openSse } from './helpers/sse.js';

describe('subscriptions over SSE', () => {
  const herald = useHerald();

  it('streams task events as server-sent events', async () => {
    const query = 'subscription ($r: [String!]!) { taskEvents(repositories: $r) { type repository sequence task { title } } }';
    const stream = await openSse(herald.url, query, { r: ['sse'] });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'sse', 'one');
    await createTask(herald.url, 'other', 'not for sse');
    await createTask(herald.url, 'sse', 'two');
    const events = await stream.waitForCount(2);
    stream.close();
    expect(events).toEqual([
      { data: { taskEvents: { type: 'CREATED', repository: 'sse', sequence: 1, task: { title: 'one' } } } },
      { data: { taskEvents: { type: 'CREATED', repository: 'sse', sequence: 2, task: { title: 'two' } } } },
    ]);
    await waitForSubscriptions(herald.url, 0);
  });
});
