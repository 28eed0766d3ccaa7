/**
 * Connection churn and idle-connection memory:
 *
 *   npx tsx test/bench/churn.ts [--conns 5000] [--cycles 20000] [--concurrency 100]
 *
 * Starts one server process (embedded mode, NODE_ENV=production with a
 * generated admin token, LOG_LEVEL=warn, via server.ts) with only the two
 * per-client limits raised that a single load process on 127.0.0.1 would
 * otherwise hit: the connection-attempt budgets (WS_RATE_LIMIT_PER_MINUTE,
 * WS_AUTHENTICATED_RATE_LIMIT_PER_MINUTE) and WS_MAX_CONNECTIONS_PER_PRINCIPAL.
 * Everything else keeps its default (WS_MAX_CONNECTIONS stays 10000, so
 * --conns + --concurrency must stay below it).
 *
 *   1. RSS "start": after /health, before any connection.
 *   2. --conns held connections, each a raw `ws` socket speaking
 *      graphql-transport-ws (connection_init with the bearer token,
 *      connection_ack, one `taskEvents(repositories: ["churn"])`), confirmed
 *      live by polling `{ stats { subscriptions } }`. RSS "held" after a settle
 *      pause: RSS per 1000 idle connections = (held - start) / conns * 1000.
 *   3. --cycles connect / connection_init / ack / subscribe / ping-pong / close
 *      cycles with at most --concurrency in flight, on top of the held ones:
 *      cycles per second. The pong proves the server has read the subscribe
 *      before the client closes (graceful close, code 1000).
 *   4. Wait until stats show only the held connections and subscriptions left,
 *      settle, RSS "after churn" (compared with "held": target within 10 %).
 *   5. Close the held connections, wait for 0 connections, settle, RSS "after close".
 *
 * RSS is VmRSS of the server process (/proc/<pid>/status); heapUsed comes from
 * the server's /metrics (prom-client default metrics, prefix herald_).
 * Nothing forces a GC: the figures are what the process holds on its own.
 */
import { WebSocket } from 'ws';
import { closeAll, mb, now, openAll, r1, Samples, Subscriber, SUBSCRIPTION, Tally, type Summary } from './client.js';
import { benchOptions, gql, runBench, scrapeMetrics, waitForQuiet, type LoadWait } from './common.js';
import { Inspector } from './inspector.js';
import { freePort, procCpuMs, procMemory, sleep, startServer, type ServerProcess } from './server.js';

const DEFAULTS = {
  conns: 5000, // held idle connections, one subscription each
  cycles: 20000, // connect/subscribe/disconnect cycles
  concurrency: 100, // handshakes / cycles in flight
  settle: 5, // seconds to wait before each RSS reading
  'cycle-timeout': 15, // seconds one cycle may take before it counts as failed
  'setup-timeout': 180, // seconds to open and confirm the held connections
  'churn-timeout': 600, // seconds for the whole churn phase
  'max-seconds': 1500, // hard limit for the whole run
  'load-limit': 1.5, // wait for the 1-minute load average to drop below this before measuring
  'load-wait': 180, // ... for at most this many seconds
  'node-args': '', // extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  // Diagnostic only (changes what is measured): start the server with --inspect on a free port and,
  // after each normal reading, force a full GC over the inspector protocol and read again.
  'gc-diagnostic': false,
  // Diagnostic only: start the server with --inspect and write a CPU profile of the churn phase to this file.
  'cpu-profile': '',
  observe: 60, // seconds to keep watching RSS (no requests, /proc only) after the "after churn" reading
  help: false,
};

const TARGET_MB_PER_1000 = 30;
const TARGET_AFTER_CHURN_PCT = 10;

const REPOSITORY = 'churn';
const SERVER_ENV = { WS_RATE_LIMIT_PER_MINUTE: '10000000', WS_AUTHENTICATED_RATE_LIMIT_PER_MINUTE: '10000000', WS_MAX_CONNECTIONS_PER_PRINCIPAL: '100000' };
const HEAP_METRICS = ['herald_nodejs_heap_size_used_bytes', 'herald_nodejs_heap_size_total_bytes', 'herald_nodejs_external_memory_bytes'] as const;

