import { describe, expect, it } from 'vitest';
import { gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient } from './helpers/client.js';
import { startReceiver } from './helpers/receiver.js';
import { useHerald } from './helpers/servers.js';
import { openSse } from './helpers/sse.js';

describe('stats.subscriptions', () => {
  const herald = useHerald();

  it('counts WebSocket and SSE subscriptions only, not push registrations', async () => {
    const receiver = await startReceiver();
    try {
      await gqlOk(herald.url, 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }', {
        input: { callbackUrl: receiver.url, repositories: ['counted'], clientVersion: '1.0.0' },
      });
      // A delivered push shows the registration's worker is following the repository.
      await gqlOk(herald.url, 'mutation { createTask(input: { repository: "counted", title: "t" }) { id } }');
      await receiver.until(() => receiver.delivered().length === 1);
      const { stats } = await gqlOk(herald.url, '{ stats { subscriptions connections } }');
      expect(stats).toEqual({ subscriptions: 0, connections: 0 });

      // A WebSocket and an SSE subscription do count, the registration still not.
      const client = wsClient(herald.wsUrl);
      const ws = record(client, TASK_EVENTS, { repositories: ['counted'] });
      const sse = await openSse(herald.url, TASK_EVENTS, { repositories: ['counted'] });
      try {
        await waitForSubscriptions(herald.url, 2);
        expect((await gqlOk(herald.url, '{ stats { subscriptions connections } }')).stats).toEqual({ subscriptions: 2, connections: 1 });
      } finally {
        ws.dispose();
        sse.close();
        await client.dispose();
      }
    } finally {
      await receiver.close();
    }
  });
});
