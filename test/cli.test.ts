import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createTask, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient, type TaskEventResult } from './helpers/client.js';
import { runCli, startCli, type CliProcess } from './helpers/cli.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { freePort } from './helpers/ports.js';
import { useHerald } from './helpers/servers.js';
import { serviceKey, userToken } from './helpers/tokens.js';
import { until } from './helpers/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));

// Each CLI run is a Node process compiling TypeScript as it starts: a second or more on a busy machine.
describe('the herald CLI against a server', { timeout: 90_000 }, () => {
  const herald = useHerald({ PUSH_MAX_ATTEMPTS: '1', PUSH_RETRY_BASE_MS: '10', PUSH_TIMEOUT_MS: '500' });
  const env = () => ({ HERALD_URL: herald.url, HERALD_TOKEN: ADMIN_TOKEN });
  const running: CliProcess[] = [];
  const start = (args: string[], extra: Record<string, string> = {}) => {
    const cli = startCli(args, { ...env(), ...extra });
    running.push(cli);
    return cli;
  };
  afterEach(async () => {
    // SIGINT: a push receiver deregisters, so no registration outlives its test.
    await Promise.all(running.splice(0).map((cli) => cli.stop('SIGINT')));
    await waitForSubscriptions(herald.url, 0);
  });

  it('listen --json prints one JSON event per line as tasks are created, and resumes with --after', async () => {
    const cli = start(['listen', 'tasks', 'cli-listen', '--json']);
    await cli.line('stderr', (l) => l.includes('listening on'));
    await waitForSubscriptions(herald.url, 1);
    const titles = ['first', 'second', 'third'];
    for (const title of titles) await createTask(herald.url, 'cli-listen', title);
    await until(() => cli.stdout.length, (n) => n >= 3, 'three lines');
    const events = cli.stdout.map((line) => JSON.parse(line) as TaskEventResult);
    expect(events.map((e) => [e.type, e.repository, e.task?.title])).toEqual(titles.map((t) => ['CREATED', 'cli-listen', t]));
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3]);
    // Ctrl-C: a clean stop that says how to resume.
    expect(await cli.stop('SIGINT'), `exit code; the CLI said:\n${cli.stderr.join('\n')}`).toBe(0);
    expect(cli.stderr.join('\n')).toContain(`resume with --after ${events[2]!.cursor}`);

    await createTask(herald.url, 'cli-listen', 'fourth');
    const resumed = await runCli(['listen', 'tasks', 'cli-listen', '--json', '--after', events[0]!.cursor, '--count', '3'], { env: env() });
    expect(resumed.code).toBe(0);
    expect(resumed.lines.map((l) => (JSON.parse(l) as TaskEventResult).task?.title)).toEqual(['second', 'third', 'fourth']);
  });

  it('listen prints readable lines, without colour codes when stdout is not a terminal, with them under FORCE_COLOR', async () => {
    await createTask(herald.url, 'cli-pretty', 'before the cursor');
    const cursor = (await gqlOk(herald.url, '{ eventsCursor }')).eventsCursor as string;
    const cli = start(['listen', 'tasks', 'cli-pretty', '--after', cursor, '--count', '1']);
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'cli-pretty', 'pretty one');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout).toHaveLength(1);
    expect(cli.stdout[0]).toMatch(/^\d\d:\d\d:\d\d cli-pretty #2 CREATED +\S+ "pretty one" TODO by admin$/);
    const colored = await runCli(['stats'], { env: { ...env(), FORCE_COLOR: '1' } });
    expect(colored.stdout).toContain('\u001b[1m');
    const plain = await runCli(['stats'], { env: env() });
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.stdout).toMatch(/^instance \S+ {2}embedded/m);
  });

  it('publish creates, updates and deletes tasks, and publishes a batch from stdin, one JSON result per line', async () => {
    const c = wsClient(herald.wsUrl);
    const seen = record<TaskEventResult>(c, TASK_EVENTS, { repositories: ['cli-publish'] });
    await waitForSubscriptions(herald.url, 1);
    const created = await runCli(['publish', 'create', 'cli-publish', 'From the CLI', '--assignee', 'ana', '--json'], { env: env() });
    expect(created.code).toBe(0);
    const task = JSON.parse(created.stdout) as { id: string; title: string; assignee: string };
    expect(task).toMatchObject({ title: 'From the CLI', assignee: 'ana' });
    const updated = await runCli(['publish', 'update', task.id, '--status', 'DONE'], { env: env() });
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain(`updated ${task.id}`);
    expect((await runCli(['publish', 'delete', task.id], { env: env() })).code).toBe(0);

    const batch = [
      JSON.stringify({ op: 'create', repository: 'cli-publish', title: 'b1' }),
      JSON.stringify({ op: 'create', repository: 'cli-publish', title: 'b2', status: 'IN_PROGRESS' }),
      'not json',
      JSON.stringify({ op: 'update', id: 'no-such-task', title: 'x' }),
      JSON.stringify({ op: 'create', repository: 'cli-publish', title: 'b3' }),
    ].join('\n');
    const result = await runCli(['publish', 'batch'], { env: env(), input: batch });
    expect(result.code).toBe(1);
    const lines = result.lines.map((l) => JSON.parse(l) as { line: number; ok: boolean; task?: { title: string }; error?: { code: string } });
    expect(lines.map((l) => [l.line, l.ok, l.task?.title ?? l.error?.code])).toEqual([
      [1, true, 'b1'],
      [2, true, 'b2'],
      [3, false, 'BAD_LINE'],
      [4, false, 'NOT_FOUND'],
      [5, true, 'b3'],
    ]);
    expect(result.stderr).toContain('2 of 5 lines failed');
    const events = await seen.waitForCount(6);
    expect(events.map((e) => [e.type, e.task?.title])).toEqual([
      ['CREATED', 'From the CLI'],
      ['UPDATED', 'From the CLI'],
      ['DELETED', 'From the CLI'],
      ['CREATED', 'b1'],
      ['CREATED', 'b2'],
      ['CREATED', 'b3'],
    ]);
    await c.dispose();
  });

  it('stats, connections, gateways and deploy print what the server says', async () => {
    const stats = await runCli(['stats', '--json'], { env: env() });
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ mode: 'EMBEDDED', cluster: { instances: [expect.objectContaining({ mode: 'EMBEDDED' })] } });

    const listener = start(['listen', 'tasks', 'cli-conn', '-q']);
    await waitForSubscriptions(herald.url, 1);
    const connections = await runCli(['connections', '--json', '--client-name', 'herald-cli'], { env: env() });
    expect(connections.code).toBe(0);
    expect(connections.lines.map((l) => JSON.parse(l) as { clientName: string; clientVersion: string; subscriptions: number })).toEqual([
      expect.objectContaining({ clientName: 'herald-cli', clientVersion: '0.1.0', subscriptions: 1 }),
    ]);
    const table = await runCli(['connections'], { env: env() });
    expect(table.lines[0]).toMatch(/^ID +INSTANCE +PRINCIPAL +CLIENT/);
    await listener.stop();

    const { registerGateway } = await gqlOk(herald.url, 'mutation { registerGateway(input: { name: "cli-gw" }) { gateway { id } } }');
    const gateways = await runCli(['gateways', '--json'], { env: env() });
    expect(gateways.lines.map((l) => JSON.parse(l) as { id: string; name: string })).toContainEqual(expect.objectContaining({ id: registerGateway.gateway.id, name: 'cli-gw' }));
    // An admin follows the gateway's events as the gateway would get them.
    const follower = start(['listen', 'gateway', registerGateway.gateway.id, '--count', '1']);
    await follower.line('stderr', (l) => l.includes('listening on'));
    await waitForSubscriptions(herald.url, 1);
    const deployed = await runCli(['deploy', 'orders', 'r7', '--vhost', 'api.example.com', '--gateway', registerGateway.gateway.id, '--json'], { env: env() });
    expect(deployed.code).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({ apiId: 'orders', revisionId: 'r7', targets: [{ gatewayId: registerGateway.gateway.id, status: 'NO_CONNECTION' }] });
    expect(await follower.exited).toBe(0);
    expect(follower.stdout).toEqual([expect.stringMatching(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${registerGateway.gateway.id} #1 API_DEPLOYED apiId=orders revisionId=r7 vhost=api.example.com deploymentId=\\S+$`))]);
  });

  it('listen channel filters with --types and --where; publish event and alerts raise, list, ack and resolve', async () => {
    const cli = start(['listen', 'channel', 'threats', '--json', '--types', 'threat.detected', '--where', '{"severity":["high","critical"]}', '--count', '1']);
    await cli.line('stderr', (l) => l.includes('listening on'));
    await waitForSubscriptions(herald.url, 1);
    const low = await runCli(['publish', 'event', 'threats', 'threat.detected', '{"severity":"low","ip":"198.51.100.1"}'], { env: env() });
    expect(low).toMatchObject({ code: 0, stdout: expect.stringMatching(/^published \S+ threats #\d+ threat.detected/) });
    expect((await runCli(['publish', 'event', 'threats', 'scan.seen', '{"severity":"high"}'], { env: env() })).code).toBe(0);
    expect((await runCli(['publish', 'event', 'threats', 'threat.detected', '{"severity":"high","ip":"203.0.113.9"}', '--priority', 'HIGH', '--source', 'ids-1'], { env: env() })).code).toBe(0);
    expect((await runCli(['publish', 'event', 'threats', 'threat.detected', 'not json'], { env: env() })).code).toBe(2);

    expect(await cli.exited).toBe(0);
    const events = cli.stdout.map((l) => JSON.parse(l) as { channel: string; type: string; priority: string; source: string | null; payload: Record<string, unknown> });
    expect(events.map((e) => [e.channel, e.type, e.priority, e.source, e.payload.ip])).toEqual([['threats', 'threat.detected', 'HIGH', 'ids-1', '203.0.113.9']]);

    const raised = await runCli(['alerts', 'raise', 'Disk full on db-1', '--severity', 'CRITICAL', '--details', '{"disk":"/var"}', '--json'], { env: env() });
    expect(raised.code).toBe(0);
    const alert = JSON.parse(raised.stdout) as { id: string; status: string; details: unknown };
    expect(alert).toMatchObject({ status: 'OPEN', details: { disk: '/var' } });

    const open = await runCli(['alerts', 'list', '--status', 'OPEN', '--json'], { env: env() });
    expect(open.lines.map((l) => (JSON.parse(l) as { id: string }).id)).toContain(alert.id);
    const acked = await runCli(['alerts', 'ack', alert.id, '--note', 'on it'], { env: env() });
    expect(acked).toMatchObject({ code: 0, stdout: expect.stringContaining(`acknowledged ${alert.id} CRITICAL ACKNOWLEDGED "Disk full on db-1"`) });
    expect((await runCli(['alerts', 'resolve', alert.id, '--json'], { env: env() })).stdout).toContain('"status":"RESOLVED"');
    expect((await runCli(['alerts', 'ack', 'no-such-alert'], { env: env() })).code).toBe(1);

    const batch = await runCli(['publish', 'batch'], { env: env(), input: JSON.stringify({ op: 'event', channel: 'system', type: 'deploy.finished', payload: { service: 'api' } }) });
    expect(batch.code).toBe(0);
    expect(JSON.parse(batch.stdout)).toMatchObject({ line: 1, ok: true, op: 'event', event: { channel: 'system', type: 'deploy.finished', payload: { service: 'api' } } });
  });

  it('push-receiver verifies and prints signed pushes, refuses forged ones, and deregisters on exit', async () => {
    const cli = start(['push-receiver', '--repo', 'cli-push', '--json']);
    const registered = await cli.line('stderr', (l) => l.startsWith('registered'));
    const [, id, callbackUrl] = /^registered (\S+): .* to (\S+)$/.exec(registered)!;
    await createTask(herald.url, 'cli-push', 'pushed to me');
    const line = await cli.line('stdout', (l) => l.includes('pushed to me'));
    expect(JSON.parse(line)).toMatchObject({ via: 'push', delivery: expect.any(String), event: { type: 'task.created', topic: 'repo:cli-push', payload: { task: { title: 'pushed to me' } } } });

    const body = JSON.stringify({ id: 'forged', type: 'task.created', topic: 'repo:cli-push', sequence: 99, timestamp: new Date().toISOString() });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const forged = await fetch(callbackUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-herald-timestamp': timestamp, 'x-herald-signature': `sha256=${createHmac('sha256', 'a guessed secret').update(`${timestamp}.${body}`).digest('hex')}` },
      body,
    });
    expect(forged.status).toBe(401);
    const unsigned = await fetch(callbackUrl!, { method: 'POST', body });
    expect(unsigned.status).toBe(401);
    await cli.line('stderr', (l) => l.includes('rejected a delivery') && l.includes('bad signature'));
    expect((await fetch(`${callbackUrl}/health`)).status).toBe(200);
    expect(cli.stdout.filter((l) => l.includes('forged'))).toEqual([]);

    const { cliEndpoints } = await gqlOk(herald.url, '{ cliEndpoints { id } }');
    expect(cliEndpoints).toContainEqual({ id });
    expect(await cli.stop('SIGINT'), `exit code; the CLI said:\n${cli.stderr.join('\n')}`).toBe(0);
    expect(cli.stderr.join('\n')).toContain(`deregistered ${id}; 1 pushed, 0 over WebSocket, 2 rejected`);
    expect((await gqlOk(herald.url, '{ cliEndpoints { id } }')).cliEndpoints).not.toContainEqual({ id });
  });

  it('push-receiver gets over its WebSocket (cliNotifications) what pushing gave up on', async () => {
    const dead = await freePort();
    const cli = start(['push-receiver', '--repo', 'cli-fallback', '--json', '--public-url', `http://127.0.0.1:${dead}/herald`]);
    await cli.line('stderr', (l) => l.startsWith('registered'));
    // No waiting for its WebSocket: it resumes its notifications from before it registered.
    await createTask(herald.url, 'cli-fallback', 'never pushed');
    const line = await cli.line('stdout', (l) => l.includes('never pushed'));
    expect(JSON.parse(line)).toMatchObject({ via: expect.stringMatching(/^websocket: /), event: { type: 'task.created', payload: { task: { title: 'never pushed' } } } });
  });

  it('mcp: an MCP client over stdio lists the tools, creates a task that a graphql-ws subscriber sees, and reads recent events', async () => {
    const c = wsClient(herald.wsUrl);
    const seen = record<TaskEventResult>(c, TASK_EVENTS, { repositories: ['cli-mcp'] });
    await waitForSubscriptions(herald.url, 1);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', 'src/cli/main.ts', 'mcp'],
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', XDG_CONFIG_HOME: '/nonexistent', ...env() },
      stderr: 'pipe',
    });
    const mcp = new Client({ name: 'herald-test', version: '1.0.0' });
    await mcp.connect(transport);
    try {
      const { tools } = await mcp.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['acknowledge_alert', 'create_task', 'delete_task', 'list_tasks', 'publish_event', 'raise_alert', 'read_stats', 'recent_events', 'update_task']);
      expect(tools.find((t) => t.name === 'create_task')!.inputSchema).toMatchObject({ required: expect.arrayContaining(['repository', 'title']) });

      const created = await mcp.callTool({ name: 'create_task', arguments: { repository: 'cli-mcp', title: 'made by an agent', priority: 'HIGH' } });
      expect(created.isError).toBeFalsy();
      const task = JSON.parse((created.content as Array<{ text: string }>)[0]!.text) as { id: string; title: string };
      const [event] = await seen.waitForCount(1);
      expect(event).toMatchObject({ type: 'CREATED', taskId: task.id, changedBy: 'admin', task: { title: 'made by an agent' } });

      const recent = await mcp.callTool({ name: 'recent_events', arguments: { topic: 'repo:cli-mcp', limit: 5 } });
      expect(JSON.parse((recent.content as Array<{ text: string }>)[0]!.text)).toMatchObject({ events: [{ id: event!.id, type: 'task.created', priority: 'HIGH' }], cursor: event!.cursor });

      // Channel events and alerts reach channel subscribers like any client's.
      const onChannels = record<{ channel: string; type: string; payload: Record<string, unknown> }>(c, 'subscription { channelEvents(channels: ["threats", "alerts"]) { channel type payload } }', {}, 'channelEvents');
      await waitForSubscriptions(herald.url, 2);
      const text = (result: Awaited<ReturnType<typeof mcp.callTool>>) => JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as Record<string, unknown>;
      await mcp.callTool({ name: 'publish_event', arguments: { channel: 'threats', type: 'threat.detected', payload: { severity: 'high', ip: '203.0.113.9' } } });
      const alert = text(await mcp.callTool({ name: 'raise_alert', arguments: { title: 'Disk full on db-1', severity: 'CRITICAL' } }));
      expect(text(await mcp.callTool({ name: 'acknowledge_alert', arguments: { id: alert.id, note: 'on it' } }))).toMatchObject({ id: alert.id, status: 'ACKNOWLEDGED', acknowledgeNote: 'on it' });
      const channelEvents = await onChannels.waitForCount(3);
      expect(channelEvents.map((e) => [e.channel, e.type])).toEqual([
        ['threats', 'threat.detected'],
        ['alerts', 'alert.raised'],
        ['alerts', 'alert.acknowledged'],
      ]);

      const refused = await mcp.callTool({ name: 'create_task', arguments: { repository: 'not a repo!', title: 'x' } });
      expect(refused.isError).toBe(true);
      expect((refused.content as Array<{ text: string }>)[0]!.text).toMatch(/^BAD_USER_INPUT: /);
    } finally {
      await mcp.close();
      await c.dispose();
    }
  });

  it('every subcommand has --help, and the token helpers decode a JWT', async () => {
    for (const args of [['listen'], ['publish', 'batch'], ['deploy'], ['push-receiver'], ['token', 'decode'], ['mcp']]) {
      const help = await runCli([...args, '--help']);
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.stdout, args.join(' ')).toMatch(new RegExp(`^Usage: herald ${args.join(' ')}`));
    }
    const jwt = await userToken({ sub: 'ana', repos: ['demo'] }, { expiresIn: '10m' });
    const decoded = await runCli(['token', 'decode', jwt]);
    expect(decoded.code).toBe(0);
    expect(decoded.stdout).toContain('sub: "ana"');
    expect(decoded.stdout).toMatch(/expires in \d+s/);
    expect((await runCli(['token', 'decode', 'opaque-admin-token'])).code).toBe(2);
    expect((await runCli(['token', 'dev'])).stdout).toContain('adminToken');
  });

  it('takes the URL and token from a config file, below flags and environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ url: herald.origin, token: ADMIN_TOKEN }));
    const fromFile = await runCli(['stats', '--json'], { env: { HERALD_CONFIG: file } });
    expect(fromFile.code).toBe(0);
    const nowhere = `http://127.0.0.1:${await freePort()}/graphql`;
    writeFileSync(file, JSON.stringify({ url: nowhere, token: ADMIN_TOKEN }));
    expect((await runCli(['stats', '--json'], { env: { HERALD_CONFIG: file } })).code).toBe(3);
    expect((await runCli(['stats', '--json'], { env: { HERALD_CONFIG: file, HERALD_URL: herald.url } })).code).toBe(0);
    expect((await runCli(['stats', '--json', '--url', herald.url], { env: { HERALD_CONFIG: file, HERALD_URL: nowhere } })).code).toBe(0);
    writeFileSync(file, '{ not json');
    const broken = await runCli(['stats'], { env: { HERALD_CONFIG: file } });
    expect(broken).toMatchObject({ code: 2, stderr: expect.stringContaining('is not JSON') });
  });
});

