import { createClient, type Client } from 'graphql-ws';
import uPlot from 'uplot';
import { ACKNOWLEDGE_ALERT, ALERT_CHANGES, CHANNEL_FEED, CONNECTIONS, GATEWAY_FEED, HEALTH_UPDATES, OPEN_ALERTS, STATS_UPDATES, TASK_FEED } from './operations.js';
import { signIn } from './session.js';

/**
 * The operators' dashboard. Everything it shows comes over one graphql-ws
 * connection to Herald's own GraphQL API: serverStatsUpdates once a second,
 * the connections, alerts and event subscriptions anyone may use. Every
 * string that clients chose (task titles, client names, alert titles) is
 * put in the page as text (textContent), never as HTML.
 */

type Json = Record<string, any>;

// ---- DOM helpers: elements are built with textContent only ----

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const text = (id: string, value: string) => void ($(id).textContent = value);
const num = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? '–' : n.toFixed(digits).replace(/\.0+$/, ''));
const ms = (n: number | null | undefined) => (n === null || n === undefined ? '–' : `${num(n, n < 10 ? 2 : 0)} ms`);
const time = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleTimeString() : '–');
const ago = (iso: string | null | undefined) => {
  if (!iso) return '–';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};

/** Replaces a table body's rows; each row is a list of cells (text, or a node). */
function rows(id: string, data: (string | Node)[][], empty: string) {
  const body = $(id);
  const columns = body.closest('table')?.querySelectorAll('th').length ?? 1;
  body.replaceChildren(
    ...(data.length === 0
      ? [el('tr', {}, el('td', { class: 'empty', colspan: String(columns) }, empty))]
      : data.map((cells) => el('tr', {}, ...cells.map((cell) => el('td', {}, cell))))),
  );
}

const badge = (label: string, tone: 'ok' | 'warn' | 'bad' | 'info') => el('span', { class: `badge ${tone}` }, label);

// ---- GraphQL over the one WebSocket ----

let client: Client;

/** What went wrong, from whatever graphql-ws hands the error callback: GraphQL errors, an Error, or a close event. */
const reasonOf = (err: unknown): string =>
  Array.isArray(err) ? err.map((e: { message?: string }) => e.message ?? String(e)).join('; ') : err instanceof Error ? err.message : String((err as { reason?: string }).reason || 'connection closed');

function request<T = Json>(query: string, variables: Json = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    let result: T | undefined;
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors?.length) reject(new Error(value.errors.map((e) => e.message).join('; ')));
          else result = value.data as T;
        },
        error: (err) => reject(new Error(reasonOf(err))),
        complete: () => (result === undefined ? reject(new Error('no result')) : resolve(result)),
      },
    );
  });
}

function watch(query: string, variables: Json, next: (data: Json) => void, failed: (message: string) => void): () => void {
  return client.subscribe<Json>(
    { query, variables },
    {
      next: (value) => (value.errors?.length ? failed(value.errors.map((e) => e.message).join('; ')) : value.data && next(value.data)),
      error: (err) => failed(reasonOf(err)),
      complete: () => {},
    },
  );
}

// ---- Stats ----

const HISTORY_SECONDS = 300;
const history: { t: number[]; published: number[]; delivered: number[]; connections: number[] } = { t: [], published: [], delivered: [], connections: [] };
let chart: uPlot | undefined;
let lastConnectionTotal = -1;

function makeChart() {
  const host = $('chart');
  chart = new uPlot(
    {
      width: Math.max(320, host.clientWidth),
      height: 200,
      series: [
        {},
        { label: 'published/s', stroke: '#2f6fde', width: 2 },
        { label: 'delivered/s', stroke: '#1f9d55', width: 2 },
        { label: 'connections', stroke: '#d97706', width: 2, scale: 'count' },
      ],
      axes: [{}, { label: 'events/s' }, { scale: 'count', side: 1, grid: { show: false }, label: 'connections' }],
      scales: { x: { time: true } },
    },
    [history.t, history.published, history.delivered, history.connections],
    host,
  );
  new ResizeObserver(() => chart?.setSize({ width: Math.max(320, host.clientWidth), height: 200 })).observe(host);
}

