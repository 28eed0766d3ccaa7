import type { Socket } from 'node:net';
import { Cluster, type Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBus } from '../src/events/bus.redis.js';
import type { EventDraft } from '../src/events/envelope.js';
import { createRedisConnections, type RedisConnections } from '../src/redis/connections.js';
import { startRedis } from './helpers/redis.js';
import { startRedisCluster } from './helpers/redis-topologies.js';

const silent = pino({ level: 'silent' });
const draft = (topic: string, n: number): EventDraft => ({ topic, type: 't', correlationId: null, priority: 'NORMAL', expiresAt: null, payload: { n } });

/**
 * The socket writes of a connection (a call of `_write`, or of `_writev` for
 * all it was handed) that carry `marker`, by how many of its commands each held.
 */
function countWrites(socket: Socket, marker: string) {
  const writes: number[] = [];
  const target = socket as unknown as { _write: (...args: unknown[]) => void; _writev: (chunks: Array<{ chunk: unknown }>, ...rest: unknown[]) => void };
  const [write, writev] = [target._write, target._writev];
  const holding = (chunks: unknown[]) => chunks.filter((chunk) => String(chunk).includes(marker)).length;
  const note = (held: number) => held > 0 && writes.push(held);
  target._write = function (chunk, ...rest) {
    note(holding([chunk]));
    return write.call(this, chunk, ...rest);
  };
  target._writev = function (chunks, ...rest) {
    note(holding(chunks.map((c) => c.chunk)));
    return writev.call(this, chunks, ...rest);
  };
  return {
    writes,
    stop() {
      target._write = write;
      target._writev = writev;
    },
  };
}

/** The sockets of the command connection: one server's, or on a Cluster those of its node connections. */
const socketsOf = (redis: RedisConnections): Socket[] =>
  redis.command instanceof Cluster ? redis.command.nodes('all').map((node) => node.stream as Socket) : [(redis.command as Redis).stream as Socket];

/**
 * The command connection sends what one tick asks of it in one write: the
 * publishes of requests resumed together leave together, without waiting
 * for another turn of the event loop as auto-pipelined commands do. On a
 * Cluster, each node's connection does.
 */
describe.each([
  ['single', async () => {
    const server = await startRedis();
    return { topology: { kind: 'single' as const, url: server.url }, stop: () => server.stop() };
  }],
  ['cluster', async () => {
    const cluster = await startRedisCluster();
    return { topology: { kind: 'cluster' as const, nodes: cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })) }, stop: () => cluster.stop() };
  }],
] as const)('command connection writes (%s)', (_name, start) => {
  let stop: () => Promise<void>;
  let redis: RedisConnections;

  beforeAll(async () => {
    const started = await start();
    stop = started.stop;
    redis = createRedisConnections(started.topology, 'writes:', silent);
    expect(await redis.whenReady(10_000)).toBe(true);
  }, 60_000);
  afterAll(async () => {
    await redis?.close();
    await stop?.();
  });

  /** Counts the writes carrying `marker` on every socket of the command connection. */
  const countAll = (marker: string) => {
    const counts = socketsOf(redis).map((socket) => countWrites(socket, marker));
    return { writes: () => counts.flatMap((c) => c.writes), stop: () => counts.forEach((c) => c.stop()) };
  };

  it('sends publishes made in one tick in one write, each answered', async () => {
    const bus = createRedisBus(redis, silent);
    await bus.publish(draft('repo:w', 0)); // the script is loaded on the connection
    const count = countAll('repo:w}');
    try {
      const events = await Promise.all([bus.publish(draft('repo:w', 1)), bus.publish(draft('repo:w', 2)), bus.publish(draft('repo:w', 3))]);
      expect(events.map((e) => e.sequence)).toEqual([2, 3, 4]);
      expect(count.writes()).toEqual([3]);
    } finally {
      count.stop();
    }
  });

  it('sends a command of a later tick in a write of its own, without waiting for the loop', async () => {
    const bus = createRedisBus(redis, silent);
    await bus.publish(draft('repo:w2', 0));
    const count = countAll('repo:w2}');
    try {
      const first = bus.publish(draft('repo:w2', 1));
      await new Promise<void>((resolve) => process.nextTick(resolve));
      // On one server the first went out once the tick's callbacks had run, before the event loop
      // turned (on a Cluster it waits for its position first).
      if (!redis.sharded) expect(count.writes()).toEqual([1]);
      await first;
      const second = await bus.publish(draft('repo:w2', 2));
      expect(second.sequence).toBe(3);
      expect(count.writes()).toEqual([1, 1]);
    } finally {
      count.stop();
    }
  });
});
