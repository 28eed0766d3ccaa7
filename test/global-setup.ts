import { execFileSync } from 'node:child_process';
import { chromiumPath } from './helpers/browser.js';

/**
 * The integration tests start their own redis-server, and the console's tests
 * a Chromium. On a machine without them, install them from the system's
 * packages when we may (root with apt), so `npm test` needs nothing done by
 * hand; otherwise say exactly what is missing: redis-server is required, a
 * browser is not (its tests are skipped, saying so).
 */
export default function setup(): void {
  installBrowser();
  if (hasRedisServer()) return;
  const root = process.getuid?.() === 0;
  if (root && hasCommand('apt-get')) {
    console.log('redis-server not found: installing it with apt-get');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (hasRedisServer()) return;
  }
  throw new Error('The tests need redis-server on the PATH (apt-get install redis-server, or brew install redis).');
}

function installBrowser(): void {
  if (process.env.CHROMIUM_PATH || chromiumPath()) return;
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) {
    console.log('chromium not found and cannot be installed here (apt-get as root): the browser tests of the console will be skipped');
    return;
  }
  console.log('chromium not found: installing it with apt-get for the browser tests');
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  } catch (err) {
    console.log(`could not install chromium (${(err as Error).message}): the browser tests of the console will be skipped`);
  }
}

function hasRedisServer(): boolean {
  return hasCommand('redis-server', ['--version']);
}

function hasCommand(command: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