function renderStats(s: Json) {
  const traffic = s.traffic as Json;
  const kinds = s.connectionsByKind as { kind: string; connections: number }[];
  const total = kinds.reduce((n, k) => n + k.connections, 0);
  text('connections-total', String(total));
  text('connections-kinds', kinds.map((k) => `${k.kind.toLowerCase()} ${k.connections}`).join(' · '));
  text('connect-rate', `${num(traffic.connectsPerSecond, 2)} / ${num(traffic.disconnectsPerSecond, 2)}`);
  text('published-rate', num(traffic.publishedPerSecond));
  text('delivered-rate', num(traffic.deliveredPerSecond));
  text('latency', `${ms(traffic.latencyP50Ms)} / ${ms(traffic.latencyP99Ms)}`);
  text('refusals', `${traffic.rateLimitRefusals}`);
  text('refusals-rate', `${num(traffic.rateLimitRefusalsPerSecond, 2)}/s`);
  text('drops', `${traffic.slowConsumerDisconnects} / ${traffic.eventsDropped}`);
  text('drops-rate', `${num(traffic.slowConsumerDisconnectsPerSecond, 2)}/s disconnects, ${num(traffic.eventsDroppedPerSecond, 2)}/s events`);
  text('sampled-at', `${s.mode === 'REDIS' ? 'cluster' : 'embedded'} · ${s.cluster.instances.length} instance(s) · ${time(s.sampledAt)}`);

  rows(
    'families',
    (traffic.families as Json[]).map((f) => [f.family.toLowerCase(), num(f.publishedPerSecond), num(f.deliveredPerSecond), ms(f.latencyP50Ms), ms(f.latencyP99Ms)]),
    'no traffic',
  );
  rows(
    'instances',
    (s.cluster.instances as Json[]).map((i) => [el('code', {}, i.instanceId), String(i.connections), String(i.subscriptions), ago(i.reportedAt)]),
    'no instance reports',
  );

  const now = Date.parse(s.sampledAt) / 1000;
  history.t.push(now);
  history.published.push(traffic.publishedPerSecond);
  history.delivered.push(traffic.deliveredPerSecond);
  history.connections.push(total);
  while (history.t.length > 0 && history.t[0]! < now - HISTORY_SECONDS) for (const series of Object.values(history)) series.shift();
  chart?.setData([history.t, history.published, history.delivered, history.connections]);

  if (total !== lastConnectionTotal) {
    lastConnectionTotal = total;
    void refreshConnections();
  }
}

function renderHealth(s: Json) {
  rows(
    'push',
    (s.pushEndpoints as Json[]).map((p) => [
      el('span', {}, p.name ?? '', el('br'), el('code', {}, p.id)),
      p.host,
      p.healthy === null ? badge('unchecked', 'info') : p.healthy ? badge('healthy', 'ok') : badge('unhealthy', 'bad'),
      badge(p.breakerState.toLowerCase().replace('_', '-'), p.breakerState === 'CLOSED' ? 'ok' : p.breakerState === 'OPEN' ? 'bad' : 'warn'),
      p.successRate === null ? '–' : `${(p.successRate * 100).toFixed(1)} % (${p.delivered}/${p.delivered + p.failed})`,
      String(p.backlog),
    ]),
    'no push endpoints',
  );
  rows(
    'gateways',
    (s.gatewayHealth as Json[]).map((g) => {
      const d = g.lastDeployment as Json | null;
      const delivery = g.delivery as Json;
      return [
        el('span', {}, g.name, el('br'), el('code', {}, g.id)),
        g.connections > 0 ? badge(`${g.connections} connected`, 'ok') : badge('disconnected', 'bad'),
        ago(g.lastHeartbeatAt),
        d
          ? el(
              'span',
              {},
              `${d.kind.toLowerCase()} ${time(d.publishedAt)}${d.correlationId ? ` (${d.correlationId})` : ''}: `,
              badge(`${d.acknowledged}/${d.targets.length} acknowledged`, d.acknowledged === d.targets.length ? 'ok' : (d.targets as Json[]).some((t) => t.overdue) ? 'bad' : 'warn'),
            )
          : '–',
        `${delivery.eventsSent} sent, ${delivery.failedDeliveries} failed${delivery.lastFailureReason ? ` (last: ${delivery.lastFailureReason}, ${ago(delivery.lastFailureAt)})` : ''}`,
      ];
    }),
    'no gateways',
  );
}

