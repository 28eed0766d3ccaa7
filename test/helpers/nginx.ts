import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRoot } from './deploy-files.js';
import { freePort } from './ports.js';

/**
 * The nginx of the compose files, as a local process: deploy/nginx.conf with
 * only what ties it to Docker replaced. Everything that decides how a
 * request is passed on (WebSocket upgrade, buffering, timeouts,
 * X-Forwarded-For, balancing) is the shipped file's own.
 */
export type Nginx = { readonly port: number; readonly url: string; readonly wsUrl: string; readonly config: string; stop(): Promise<void> };

/** Each replacement must match exactly once, so a change to deploy/nginx.conf that this no longer fits fails loudly. */
function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  const matches = text.match(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`))?.length ?? 0;
  if (matches !== 1) throw new Error(`deploy/nginx.conf: expected one match of ${pattern} (found ${matches}); update test/helpers/nginx.ts`);
  return text.replace(pattern, replacement);
}

/**
 * deploy/nginx.conf for instances at `upstreams` (host:port, in the order of
 * herald-1, herald-2), listening on 127.0.0.1:`port`, with its logs, pid and
 * temporary files in `dir`. Docker's resolver and the upstream servers'
 * `resolve` flag (nginx 1.27.3 or later; Debian 12 has 1.22) go: the
 * addresses here are fixed.
 */
export function localNginxConfig(upstreams: readonly string[], port: number, dir: string): string {
  let config = readRoot('deploy/nginx.conf');
  config = replaceOnce(config, /^user nginx;\n/m, '');
  config = replaceOnce(config, /^worker_processes auto;$/m, 'worker_processes 1;');
  config = replaceOnce(config, /^error_log \/var\/log\/nginx\/error\.log warn;$/m, `error_log ${dir}/error.log warn;`);
  config = replaceOnce(config, /^pid \/var\/run\/nginx\.pid;$/m, `pid ${dir}/nginx.pid;`);
  config = replaceOnce(
    config,
    /^(\s*)access_log \/var\/log\/nginx\/access\.log;$/m,
    ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].reduce((lines, kind) => `${lines}\n$1${kind}_temp_path ${dir}/${kind};`, `$1access_log ${dir}/access.log;`),
  );
  config = replaceOnce(config, /^\s*resolver 127\.0\.0\.11 [^;]*;\n/m, '');
  upstreams.forEach((address, i) => {
    config = replaceOnce(config, new RegExp(`server herald-${i + 1}:4000 resolve `), `server ${address} `);
  });
  if (/server herald-\d/.test(config)) throw new Error('deploy/nginx.conf names more instances than were started');
  return replaceOnce(config, /^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`);
}

/** The nginx binary, or an error saying how to install it. */
export function nginxBinary(): string {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next
    }
  }
  throw new Error('The deployment tests need nginx (apt-get install nginx); .ci/run and the test set-up install it when they may');
}

/** Checks a configuration as nginx itself does (`nginx -t`); throws with nginx's message when it is refused. */
export function checkNginxConfig(config: string, dir: string): void {
  const file = join(dir, 'nginx-check.conf');
  writeFileSync(file, config);
  execFileSync(nginxBinary(), ['-t', '-q', '-p', dir, '-e', join(dir, 'error.log'), '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function startNginx(upstreams: readonly string[]): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-nginx-'));
  // Workers run as `nobody` when the master runs as root: they write temporary files here.
  chmodSync(dir, 0o777);
  for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, kind), { mode: 0o777 });
  const port = await freePort();
  const config = localNginxConfig(upstreams, port, dir);
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config);
  const child = spawn(nginxBinary(), ['-p', dir, '-e', join(dir, 'error.log'), '-c', file, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    port,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    config,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // Fast shutdown: drop open connections at once (SIGQUIT would wait for them).
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
