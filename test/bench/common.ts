import { readFileSync } from 'node:fs';
import { killAllServers, sleep } from './server.js';

/**
 * Small pieces every benchmark shares: the machine's load, GraphQL and
 * /metrics over HTTP, a strict option parser and the bounded run.
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

/** `--key value` / `--key=value` / `--flag` options against a table of defaults (numbers, strings, booleans). */
export function parseOptions<T extends Record<string, number | string | boolean>>(defaults: T, argv: readonly string[]): T {
  const options: Record<string, number | string | boolean> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    const key = arg.slice(2, eq < 0 ? undefined : eq);
    if (!(key in defaults)) throw new Error(`unknown option --${key} (known: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')})`);
    const fallback = defaults[key];
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (typeof fallback === 'boolean') {
      options[key] = value === undefined ? true : value !== 'false' && value !== '0';
      continue;
    }
    if (value === undefined) value = argv[++i];
    if (value === undefined) throw new Error(`--${key} needs a value`);
    if (typeof fallback === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${key}: not a non-negative number: ${value}`);
      options[key] = n;
    } else options[key] = value;
  }
  return options as T;
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
