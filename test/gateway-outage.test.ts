import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record, waitForStatus, wsClient } from './helpers/client.js';
import { deploy, GATEWAY_EVENTS, GATEWAY_PATH, registerGateway, waitForGatewayConnections, type GatewayEventResult } from './helpers/gateways.js';
import { buildGateway } from '../src/gateways/model.js';
import { createRedisGatewayStore } from '../src/gateways/store.redis.js';
import { createRedisConnections } from '../src/redis/connections.js';
import { silent } from './contracts/backends.js';
import { startRedis, type RedisServer } from './helpers/redis.js';
import { useHerald } from './helpers/servers.js';
import { until } from './helpers/wait.js';

describe('a gateway reconnecting through a Redis outage', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    // Persistent, as production Redis is: the gateway and its key outlive the restart.
    redis = await startRedis({ persistent: true });
  });
  afterAll(() => redis?.stop());
  const herald = useHerald(() => ({ REDIS_URL: redis.url, NODE_ENV: 'production' }));

  it('is back on its own within seconds of Redis returning, with a stock graphql-ws client, and gets the next deployment', async () => {
    const { apiKey, gateway } = await registerGateway(herald.url, 'edge-through-outage');
    const closes: number[] = [];
    const sockets: WebSocket[] = [];
    // graphql-ws as a gateway would run it: retrying, with its own default backoff.
    const client = wsClient(herald.wsUrl.replace('/graphql', GATEWAY_PATH), {
      connectionParams: { apiKey },
      retryAttempts: 20,
      on: {
        connected: (socket) => void sockets.push(socket as WebSocket),
        closed: (event) => void closes.push((event as { code: number }).code),
      },
    });
    const events = record<GatewayEventResult>(client, GATEWAY_EVENTS, {}, 'gatewayEvents');
    await waitForGatewayConnections(herald.url, gateway.id, 1);

    await redis.pause();
    await waitForStatus(`${herald.origin}/ready`, 503);
    // The gateway's connection drops (a network blip, an instance restart) while Redis is away.
    sockets[0]!.terminate();
    // Its reconnects are refused while its key cannot be checked, with a code it retries.
    await until(() => closes, (c) => c.includes(1013), 'a refused reconnect', 15_000);

    await redis.restart();
    await waitForStatus(`${herald.origin}/ready`, 200);
    const back = Date.now();
    await until(() => sockets.length, (n) => n === 2, 'the gateway to reconnect', 20_000);
    expect(Date.now() - back).toBeLessThan(20_000);
    expect(closes.filter((code) => code !== 1006 && code !== 1013)).toEqual([]);

    await waitForGatewayConnections(herald.url, gateway.id, 1);
    const result = await deploy(herald.url, [gateway.id], { revisionId: 'after-outage' });
    expect(result.targets[0]).toMatchObject({ status: 'DELIVERED' });
    const [event] = await events.waitForCount(1);
    expect(event!.payload).toMatchObject({ revisionId: 'after-outage', deploymentId: result.id });
    await client.dispose();
  }, 60_000);
});

describe('events sent to gateways, counted while Redis is away', () => {
  it('are written once Redis is back, and once only', async () => {
    const server = await startRedis({ persistent: true });
    const connections = createRedisConnections({ kind: 'single', url: server.url }, 'counts:', silent);
    try {
      expect(await connections.whenReady(5_000)).toBe(true);
      const store = createRedisGatewayStore(connections);
      await store.create(buildGateway('g', { name: 'edge g' }, '2026-01-01T00:00:00.000Z'));
      await store.recordDeliveries(['g'], { ok: true });
      await server.pause();
      // Refused without being sent: the count stays with the instance.
      await store.flush!();
      await server.restart();
      expect(await connections.whenReady(10_000)).toBe(true);
      expect((await store.deliveryStats('g')).eventsSent).toBe(1);
      await store.flush!();
      // A store with nothing counted of its own reads what is in Redis.
      expect((await createRedisGatewayStore(connections).deliveryStats('g')).eventsSent).toBe(1);
    } finally {
      await connections.close();
      await server.stop();
    }
  }, 30_000);
});
