import { describe, expect, it } from 'vitest';
import { createTask, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient, type TaskEventResult } from './helpers/client.js';
import { deploy, gatewayClient, registerGateway, waitForGatewayConnections } from './helpers/gateways.js';
import type { HeraldProcess } from './helpers/herald.js';
import { useCluster } from './helpers/servers.js';

describe('graceful shutdown', () => {

  const cluster = useCluster(2);
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];

  it('closes sockets with 1001, ends SSE streams, exits 0, and clients carry on on another instance', async () => {
    const closes: Array<{ code: number; reason: string }> = [];
    const urls = [a.wsUrl, b.wsUrl];
    let attempt = 0;
    const client = wsClient('', {
      url: () => urls[Math.min(attempt++, 1)]!,
      retryAttempts: 3,
      retryWait: async () => {},
      on: { closed: (e) => closes.push({ code: (e as CloseEvent).code, reason: (e as CloseEvent).reason }) },
    });
    const events = record<TaskEventResult>(client, TASK_EVENTS, { repositories: ['handover'] });
    await waitForSubscriptions(a.url, 1);

    const sse = await fetch(`${a.url}?query=${encodeURIComponent('subscription { taskEvents(repositories: ["handover"]) { type } }')}`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(sse.status).toBe(200);
    await waitForSubscriptions(a.url, 2);
    const sseBody = sse.text(); // resolves when the server ends the stream

    // A deployment through a, to a gateway on b: a counts the event it sent and writes the count within a second, or on its way out.
    const edge = await registerGateway(b.url, 'edge-before-shutdown');
    const onB = gatewayClient(b.wsUrl, edge.apiKey);
    await waitForGatewayConnections(a.url, edge.gateway.id, 1);
    expect((await deploy(a.url, [edge.gateway.id])).targets).toEqual([expect.objectContaining({ status: 'DELIVERED' })]);
    await onB.events.waitForCount(1);

    const started = Date.now();
    a.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(closes[0]).toEqual({ code: 1001, reason: 'Server shutting down' });
    expect(await sseBody).toContain('event: complete');

    // Nothing a counted is lost with it.
    const { gateway } = await gqlOk(b.url, 'query ($id: ID!) { gateway(id: $id) { delivery { eventsSent } } }', { id: edge.gateway.id });
    expect(gateway.delivery.eventsSent).toBe(1);
    await onB.client.dispose();

    // The client reconnected to b and resubscribed by itself; events keep coming.
    await waitForSubscriptions(b.url, 1);
    await createTask(b.url, 'handover', 'after the move');
    const [event] = await events.waitForCount(1);
    expect(event!.task!.title).toBe('after the move');
    expect(events.errors).toEqual([]);
    await client.dispose();
  });
});
