/**
 * The console's two pages. Each is a fixed shell: a sign-in form and an empty
 * place for the page's script (served from /console/assets/, same origin) to
 * fill once the token opens the console. Nothing in them depends on who
 * asks, so they are the same for everyone, signed in or not.
 */

export const CONSOLE_ASSETS_PATH = '/console/assets/';
export const DASHBOARD_PATH = '/dashboard';

const head = (title: string, script: string) =>
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
  `<title>${title}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${CONSOLE_ASSETS_PATH}console.css">` +
  `<script type="module" src="${CONSOLE_ASSETS_PATH}${script}"></script></head>`;

const bar =
  '<header class="bar"><span class="brand">Herald</span><nav><a href="/dashboard">Dashboard</a><a href="/graphql">GraphiQL</a></nav>' +
  '<span id="who"></span><button type="button" id="sign-out" hidden>Sign out</button></header>';

// The token field has no name, and the form no action: even without its script the token never lands in a URL.
const login =
  '<main id="login" class="login" hidden><form id="login-form" autocomplete="off">' +
  '<h1>Sign in to Herald</h1><p>Paste the admin token, or a token with the <code>console</code> scope. It is kept in this tab only.</p>' +
  '<label>Token<input id="token" type="password" autocomplete="off" spellcheck="false" required></label>' +
  '<button type="submit">Sign in</button><p id="login-error" role="alert"></p></form></main>';

export const GRAPHIQL_PAGE = `${head('Herald · GraphiQL', 'graphiql-page.js')}<body class="graphiql-page">${bar}${login}<div id="root"></div></body></html>`;

const tile = (label: string, id: string, detailId?: string) =>
  `<div class="tile"><div class="label">${label}</div><div class="value" id="${id}">–</div>${detailId ? `<div class="detail" id="${detailId}"></div>` : ''}</div>`;

const table = (id: string, columns: string[]) => `<table><thead><tr>${columns.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody id="${id}"></tbody></table>`;

export const DASHBOARD_PAGE =
  `${head('Herald · Dashboard', 'dashboard.js')}<body>${bar}${login}<main id="dashboard" hidden>` +
  '<section class="tiles">' +
  tile('Connections', 'connections-total', 'connections-kinds') +
  tile('Connects / disconnects per s', 'connect-rate') +
  tile('Published per s', 'published-rate') +
  tile('Delivered per s', 'delivered-rate') +
  tile('Latency p50 / p99', 'latency') +
  tile('Rate-limit refusals', 'refusals', 'refusals-rate') +
  tile('Slow consumers / dropped events', 'drops', 'drops-rate') +
  tile('Open alerts', 'alerts-count') +
  '</section>' +
  '<section class="panel wide"><h2>Last 5 minutes <span id="live" class="badge warn">connecting</span><span id="sampled-at"></span></h2><div id="chart"></div></section>' +
  `<section class="panel half"><h2>Events by family</h2>${table('families', ['family', 'published/s', 'delivered/s', 'p50', 'p99'])}</section>` +
  `<section class="panel half"><h2>Instances</h2>${table('instances', ['instance', 'connections', 'subscriptions', 'reported'])}</section>` +
  `<section class="panel wide"><h2>Open alerts</h2>${table('alerts', ['severity', 'title', 'channel', 'count', 'raised', ''])}</section>` +
  `<section class="panel half"><h2>Push endpoints</h2>${table('push', ['endpoint', 'host', 'health', 'breaker', 'success', 'backlog'])}</section>` +
  `<section class="panel half"><h2>Gateways</h2>${table('gateways', ['gateway', 'connections', 'heartbeat', 'last deployment', 'deliveries'])}</section>` +
  `<section class="panel wide"><h2>Connections</h2>${table('connections', ['kind', 'client', 'principal', 'instance', 'connected', 'subscriptions', 'health'])}</section>` +
  '<section class="panel wide"><h2>Live events <span id="feed-held" class="muted"></span></h2><div class="feed-controls">' +
  '<label><input type="checkbox" id="feed-tasks" checked> tasks of</label><input type="text" id="feed-repos" value="*" aria-label="repositories">' +
  '<label><input type="checkbox" id="feed-channels-on" checked> channels</label><input type="text" id="feed-channels" value="*" aria-label="channels">' +
  '<label>gateway <input type="text" id="feed-gateway" placeholder="gateway id"></label>' +
  '<button type="button" id="feed-apply">Follow</button><button type="button" id="feed-pause">Pause</button><button type="button" id="feed-clear">Clear</button>' +
  '<input type="search" id="feed-filter" placeholder="filter" aria-label="filter"></div><ul id="feed"></ul></section>' +
  '</main></body></html>';
