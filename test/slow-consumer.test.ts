import { describe, expect, it } from 'vitest';
import { CREATE_TASK, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient, type TaskEventResult } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { openAcked } from './helpers/raw-ws.js';
import { useHerald } from './helpers/servers.js';

describe('a client that stops reading', () => {
  const herald = useHerald({ WS_MAX_BUFFERED_BYTES: String(64 * 1024) });

  it('is closed with 1013 once its backlog passes the limit, while a healthy client gets every event', async () => {
    const healthy = wsClient(herald.wsUrl);
    const healthyEvents = record<TaskEventResult>(healthy, TASK_EVENTS, { repositories: ['firehose'] });
    const slow = await openAcked(herald.wsUrl, { authorization: `Bearer ${ADMIN_TOKEN}` });
    slow.send({ id: 's', type: 'subscribe', payload: { query: 'subscription { taskEvents(repositories: ["firehose"]) { id task { description } } }' } });
    await waitForSubscriptions(herald.url, 2);
    slow.socket.pause(); // stops reading; the kernel buffers fill, then the server's

    const description = 'x'.repeat(10_000);
    let published = 0;
    const slowDropped = async () => (await gqlOk(herald.url, '{ stats { slowConsumerDisconnects } }')).stats.slowConsumerDisconnects === 1;
    while (!(await slowDropped())) {
      if (published >= 5_000) throw new Error('the slow client was never dropped');
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => gqlOk(herald.url, CREATE_TASK, { input: { repository: 'firehose', title: `e${published + i}`, description } })),
      );
      published += 50;
    }

    const received = await healthyEvents.waitForCount(published);
    expect(received).toHaveLength(published);
    expect(received.map((e) => e.sequence)).toEqual(Array.from({ length: published }, (_, i) => i + 1));

    slow.socket.resume();
    expect(await slow.closed).toEqual({ code: 1013, reason: 'Slow consumer: not reading events fast enough' });
    const { stats } = await gqlOk(herald.url, '{ stats { connections slowConsumerDisconnects } }');
    expect(stats).toEqual({ connections: 1, slowConsumerDisconnects: 1 });
    await healthy.dispose();
  });
});
