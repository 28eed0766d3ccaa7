import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../../src/errors.js';
import { createMemoryBus } from '../../src/events/bus.memory.js';
import type { EventBus } from '../../src/events/bus.js';
import { Topics } from '../../src/events/topics.js';
import { gatewayEventDrafts } from '../../src/gateways/events.js';
import { buildGateway } from '../../src/gateways/model.js';
import { createGatewayService, type TargetResult } from '../../src/gateways/service.js';
import { createMemoryGatewayStore } from '../../src/gateways/store.memory.js';

/**
 * How a deployment reports each target when the bus publishes, refuses, or
 * publishes but cannot count the listeners: each target once, the
 * deployment's record written with exactly what the caller gets back.
 */
async function setUp(bus: EventBus, reported: ReadonlyMap<string, number> = new Map()) {
  const store = createMemoryGatewayStore();
  for (const id of ['g1', 'g2']) await store.create(buildGateway(id, { name: id }, new Date().toISOString()));
  const undelivered: Array<[string, number]> = [];
  const service = createGatewayService({
    store,
    bus,
    endSessions: async () => {},
    subscribers: async (ids) => new Map([...reported].filter(([id]) => ids.includes(id))),
    onUndelivered: (reason, count) => undelivered.push([reason, count]),
    log: pino({ level: 'silent' }),
  });
  const recorded: TargetResult[][] = [];
  const dispatch = () =>
    service.dispatch(['g1', 'g2'], gatewayEventDrafts('API_UNDEPLOYED', { apiId: 'api', deploymentId: 'd1' }, null), async (results) => void recorded.push(results));
  return { store, service, undelivered, recorded, dispatch };
}

const published = async (bus: EventBus, gatewayId: string) => {
  const read = await bus.read([Topics.gateway(gatewayId)], { position: 0, time: Date.now() }, 10);
  return read.ok ? read.events.map((e) => e.type) : read.reason;
};

describe('dispatching events to gateways', () => {
  it('reports DELIVERED where an instance follows the gateway, NO_CONNECTION elsewhere, and records exactly that', async () => {
    const bus = createMemoryBus();
    const leave = await bus.subscribe(Topics.gatewayPresence('g1'), () => {});
    const { store, undelivered, recorded, dispatch } = await setUp(bus, new Map([['g1', 2]]));
    const results = await dispatch();
    expect(results.map((r) => [r.gatewayId, r.status, r.connections])).toEqual([
      ['g1', 'DELIVERED', 2],
      ['g2', 'NO_CONNECTION', 0],
    ]);
    expect(recorded).toEqual([results]);
    expect(undelivered).toEqual([['no_connection', 1]]);
    expect([(await store.deliveryStats('g1')).eventsSent, (await store.deliveryStats('g2')).failedDeliveries]).toEqual([1, 1]);
    leave();
  });

  it('reports every target FAILED, with the reason, when the publish is refused, and records that', async () => {
    const bus = createMemoryBus();
    const refusing: EventBus = { ...bus, publishAll: async () => Promise.reject(new BackendUnavailableError('redis went away')) };
    const { store, undelivered, recorded, dispatch } = await setUp(refusing);
    const results = await dispatch();
    expect(results).toEqual(['g1', 'g2'].map((gatewayId) => ({ gatewayId, status: 'FAILED', connections: 0, reason: 'publish failed: redis went away', eventId: null })));
    expect(recorded).toEqual([results]);
    expect(undelivered).toEqual([['publish_failed', 2]]);
    expect((await store.deliveryStats('g2')).lastFailureReason).toBe('publish failed: redis went away');
    expect(await published(bus, 'g1')).toEqual([]);
  });

  it('takes the instances’ reports for who listens when the events were published but the count was refused', async () => {
    const bus = createMemoryBus();
    const uncounted: EventBus = { ...bus, listeners: async () => Promise.reject(new BackendUnavailableError('count refused')) };
    const { recorded, dispatch } = await setUp(uncounted, new Map([['g2', 1]]));
    const results = await dispatch();
    expect(results.map((r) => [r.gatewayId, r.status, r.connections, r.eventId !== null])).toEqual([
      ['g1', 'NO_CONNECTION', 0, true],
      ['g2', 'DELIVERED', 1, true],
    ]);
    expect(recorded).toEqual([results]);
    expect([await published(bus, 'g1'), await published(bus, 'g2')]).toEqual([['api.undeployed'], ['api.undeployed']]);
  });
});