/** A connection's health score (0-100) as a badge: green from 80, amber from 50, red below. */
const health = (score: number | null) =>
  score === null ? '–' : el('span', { class: `badge ${score >= 80 ? 'ok' : score >= 50 ? 'warn' : 'bad'} health`, title: 'health 0-100: heartbeat round trip, unanswered pings, unsent bytes, dropped events' }, String(score));

async function refreshConnections() {
  try {
    const { connections } = await request<{ connections: Json[] }>(CONNECTIONS);
    rows(
      'connections',
      connections.map((c) => [
        (c.clientKind ?? '?').toLowerCase(),
        c.clientName ?? '–',
        c.principalId ?? '–',
        el('code', {}, c.instanceId),
        time(c.connectedAt),
        String(c.subscriptions),
        health(c.healthScore as number | null),
      ]),
      'no connections',
    );
  } catch (err) {
    rows('connections', [], `cannot list connections: ${(err as Error).message}`);
  }
}

// ---- Alerts ----

async function refreshAlerts() {
  try {
    const { open, acknowledged } = await request<{ open: Json[]; acknowledged: Json[] }>(OPEN_ALERTS);
    text('alerts-count', String(open.length));
    rows(
      'alerts',
      [...open, ...acknowledged].map((a) => {
        const action =
          a.status === 'OPEN'
            ? el('button', { type: 'button', class: 'ack', 'data-alert': a.id }, 'Acknowledge')
            : el('span', { class: 'muted' }, `by ${a.acknowledgedBy ?? '?'}`);
        if (action instanceof HTMLButtonElement) action.onclick = () => void acknowledge(a.id as string, action);
        return [
          badge(a.severity.toLowerCase(), a.severity === 'CRITICAL' || a.severity === 'HIGH' ? 'bad' : a.severity === 'MEDIUM' ? 'warn' : 'info'),
          el('span', { class: 'alert-title' }, a.title),
          a.channel,
          a.count > 1 ? `${a.count}×` : '1',
          time(a.raisedAt),
          action,
        ];
      }),
      'no open alerts',
    );
  } catch (err) {
    rows('alerts', [], `cannot read alerts: ${(err as Error).message}`);
  }
}

async function acknowledge(id: string, button: HTMLButtonElement) {
  button.disabled = true;
  try {
    await request(ACKNOWLEDGE_ALERT, { id });
  } catch (err) {
    button.disabled = false;
    button.title = (err as Error).message;
  }
  await refreshAlerts();
}

// ---- Live feed ----

const MAX_FEED = 200;
let paused = false;
let held: HTMLElement[] = [];
let stopFeed: (() => void)[] = [];

function feedLine(family: string, type: string, topic: string, at: string, summary: string): HTMLElement {
  return el('li', { class: `feed-${family}` }, el('time', {}, time(at)), el('span', { class: 'type' }, type), el('span', { class: 'topic' }, topic), el('span', { class: 'summary' }, summary));
}

function applyFilter(line: HTMLElement) {
  const filter = $<HTMLInputElement>('feed-filter').value.trim().toLowerCase();
  line.hidden = filter !== '' && !(line.textContent ?? '').toLowerCase().includes(filter);
}