describe('exit codes scripts can rely on', { timeout: 90_000 }, () => {
  const herald = useHerald({ NODE_ENV: 'production' });

  it('0 done, 1 refused, 2 usage, 3 unreachable, 4 credentials refused, 5 not allowed; one line on stderr, never a stack trace', async () => {
    const ok = await runCli(['stats', '--json'], { env: { HERALD_URL: herald.url, HERALD_TOKEN: ADMIN_TOKEN } });
    expect(ok.code).toBe(0);

    const refused = await runCli(['publish', 'create', 'not a repo!', 'x'], { env: { HERALD_URL: herald.url, HERALD_TOKEN: ADMIN_TOKEN } });
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/^herald: BAD_USER_INPUT: /) });

    expect((await runCli(['listen'])).code).toBe(2);
    expect((await runCli(['listen', 'nowhere', 'x'])).code).toBe(2);
    expect((await runCli(['stats', '--url', 'not a url'])).code).toBe(2);

    const port = await freePort();
    for (const args of [['stats'], ['listen', 'tasks', 'demo']]) {
      const down = await runCli(args, { env: { HERALD_URL: `http://127.0.0.1:${port}/graphql` } });
      expect(down.code, args.join(' ')).toBe(3);
      expect(down.stderr).toMatch(/^herald: UNREACHABLE: cannot reach .*ECONNREFUSED/);
    }

    for (const args of [['stats'], ['listen', 'tasks', 'demo'], ['push-receiver', '--repo', 'demo']]) {
      const bad = await runCli(args, { env: { HERALD_URL: herald.url, HERALD_TOKEN: 'wrong-token' } });
      expect(bad.code, args.join(' ')).toBe(4);
      expect(bad.stderr).toMatch(/^herald: UNAUTHENTICATED: /);
    }

    // A wrong URL: something answers, but not GraphQL.
    const page = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not here</h1>'));
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    const wrong = await runCli(['stats'], { env: { HERALD_URL: `http://127.0.0.1:${(page.address() as AddressInfo).port}/graphql` } });
    page.close();
    expect(wrong).toMatchObject({ code: 3, stderr: expect.stringMatching(/^herald: BAD_RESPONSE: .* answered HTTP 404 without a GraphQL result/) });

    const { secret } = await serviceKey(herald.url, ['tasks:read']);
    const forbidden = await runCli(['publish', 'create', 'demo', 'x'], { env: { HERALD_URL: herald.url, HERALD_TOKEN: secret } });
    expect(forbidden).toMatchObject({ code: 5, stderr: expect.stringMatching(/^herald: FORBIDDEN: /) });

    for (const result of [refused, forbidden]) expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a CLI older than the server wants', { timeout: 60_000 }, () => {
  const herald = useHerald({ MIN_CLI_VERSION: '9.0.0' });

  it('sends its version and exits 6 with the server\'s reason when MIN_CLI_VERSION is newer', async () => {
    const old = await runCli(['listen', 'tasks', 'demo'], { env: { HERALD_URL: herald.url, HERALD_TOKEN: ADMIN_TOKEN } });
    expect(old.code).toBe(6);
    expect(old.stderr).toMatch(/^herald: CLIENT_TOO_OLD: .*herald-cli 9\.0\.0 or newer is required; this is 0\.1\.0/m);
  });
});
