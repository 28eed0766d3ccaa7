import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, openBrowser, type BrowserSession } from './helpers/browser.js';
import { createTask, gqlOk, record, TASK_EVENTS, waitForSubscriptions, wsClient } from './helpers/client.js';
import { deploy, gatewayClient, registerGateway, waitForGatewayConnections } from './helpers/gateways.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { openRaw } from './helpers/raw-ws.js';
import { startReceiver } from './helpers/receiver.js';
import { useHerald } from './helpers/servers.js';
import { serviceKey } from './helpers/tokens.js';

/**
 * The console in a real browser: Debian's chromium driven by playwright-core.
 * Without a chromium (and no way to install one, see global-setup.ts) these
 * tests are skipped, and the run says so.
 */
const browserPath = chromiumPath();
if (!browserPath) console.warn('SKIPPING the browser tests of the console: no chromium found (apt-get install chromium, or set CHROMIUM_PATH)');

/** UPDATE_SCREENSHOTS=1 writes docs/images/*.png from these tests; otherwise nothing is written. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../docs/images/', import.meta.url)) : undefined;
async function screenshot(browser: BrowserSession, name: string) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await browser.page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: name === 'dashboard' });
}

const XSS_TITLE = '<img src=x onerror="window.__xss=1">task';
const XSS_CLIENT = '<script>window.__xss=2</script>client';
const XSS_ALERT = '<b id="injected">bold</b><img src=x onerror="window.__xss=3">alert';

/** Everything the page asked for went to the server under test, on the loopback address. */
function expectOnlyLocal(browser: BrowserSession, origin: string) {
  const host = new URL(origin).host;
  const outside = browser.requests.filter((url) => !url.startsWith('data:') && new URL(url).host !== host);
  expect(outside, 'requests that left the server under test').toEqual([]);
  expect(host.startsWith('127.0.0.1:')).toBe(true);
}

const cspViolations = (browser: BrowserSession) => browser.errors.filter((e) => /Content Security Policy/i.test(e));

async function signIn(browser: BrowserSession, token: string) {
  await browser.page.locator('#login').waitFor({ state: 'visible' });
  await browser.page.fill('#token', token);
  await browser.page.click('#login-form button[type=submit]');
}

describe.skipIf(!browserPath)('the console in production', () => {
  const herald = useHerald({ NODE_ENV: 'production' });
  let browser: BrowserSession;
  beforeAll(async () => {
    browser = await openBrowser(browserPath!);
  });
  afterAll(() => browser?.close());

  it('GraphiQL asks for a token, then runs a query, with nothing loaded from outside 127.0.0.1', async () => {
    const { page } = browser;
    await page.goto(`${herald.origin}/graphql`);
    await signIn(browser, ADMIN_TOKEN);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: /execute query/i }).click();
    await expect.poll(() => page.locator('.graphiql-response').innerText(), { timeout: 15_000 }).toContain('"instanceId"');
    expectOnlyLocal(browser, herald.origin);
    expect(browser.requests.some((url) => url.endsWith('/console/assets/graphiql.js'))).toBe(true);
    // The token travels in headers only, and stays in this tab's sessionStorage.
    expect(browser.requests.filter((url) => url.includes(ADMIN_TOKEN))).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.getItem('herald.console.token'))).toBe(ADMIN_TOKEN);
    expect(JSON.stringify(await page.evaluate(() => ({ ...localStorage })))).not.toContain(ADMIN_TOKEN);
    expect(cspViolations(browser)).toEqual([]);
    await screenshot(browser, 'graphiql');
  });

  it('shows a token without the console scope only the sign-in form, and never the schema', async () => {
    const reader = await serviceKey(herald.url, ['tasks:read', 'stats:read']);
    const other = await openBrowser(browserPath!);
    try {
      const { page } = other;
      await page.goto(`${herald.origin}/graphql`);
      await signIn(other, 'not-a-token-at-all-0123');
      await expect.poll(() => page.textContent('#login-error')).toContain('not valid');
      await signIn(other, reader.secret);
      await expect.poll(() => page.textContent('#login-error')).toContain('cannot open the console');
      expect(await page.isVisible('#login')).toBe(true);
      expect(await page.locator('.graphiql-container').count()).toBe(0);
      expect(other.requests.filter((url) => /\/console\/assets\/graphiql\.(js|css)$/.test(url))).toEqual([]);
      expect(other.posts.filter((body) => body.includes('__schema'))).toEqual([]);
      expect(await page.evaluate(() => sessionStorage.getItem('herald.console.token'))).toBeNull();
      // And were it asked, Herald would not tell this token the schema either.
      const { body } = await fetch(herald.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${reader.secret}` },
        body: JSON.stringify({ query: '{ __schema { types { name } } }' }),
      }).then(async (r) => ({ body: await r.text() }));
      expect(body).not.toContain('"types"');
    } finally {
      await other.close();
    }
  });

  it('the dashboard signs in the same way and goes live over a WebSocket to its own origin', async () => {
    const { page } = browser;
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${herald.origin}/dashboard`);
    await signIn(browser, ADMIN_TOKEN);
    await expect.poll(() => page.textContent('#live'), { timeout: 15_000 }).toBe('live');
    await expect.poll(() => page.textContent('#connections-total')).toMatch(/^\d+$/);
    expectOnlyLocal(browser, herald.origin);
    expect(browser.requests.some((url) => url.startsWith(herald.wsUrl.replace('/graphql', '')))).toBe(true);
  });
});

