import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBus } from '../src/events/bus.redis.js';
import type { EventDraft } from '../src/events/envelope.js';
import { createRedisConnections, type RedisConnections } from '../src/redis/connections.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

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

/**
 * The command connection sends what one tick asks of it in one write: the
 * publishes of requests resumed together leave together, without waiting
 * for another turn of the event loop as auto-pipelined commands do.
 */
describe('command connection writes', () => {
  let server: RedisServer;
  let redis: RedisConnections;

  beforeAll(async () => {
    server = await startRedis();
    redis = createRedisConnections({ kind: 'single', url: server.url }, 'writes:', silent);
    expect(await redis.whenReady(5_000)).toBe(true);
  });
  afterAll(async () => {
    await redis?.close();
    await server?.stop();
  });

  it('sends publishes made in one tick in one write, each answered', async () => {
    const bus = createRedisBus(redis, silent);
    await bus.publish(draft('repo:w', 0)); // the script is loaded on the connection
    const count = countWrites((redis.command as Redis).stream as Socket, 'repo:w}');
    try {
      const events = await Promise.all([bus.publish(draft('repo:w', 1)), bus.publish(draft('repo:w', 2)), bus.publish(draft('repo:w', 3))]);
      expect(events.map((e) => e.sequence)).toEqual([2, 3, 4]);
      expect(count.writes).toEqual([3]);
    } finally {
      count.stop();
    }
  });

  it('sends a command of a later tick in a write of its own, without waiting for the loop', async () => {
    const bus = createRedisBus(redis, silent);
    await bus.publish(draft('repo:w2', 0));
    const count = countWrites((redis.command as Redis).stream as Socket, 'repo:w2}');
    try {
      const first = bus.publish(draft('repo:w2', 1));
      await new Promise<void>((resolve) => process.nextTick(resolve));
      // The first went out once the tick's callbacks had run, before the event loop turned.
      expect(count.writes).toEqual([1]);
      await Promise.all([first, bus.publish(draft('repo:w2', 2))]);
      expect(count.writes).toEqual([1, 1]);
    } finally {
      count.stop();
    }
  });
});
