import { execFileSync } from 'node:child_process';
import { chromiumPath } from './helpers/browser.js';

/**
 * The integration tests start their own redis-server, nginx (the deployment
 * tests, with deploy/nginx.conf) and run docker-compose (`config` only, which
 * needs no Docker engine, to validate the compose files); the console's tests
 * drive a Chromium. On a machine without them, install them from the system's
 * packages when we may (root with apt), so `npm test` needs nothing done by
 * hand; otherwise say exactly what is missing. The browser alone is optional:
 * without it its tests are skipped, saying so.
 */
const TOOLS = [
  { command: 'redis-server', package: 'redis-server', elsewhere: 'brew install redis' },
  // nginx's own service is not started by the install where policy-rc.d forbids it (containers); the tests start their own.
  { command: 'nginx', package: 'nginx', elsewhere: 'brew install nginx' },
  // Debian's docker-compose (1.29) without the Docker engine it recommends: `config` reads and checks a file on its own.
  { command: 'docker-compose', package: 'docker-compose', elsewhere: 'pip install docker-compose' },
  // promtool checks deploy/prometheus/alerts.yml; Debian ships it in the prometheus package.
  { command: 'promtool', package: 'prometheus', elsewhere: 'the promtool of a Prometheus release, https://prometheus.io/download/' },
] as const;

export default function setup(): void {
  installBrowser();
  let missing = TOOLS.filter((tool) => !hasCommand(tool.command));
  if (missing.length === 0) return;
  if (mayInstall()) {
    console.log(`${missing.map((t) => t.command).join(', ')} not found: installing with apt-get`);
    aptInstall(missing.map((t) => t.package));
    missing = missing.filter((tool) => !hasCommand(tool.command));
    if (missing.length === 0) return;
  }
  throw new Error(`The tests need ${missing.map((t) => `${t.command} (apt-get install ${t.package}, or ${t.elsewhere})`).join(', ')} on the PATH.`);
}

function installBrowser(): void {
  if (process.env.CHROMIUM_PATH || chromiumPath()) return;
  if (!mayInstall()) {
    console.log('chromium not found and cannot be installed here (apt-get as root): the browser tests of the console will be skipped');
    return;
  }
  console.log('chromium not found: installing it with apt-get for the browser tests');
  try {
    aptInstall(['chromium']);
  } catch (err) {
    console.log(`could not install chromium (${(err as Error).message}): the browser tests of the console will be skipped`);
  }
}

const mayInstall = () => process.getuid?.() === 0 && hasCommand('apt-get', ['--version']);

function aptInstall(packages: readonly string[]): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
}

function hasCommand(command: string, args: string[] = command === 'nginx' ? ['-v'] : ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