type Options = typeof DEFAULTS;

const mbBytes = (bytes: number | undefined) => (bytes === undefined ? null : r1(bytes / 1024 / 1024));

type MemoryReading = { label: string; rssMB: number | null; hwmMB: number | null; heapUsedMB: number | null; heapTotalMB: number | null; externalMB: number | null; connections: number | null; subscriptions: number | null };

type Stats = { stats: { connections: number; subscriptions: number } };

async function stats(server: ServerProcess): Promise<Stats['stats'] | null> {
  try {
    return (await gql<Stats>(server.graphqlUrl, server.token, '{ stats { connections subscriptions } }')).stats;
  } catch {
    return null;
  }
}

/** Polls stats until the condition holds (bounded); returns the last stats seen. */
async function waitForStats(server: ServerProcess, ok: (s: Stats['stats']) => boolean, timeoutMs: number) {
  const deadline = now() + timeoutMs;
  let last: Stats['stats'] | null = null;
  let polls = 0;
  while (now() < deadline && polls < 100_000) {
    polls++;
    last = await stats(server);
    if (last && ok(last)) return { ok: true, last };
    await sleep(200);
  }
  return { ok: false, last };
}

async function readMemory(server: ServerProcess, label: string): Promise<MemoryReading> {
  const heap = await scrapeMetrics(server.origin, server.token, HEAP_METRICS);
  const s = await stats(server);
  // RSS after the scrape and the stats query, so their own allocations are in it as in every reading.
  const mem = procMemory(server.pid);
  return {
    label,
    rssMB: mb(mem?.rssKB),
    hwmMB: mb(mem?.hwmKB),
    heapUsedMB: mbBytes(heap.herald_nodejs_heap_size_used_bytes),
    heapTotalMB: mbBytes(heap.herald_nodejs_heap_size_total_bytes),
    externalMB: mbBytes(heap.herald_nodejs_external_memory_bytes),
    connections: s?.connections ?? null,
    subscriptions: s?.subscriptions ?? null,
  };
}

// ------------------------------------------------------------------ one churn cycle

/** Milliseconds of each step: upgrade done, connection_ack, pong (subscribe read), closed. */
type CycleResult = { ok: boolean; error: string | null; ms: number; steps: [number, number, number, number] };

const INIT = (token: string) => JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
const SUBSCRIBE = JSON.stringify({
  id: '1',
  type: 'subscribe',
  payload: { query: SUBSCRIPTION, operationName: 'BenchTaskEvents', variables: { repositories: [REPOSITORY] } },
});

/** connect -> connection_init -> ack -> subscribe + ping -> pong -> close(1000) -> closed. */
function cycle(wsUrl: string, token: string, timeoutMs: number): Promise<CycleResult> {
  const started = now();
  return new Promise((resolve) => {
    let stage: 'connect' | 'ack' | 'pong' | 'close' = 'connect';
    let settled = false;
    const marks = [0, 0, 0, 0];
    let last = started;
    const mark = (i: number) => {
      const t = now();
      marks[i] = t - last;
      last = t;
    };
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false, handshakeTimeout: timeoutMs, skipUTF8Validation: true });
    const finish = (ok: boolean, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!ok) ws.terminate();
      if (ok) mark(3);
      resolve({ ok, error, ms: now() - started, steps: marks as CycleResult['steps'] });
    };
    const timer = setTimeout(() => finish(false, `timeout waiting for ${stage}`), timeoutMs);
    ws.on('open', () => {
      mark(0);
      stage = 'ack';
      ws.send(INIT(token));
    });
    ws.on('message', (data: Buffer) => {
      let message: { type?: unknown; payload?: unknown };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        finish(false, 'message is not JSON');
        return;
      }
      switch (message.type) {
        case 'connection_ack':
          mark(1);
          stage = 'pong';
          ws.send(SUBSCRIBE);
          ws.send('{"type":"ping"}');
          return;
        case 'pong':
          if (stage !== 'pong') return;
          mark(2);
          stage = 'close';
          ws.close(1000, 'churn');
          return;
        case 'ping':
          ws.send('{"type":"pong"}');
          return;
        case 'error':
        case 'complete':
          finish(false, `${String(message.type)}: ${JSON.stringify(message.payload).slice(0, 200)}`);
          return;
        default:
          return;
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (stage === 'close') finish(true, null);
      else finish(false, `close ${code} ${String(reason)} while waiting for ${stage}`);
    });
    ws.on('error', (err: Error) => finish(false, err.message));
  });
}

