import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export type Herald = {
  readonly url: string;
  readonly wsUrl: string;
  readonly origin: string;
  stop(): Promise<void>;
};

/** An in-process server on a free port, with silent logs. */
export async function startHerald(env: Record<string, string> = {}): Promise<Herald & { app: App }> {
  const config = loadConfig({ PORT: '0', HERALD_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent', ...env });
  const app = buildApp(config, pino({ level: 'silent' }));
  const { url } = await app.start();
  return { app, ...urls(url), stop: () => app.stop() };
}

export type LogLine = { level: number; msg?: string; component?: string } & Record<string, unknown>;

export type HeraldProcess = Herald & {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every JSON log line the process wrote so far. */
  readonly logs: LogLine[];
  /** What the process wrote to stderr so far (a crash's stack). */
  readonly stderr: string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
};

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A server as its own process (`node --import tsx src/main.ts`), as an
 * operator runs it; `program` runs another build of it (the compiled one).
 */
export async function spawnHerald(env: Record<string, string> = {}, program: { cwd: string; args: string[] } = { cwd: root, args: ['--import', 'tsx', 'src/main.ts'] }): Promise<HeraldProcess> {
  const child = spawn(process.execPath, program.args, {
    cwd: program.cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', HERALD_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'info', NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const logs: LogLine[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      let entry: LogLine & { url?: string };
      try {
        entry = JSON.parse(line) as LogLine & { url?: string };
      } catch {
        return; // not a log line
      }
      logs.push(entry);
      if (entry.msg === 'herald listening' && entry.url) resolve(entry.url);
    });
    void exited.then((code) => reject(new Error(`herald exited with ${code} before listening: ${stderr}`)));
  });
  return {
    ...urls(url),
    child,
    pid: child.pid!,
    logs,
    get stderr() {
      return stderr;
    },
    exited,
    kill: (signal) => void child.kill(signal),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs `src/main.ts` to completion, for starts that must fail: its exit code and what it wrote. */
export function runMainUntilExit(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ENV: 'development', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function urls(url: string) {
  const parsed = new URL(url);
  return { url, origin: parsed.origin, wsUrl: url.replace(/^http/, 'ws') };
}
