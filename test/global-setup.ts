import { execFileSync } from 'node:child_process';

/**
 * The integration tests start their own redis-server. On a machine without
 * one, install it from the system's packages when we may (root with apt), so
 * `npm test` needs nothing done by hand; otherwise say exactly what is missing.
 */
export default function setup(): void {
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