function addToFeed(line: HTMLElement) {
  if (paused) {
    held.push(line);
    text('feed-held', `${held.length} new`);
    return;
  }
  applyFilter(line);
  const list = $('feed');
  list.prepend(line);
  while (list.children.length > MAX_FEED) list.lastElementChild!.remove();
}

function feedError(message: string) {
  addToFeed(feedLine('error', 'error', '', new Date().toISOString(), message));
}

function startFeed() {
  for (const stop of stopFeed) stop();
  stopFeed = [];
  const repositories = $<HTMLInputElement>('feed-repos').value.split(',').map((r) => r.trim()).filter(Boolean);
  const channels = $<HTMLInputElement>('feed-channels').value.split(',').map((c) => c.trim()).filter(Boolean);
  const gatewayId = $<HTMLInputElement>('feed-gateway').value.trim();
  if ($<HTMLInputElement>('feed-tasks').checked && repositories.length > 0) {
    stopFeed.push(
      watch(TASK_FEED, { repositories }, ({ taskEvents: e }) => addToFeed(feedLine('tasks', e.type, `repo:${e.repository}`, e.timestamp, `${e.task?.title ?? ''} (by ${e.changedBy})`)), feedError),
    );
  }
  if ($<HTMLInputElement>('feed-channels-on').checked && channels.length > 0) {
    stopFeed.push(
      watch(CHANNEL_FEED, { channels }, ({ channelEvents: e }) => {
        const alert = (e.payload as Json | null)?.alert as Json | undefined;
        const summary = alert ? `${alert.severity} ${alert.title}` : JSON.stringify(e.payload).slice(0, 200);
        addToFeed(feedLine(alert ? 'alerts' : 'channels', e.type, `channel:${e.channel}`, e.timestamp, summary));
      }, feedError),
    );
  }
  if (gatewayId) {
    stopFeed.push(
      watch(GATEWAY_FEED, { gatewayId }, ({ gatewayEvents: e }) => addToFeed(feedLine('gateways', e.type, `gateway:${e.gatewayId}`, e.timestamp, e.payload.__typename)), feedError),
    );
  }
}

function setUpFeed() {
  $('feed-apply').onclick = startFeed;
  $('feed-pause').onclick = () => {
    paused = !paused;
    $('feed-pause').textContent = paused ? 'Resume' : 'Pause';
    if (!paused) {
      const lines = held;
      held = [];
      text('feed-held', '');
      for (const line of lines) addToFeed(line);
    }
  };
  $('feed-filter').oninput = () => {
    for (const line of $('feed').children) applyFilter(line as HTMLElement);
  };
  $('feed-clear').onclick = () => $('feed').replaceChildren();
}

// ---- Start ----

async function main() {
  const session = await signIn();
  $('dashboard').hidden = false;
  const url = new URL('/graphql', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  client = createClient({
    url: url.toString(),
    connectionParams: { ...session.connectionParams, clientName: 'herald-dashboard' },
    lazy: false,
    retryAttempts: Infinity,
    keepAlive: 10_000,
    on: {
      connected: () => {
        text('live', 'live');
        $('live').className = 'badge ok';
      },
      closed: () => {
        text('live', 'reconnecting');
        $('live').className = 'badge warn';
      },
    },
  });
  makeChart();
  setUpFeed();
  watch(STATS_UPDATES, { intervalMs: 1000 }, (data) => renderStats(data.serverStatsUpdates as Json), (message) => text('sampled-at', `stats unavailable: ${message}`));
  watch(HEALTH_UPDATES, { intervalMs: 1000 }, (data) => renderHealth(data.serverStatsUpdates as Json), (message) => rows('push', [], `unavailable: ${message}`));
  watch(ALERT_CHANGES, {}, () => void refreshAlerts(), () => {});
  void refreshAlerts();
  startFeed();
}

void main();
