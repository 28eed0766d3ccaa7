import { execFileSync } from 'node:child_process';

/**
 * The integration tests start their own redis-server, nginx (the deployment
 * tests, with deploy/nginx.conf) and run docker-compose (`config` only, which
 * needs no Docker engine, to validate the compose files). On a machine without
 * them, install them from the system's packages when we may (root with apt),
 * so `npm test` needs nothing done by hand; otherwise say exactly what is missing.
 */
const TOOLS = [
  { command: 'redis-server', package: 'redis-server', elsewhere: 'brew install redis' },
  // nginx's own service is not started by the install where policy-rc.d forbids it (containers); the tests start their own.
  { command: 'nginx', package: 'nginx', elsewhere: 'brew install nginx' },
  // Debian's docker-compose (1.29) without the Docker engine it recommends: `config` reads and checks a file on its own.
  { command: 'docker-compose', package: 'docker-compose', elsewhere: 'pip install docker-compose' },
] as const;

export default function setup(): void {
  let missing = TOOLS.filter((tool) => !hasCommand(tool.command));
  if (missing.length === 0) return;
  const root = process.getuid?.() === 0;
  if (root && hasCommand('apt-get', ['--version'])) {
    console.log(`${missing.map((t) => t.command).join(', ')} not found: installing with apt-get`);
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((t) => t.package)], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    missing = missing.filter((tool) => !hasCommand(tool.command));
    if (missing.length === 0) return;
  }
  throw new Error(`The tests need ${missing.map((t) => `${t.command} (apt-get install ${t.package}, or ${t.elsewhere})`).join(', ')} on the PATH.`);
}

function hasCommand(command: string, args: string[] = command === 'nginx' ? ['-v'] : ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
