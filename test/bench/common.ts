import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { killAllServers, sleep } from './server.js';

/**
 * Small pieces every benchmark shares: the machine's load, GraphQL and
 * /metrics over HTTP, options and usage, and the bounded run.
 */

/** The 1-, 5- and 15-minute load averages, or null when /proc/loadavg is unreadable. */
export function loadAverages(): [number, number, number] | null {
  try {
    const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
    return Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c) ? [a!, b!, c!] : null;
  } catch {
    return null;
  }
}

export type LoadWait = {
  /** 1-minute load when the wait started. */
  readonly before: number | null;
  /** 1-minute load when the measurement starts. */
  readonly at: number | null;
  readonly waitedS: number;
  /** False when the deadline passed with the load still at or above the limit. */
  readonly ok: boolean;
};

/**
 * Waits (bounded) until the 1-minute load average is below `limit`, so that a
 * measurement does not start while other benchmarks or tests load the machine.
 */
export async function waitForQuiet(label: string, limit = 1.5, maxMs = 180_000, log: (line: string) => void = (l) => console.log(l)): Promise<LoadWait> {
  const started = Date.now();
  const before = loadAverages()?.[0] ?? null;
  let at = before;
  let announced = false;
  while (at !== null && at >= limit && Date.now() - started < maxMs) {
    if (!announced) log(`  [load] ${label}: 1-min load ${at.toFixed(2)} >= ${limit}; waiting (at most ${Math.round(maxMs / 1000)} s)`);
    announced = true;
    await sleep(Math.min(5_000, Math.max(0, maxMs - (Date.now() - started))));
    at = loadAverages()?.[0] ?? null;
  }
  const waitedS = Math.round((Date.now() - started) / 100) / 10;
  const ok = at === null || at < limit;
  log(`  [load] ${label}: 1-min load ${at === null ? '?' : at.toFixed(2)}${announced ? ` after ${waitedS} s` : ''}${ok ? '' : ' (still high: measuring anyway)'}`);
  return { before, at, waitedS, ok };
}

/** POSTs a GraphQL operation with the bearer token; throws on HTTP or GraphQL errors. */
export async function gql<T>(graphqlUrl: string, token: string, query: string, variables?: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { data?: T; errors?: Array<{ message?: string }> };
  if (body.errors?.length) throw new Error(`GraphQL: ${body.errors[0]?.message ?? 'error'}`);
  return body.data as T;
}

/** Selected Prometheus samples (names without labels) from GET /metrics; empty on failure. */
export async function scrapeMetrics(origin: string, token: string, names: readonly string[], timeoutMs = 10_000): Promise<Record<string, number>> {
  try {
    const res = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    if (res.status !== 200) return {};
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      const space = line.lastIndexOf(' ');
      const name = line.slice(0, space);
      if (names.includes(name)) out[name] = Number(line.slice(space + 1));
    }
    return out;
  } catch {
    return {};
  }
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
};

type Defaults = Record<string, number | string | boolean>;

/**
 * `--key value` / `--key=value` / `--flag` / `--flag=false` options against
 * a table of defaults (numbers, strings, booleans), parsed by node:util's
 * parseArgs: an unknown option or a missing value is an error.
 */
export function parseOptions<T extends Defaults>(defaults: T, argv: readonly string[]): T {
  // parseArgs takes no value for a flag: `--flag=false` (or `=0`) is turned into its absence here.
  const off = new Set<string>();
  const args = argv.filter((arg) => {
    const flag = /^--([^=]+)=(false|0|true|1)$/.exec(arg);
    if (!flag || typeof defaults[flag[1]!] !== 'boolean') return true;
    if (flag[2] === 'false' || flag[2] === '0') off.add(flag[1]!);
    else return true;
    return false;
  }).map((arg) => arg.replace(/^(--[^=]+)=(true|1)$/, (whole, name: string) => (typeof defaults[name.slice(2)] === 'boolean' ? name : whole)));
  const { values } = parseArgs({
    args,
    options: Object.fromEntries(Object.entries(defaults).map(([key, value]) => [key, { type: typeof value === 'boolean' ? 'boolean' : 'string' }] as const)),
  });
  const options: Defaults = { ...defaults };
  for (const key of off) options[key] = false;
  for (const [key, value] of Object.entries(values)) {
    if (typeof defaults[key] !== 'number') options[key] = value as string | boolean;
    else {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n) || n < 0) throw new Error(`--${key}: not a non-negative number: ${String(value)}`);
      options[key] = n;
    }
  }
  return options as T;
}

/**
 * A bench script's options, or the exit code when it should not run: 0
 * after printing the usage for --help (when the defaults have `help`), 64
 * after printing what is wrong and the usage. `check` throws for values
 * that parse but make no sense together.
 */
export function benchOptions<T extends Defaults>(script: string, defaults: T, argv: readonly string[], check: (options: T) => void = () => {}): { options: T } | { exit: number } {
  const usage = [`usage: npx tsx test/bench/${script} [options]   (defaults shown)`, ...Object.entries(defaults).filter(([k]) => k !== 'help').map(([k, v]) => `  --${k.padEnd(18)} ${JSON.stringify(v)}`)].join('\n');
  let options: T;
  try {
    options = parseOptions(defaults, argv);
    check(options);
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return { exit: 64 };
  }
  if (options['help'] === true) {
    console.log(usage);
    return { exit: 0 };
  }
  return { options };
}

/** `KEY=VALUE,KEY=VALUE` from an --env option. */
export function parseEnv(spec: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of spec.split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--env: expected KEY=VALUE, got ${pair}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/**
 * Runs a benchmark's main to its exit code, bounded whatever happens: after
 * --max-seconds (else `defaultMaxSeconds`), on a signal or on a throw, every
 * server and redis-server it started is killed and the process ends.
 */
export function runBench(name: string, main: () => Promise<number>, defaultMaxSeconds: number, cleanup: () => void = killAllServers): void {
  // Read before options are parsed, so that the limit also covers parsing.
  const maxSeconds = Number(/--max-seconds[= ](\d+)/.exec(process.argv.slice(2).join(' '))?.[1] ?? defaultMaxSeconds);
  const hardStop = setTimeout(() => {
    console.error(`${name}: hard limit of ${maxSeconds} s reached; stopping`);
    cleanup();
    process.exit(3);
  }, maxSeconds * 1000);
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
  main().then(
    (code) => {
      clearTimeout(hardStop);
      process.exit(code);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      cleanup();
      process.exit(1);
    },
  );
}
