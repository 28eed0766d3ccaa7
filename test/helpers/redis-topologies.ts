import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './ports.js';
import { startRedis, type RedisServer } from './redis.js';
import { until } from './wait.js';

/**
 * Real Redis deployments for the topology-parametrised suites: a Redis
 * Cluster of redis-server processes (3 primaries, optionally a replica each)
 * and a Sentinel set (a primary, a replica and three sentinels, each
 * `redis-server <conf> --sentinel`), on free ports, with the environment a
 * Herald instance needs to use them.
 */

export type TopologyName = 'single' | 'cluster' | 'sentinel';

/** One redis-server process of a deployment. */
export type RedisNodeProcess = {
  readonly port: number;
  /** Kills the process at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same settings. */
  restart(): Promise<void>;
  /** Stops the process (SIGSTOP) without closing anything: it answers nothing until resumed. */
  pause(): void;
  /** Lets a paused process go on (SIGCONT). */
  resume(): void;
};

export type RedisDeployment = {
  readonly topology: TopologyName;
  /** Starts a deployment made with `{ running: false }` (its ports were chosen, nothing runs on them yet). */
  start(): Promise<void>;
  /** The settings a Herald instance uses this deployment with. */
  readonly env: Record<string, string>;
  /** A client for the test's own look at the data (a Cluster client in Cluster mode). */
  client(): Redis | Cluster;
  stop(): Promise<void>;
};

/** A free port whose +10000 (the cluster bus port) is free too. */
export async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10_000 > 65_535) continue;
    if (await isFree(port + 10_000)) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Starts redis-server with `args` and resolves once it says `ready` (a line of its log). */
function launch(args: string[], ready: string): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise<ChildProcess>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server ${args.join(' ')} exited with ${code}: ${output}`)));
    child.once('error', reject);
  });
}

function nodeProcess(port: number, args: string[], ready = 'Ready to accept connections'): RedisNodeProcess & { start(): Promise<void>; stop(): Promise<void> } {
  let child: ChildProcess | undefined;
  const stopWith = async (signal: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  const start = async () => {
    child = await launch(args, ready);
  };
  const signal = (name: NodeJS.Signals) => void child?.kill(name);
  return { port, start, restart: start, kill: () => stopWith('SIGKILL'), stop: () => stopWith('SIGTERM'), pause: () => signal('SIGSTOP'), resume: () => signal('SIGCONT') };
}

export type RedisClusterDeployment = RedisDeployment & {
  readonly nodes: ReturnType<typeof nodeProcess>[];
  /** The seed list, as REDIS_CLUSTER_NODES takes it. */
  readonly seeds: string;
  /** The port of the primary that serves `key`'s slot now. */
  primaryOf(key: string): Promise<number>;
  /**
   * Starts a fresh node (empty, a new port), has it meet the cluster, and
   * makes it a replica of the primary on `primaryPort`; resolves once it has
   * copied that primary. It joins `nodes`.
   */
  addReplica(primaryPort: number): Promise<RedisNodeProcess>;
};

/**
 * A Redis Cluster of `primaries` primaries and `replicas` replicas each, on
 * 127.0.0.1. Node timeout 1 s, so a killed primary's replica takes over
 * within a few seconds.
 */
export async function startRedisCluster(options: { primaries?: number; replicas?: number; running?: boolean } = {}): Promise<RedisClusterDeployment> {
  const primaries = options.primaries ?? 3;
  const replicas = options.replicas ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'herald-cluster-'));
  const ports: number[] = [];
  while (ports.length < primaries * (1 + replicas)) {
    const port = await clusterPort();
    if (!ports.includes(port)) ports.push(port);
  }
  const clusterNode = (port: number) =>
    nodeProcess(port, [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000',
      // A replica takes over however long it was apart from its primary.
      '--cluster-replica-validity-factor', '0',
      // DEBUG SLEEP, to hold a replica back.
      '--enable-debug-command', 'local',
    ]);
  const nodes = ports.map(clusterNode);
  const start = async () => {
    await Promise.all(nodes.map((n) => n.start()));
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    await waitForClusterOk(ports, primaries * (1 + replicas));
    await waitForReplicas(ports);
  };
  if (options.running !== false) await start();
  const seeds = ports.map((p) => `127.0.0.1:${p}`).join(',');
  return {
    topology: 'cluster',
    start,
    env: { REDIS_CLUSTER_NODES: seeds },
    nodes,
    seeds,
    client: () => new Cluster(ports.map((port) => ({ host: '127.0.0.1', port }))),
    async primaryOf(key) {
      const probe = new Redis({ port: ports[0]!, host: '127.0.0.1', lazyConnect: true });
      try {
        const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
        const shards = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
        const shard = shards.find(([from, to]) => slot >= from && slot <= to);
        return shard![2][1];
      } finally {
        probe.disconnect();
      }
    },
    async addReplica(primaryPort) {
      let port: number;
      do port = await clusterPort();
      while (nodes.some((n) => n.port === port));
      const node = clusterNode(port);
      nodes.push(node);
      await node.start();
      const [fresh, primary] = [new Redis({ port, host: '127.0.0.1' }), new Redis({ port: primaryPort, host: '127.0.0.1' })];
      try {
        await fresh.call('CLUSTER', 'MEET', '127.0.0.1', primaryPort);
        const primaryId = String(await primary.call('CLUSTER', 'MYID'));
        // REPLICATE needs the primary known to the fresh node, which the meeting's gossip brings.
        await until(async () => String(await fresh.call('CLUSTER', 'NODES')).includes(primaryId), (known) => known, 'the fresh node to know its primary', 10_000);
        await fresh.call('CLUSTER', 'REPLICATE', primaryId);
      } finally {
        fresh.disconnect();
        primary.disconnect();
      }
      await waitForReplicas([port]);
      return node;
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until every replica among `ports` has copied its primary (its link is
 * up): a replica promoted before its first sync would start empty, losing
 * everything, which is not the failover the tests are about.
 */
async function waitForReplicas(ports: readonly number[], timeoutMs = 20_000): Promise<void> {
  await untilEveryNode(ports, (probe) => probe.info('replication').then((info) => !info.includes('role:slave') || info.includes('master_link_status:up')), 'every replica to have synced with its primary', timeoutMs);
}

/** Waits until every node that runs sees the cluster whole (all slots served, `known` nodes). */
export async function waitForClusterOk(ports: readonly number[], known: number, timeoutMs = 20_000): Promise<void> {
  await untilEveryNode(
    ports,
    async (probe) => {
      const info = String(await probe.call('CLUSTER', 'INFO'));
      return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${known}`);
    },
    'the redis cluster to be whole',
    timeoutMs,
  );
}