describe.skipIf(!browserPath)('the dashboard', () => {
  const herald = useHerald({ PUSH_HEALTH_INTERVAL_MS: '200', GATEWAY_ACK_TIMEOUT_MS: '60000' });
  let browser: BrowserSession;
  const clients: Client[] = [];
  beforeAll(async () => {
    browser = await openBrowser(browserPath!);
    // Development mode: the anonymous caller may do everything, so the page opens straight away.
    await browser.page.goto(`${herald.origin}/dashboard`);
    await browser.page.locator('#live.ok').waitFor({ timeout: 15_000 });
  });
  afterAll(() => browser?.close());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  const total = async () => Number(await browser.page.textContent('#connections-total'));

  it('shows the connection count change when a client connects and leaves', async () => {
    const before = await expect.poll(total).toBeGreaterThan(0).then(total);
    const client = wsClient(herald.wsUrl, { lazy: false, connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}`, clientName: 'herald-cli', clientVersion: '1.0.0' } });
    clients.push(client);
    await expect.poll(total, { timeout: 10_000 }).toBe(before + 1);
    await expect.poll(() => browser.page.textContent('#connections-kinds')).toContain('cli 1');
    await client.dispose();
    await expect.poll(total, { timeout: 10_000 }).toBe(before);
  });

  it('shows a published event in the live feed, and holds new ones while paused', async () => {
    const { page } = browser;
    await createTask(herald.url, 'web', 'Ship the console');
    await expect.poll(() => page.locator('#feed li').first().textContent(), { timeout: 10_000 }).toContain('Ship the console');
    await page.click('#feed-pause');
    await createTask(herald.url, 'web', 'Held back');
    await expect.poll(() => page.textContent('#feed-held')).toBe('1 new');
    expect(await page.locator('#feed').textContent()).not.toContain('Held back');
    await page.click('#feed-pause');
    await expect.poll(() => page.locator('#feed li').first().textContent()).toContain('Held back');
    await page.fill('#feed-filter', 'ship');
    expect(await page.locator('#feed li:visible').allTextContents()).toEqual([expect.stringContaining('Ship the console')]);
    await page.fill('#feed-filter', '');
  });

  it('shows what clients wrote as text: a task title and an alert title run no script, a client name is refused at the door', async () => {
    const { page } = browser;
    // Client names are checked when a connection opens (letters, digits, . _ - / @): markup never gets in.
    const named = await openRaw(herald.wsUrl);
    named.send({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN_TOKEN}`, clientName: XSS_CLIENT } });
    expect((await named.closed).code).toBe(4400);
    const client = wsClient(herald.wsUrl, { lazy: false, connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}`, clientName: 'svc/<ok>@1'.replace(/[<>]/g, '') } });
    clients.push(client);
    await createTask(herald.url, 'web', XSS_TITLE);
    await gqlOk(herald.url, 'mutation ($title: String!) { raiseAlert(input: { severity: CRITICAL, title: $title }) { id } }', { title: XSS_ALERT });
    await expect.poll(() => page.locator('#feed').textContent(), { timeout: 10_000 }).toContain(XSS_TITLE);
    await expect.poll(() => page.locator('#alerts').textContent(), { timeout: 10_000 }).toContain(XSS_ALERT);
    await expect.poll(() => page.locator('#connections').textContent(), { timeout: 10_000 }).toContain('svc/ok@1');
    expect(await page.locator('#connections').textContent()).not.toContain('__xss');
    // Each connection shows its health score; a client that reads and answers pings is healthy.
    expect(await page.locator('table:has(#connections) thead').textContent()).toContain('health');
    const healthOf = page.locator('#connections tr', { hasText: 'svc/ok@1' }).locator('.badge.health');
    await expect.poll(() => healthOf.textContent()).toBe('100');
    expect(await healthOf.getAttribute('class')).toContain('ok');
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await page.locator('#injected').count()).toBe(0);
    expect(await page.locator('img[src="x"], main script').count()).toBe(0);
    expect(cspViolations(browser)).toEqual([]);
  });

  it('shows gateways, push endpoints and alerts, and acknowledges an alert from the page', async () => {
    const { page } = browser;
    const receiver = await startReceiver();
    try {
      const { apiKey, gateway } = await registerGateway(herald.url, 'edge-eu-1');
      const { client: gw, events } = gatewayClient(herald.wsUrl, apiKey);
      clients.push(gw);
      await waitForGatewayConnections(herald.url, gateway.id, 1);
      await deploy(herald.url, [gateway.id], { correlationId: 'release-42' });
      const [event] = await events.waitForCount(1);
      await gqlOk(herald.url, 'mutation ($id: ID!) { acknowledgeGatewayEvent(eventId: $id) { id } }', { id: event!.id }, apiKey);
      await gqlOk(herald.url, 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }', {
        input: { callbackUrl: receiver.url, repositories: ['web'], clientVersion: '1.4.0', name: 'ci-runner' },
      });
      const { stats } = await gqlOk(herald.url, '{ stats { subscriptions } }');
      const watcher = wsClient(herald.wsUrl, { lazy: false, connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}`, clientName: 'herald-cli', clientVersion: '1.4.0' } });
      clients.push(watcher);
      const taskEvents = record(watcher, TASK_EVENTS, { repositories: ['web'] });
      await waitForSubscriptions(herald.url, stats.subscriptions + 1);
      for (const title of ['Rotate keys', 'Review deploy', 'Update docs']) await createTask(herald.url, 'web', title);
      await taskEvents.waitForCount(3);
      const { raiseAlert } = await gqlOk(herald.url, 'mutation { raiseAlert(input: { severity: HIGH, title: "Gateway edge-eu-1 slow to confirm", source: "probe" }) { id } }');

      await expect.poll(() => page.locator('#gateways').textContent(), { timeout: 10_000 }).toContain('1/1 acknowledged');
      expect(await page.locator('#gateways').textContent()).toContain('edge-eu-1');
      await expect.poll(() => page.locator('#push').textContent(), { timeout: 10_000 }).toMatch(/ci-runner.*healthy.*closed.*100\.0 %/);
      const row = page.locator('#alerts tr', { hasText: 'slow to confirm' });
      await row.getByRole('button', { name: 'Acknowledge' }).click();
      await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('by anonymous');
      const { alert } = await gqlOk(herald.url, 'query ($id: ID!) { alert(id: $id) { status acknowledgedBy } }', { id: raiseAlert.id });
      expect(alert).toEqual({ status: 'ACKNOWLEDGED', acknowledgedBy: 'anonymous' });
      await expect.poll(() => page.textContent('#published-rate')).not.toBe('0');
      await screenshot(browser, 'dashboard');
      taskEvents.dispose();
    } finally {
      await receiver.close();
    }
  });
});
