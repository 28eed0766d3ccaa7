import { Cluster, Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBus } from '../src/events/bus.redis.js';
import type { EventDraft } from '../src/events/envelope.js';
import { taskEventDraft } from '../src/tasks/events.js';
import { buildTask } from '../src/tasks/model.js';
import { createRedisTaskStore } from '../src/tasks/store.redis.js';
import { createRedisConnections, type RedisConnections } from '../src/redis/connections.js';
import type { RedisTopology } from '../src/redis/topology.js';
import { cutClusterNodes, startRedisCutter } from './helpers/redis-cutter.js';
import { startRedis } from './helpers/redis.js';
import { startRedisCluster } from './helpers/redis-topologies.js';

const silent = pino({ level: 'silent' });
const draft = (topic: string, n: number): EventDraft => ({ topic, type: 't', correlationId: null, priority: 'NORMAL', expiresAt: null, payload: { n } });

type Setup = { topology: RedisTopology; admin: Redis | Cluster; arm(marker: string, when: 'before' | 'after'): Promise<void>; stop(): Promise<void> };

/** One server behind a cutter. */
async function single(): Promise<Setup> {
  const redis = await startRedis();
  const cutter = await startRedisCutter(redis.url);
  return {
    topology: { kind: 'single', url: cutter.url },
    admin: new Redis(redis.url),
    arm: (marker, when) => cutter.arm(marker, when),
    stop: async () => {
      await cutter.close();
      await redis.stop();
    },
  };
}

/** A Cluster of three primaries, each behind a cutter: a topic's script is cut on the primary of its slot. */
async function cluster(): Promise<Setup> {
  const deployment = await startRedisCluster();
  const ports = deployment.nodes.map((n) => n.port);
  const cutters = await cutClusterNodes(ports);
  return {
    topology: { kind: 'cluster', nodes: cutters.seeds },
    admin: deployment.client(),
    arm: (marker, when) => cutters.arm(marker, when),
    stop: async () => {
      await cutters.close();
      await deployment.stop();
    },
  };
}

/**
 * A publish whose connection drops between sending the script and reading
 * its reply: Redis may have run it. Whichever it did, the event is logged
 * once and the publisher gets its numbers — never a second copy from a blind
 * resend, never an error for an event that was published. On a Cluster the
 * script is the one of the topic's slot, cut on that slot's primary.
 */
describe.each([
  ['single', single],
  ['cluster', cluster],
] as const)('a publish cut off from its reply (%s)', (_name, setUp) => {
  let setup: Setup;
  let connections: RedisConnections;
  const prefix = 'outcome:';

  beforeAll(async () => {
    setup = await setUp();
    connections = createRedisConnections(setup.topology, prefix, silent);
    expect(await connections.whenReady(10_000)).toBe(true);
  }, 60_000);
  afterAll(async () => {
    setup?.admin.disconnect();
    await connections?.close();
    await setup?.stop();
  });

  /** The ids of a topic's log, oldest first, read straight from Redis. */
  const logged = async (topic: string) =>
    ((await setup.admin.xrange(`${prefix}log:{${topic}}`, '-', '+')) as Array<[string, string[]]>).map(([, fields]) => (JSON.parse(fields[1]!) as { id: string }).id);

  // The marker is the topic's log key, which only the publish script names. Each topic gets one
  // event first, so the script is loaded where the cut one runs (a first EVALSHA is refused).
  const cutOn = (topic: string, when: 'before' | 'after') => setup.arm(`log:{${topic}}`, when);

  it('after Redis ran it: the publisher gets the logged event, which is in the log once', async () => {
    const bus = createRedisBus(connections, silent);
    const first = await bus.publish(draft('repo:cut-after', 0));
    const cut = cutOn('repo:cut-after', 'after');
    const published = bus.publish(draft('repo:cut-after', 1));
    await cut;
    const event = await published;
    expect(event.sequence).toBe(2);
    expect(await logged('repo:cut-after')).toEqual([first.id, event.id]);
    expect((await bus.publish(draft('repo:cut-after', 2))).sequence).toBe(3);
  });

  it('before Redis saw it: it is published once the connection is back', async () => {
    const bus = createRedisBus(connections, silent);
    const first = await bus.publish(draft('repo:cut-before', 0));
    const cut = cutOn('repo:cut-before', 'before');
    const published = bus.publish(draft('repo:cut-before', 1));
    await cut;
    const event = await published;
    expect(event.sequence).toBe(2);
    expect(await logged('repo:cut-before')).toEqual([first.id, event.id]);
  });

  it('a batch over several topics, after Redis ran it: every event logged once, numbered as the log numbers it', async () => {
    const bus = createRedisBus(connections, silent);
    const [a0, b0] = await bus.publishAll([draft('repo:cut-batch-a', 0), draft('repo:cut-batch-b', 0)]);
    const cut = cutOn('repo:cut-batch-b', 'after');
    const published = bus.publishAll([draft('repo:cut-batch-a', 1), draft('repo:cut-batch-b', 2), draft('repo:cut-batch-a', 3)]);
    await cut;
    const events = await published;
    expect(events.map((e) => [e.topic, e.sequence])).toEqual([
      ['repo:cut-batch-a', 2],
      ['repo:cut-batch-b', 2],
      ['repo:cut-batch-a', 3],
    ]);
    expect(events[1]!.position).toBe(events[0]!.position + 1);
    expect(await logged('repo:cut-batch-a')).toEqual([a0!.id, events[0]!.id, events[2]!.id]);
    expect(await logged('repo:cut-batch-b')).toEqual([b0!.id, events[1]!.id]);
  });

  it.each(['after', 'before'] as const)('a task stored with its event, cut %s Redis saw it: the task stored, its event logged once', async (when) => {
    const bus = createRedisBus(connections, silent);
    const store = createRedisTaskStore(connections);
    const topic = `repo:cut-record-${when}`;
    const first = await bus.publish(draft(topic, 0));
    const task = buildTask(`cut-record-${when}`, { repository: topic.slice('repo:'.length), title: 't' }, new Date().toISOString());
    const cut = cutOn(topic, when);
    const published = bus.publishWithRecord!(taskEventDraft('CREATED', task, 'tester'), store.recordOf!(task));
    await cut;
    const event = await published;
    expect(event.sequence).toBe(2);
    expect(await logged(topic)).toEqual([first.id, event.id]);
    expect(await store.get(task.id)).toEqual(task);
    expect(await store.list(task.repository)).toEqual([task]);
  });
});
