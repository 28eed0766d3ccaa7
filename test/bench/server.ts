import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/**
 * The server under test as its own process, run as the image runs it
 * (`node --enable-source-maps dist/main.js`, see the Dockerfile) after
 * compiling the checkout, and spawned directly so that the child's pid is the
 * process that serves: its CPU time and RSS are read from /proc/<pid>.
 * Under tsx (`npm start`) every module's source stays in the heap beside the
 * compiled code, and the gateway benchmark's tail was longer.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Clock ticks per second for /proc/<pid>/stat (utime, stime). */
export const CLK_TCK: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process in milliseconds (resolution 1000 / CLK_TCK ms), or null when unreadable. */
export function procCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it are split safely.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / CLK_TCK : null;
  } catch {
    return null;
  }
}

export type ProcMemory = { rssKB: number; hwmKB: number };

/** VmRSS and VmHWM (peak RSS) of a process, or null when unreadable. */
export function procMemory(pid: number): ProcMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const rssKB = kb('VmRSS');
    const hwmKB = kb('VmHWM');
    return Number.isFinite(rssKB) ? { rssKB, hwmKB } : null;
  } catch {
    return null;
  }
}

/** Busy time of the whole machine (all CPUs) in ms, to spot load from other processes. */
export function machineBusyMs(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
    return (busy * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU time so far (ms) of the server, of redis-server when given, of this process (the load tool) and of the whole machine. */
export type CpuSnapshot = { readonly at: number; readonly server: number | null; readonly redis: number | null; readonly loadTool: number; readonly machine: number | null };

export function cpuSnapshot(serverPid: number, redisPid: number | null = null): CpuSnapshot {
  const own = process.cpuUsage();
  return { at: performance.now(), server: procCpuMs(serverPid), redis: redisPid === null ? null : procCpuMs(redisPid), loadTool: (own.user + own.system) / 1000, machine: machineBusyMs() };
}

/** CPU used between two snapshots: milliseconds, and percent of one core over the wall time between them. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot) {
  const wall = Math.max(1, b.at - a.at);
  const diff = (x: number | null, y: number | null) => (x === null || y === null ? null : y - x);
  const pct = (ms: number | null) => (ms === null ? null : Math.round((1000 * ms) / wall) / 10);
  const server = diff(a.server, b.server);
  const redis = diff(a.redis, b.redis);
  const loadTool = b.loadTool - a.loadTool;
  const machine = diff(a.machine, b.machine);
  return {
    wallMs: Math.round(wall),
    serverCpuMs: server,
    serverCpuPct: pct(server),
    redisCpuMs: redis,
    redisCpuPct: pct(redis),
    loadToolCpuPct: pct(loadTool),
    machineCpuMs: machine,
    /** Busy time of the machine not spent by the server, Redis or the load tool (other processes; +- tick granularity). */
    otherCpuPct: server === null || machine === null ? null : pct(machine - server - loadTool - (redis ?? 0)),
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export type ServerProcess = {
  readonly pid: number;
  readonly port: number;
  readonly origin: string;
  readonly graphqlUrl: string;
  readonly wsUrl: string;
  readonly token: string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** The last lines the process wrote (stdout and stderr), for diagnostics. */
  output(): string;
  /** Log lines at warn level or above so far. */
  warnings(): number;
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
};

export type StartOptions = {
  /** A TypeScript entry to run with tsx instead of the built server, relative to the checkout. */
  entry?: string;
  /** Extra node flags placed before the script, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeArgs?: readonly string[];
  /** Extra environment for the server; REDIS_URL only from here, never from this process's environment. */
  env?: Readonly<Record<string, string>>;
  readyTimeoutMs?: number;
  /** The checkout to run (default this one), e.g. a copy with a change to compare. */
  root?: string;
  /** A file to copy the server's whole output to, e.g. with --trace-gc. */
  logFile?: string;
};

/** Compiles a checkout's server with its own `npm run build` (into its dist/), once per process. */
const builds = new Map<string, Promise<void>>();
function built(root: string): Promise<void> {
  let build = builds.get(root);
  if (!build) {
    build = new Promise((resolve, reject) =>
      execFile('npm', ['run', '--silent', 'build'], { cwd: root }, (err, stdout) =>
        err ? reject(new Error(`building the server in ${root} failed: ${stdout || err.message}`)) : resolve(),
      ),
    );
    builds.set(root, build);
  }
  return build;
}

const running = new Set<ChildProcess>();

/** Kills every server still running, synchronously (for exit paths). */
export function killAllServers(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/** Starts the server on a free port in production mode with a generated admin token; resolves once /health answers. */
export async function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort(), options);
    } catch (err) {
      lastError = err;
      // A port taken between probing and listening is the only failure worth a retry.
      if (!(err instanceof Error) || !/EADDRINUSE/.test(err.message)) throw err;
    }
  }
  throw lastError;
}

