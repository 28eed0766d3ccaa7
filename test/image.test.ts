import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask } from './helpers/client.js';
import { dockerfileStages, dockerIgnores, readRoot, ROOT, type Stage } from './helpers/deploy-files.js';
import { spawnHerald, type HeraldProcess } from './helpers/herald.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

/**
 * The Dockerfile, checked without a Docker engine (none runs on this kind of
 * machine): its structure is read, and what its stages do is done here the
 * same way: the build stage's `npm run build` compiles into a folder laid out
 * as the runtime stage's /app, and that compiled server and its health probe
 * run against a real Redis.
 */

const stages = dockerfileStages(readRoot('Dockerfile'));
const build = stages[0]!;
const runtime = stages.at(-1)!;
const args = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
/** The last value an ENV instruction of the stage sets for `name` (both `ENV A=1 B=2` and `ENV A 1`). */
const envOf = (stage: Stage, name: string) =>
  args(stage, 'ENV')
    .flatMap((a) => (a.includes('=') ? [...a.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]) : [a.split(/\s+/, 2)]))
    .filter(([key]) => key === name)
    .at(-1)?.[1];
const execJson = (value: string) => JSON.parse(value) as string[];

describe('the Dockerfile', () => {
  it('builds in one stage and runs in another, from the same Node.js major as engines', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).toBe('build');
    expect(stages.map((s) => s.from)).toEqual(stages.map(() => 'node:${NODE_VERSION}-slim'));
    const engines = (JSON.parse(readRoot('package.json')) as { engines: { node: string } }).engines.node;
    expect(readRoot('Dockerfile')).toMatch(new RegExp(`^ARG NODE_VERSION=${/\d+/.exec(engines)![0]}$`, 'm'));
    // The build stage installs devDependencies (TypeScript) and compiles; the runtime stage installs production ones only.
    expect(args(build, 'RUN')).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(args(runtime, 'RUN')).toEqual(['npm ci --omit=dev --no-audit --no-fund && npm cache clean --force']);
    expect(args(runtime, 'COPY')).toContain('--from=build /app/dist ./dist');
    expect(args(runtime, 'COPY').filter((a) => a.includes('src'))).toEqual([]);
  });

  it('runs the compiled server as a non-root user in production mode, on the port it exposes', () => {
    expect(args(runtime, 'USER')).toEqual(['node']);
    const copies = runtime.instructions.findIndex((i) => i.keyword === 'COPY' && i.args.startsWith('--from'));
    expect(runtime.instructions.findIndex((i) => i.keyword === 'USER')).toBeGreaterThan(copies);
    expect(envOf(runtime, 'NODE_ENV')).toBe('production');
    expect(envOf(runtime, 'HOST')).toBe('0.0.0.0');
    expect(args(runtime, 'EXPOSE')).toEqual([envOf(runtime, 'PORT')]);
    // Exec form: node is PID 1 and gets SIGTERM itself for a graceful shutdown.
    expect(execJson(args(runtime, 'CMD')[0]!)).toEqual(['node', '--enable-source-maps', 'dist/main.js']);
    expect(args(runtime, 'STOPSIGNAL')).toEqual(['SIGTERM']);
  });

  it('declares a HEALTHCHECK that asks /health through the probe it ships', () => {
    const [healthcheck] = args(runtime, 'HEALTHCHECK');
    const [, options = '', command = ''] = /^(.*?)CMD\s+(\[.*\])$/.exec(healthcheck ?? '') ?? [];
    expect(options).toMatch(/--interval=\d+s/);
    expect(options).toMatch(/--timeout=\d+s/);
    expect(execJson(command)).toEqual(['node', 'dist/healthcheck.js', '/health']);
  });

  it('sends only what the build stage copies to the build context', () => {
    const ignored = dockerIgnores(readRoot('.dockerignore'));
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
    const sent = tracked.filter((path) => !ignored(path));
    const copied = args(build, 'COPY').flatMap((a) => a.split(/\s+/).slice(0, -1));
    expect(copied).toEqual(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src']);
    expect(sent.every((path) => copied.some((c) => path === c || path.startsWith(`${c}/`)))).toBe(true);
    for (const c of copied) expect(sent.some((path) => path === c || path.startsWith(`${c}/`)), c).toBe(true);
    for (const secret of ['.env', '.env.production', 'node_modules/ws/index.js', '.git/config', 'src/.env', 'coverage/index.html']) expect(ignored(secret), secret).toBe(true);
  });
});

describe('the image as built by its stages', () => {
  /** What the runtime stage's /app holds: package.json, node_modules and the compiled dist/. */
  let app: string;
  let redis: RedisServer;
  let server: HeraldProcess | undefined;

  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'herald-image-'));
    copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    // The build stage's `npm run build`, into this folder.
    await promisify(execFile)('npm', ['run', 'build', '--', '--outDir', join(app, 'dist')], { cwd: ROOT });
    redis = await startRedis();
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
    rmSync(app, { recursive: true, force: true });
  });

  const probe = (port: number, ...paths: string[]) =>
    spawnSync(process.execPath, ['dist/healthcheck.js', ...paths], { cwd: app, env: { PATH: process.env.PATH, HOST: '0.0.0.0', PORT: String(port) }, timeout: 10_000 }).status;

  it('starts the compiled server with the image settings, serves, and passes its health probe', async () => {
    expect(existsSync(join(app, 'dist', 'main.js'))).toBe(true);
    server = await spawnHerald({ NODE_ENV: 'production', HOST: '0.0.0.0', REDIS_URL: redis.url }, { cwd: app, args: ['--enable-source-maps', 'dist/main.js'] });
    const port = Number(new URL(server.url).port);
    const task = await createTask(server.url.replace('0.0.0.0', '127.0.0.1'), 'image', 'from dist');
    expect(task.title).toBe('from dist');
    expect(probe(port, '/health')).toBe(0);
    expect(probe(port, '/health', '/ready')).toBe(0);
    // /ready is 503 while Redis is away: the compose files' probe of both paths then fails.
    await redis.stop();
    expect(probe(port, '/health')).toBe(0);
    expect(probe(port, '/health', '/ready')).toBe(1);
    await redis.restart();
    await server.stop();
    expect(await server.exited).toBe(0);
    expect(probe(port, '/health')).toBe(1);
  });
});
