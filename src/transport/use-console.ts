import type { Plugin } from 'graphql-yoga';
import type { ConsoleAssets } from '../console/assets.js';
import { CONSOLE_ASSETS_PATH, DASHBOARD_PATH, DASHBOARD_PAGE, GRAPHIQL_PAGE } from '../console/pages.js';
import type { Logger } from '../log.js';

/**
 * The console's pages' policy: scripts, styles, fonts, images and the
 * editor's workers from this server only (GraphiQL's editor also sets
 * styles inline, hence `'unsafe-inline'` for styles, never for scripts);
 * requests, WebSocket included, to this server only.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** What a browser asks for when it opens /graphql: Yoga's own rule for showing GraphiQL. */
const wantsPage = (request: Request) => request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');

/**
 * Serves the operators' console: GraphiQL at /graphql (for a browser asking
 * for HTML), the dashboard at /dashboard, and their scripts and styles under
 * /console/assets/. The pages hold no data and are the same for everyone;
 * what they show comes from GraphQL requests carrying the token they ask
 * for. Runs before authentication, which the pages' own requests go through.
 */
export function useConsole(options: { assets: ConsoleAssets; graphqlPath: string; log: Logger }): Plugin {
  const { assets, graphqlPath, log } = options;
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const html = (body: string) =>
        new fetchAPI.Response(request.method === 'HEAD' ? null : body, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CONSOLE_CSP } });
      const path = url.pathname;
      if (path === graphqlPath && wantsPage(request)) return endResponse(html(GRAPHIQL_PAGE));
      if (path === DASHBOARD_PATH) {
        if (request.method !== 'GET' && request.method !== 'HEAD') return endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return endResponse(html(DASHBOARD_PAGE));
      }
      if (!path.startsWith(CONSOLE_ASSETS_PATH)) return;
      let asset;
      try {
        asset = request.method === 'GET' || request.method === 'HEAD' ? await assets.get(path.slice(CONSOLE_ASSETS_PATH.length)) : undefined;
      } catch (err) {
        log.error({ component: 'console', err, path }, 'cannot serve a console asset');
        return endResponse(new fetchAPI.Response(JSON.stringify({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }), { status: 500, headers: { 'content-type': 'application/json; charset=utf-8' } }));
      }
      if (!asset) return endResponse(new fetchAPI.Response(JSON.stringify({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] }), { status: 404, headers: { 'content-type': 'application/json; charset=utf-8' } }));
      const headers = { 'content-type': asset.contentType, etag: asset.etag, 'cache-control': 'no-cache', 'content-security-policy': CONSOLE_CSP };
      if (request.headers.get('if-none-match') === asset.etag) return endResponse(new fetchAPI.Response(null, { status: 304, headers }));
      endResponse(new fetchAPI.Response(request.method === 'HEAD' ? null : new Uint8Array(asset.body), { status: 200, headers: { ...headers, 'content-length': String(asset.body.length) } }));
    },
  };
}