// ------------------------------------------------------------------ run

type Report = {
  conns: number;
  cycles: number;
  concurrency: number;
  load: Record<string, LoadWait>;
  held: { opened: number; failed: number; openMs: number; setupMs: Summary; confirmed: boolean; confirmMs: number };
  churn: {
    attempted: number;
    ok: number;
    failed: number;
    lastError: string | null;
    seconds: number;
    connectionsPerSecond: number;
    cycleMs: Summary;
    stepsP50Ms: { upgrade: number | null; ack: number | null; subscribePong: number | null; close: number | null };
    serverCpuPct: number | null;
    serverCpuMsPerCycle: number | null;
    loadToolCpuPct: number;
    /** Server CPU while only the held connections were open (between the held and pre-churn readings). */
    idleServerCpuPct: number | null;
    maxRssDuringMB: number | null;
    statsBackToHeld: boolean;
    statsAfter: Stats['stats'] | null;
  };
  heldSurvived: { unexpectedCloses: number; lastError: string | null };
  memory: MemoryReading[];
  rssPer1000IdleMB: number | null;
  heapPer1000IdleMB: number | null;
  afterChurnVsHeldPct: number | null;
  heapAfterChurnVsHeldPct: number | null;
  laterAfterChurnVsHeldPct: number | null;
  rssTrailAfterChurn: Array<[number, number | null]>;
  closedToZero: boolean;
  targets: { rssPer1000: boolean | null; afterChurn: boolean | null };
};

