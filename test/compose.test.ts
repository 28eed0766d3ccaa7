import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, SETTINGS } from '../src/config.js';
import { readRoot, ROOT } from './helpers/deploy-files.js';
import { checkNginxConfig, localNginxConfig } from './helpers/nginx.js';
import { clusterPort } from './helpers/redis-topologies.js';
import { until } from './helpers/wait.js';

/**
 * The compose files, checked without a Docker engine (none runs here):
 * against the Compose Specification's JSON Schema (test/fixtures/compose-spec.json,
 * compose-spec/compose-spec's schema/compose-spec.json at commit 170098b,
 * Apache-2.0), by Debian's docker-compose (`config` needs no engine), and for
 * what neither knows: that the services fit Herald and each other. The
 * topology itself runs as processes in deployment.test.ts.
 */

const run = promisify(execFile);

const TOKEN = 'compose-test-token-0123456789';

type Service = {
  build?: string | { context: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: unknown[];
  volumes?: string[];
  restart?: string;
  stop_grace_period?: string;
  entrypoint?: string[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

/** `docker-compose config`: the file as Compose reads it, anchors merged, variables filled in, paths made absolute. */
async function composeConfig(file: string, env: Record<string, string>) {
  return run('docker-compose', ['-f', join(ROOT, file), 'config'], { env: { PATH: process.env.PATH, ...env } });
}

const seconds = (duration: string) => {
  const match = /^(\d+)(ms|s|m|h)$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as 'ms' | 's' | 'm' | 'h'];
};

const defaultOf = (name: string) => Number(SETTINGS.find((s) => s.name === name)!.default);

/** The upstream servers deploy/nginx.conf sends requests to, as host:port. */
const nginxConf = readRoot('deploy/nginx.conf');
const upstreams = [...nginxConf.matchAll(/^\s*server (\S+?:\d+)\b/gm)].map((m) => m[1]);
/** The value of a directive of the one `location /`. */
const directive = (name: string) => new RegExp(`^\\s*${name} ([^;]+);`, 'm').exec(nginxConf)?.[1];

const validate = (() => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/compose-spec.json'), 'utf8')) as Record<string, unknown>;
  // The schema names draft-07 by an address Ajv does not know by that name; Ajv's default is draft-07.
  delete schema.$schema;
  return new Ajv({ allErrors: true, strictTypes: false }).compile(schema);
})();

describe.each([
  { file: 'docker-compose.yml', redis: 'single' },
  { file: 'deploy/docker-compose.cluster.yml', redis: 'cluster' },
])('$file', ({ file, redis }) => {
  it('follows the Compose Specification', () => {
    const document = parse(readRoot(file), { merge: true }) as unknown;
    const valid = validate(document);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('is read by docker-compose, which refuses to go on without HERALD_ADMIN_TOKEN', async () => {
    await expect(composeConfig(file, { HERALD_ADMIN_TOKEN: TOKEN })).resolves.toBeTruthy();
    const refused = await composeConfig(file, {}).then(
      () => 'accepted',
      (err: { stderr: string }) => err.stderr,
    );
    expect(refused).toContain('set HERALD_ADMIN_TOKEN');
  });

  describe('as docker-compose reads it', () => {
    let compose: Compose;
    let services: Array<[string, Service]>;
    let heralds: Array<[string, Service]>;
    beforeAll(async () => {
      const { stdout } = await composeConfig(file, { HERALD_ADMIN_TOKEN: TOKEN });
      compose = parse(stdout) as Compose;
      services = Object.entries(compose.services);
      heralds = services.filter(([, s]) => s.build !== undefined);
    });

    it('starts each service after what it needs is healthy or done', () => {
      for (const [name, service] of services) {
        for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
          const needed = compose.services[target];
          expect(needed, `${name} depends on ${target}`).toBeDefined();
          if (condition === 'service_healthy') expect(needed!.healthcheck?.test, `${target} has a healthcheck`).toBeDefined();
          else expect([name, condition, needed!.restart]).toEqual([name, 'service_completed_successfully', 'no']);
        }
        // Everything but a one-shot job comes back by itself.
        if (service.restart !== 'no') expect([name, service.restart]).toEqual([name, 'unless-stopped']);
      }
      const nginx = compose.services.nginx!;
      expect(Object.keys(nginx.depends_on ?? {}).sort()).toEqual(heralds.map(([name]) => name).sort());
    });

    it('runs two instances built from the Dockerfile in production mode, with settings Herald reads and accepts', () => {
      expect(heralds.map(([name]) => name)).toEqual(['herald-1', 'herald-2']);
      const known = new Set(SETTINGS.map((s) => s.name));
      for (const [name, service] of heralds) {
        const context = typeof service.build === 'string' ? service.build : service.build!.context;
        expect(context).toBe(ROOT.replace(/\/$/, ''));
        const env = service.environment!;
        expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
        expect(env).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', HERALD_INSTANCE_ID: name, HERALD_ADMIN_TOKEN: TOKEN });
        const config = loadConfig(env);
        expect(config).toMatchObject({ mode: 'production', host: '0.0.0.0', trustProxy: 1, instanceId: name });
        // The image's probe, on /health and /ready; the grace period outlasts Herald's own shutdown deadline.
        expect(service.healthcheck!.test).toEqual(['CMD', 'node', 'dist/healthcheck.js', '/health', '/ready']);
        expect(seconds(service.stop_grace_period!)).toBeGreaterThan(config.shutdownTimeoutMs / 1000 + 1);
        // Only nginx publishes a port: a client reaching an instance directly could write its own X-Forwarded-For.
        expect(service.ports).toBeUndefined();
      }
    });

    it('puts nginx, with deploy/nginx.conf, in front of exactly these instances, as the one proxy TRUST_PROXY counts', () => {
      const published = services.filter(([, s]) => s.ports !== undefined).map(([name]) => name);
      expect(published).toEqual(['nginx']);
      const [mount] = compose.services.nginx!.volumes!;
      const [source, target] = mount!.split(':');
      expect([source, target]).toEqual([join(ROOT, 'deploy/nginx.conf'), '/etc/nginx/nginx.conf']);
      expect(upstreams).toEqual(heralds.map(([name, s]) => `${name}:${s.environment!.PORT}`));
      for (const [, s] of heralds) expect(s.environment!.TRUST_PROXY).toBe('1');
    });

    it('points the instances at the Redis services', () => {
      const redisServices = services.filter(([, s]) => s.image?.startsWith('redis:') && s.command?.[0] !== undefined && !s.entrypoint);
      for (const [, s] of heralds) {
        if (redis === 'single') {
          expect(redisServices.map(([name]) => name)).toEqual(['redis']);
          expect(s.environment!.REDIS_URL).toBe('redis://redis:6379');
          expect(s.environment!.REDIS_CLUSTER_NODES).toBeUndefined();
        } else {
          // Three primaries, every one a seed, and the init job joins the same three.
          expect(redisServices.map(([name]) => name)).toEqual(['redis-1', 'redis-2', 'redis-3']);
          for (const [, node] of redisServices) expect(node.command!.join(' ')).toContain('--cluster-enabled yes');
          expect(s.environment!.REDIS_CLUSTER_NODES).toBe('redis-1:6379,redis-2:6379,redis-3:6379');
          expect(s.environment!.REDIS_URL).toBeUndefined();
          expect(compose.services['redis-cluster-init']!.environment!.REDIS_NODES).toBe('redis-1:6379 redis-2:6379 redis-3:6379');
        }
      }
      for (const [name, service] of services) {
        for (const volume of service.volumes ?? []) {
          const [source] = volume.split(':');
          if (source!.startsWith('/')) expect(existsSync(source!), `${name} mounts ${source}`).toBe(true);
          else expect(Object.keys(compose.volumes ?? {}), `${name} mounts ${source}`).toContain(source);
        }
      }
    });
  });
});

describe('deploy/nginx.conf', () => {
  it('keeps WebSockets and SSE streams open far longer than the heartbeat, passes upgrades and does not buffer', () => {
    const heartbeat = defaultOf('WS_HEARTBEAT_INTERVAL_MS') / 1000;
    for (const name of ['proxy_read_timeout', 'proxy_send_timeout']) expect(seconds(directive(name)!), name).toBeGreaterThan(3 * heartbeat);
    expect(directive('proxy_http_version')).toBe('1.1');
    expect(directive('proxy_set_header Upgrade')).toBe('$http_upgrade');
    expect(directive('proxy_set_header Connection')).toBe('$connection_upgrade');
    expect(directive('proxy_set_header X-Forwarded-For')).toBe('$proxy_add_x_forwarded_for');
    expect(directive('proxy_buffering')).toBe('off');
  });

  it('is accepted by nginx -t (with Docker-only parts replaced as deployment.test.ts runs it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-nginx-t-'));
    try {
      expect(() => checkNginxConfig(localNginxConfig(['127.0.0.1:4001', '127.0.0.1:4002'], 4000, dir), dir)).not.toThrow();
      // nginx -t does refuse a broken file.
      expect(() => checkNginxConfig(localNginxConfig(['127.0.0.1:4001', '127.0.0.1:4002'], 4000, dir).replace('proxy_buffering off;', 'proxy_buffering of;'), dir)).toThrow(/proxy_buffering/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the cluster file's Redis nodes and init job", () => {
  const compose = parse(readRoot('deploy/docker-compose.cluster.yml'), { merge: true }) as Compose;
  const nodes: Array<{ child: ChildProcess; port: number; dir: string }> = [];
  afterAll(async () => {
    for (const node of nodes) {
      if (node.child.exitCode === null) {
        node.child.kill('SIGTERM');
        await once(node.child, 'exit');
      }
      rmSync(node.dir, { recursive: true, force: true });
    }
  });

  /** The init job's script, as its shell gets it (compose turns `$$` into `$`). */
  const script = compose.services['redis-cluster-init']!.command![0]!.replaceAll('$$', '$');
  const init = (nodeList: string) => run('sh', ['-c', script], { env: { PATH: process.env.PATH, REDIS_NODES: nodeList } });

  it('form one cluster of three primaries over all 16384 slots, and a second run changes nothing', async () => {
    for (const name of ['redis-1', 'redis-2', 'redis-3']) {
      // The node's own command line, on a free port of this machine (with its cluster bus port, +10000, free too),
      // announcing 127.0.0.1 for its service name.
      const port = await clusterPort();
      const args = compose.services[name]!.command!.slice(1).map((arg) => (arg === '6379' ? String(port) : arg === name ? '127.0.0.1' : arg));
      const dir = mkdtempSync(join(tmpdir(), `herald-${name}-`));
      const child = spawn('redis-server', [...args, '--bind', '127.0.0.1', '--dir', dir, '--save', ''], { stdio: 'ignore' });
      nodes.push({ child, port, dir });
    }
    const cli = (port: number, ...args: string[]) => run('redis-cli', ['-p', String(port), ...args]).then((r) => r.stdout);
    for (const { port } of nodes) await until(() => cli(port, 'ping').catch(() => ''), (out) => out.trim() === 'PONG', `redis on ${port}`);
    const list = nodes.map((n) => `127.0.0.1:${n.port}`).join(' ');

    const first = await init(list);
    expect(first.stdout).toContain('Redis Cluster formed');
    for (const { port } of nodes) {
      const info = await cli(port, 'cluster', 'info');
      expect(info).toMatch(/^cluster_state:ok\r?$/m);
      expect(info).toMatch(/^cluster_slots_assigned:16384\r?$/m);
      expect(info).toMatch(/^cluster_size:3\r?$/m);
    }
    // Clients are sent to the announced name (here 127.0.0.1), not to whatever address the node has.
    expect(await cli(nodes[0]!.port, 'cluster', 'shards')).toContain('hostname');

    const again = await init(list);
    expect(again.stdout.trim()).toBe('Redis Cluster already formed');
  }, 60_000);
});

