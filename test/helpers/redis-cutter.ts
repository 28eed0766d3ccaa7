import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { until } from './wait.js';

/**
 * A TCP relay in front of a redis-server that can cut a connection at the
 * worst moment for a command: `after` lets the command through and drops the
 * connection before its reply comes back (it ran; the client cannot know),
 * `before` drops it without passing the command on (it did not run). The
 * command is the first one sent after arming whose bytes hold `marker`.
 * `hold` keeps such a command (and what its connection sends after it) from
 * Redis until released: a client slow to send it.
 */
export type RedisCutter = {
  readonly url: string;
  arm(marker: string, when: 'before' | 'after'): Promise<void>;
  hold(marker: string): Held;
  close(): Promise<void>;
};

/** A command held back: `caught` resolves once it was sent; `release` passes it on (or disarms). */
export type Held = { readonly caught: Promise<void>; release(): void };

export async function startRedisCutter(target: string): Promise<RedisCutter> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let armed: { marker: string; when: 'before' | 'after'; cut: () => void } | undefined;
  let holding: { marker: string; caught: () => void; onRelease: Set<() => void>; released: boolean } | undefined;

  const server = createServer((client) => {
    const redis = connect(Number(upstream.port), upstream.hostname);
    for (const socket of [client, redis]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    let cutting = false;
    let swallow: (() => void) | undefined;
    let held: Buffer[] | undefined;
    const cut = () => {
      cutting = true;
      client.destroy();
      redis.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (cutting) return;
      if (held) {
        held.push(chunk);
        return;
      }
      const hold = holding;
      if (hold && !hold.released && chunk.includes(hold.marker)) {
        holding = undefined;
        const kept = (held = [chunk]);
        hold.onRelease.add(() => {
          held = undefined;
          for (const c of kept) redis.write(c);
        });
        hold.caught();
        return;
      }
      const trap = armed;
      if (trap && chunk.includes(trap.marker)) {
        armed = undefined;
        if (trap.when === 'before') {
          cut();
          trap.cut();
          return;
        }
        // Passed on: its reply (Redis ran it) ends the connection instead of reaching the client.
        swallow = trap.cut;
        redis.write(chunk);
        return;
      }
      redis.write(chunk);
    });
    redis.on('data', (chunk: Buffer) => {
      if (swallow) {
        cut();
        swallow();
        swallow = undefined;
      } else if (!cutting) client.write(chunk);
    });
    client.on('close', () => redis.destroy());
    redis.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    arm: (marker, when) => new Promise<void>((resolve) => (armed = { marker, when, cut: resolve })),
    hold(marker) {
      let caught!: () => void;
      const trap = { marker, caught: () => caught(), onRelease: new Set<() => void>(), released: false };
      holding = trap;
      return {
        caught: new Promise<void>((resolve) => (caught = resolve)),
        release() {
          trap.released = true;
          if (holding === trap) holding = undefined;
          for (const pass of trap.onRelease) pass();
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Cutters in front of every node of a Redis Cluster: each node announces its
 * cutter's port (cluster-announce-port), so clients that follow the slot map
 * reach every node through its cutter. `arm` arms them all; the command goes
 * to one node, whose cutter cuts it.
 */
export async function cutClusterNodes(
  ports: readonly number[],
): Promise<{ readonly seeds: Array<{ host: string; port: number }>; arm(marker: string, when: 'before' | 'after'): Promise<void>; hold(marker: string): Held; close(): Promise<void> }> {
  const cutters = await Promise.all(ports.map((port) => startRedisCutter(`redis://127.0.0.1:${port}`)));
  const relayPort = (cutter: RedisCutter) => Number(new URL(cutter.url).port);
  await Promise.all(
    ports.map(async (port, i) => {
      const node = new Redis({ port, host: '127.0.0.1' });
      try {
        // The bus port stays the node's own: only clients go through the cutter.
        await node.config('SET', 'cluster-announce-bus-port', String(port + 10_000));
        await node.config('SET', 'cluster-announce-port', String(relayPort(cutters[i]!)));
      } finally {
        node.disconnect();
      }
    }),
  );
  // Every node's slot map names the cutters before a client reads it.
  const relays = new Set(cutters.map(relayPort));
  await until(
    async () => {
      const maps = await Promise.all(
        ports.map(async (port) => {
          const node = new Redis({ port, host: '127.0.0.1' });
          try {
            return (await node.call('CLUSTER', 'SLOTS')) as Array<[number, number, ...Array<[string, number]>]>;
          } finally {
            node.disconnect();
          }
        }),
      );
      return maps.every((slots) => slots.every(([, , ...owners]) => owners.every(([, port]) => relays.has(port))));
    },
    (ok) => ok,
    'every node to announce its cutter',
    10_000,
  );
  return {
    seeds: cutters.map((cutter) => ({ host: '127.0.0.1', port: relayPort(cutter) })),
    arm: (marker, when) => Promise.race(cutters.map((cutter) => cutter.arm(marker, when))),
    hold(marker) {
      const holds = cutters.map((cutter) => cutter.hold(marker));
      return { caught: Promise.race(holds.map((h) => h.caught)), release: () => holds.forEach((h) => h.release()) };
    },
    close: async () => void (await Promise.all(cutters.map((cutter) => cutter.close()))),
  };
}