async function startOnce(port: number, options: StartOptions): Promise<ServerProcess> {
  const token = randomBytes(24).toString('base64url');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    HERALD_ADMIN_TOKEN: token,
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '3000',
  };
  delete env.REDIS_URL; // embedded unless the options say otherwise
  const root = options.root || ROOT;
  const script = options.entry ? ['--import', 'tsx', options.entry] : (await built(root), ['--enable-source-maps', 'dist/main.js']);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...script], {
    cwd: root,
    env: { ...env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (options.logFile) {
    const log = createWriteStream(options.logFile);
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
  }
  const tracked = track(child, 16_384);
  const origin = `http://127.0.0.1:${port}`;
  const handle: ServerProcess = {
    pid: child.pid!,
    port,
    origin,
    graphqlUrl: `${origin}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    token,
    alive: tracked.alive,
    output: tracked.output,
    warnings: tracked.warnings,
    stop: (graceMs = 5_000) => tracked.stop(graceMs),
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline && tracked.alive()) {
    if ((await httpStatus(`${origin}/health`, 1_000)) === 200) return handle;
    await sleep(100);
  }
  await handle.stop(1_000);
  throw new Error(`server ${tracked.alive() ? 'did not answer /health' : 'exited'} (port ${port}); its output:\n${tracked.output()}`);
}

function httpStatus(url: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
    req.end();
  });
}

export type RedisProcess = { readonly pid: number; readonly url: string; output(): string; stop(): Promise<void> };

/** A throwaway redis-server on a free port (no persistence), with `extraArgs` (e.g. cluster mode); killAllServers kills it too. */
export async function startRedisServer(extraArgs: readonly string[] = []): Promise<RedisProcess> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tracked = track(child, 8_192);
  const handle: RedisProcess = { pid: child.pid ?? -1, url: `redis://127.0.0.1:${port}`, output: tracked.output, stop: () => tracked.stop(3_000) };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && tracked.alive()) {
    if (await redisPing(port)) return handle;
    await sleep(50);
  }
  await handle.stop();
  throw new Error(`redis-server did not answer PING on port ${port}:\n${tracked.output()}`);
}

/** A pino line at warn (40), error (50) or fatal (60). */
const WARN_OR_WORSE = /"level":(40|50|60)\b/;

/**
 * Keeps a started process's last output, counts its warnings, knows when it is gone and stops it
 * (SIGTERM, then SIGKILL after the grace period); killAllServers kills it too.
 */
function track(child: ChildProcess, tailBytes: number) {
  running.add(child);
  let tail = '';
  let warnings = 0;
  let partial = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-tailBytes);
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (WARN_OR_WORSE.test(line)) warnings++;
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    const done = () => {
      if (exited) return;
      exited = true;
      running.delete(child);
      resolve();
    };
    child.once('exit', done);
    child.once('error', (err) => {
      tail += `\n${err.message}`;
      done();
    });
  });
  return {
    alive: () => !exited,
    output: () => tail,
    warnings: () => warnings,
    async stop(graceMs: number) {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      }
    },
  };
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(String(data).startsWith('+PONG')));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
