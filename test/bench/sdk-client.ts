/**
 * One side of test/bench/sdk.ts, in a process of its own so its CPU time is
 * its own: opens --clients clients of one --kind, each with one subscription
 * to task events of --repo, and follows commands on stdin:
 *
 *   (start)   → opens them; prints {"ready", heapPerClientB, rssPerClientB} once all are subscribed
 *   "go N"    → counts N events per client; prints {"done", cpuMs, wallMs, events} when all arrived
 *   "quit"    → closes everything and exits
 *
 * --kind bare: graphql-ws's createClient as a frontend uses it (one client,
 * one subscription); --kind sdk: createHeraldClient with its defaults
 * (resume, keep-alive pings every 10 s, health).
 *
 * Run with `node --expose-gc --import tsx` so heap figures are after a full GC.
 */
import { createInterface } from 'node:readline';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createHeraldClient, TaskEventsDocument, type HeraldClient } from '../../src/client/index.js';
import { parseOptions } from './common.js';

const options = parseOptions({ kind: 'sdk', url: '', token: '', clients: 200, repo: 'bench-sdk' }, process.argv.slice(2));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const print = (value: unknown) => void process.stdout.write(`${JSON.stringify(value)}\n`);
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

let received = 0;
let target = Infinity;
let started: { cpu: NodeJS.CpuUsage; at: number } | undefined;
const onEvent = () => {
  received++;
  if (started && received === target) {
    const cpu = process.cpuUsage(started.cpu);
    print({ done: true, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - started.at, events: received });
  }
};

const bare: Client[] = [];
const sdk: HeraldClient[] = [];

async function open() {
  gc();
  await settle();
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const query = 'subscription ($repositories: [String!]!) { taskEvents(repositories: $repositories) { id type taskId repository changedBy timestamp sequence cursor priority task { id repository title description status assignee createdAt updatedAt } } }';
  for (let i = 0; i < options.clients; i++) {
    if (options.kind === 'bare') {
      const client = createClient({ url: options.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${options.token}` } });
      client.subscribe({ query, variables: { repositories: [options.repo] } }, { next: onEvent, error: (e) => print({ error: String(e) }), complete: () => {} });
      bare.push(client);
    } else {
      const client = createHeraldClient({ url: options.url, token: options.token, clientName: 'bench' });
      client.subscribe(TaskEventsDocument, { repositories: [options.repo] }, { next: onEvent, error: (e) => print({ error: e.message }) });
      sdk.push(client);
    }
  }
  return { heap0, rss0 };
}

const lines = createInterface({ input: process.stdin });
const { heap0, rss0 } = await open();
print({ opened: true });
for await (const line of lines) {
  const [command, arg] = line.trim().split(' ');
  if (command === 'measure') {
    gc();
    await settle();
    gc();
    const memory = process.memoryUsage();
    print({ ready: true, heapPerClientB: (memory.heapUsed - heap0) / options.clients, rssPerClientB: (memory.rss - rss0) / options.clients });
  } else if (command === 'go') {
    received = 0;
    target = Number(arg) * options.clients;
    started = { cpu: process.cpuUsage(), at: performance.now() };
  } else if (command === 'quit') {
    await Promise.all([...bare.map((c) => c.dispose()), ...sdk.map((c) => c.dispose())]);
    process.exit(0);
  }
}