/** Waits until `check` holds on every node, each asked on a connection of its own that gives up at once when the node does not answer. */
async function untilEveryNode(ports: readonly number[], check: (probe: Redis) => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  await until(
    async () => {
      for (const port of ports) {
        const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        try {
          if (!(await check(probe))) return false;
        } catch {
          return false;
        } finally {
          probe.disconnect();
        }
      }
      return true;
    },
    (ok) => ok,
    what,
    timeoutMs,
  );
}

export type SentinelDeployment = RedisDeployment & {
  readonly primary: RedisNodeProcess;
  readonly replica: RedisNodeProcess;
  /** The port of the primary the sentinels name now. */
  primaryPort(): Promise<number>;
};

export const SENTINEL_NAME = 'herald-primary';

/**
 * A primary, one replica and three sentinels (quorum 2) watching them,
 * noticing a dead primary after 1 s.
 */
export async function startSentinels(options: { running?: boolean } = {}): Promise<SentinelDeployment> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-sentinel-'));
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const data = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const primary = nodeProcess(primaryPort, data(primaryPort));
  const replica = nodeProcess(replicaPort, [...data(replicaPort), '--replicaof', '127.0.0.1', String(primaryPort)]);
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const sentinels = sentinelPorts.map((port) => {
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
        '',
      ].join('\n'),
    );
    return nodeProcess(port, [conf, '--sentinel'], '+monitor');
  });
  const start = async () => {
    await primary.start();
    await replica.start();
    await Promise.all(sentinels.map((s) => s.start()));
    await waitForReplicas([replicaPort]);
  };
  if (options.running !== false) await start();
  const seeds = sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',');
  const client = () => new Redis({ sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })), name: SENTINEL_NAME });
  return {
    topology: 'sentinel',
    start,
    env: { REDIS_SENTINELS: seeds, REDIS_SENTINEL_NAME: SENTINEL_NAME },
    primary,
    replica,
    client,
    async primaryPort() {
      const probe = new Redis({ port: sentinelPorts[0]!, host: '127.0.0.1', lazyConnect: true });
      try {
        const [, port] = (await probe.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME)) as [string, string];
        return Number(port);
      } finally {
        probe.disconnect();
      }
    },
    async stop() {
      await Promise.all([...sentinels, primary, replica].map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A single redis-server as a deployment. */
export async function startSingle(): Promise<RedisDeployment & { readonly server: RedisServer }> {
  const server = await startRedis();
  return { topology: 'single', start: () => server.restart(), env: { REDIS_URL: server.url }, server, client: () => new Redis(server.url), stop: () => server.stop() };
}

/** Starts the deployment of a topology. */
export function startTopology(topology: TopologyName): Promise<RedisDeployment> {
  if (topology === 'cluster') return startRedisCluster();
  if (topology === 'sentinel') return startSentinels();
  return startSingle();
}

/** Every topology, for suites parametrised over them. */
export const TOPOLOGIES: readonly TopologyName[] = ['single', 'cluster', 'sentinel'];

/**
 * How many connections listen to a channel of live events: plain pub/sub on
 * one server, sharded pub/sub (counted by each primary for its own slots) in
 * a Cluster.
 */
export async function channelSubscribers(deployment: RedisDeployment, channel: string): Promise<number> {
  const client = deployment.client();
  try {
    if (client instanceof Cluster) {
      await new Promise((resolve) => client.once('ready', resolve));
      const counts = await Promise.all(client.nodes('master').map((node) => node.call('PUBSUB', 'SHARDNUMSUB', channel) as Promise<[string, number]>));
      return counts.reduce((sum, [, n]) => sum + Number(n), 0);
    }
    const [, count] = (await client.pubsub('NUMSUB', channel)) as [string, number];
    return Number(count);
  } finally {
    client.disconnect();
  }
}
