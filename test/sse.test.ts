import { describe, expect, it } from 'vitest';
import { createTask, waitForSubscriptions } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { useHerald } from './helpers/servers.js';

/** Reads server-sent events from a response until `count` `next` events arrived. */
async function readNextEvents(response: Response, count: number): Promise<unknown[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const found: unknown[] = [];
  let buffer = '';
  while (found.length < count) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended after ${found.length} events`);
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (/^event: next$/m.test(block)) found.push(JSON.parse(/^data: (.*)$/m.exec(block)![1]!));
    }
  }
  await reader.cancel();
  return found;
}

describe('subscriptions over SSE', () => {
  const herald = useHerald();

  it('streams task events as server-sent events', async () => {
    const query = 'subscription ($r: [String!]!) { taskEvents(repositories: $r) { type repository sequence task { title } } }';
    const response = await fetch(herald.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query, variables: { r: ['sse'] } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'sse', 'one');
    await createTask(herald.url, 'other', 'not for sse');
    await createTask(herald.url, 'sse', 'two');
    const events = await readNextEvents(response, 2);
    expect(events).toEqual([
      { data: { taskEvents: { type: 'CREATED', repository: 'sse', sequence: 1, task: { title: 'one' } } } },
      { data: { taskEvents: { type: 'CREATED', repository: 'sse', sequence: 2, task: { title: 'two' } } } },
    ]);
    await waitForSubscriptions(herald.url, 0);
  });
});
