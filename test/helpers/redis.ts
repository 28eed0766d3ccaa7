import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** A real redis-server on a free port, owned by the test that started it. */
export type RedisServer = {
  readonly port: number;
  readonly url: string;
  /** Stops the server for good (SIGTERM) and waits until it has exited. */
  stop(): Promise<void>;
  /** Stops the server, keeping what it stored (when persistent) for `restart`. */
  pause(): Promise<void>;
  /** Starts it again on the same port (after stop or pause). */
  restart(): Promise<void>;
};

/**
 * A redis-server on a free port. With `{ running: false }` the port is chosen
 * but the server not started (start it with `restart`). By default it keeps
 * nothing on disk, so a restart starts empty; with `{ persistent: true }` it
 * keeps an append-only file, as production Redis does, and a restart keeps
 * every write it acknowledged.
 */
export async function startRedis(options: { running?: boolean; persistent?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const dir = options.persistent ? mkdtempSync(join(tmpdir(), 'herald-redis-')) : undefined;
  const storage = dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : ['--appendonly', 'no'];

  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...storage], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          child!.stdout!.off('data', onData);
          child!.stdout!.resume();
          resolve();
        }
      };
      child!.stdout!.on('data', onData);
      child!.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
      child!.once('error', reject);
    });
  };

  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };

  if (options.running !== false) await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    pause: stop,
    restart: launch,
  };
}
