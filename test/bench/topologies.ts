/**
 * What publishing costs on each Redis topology, side by side:
 *
 *   npx tsx test/bench/topologies.ts [--events 5000] [--concurrency 32] [--rounds 3]
 *
 * Starts one redis-server, a Redis Cluster of three primaries and a Sentinel
 * set (primary, replica, three sentinels), all redis-server processes on free
 * 127.0.0.1 ports (test/helpers/redis-topologies.ts), and stops them at the
 * end. At the bus level, in this process, on each topology: --events
 * publishes of a task event (~300 byte payload) over 16 topics, --concurrency
 * in flight, with one listener per topic through the bus (Herald's own
 * subscribe path), measuring publishes per second and the time from publish
 * to the listener (p50, p99). Rounds interleave the topologies (round 1:
 * single cluster sentinel, round 2: cluster sentinel single, ...); medians
 * are reported, with each topology's ratio to single measured in the same
 * rounds.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createRedisBus } from '../../src/events/bus.redis.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { createRedisConnections } from '../../src/redis/connections.js';
import type { RedisTopology } from '../../src/redis/topology.js';
import { startRedisCluster, startSentinels, SENTINEL_NAME } from '../helpers/redis-topologies.js';
import { startRedis } from '../helpers/redis.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '32' }, rounds: { type: 'string', default: '3' } },
});
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const TOPICS = Array.from({ length: 16 }, (_, i) => `repo:bench-${i}`);
const log = pino({ level: 'silent' });
const payload = { task: { id: '01HZX', repository: 'bench', title: 'x'.repeat(200), status: 'TODO', createdAt: new Date().toISOString() } };

type Result = { perSecond: number; p50: number; p99: number };

async function measure(topology: RedisTopology, round: number): Promise<Result> {
  const redis = createRedisConnections(topology, `bench-${round}:`, log);
  if (!(await redis.whenReady(10_000))) throw new Error(`${topology.kind} did not become ready`);
  const bus = createRedisBus(redis, log);
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const listener = (event: EventEnvelope) => {
    const at = sent.get(event.id);
    if (at !== undefined) latencies.push(performance.now() - at);
    if (++received === EVENTS) allReceived();
  };
  const stops = await Promise.all(TOPICS.map((topic) => bus.subscribe(topic, listener)));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        const n = next++;
        const at = performance.now();
        const event = await bus.publish({ topic: TOPICS[n % TOPICS.length]!, type: 'task.created', correlationId: null, priority: 'NORMAL', expiresAt: null, payload });
        // Publish resolves after Redis answered; the listener may have had it already.
        if (!sent.has(event.id)) sent.set(event.id, at);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await done;
  for (const stop of stops) stop();
  await redis.close();
  latencies.sort((a, b) => a - b);
  return { perSecond: EVENTS / elapsed, p50: latencies[Math.floor(latencies.length / 2)]!, p99: latencies[Math.floor(latencies.length * 0.99)]! };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const single = await startRedis();
const cluster = await startRedisCluster();
const sentinels = await startSentinels();
try {
  const topologies: Record<string, RedisTopology> = {
    single: { kind: 'single', url: single.url },
    cluster: { kind: 'cluster', nodes: cluster.seeds.split(',').map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })) },
    sentinel: { kind: 'sentinel', sentinels: sentinels.env.REDIS_SENTINELS!.split(',').map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })), name: SENTINEL_NAME },
  };
  const names = Object.keys(topologies);
  const results: Record<string, Result[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...names.slice(round % names.length), ...names.slice(0, round % names.length)];
    for (const name of order) results[name]!.push(await measure(topologies[name]!, round));
  }
  console.log(`${EVENTS} publishes over ${TOPICS.length} topics, ${CONCURRENCY} in flight, ${ROUNDS} interleaved rounds; medians`);
  console.log('topology   publishes/s   vs single   p50 ms   p99 ms   p50 vs single');
  for (const name of names) {
    const r = results[name]!;
    const ratio = median(r.map((x, i) => x.perSecond / results.single![i]!.perSecond));
    const latencyRatio = median(r.map((x, i) => x.p50 / results.single![i]!.p50));
    console.log(
      `${name.padEnd(10)} ${median(r.map((x) => x.perSecond)).toFixed(0).padStart(11)}   ${ratio.toFixed(2).padStart(9)}   ${median(r.map((x) => x.p50)).toFixed(2).padStart(6)}   ${median(r.map((x) => x.p99)).toFixed(2).padStart(6)}   ${latencyRatio.toFixed(2).padStart(13)}`,
    );
  }
} finally {
  await Promise.all([single.stop(), cluster.stop(), sentinels.stop()]);
}