async function run(o: Options): Promise<Report> {
  const load: Record<string, LoadWait> = {};
  const quiet = async (label: string) => (load[label] = await waitForQuiet(label, o['load-limit'], o['load-wait'] * 1000));
  await quiet('start');
  const inspectPort = o['gc-diagnostic'] || o['cpu-profile'] ? await freePort() : 0;
  const nodeArgs = [...o['node-args'].split(' ').filter(Boolean), ...(inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : [])];
  const server = await startServer({ env: SERVER_ENV, nodeArgs });
  const inspector = inspectPort ? await Inspector.connect(inspectPort) : null;
  if (inspector) console.log(`DIAGNOSTIC RUN: server inspector on 127.0.0.1:${inspectPort}${o['gc-diagnostic'] ? '; a forced full GC follows every reading' : ''}${o['cpu-profile'] ? `; CPU profile of the churn phase to ${o['cpu-profile']}` : ''}`);
  const reading = async (label: string) => {
    memory.push(await readMemory(server, label));
    if (!inspector || !o['gc-diagnostic']) return;
    const ok = await inspector.collectGarbage();
    await sleep(1_000);
    memory.push(await readMemory(server, `${label} [after forced GC${ok ? '' : ': FAILED'}]`));
  };
  console.log(`server pid ${server.pid} on ${server.origin} (embedded, production, ${Object.entries(SERVER_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})`);
  const memory: MemoryReading[] = [];
  const tally = new Tally();
  const subs: Subscriber[] = [];
  try {
    await sleep(o.settle * 1000);
    await reading('start');

    // --- held connections
    const subOptions = { wsUrl: server.wsUrl, token: server.token, tally, ackTimeoutMs: 30_000 };
    for (let i = 0; i < o.conns; i++) subs.push(new Subscriber(REPOSITORY, true, subOptions));
    const setupDeadline = now() + o['setup-timeout'] * 1000;
    const open = await openAll(subs, o.concurrency, setupDeadline);
    const opened = subs.length - open.failed - open.notTried;
    const confirmStarted = now();
    const confirm = await waitForStats(server, (s) => s.subscriptions >= o.conns, Math.max(5_000, setupDeadline - now()));
    const held = { opened, failed: open.failed + open.notTried, openMs: r1(open.ms), setupMs: open.setupMs, confirmed: confirm.ok && opened === o.conns, confirmMs: r1(now() - confirmStarted) };
    console.log(`held: ${opened}/${o.conns} open in ${held.openMs} ms, subscriptions ${confirm.last?.subscriptions ?? '?'} (${held.confirmed ? 'confirmed' : `NOT confirmed: ${tally.lastError ?? ''}`})`);
    if (!held.confirmed) throw new Error(`held connections not confirmed: ${JSON.stringify({ held, stats: confirm.last, errors: tally.errors() })}`);
    await sleep(o.settle * 1000);
    await reading('held (idle conns open)');
    const idleCpu0 = procCpuMs(server.pid);
    const idleT0 = now();

    // --- churn
    await quiet('churn');
    await sleep(1_000);
    // The pre-churn level: read right before churning, after the load wait.
    const idleCpu1 = procCpuMs(server.pid);
    const idleServerCpuPct = idleCpu0 === null || idleCpu1 === null ? null : r1((100 * (idleCpu1 - idleCpu0)) / (now() - idleT0));
    await reading('before churn');
    const cycleMs = new Samples(o.cycles);
    const stepMs = [0, 1, 2, 3].map(() => new Samples(o.cycles));
    let next = 0;
    let okCount = 0;
    let failed = 0;
    let lastError: string | null = null;
    let maxRssKB = 0;
    const sampler = setInterval(() => {
      const m = procMemory(server.pid);
      if (m && m.rssKB > maxRssKB) maxRssKB = m.rssKB;
    }, 250);
    if (inspector && o['cpu-profile']) await inspector.startProfile();
    const cpu0 = procCpuMs(server.pid);
    const own0 = process.cpuUsage();
    const t0 = now();
    const churnDeadline = t0 + o['churn-timeout'] * 1000;
    let progressAt = t0;
    const worker = async () => {
      while (next < o.cycles && now() < churnDeadline) {
        next++;
        const result = await cycle(server.wsUrl, server.token, o['cycle-timeout'] * 1000);
        if (result.ok) {
          okCount++;
          cycleMs.push(result.ms);
          result.steps.forEach((ms, i) => stepMs[i]!.push(ms));
        } else {
          failed++;
          lastError = result.error;
        }
        if (now() - progressAt > 5_000) {
          progressAt = now();
          console.log(`  churn: ${okCount + failed}/${o.cycles} (${failed} failed) after ${r1((progressAt - t0) / 1000)} s`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
    const seconds = (now() - t0) / 1000;
    const cpu1 = procCpuMs(server.pid);
    const own = process.cpuUsage(own0);
    clearInterval(sampler);
    if (inspector && o['cpu-profile']) await inspector.stopProfile(o['cpu-profile']);
    const serverCpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
    const back = await waitForStats(server, (s) => s.connections === o.conns && s.subscriptions === o.conns, 60_000);
    const churn = {
      attempted: next,
      ok: okCount,
      failed,
      lastError,
      seconds: r1(seconds),
      connectionsPerSecond: r1(okCount / seconds),
      cycleMs: cycleMs.summary(),
      stepsP50Ms: {
        upgrade: stepMs[0]!.summary().p50 ?? null,
        ack: stepMs[1]!.summary().p50 ?? null,
        subscribePong: stepMs[2]!.summary().p50 ?? null,
        close: stepMs[3]!.summary().p50 ?? null,
      },
      serverCpuPct: serverCpuMs === null ? null : r1((100 * serverCpuMs) / (seconds * 1000)),
      serverCpuMsPerCycle: serverCpuMs === null || okCount === 0 ? null : Math.round((1000 * serverCpuMs) / okCount) / 1000,
      loadToolCpuPct: r1((own.user + own.system) / 10 / (seconds * 1000)),
      idleServerCpuPct,
      maxRssDuringMB: mb(maxRssKB || null),
      statsBackToHeld: back.ok,
      statsAfter: back.last,
    };
    console.log(`churn: ${okCount} ok, ${failed} failed in ${churn.seconds} s = ${churn.connectionsPerSecond} conn/s; stats after: ${JSON.stringify(back.last)}`);
    await sleep(o.settle * 1000);
    await reading('after churn (held open)');
    // Watch, without doing anything, whether the process gives memory back on its own.
    const trail: Array<[number, number | null]> = [];
    const watchStarted = now();
    while (now() - watchStarted < o.observe * 1000 && trail.length < 10_000) {
      await sleep(Math.min(5_000, o.observe * 1000));
      trail.push([Math.round((now() - watchStarted) / 1000), mb(procMemory(server.pid)?.rssKB)]);
    }
    if (o.observe > 0) await reading(`after churn +${o.observe + o.settle} s (held open)`);
    const heldSurvived = { unexpectedCloses: tally.unexpectedCloses, lastError: tally.lastError };
    console.log(`RSS after churn, every 5 s (MB): ${trail.map(([t, v]) => `${t}s ${v}`).join(', ')}`);

    // --- close the held connections
    closeAll(subs);
    const zero = await waitForStats(server, (s) => s.connections === 0 && s.subscriptions === 0, 60_000);
    await sleep(o.settle * 1000);
    await reading('after close (0 conns)');

    const at = (label: string) => memory.find((m) => m.label.startsWith(label) && !m.label.includes('[after forced GC'));
    const start = at('start');
    const heldMem = at('held');
    const before = at('before churn');
    const after = at('after churn (held');
    const afterLater = at('after churn +');
    const per1000 = (a?: number | null, b?: number | null) => (a == null || b == null ? null : r1(((b - a) / o.conns) * 1000));
    const pct = (base?: number | null, value?: number | null) => (base == null || value == null || base === 0 ? null : r1((100 * (value - base)) / base));
    const rssPer1000IdleMB = per1000(start?.rssMB, heldMem?.rssMB);
    const afterChurnVsHeldPct = pct(before?.rssMB, after?.rssMB);
    return {
      conns: o.conns,
      cycles: o.cycles,
      concurrency: o.concurrency,
      load,
      held,
      churn,
      heldSurvived,
      memory,
      rssPer1000IdleMB,
      heapPer1000IdleMB: per1000(start?.heapUsedMB, heldMem?.heapUsedMB),
      afterChurnVsHeldPct,
      heapAfterChurnVsHeldPct: pct(before?.heapUsedMB, after?.heapUsedMB),
      laterAfterChurnVsHeldPct: pct(before?.rssMB, afterLater?.rssMB),
      rssTrailAfterChurn: trail,
      closedToZero: zero.ok,
      targets: {
        rssPer1000: rssPer1000IdleMB === null ? null : rssPer1000IdleMB <= TARGET_MB_PER_1000,
        afterChurn: afterChurnVsHeldPct === null ? null : afterChurnVsHeldPct <= TARGET_AFTER_CHURN_PCT,
      },
    };
  } finally {
    inspector?.close();
    closeAll(subs);
    await sleep(200);
    await server.stop();
    const tail = server.output().trim();
    if (tail) console.log(`server output (last lines):\n${tail.split('\n').slice(-5).map((l) => `  ${l.slice(0, 300)}`).join('\n')}`);
  }
}

function table(r: Report): string {
  const rows: Array<[string, string]> = [
    ['held connections', `${r.held.opened} (open ${r.held.openMs} ms, setup p50 ${r.held.setupMs.p50} ms / p99 ${r.held.setupMs.p99} ms)`],
    ['churn cycles', `${r.churn.ok} ok / ${r.churn.failed} failed of ${r.cycles}, concurrency ${r.concurrency}${r.churn.lastError ? ` (last error: ${r.churn.lastError})` : ''}`],
    ['connections/s', `${r.churn.connectionsPerSecond} (${r.churn.seconds} s; cycle p50 ${r.churn.cycleMs.p50} ms, p99 ${r.churn.cycleMs.p99} ms)`],
    ['cycle steps p50 (ms)', `upgrade ${r.churn.stepsP50Ms.upgrade}, connection_ack ${r.churn.stepsP50Ms.ack}, subscribe+pong ${r.churn.stepsP50Ms.subscribePong}, close ${r.churn.stepsP50Ms.close}`],
    ['server CPU during churn', `${r.churn.serverCpuPct}% of one core, ${r.churn.serverCpuMsPerCycle} ms per cycle (load tool ${r.churn.loadToolCpuPct}%)`],
    ['server CPU idle, held conns', `${r.churn.idleServerCpuPct}% of one core`],
    ['stats after churn', `${JSON.stringify(r.churn.statsAfter)} ${r.churn.statsBackToHeld ? '(back to the held level)' : '(NOT back to the held level)'}`],
    ['held survived churn', r.heldSurvived.unexpectedCloses === 0 ? 'yes' : `no: ${r.heldSurvived.unexpectedCloses} closed (${r.heldSurvived.lastError})`],
  ];
  for (const m of r.memory) {
    rows.push([`RSS ${m.label}`, `${m.rssMB} MB (heapUsed ${m.heapUsedMB} MB, heapTotal ${m.heapTotalMB} MB, external ${m.externalMB} MB; conns ${m.connections}, subs ${m.subscriptions})`]);
  }
  rows.push(
    ['RSS max during churn / VmHWM', `${r.churn.maxRssDuringMB} MB / ${r.memory.at(-1)?.hwmMB} MB`],
    ['RSS per 1000 idle conns', `${r.rssPer1000IdleMB} MB (heapUsed ${r.heapPer1000IdleMB} MB) target <= ${TARGET_MB_PER_1000}: ${verdict(r.targets.rssPer1000)}`],
    ['RSS after churn vs before', `${signed(r.afterChurnVsHeldPct)}% (heapUsed ${signed(r.heapAfterChurnVsHeldPct)}%) target within ${TARGET_AFTER_CHURN_PCT} %: ${verdict(r.targets.afterChurn)}`],
    ['RSS later after churn vs before', `${signed(r.laterAfterChurnVsHeldPct)}% (after watching ${r.rssTrailAfterChurn.at(-1)?.[0] ?? 0} s more)`],
    ['load (1-min) at measurements', Object.entries(r.load).map(([k, v]) => `${k} ${v.at?.toFixed(2) ?? '?'}${v.waitedS > 0 ? ` (waited ${v.waitedS} s from ${v.before?.toFixed(2)})` : ''}`).join(', ')],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED');
const signed = (n: number | null) => (n === null ? 'n/a' : `${n >= 0 ? '+' : ''}${n}`);

async function main(): Promise<number> {
  const parsed = benchOptions('churn.ts', DEFAULTS, process.argv.slice(2), (o) => {
    if (o.conns < 1 || o.conns + o.concurrency >= 10_000) throw new Error('--conns + --concurrency must stay below WS_MAX_CONNECTIONS (10000), which this benchmark does not raise');
  });
  if ('exit' in parsed) return parsed.exit;
  const o = parsed.options;
  const report = await run(o);
  console.log(`\n${table(report)}`);
  console.log(JSON.stringify({ bench: 'churn', ...report }));
  return report.held.confirmed && report.churn.failed === 0 && report.churn.statsBackToHeld && report.closedToZero ? 0 : 1;
}

runBench('churn', main, DEFAULTS['max-seconds']);
