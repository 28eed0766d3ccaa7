import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP relay in front of a redis-server that can cut a connection at the
 * worst moment for a command: `after` lets the command through and drops the
 * connection before its reply comes back (it ran; the client cannot know),
 * `before` drops it without passing the command on (it did not run). The
 * command is the first one sent after arming whose bytes hold `marker`.
 */
export type RedisCutter = {
  readonly url: string;
  arm(marker: string, when: 'before' | 'after'): Promise<void>;
  close(): Promise<void>;
};

export async function startRedisCutter(target: string): Promise<RedisCutter> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let armed: { marker: string; when: 'before' | 'after'; cut: () => void } | undefined;

  const server = createServer((client) => {
    const redis = connect(Number(upstream.port), upstream.hostname);
    for (const socket of [client, redis]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    let cutting = false;
    let swallow: (() => void) | undefined;
    const cut = () => {
      cutting = true;
      client.destroy();
      redis.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (cutting) return;
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
