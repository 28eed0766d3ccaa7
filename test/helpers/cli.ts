import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The environment a CLI test runs the command in: no config file, no colours, nothing from the developer's shell. */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of ['HERALD_URL', 'HERALD_TOKEN', 'HERALD_CONFIG', 'FORCE_COLOR', 'NO_COLOR']) delete base[name];
  return { ...base, XDG_CONFIG_HOME: '/nonexistent-herald-test-config', ...env };
}

/** Runs `herald <args>` as a process (`node --import tsx src/cli/main.ts`) to its end. */
export async function runCli(args: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env: cliEnv(options.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr, lines: stdout.split('\n').filter((line) => line !== '') };
}

/** A long-running `herald <args>` whose output lines the test awaits. */
export type CliProcess = {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the first line (of stdout or stderr) that matches, waiting for it. */
  line(stream: 'stdout' | 'stderr', match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const waiters = new Set<() => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream]! }).on('line', (line) => {
      lines[stream].push(line);
      for (const waiter of [...waiters]) waiter();
    });
  }
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    ...lines,
    line(stream, match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${stream} line matched within ${timeoutMs} ms; stdout: ${lines.stdout.join(' | ')}; stderr: ${lines.stderr.join(' | ')}`));
        }, timeoutMs);
        const check = () => {
          const found = lines[stream].find(match);
          if (found !== undefined) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(found);
          }
        };
        waiters.add(check);
        check();
      });
    },
    exited,
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
