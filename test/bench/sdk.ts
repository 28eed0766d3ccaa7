/**
 * What the client SDK costs next to a bare graphql-ws client, and how fast it
 * fails over:
 *
 *   npx tsx test/bench/sdk.ts [--clients 200] [--events 500] [--rounds 3] [--concurrency 16] [--failover-rounds 5]
 *
 * Starts a Herald server process (production mode, rate limits raised for
 * the load) and stops it at the end.
 *
 *   a. Overhead per event, side by side in one run: two client processes
 *      (test/bench/sdk-client.ts), one with --clients bare graphql-ws clients
 *      (createClient + subscribe, as a frontend does), one with as many SDK
 *      clients (createHeraldClient with its defaults: resume, keep-alive,
 *      health); each client holds one taskEvents subscription to the same
 *      repository, so both receive exactly the same events at the same time.
 *      Each round publishes --events tasks over HTTP and measures each
 *      process's CPU time until it has every event; CPU per event = that /
 *      (events × clients). Medians over --rounds. Memory per client (one
 *      connection, one subscription): heap after a full GC, before and after
 *      opening them.
 *   b. Failover time, WebSocket blocked → first event over SSE: an SDK client
 *      with default settings behind a proxy (test/helpers/proxy.ts), events
 *      published every 20 ms; at t0 the proxy starts refusing WebSocket
 *      upgrades and cuts the open ones; the time until the first event the
 *      client receives over SSE. Also from a cold start with WebSocket already
 *      refused: subscribe() to the first event. --failover-rounds each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createHeraldClient, TaskEventsDocument } from '../../src/client/index.js';
import { startProxy } from '../helpers/proxy.js';
import { gql, median, parseOptions, runBench, waitForQuiet } from './common.js';
import { sleep, startServer, type ServerProcess } from './server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CREATE = 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }';

type Side = { readonly child: ChildProcess; next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>; send(line: string): void };

function side(kind: 'bare' | 'sdk', server: ServerProcess, clients: number, repo: string): Side {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/bench/sdk-client.ts', '--kind', kind, '--url', server.graphqlUrl, '--token', server.token, '--clients', String(clients), '--repo', repo], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const messages: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      messages.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const waiter of [...waiters]) waiter();
  });
  let read = 0;
  return {
    child,
    send: (line) => void child.stdin!.write(`${line}\n`),
    next: (match) =>
      new Promise((resolve) => {
        const check = () => {
          const index = messages.slice(read).findIndex(match);
          if (index < 0) return;
          read += index + 1;
          waiters.delete(check);
          resolve(messages[read - 1]!);
        };
        waiters.add(check);
        check();
      }),
  };
}

async function publish(server: ServerProcess, repo: string, count: number, concurrency: number) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        await gql(server.graphqlUrl, server.token, CREATE, { input: { repository: repo, title: `e${n}` } }, 60_000);
      }
    }),
  );
}

async function overhead(server: ServerProcess, o: { clients: number; events: number; rounds: number; concurrency: number }) {
  const repo = 'bench-sdk';
  const sides = { bare: side('bare', server, o.clients, repo), sdk: side('sdk', server, o.clients, repo) };
  try {
    await Promise.all(Object.values(sides).map((s) => s.next((m) => m.opened === true)));
    for (;;) {
      const { stats } = await gql<{ stats: { subscriptions: number } }>(server.graphqlUrl, server.token, '{ stats { subscriptions } }');
      if (stats.subscriptions >= 2 * o.clients) break;
      await sleep(100);
    }
    const memory = await Promise.all(Object.values(sides).map((s) => (s.send('measure'), s.next((m) => m.ready === true))));
    const cpu: Record<'bare' | 'sdk', number[]> = { bare: [], sdk: [] };
    for (let round = 0; round < o.rounds; round++) {
      for (const s of Object.values(sides)) s.send(`go ${o.events}`);
      await sleep(50);
      const done = Promise.all(Object.values(sides).map((s) => s.next((m) => m.done === true)));
      await publish(server, repo, o.events, o.concurrency);
      const [bare, sdk] = await done;
      cpu.bare.push(((bare!.cpuMs as number) * 1000) / (o.events * o.clients));
      cpu.sdk.push(((sdk!.cpuMs as number) * 1000) / (o.events * o.clients));
      console.log(`  round ${round + 1}: CPU per event bare ${cpu.bare.at(-1)!.toFixed(2)} µs, SDK ${cpu.sdk.at(-1)!.toFixed(2)} µs`);
    }
    return { cpu: { bare: median(cpu.bare), sdk: median(cpu.sdk) }, memory: { bare: memory[0]!, sdk: memory[1]! } };
  } finally {
    for (const s of Object.values(sides)) s.send('quit');
    await sleep(500);
    for (const s of Object.values(sides)) s.child.kill('SIGKILL');
  }
}

async function failover(server: ServerProcess, rounds: number) {
  const proxy = await startProxy(server.graphqlUrl);
  const warm: number[] = [];
  const cold: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const mode of ['warm', 'cold'] as const) {
        const repo = `bench-failover-${mode}-${round}`;
        proxy.allow('ws', mode === 'warm');
        const client = createHeraldClient({ url: proxy.url, token: server.token, clientName: 'bench' });
        let t0 = performance.now();
        let firstOverSse: number | undefined;
        let resolveFirst!: () => void;
        const first = new Promise<void>((resolve) => (resolveFirst = resolve));
        let publishing = true;
        client.subscribe(TaskEventsDocument, { repositories: [repo] }, {
          next: () => {
            if (firstOverSse === undefined && client.transport === 'sse') {
              firstOverSse = performance.now();
              resolveFirst();
            }
          },
        });
        const publisher = (async () => {
          for (let n = 0; publishing; n++) {
            await gql(server.graphqlUrl, server.token, CREATE, { input: { repository: repo, title: `f${n}` } });
            await sleep(20);
          }
        })();
        if (mode === 'warm') {
          while (!(client.state === 'connected' && client.transport === 'ws')) await sleep(10);
          await sleep(200);
          t0 = performance.now();
          proxy.allow('ws', false);
        }
        await first;
        (mode === 'warm' ? warm : cold).push(firstOverSse! - t0);
        publishing = false;
        await publisher;
        await client.dispose();
      }
      console.log(`  round ${round + 1}: WebSocket cut → first event over SSE ${warm.at(-1)!.toFixed(0)} ms; cold start, WebSocket refused → first event ${cold.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    await proxy.close();
  }
  const summary = (values: number[]) => ({ median: median(values), max: Math.max(...values) });
  return { warm: summary(warm), cold: summary(cold) };
}

async function main(): Promise<number> {
  const o = parseOptions({ clients: 200, events: 500, rounds: 3, concurrency: 16, 'failover-rounds': 5, 'max-seconds': 600 }, process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-sdk-'));
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, 'Mutation.*: { max: 100000, windowSeconds: 60 }\nSubscription.*: { max: 100000, windowSeconds: 60 }\n');
  const server = await startServer({
    env: { RATE_LIMITS_FILE: rules, WS_MAX_CONNECTIONS_PER_PRINCIPAL: '100000', WS_RATE_LIMIT_PER_MINUTE: '100000', WS_MAX_CONNECTIONS: '100000' },
  });
  try {
    await waitForQuiet('sdk bench');
    console.log(`a. overhead: ${o.clients} clients per side, ${o.events} events × ${o.rounds} rounds`);
    const a = await overhead(server, { clients: o.clients, events: o.events, rounds: o.rounds, concurrency: o.concurrency });
    console.log(`b. failover: ${o['failover-rounds']} rounds`);
    const b = await failover(server, o['failover-rounds']);
    const kb = (bytes: unknown) => `${((bytes as number) / 1024).toFixed(1)} KB`;
    console.log('\nresults');
    console.log(`  CPU per event received   bare graphql-ws ${a.cpu.bare.toFixed(2)} µs   SDK ${a.cpu.sdk.toFixed(2)} µs   SDK/bare ${(a.cpu.sdk / a.cpu.bare).toFixed(2)}`);
    console.log(`  heap per client (1 sub)  bare graphql-ws ${kb(a.memory.bare.heapPerClientB)}   SDK ${kb(a.memory.sdk.heapPerClientB)}   SDK/bare ${((a.memory.sdk.heapPerClientB as number) / (a.memory.bare.heapPerClientB as number)).toFixed(2)}`);
    console.log(`  RSS per client (1 sub)   bare graphql-ws ${kb(a.memory.bare.rssPerClientB)}   SDK ${kb(a.memory.sdk.rssPerClientB)}`);
    console.log(`  failover WebSocket cut → first event over SSE: median ${b.warm.median.toFixed(0)} ms, max ${b.warm.max.toFixed(0)} ms`);
    console.log(`  cold start with WebSocket refused → first event over SSE: median ${b.cold.median.toFixed(0)} ms, max ${b.cold.max.toFixed(0)} ms`);
    return 0;
  } finally {
    await server.stop();
  }
}

runBench('sdk', main, 600);
