import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * A real Chromium for the console's tests: Debian's `chromium` package (the
 * test set-up installs it when it may, see global-setup.ts), driven by
 * playwright-core, which downloads no browser of its own. CHROMIUM_PATH
 * names another binary.
 */
export function chromiumPath(): string | undefined {
  const named = process.env.CHROMIUM_PATH;
  if (named) return existsSync(named) ? named : undefined;
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export type BrowserSession = {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Every URL the page asked for (HTTP requests and WebSocket connections), in order. */
  readonly requests: string[];
  /** The bodies of the page's POST requests. */
  readonly posts: string[];
  /** Errors the page reported (uncaught exceptions, console errors such as CSP violations). */
  readonly errors: string[];
  close(): Promise<void>;
};

/** A fresh browser profile and one page, recording what the page requests. */
export async function openBrowser(executablePath: string): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'herald-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const requests: string[] = [];
  const posts: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => {
    requests.push(request.url());
    if (request.method() === 'POST') posts.push(request.postData() ?? '');
  });
  page.on('websocket', (socket) => requests.push(socket.url()));
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return {
    page,
    context,
    requests,
    posts,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
