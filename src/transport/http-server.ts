import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { CONSOLE_ASSETS_PATH, DASHBOARD_PATH } from '../console/pages.js';
import { STRICT_CSP } from '../protection/use-http-hygiene.js';
import { REST_PREFIX } from './use-rest-routes.js';
import type { WsServer } from './ws-server.js';
import type { HeraldHttp } from './yoga.js';

/** Paths where a WebSocket upgrade is accepted; anything else is refused before the handshake. */
export const WS_PATHS = new Set(['/graphql', '/api/v1/ws', '/api/internal/v1/ws/gateways/connect']);

/** Paths Yoga answers over plain HTTP; REST routes live under REST_PREFIX, the console's files under CONSOLE_ASSETS_PATH. */
const HTTP_PATHS = new Set(['/graphql', '/health', '/ready', '/metrics', DASHBOARD_PATH]);

/** Host names a development server answers to besides its configured HOST. */
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

export type HttpServerOptions = {
  /**
   * Host names (without port) the server answers to, or null for any. In
   * development Herald accepts anonymous callers, so a page on another site
   * whose name was rebound to this machine's address (DNS rebinding) must not
   * reach it: only local names and the configured HOST are served.
   */
  readonly allowedHosts: readonly string[] | null;
  /** Certificate chain and key (PEM): the port then speaks HTTPS and WSS only. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | null;
};

/** The host names a development server on `host` answers to. */
export function developmentHosts(host: string): string[] {
  const configured = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return [...new Set([...LOCAL_HOSTS, configured.toLowerCase()])];
}

type Refusal = { readonly status: 400 | 403 | 404; readonly code: string; readonly message: string };

/**
 * What is checked of every request before Yoga sees it, so that Yoga only
 * parses requests it is meant to answer:
 * - the target must be a plain path (no dot segments, no `//`, nothing the URL
 *   parser would rewrite into another path) that Herald serves: the GraphQL
 *   endpoint, health, readiness, metrics, the console, or a REST route. `/graphql/`,
 *   `//graphql` and `/x/graphql` are 404, where Yoga's own matching is looser;
 * - the Host header must make a valid URL with it (Yoga builds one from both
 *   and answered a malformed Host with a stack trace);
 * - in development, the Host must be a local name or the configured HOST.
 */
function screen(request: IncomingMessage, paths: (path: string) => boolean, allowed: ReadonlySet<string> | null): Refusal | undefined {
  const target = request.url ?? '';
  const path = target.split('?', 1)[0]!;
  const host = request.headers.host;
  let url: URL;
  try {
    // As Yoga's server adapter builds the request URL.
    url = new URL(`http://${host ?? 'localhost'}${target}`);
  } catch {
    return host !== undefined && isValidUrl(`http://localhost${target}`)
      ? { status: 400, code: 'BAD_REQUEST', message: 'The Host header is not a valid host' }
      : { status: 404, code: 'NOT_FOUND', message: 'Not found' };
  }
  if (!path.startsWith('/') || url.pathname !== path || !paths(path)) return { status: 404, code: 'NOT_FOUND', message: 'Not found' };
  // A request without Host (HTTP/1.0) cannot come from a browser page, which is what the check is for.
  if (allowed && host !== undefined && !allowed.has(url.hostname.toLowerCase())) {
    return { status: 403, code: 'FORBIDDEN', message: 'This development server answers only to localhost, 127.0.0.1, [::1] and its HOST' };
  }
  return undefined;
}

const isValidUrl = (text: string) => {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
};

const body = (refusal: Refusal) => JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });

function answer(response: ServerResponse, refusal: Refusal) {
  const text = body(refusal);
  response.writeHead(refusal.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-content-type-options': 'nosniff',
    'content-security-policy': STRICT_CSP,
  });
  response.end(text);
}

function refuseUpgrade(socket: Duplex, refusal: Refusal) {
  const text = body(refusal);
  const reason = refusal.status === 404 ? 'Not Found' : refusal.status === 403 ? 'Forbidden' : 'Bad Request';
  socket.end(`HTTP/1.1 ${refusal.status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

/**
 * One port: Yoga answers HTTP, the WebSocket server takes upgrades on its
 * paths. With `tls` the same port speaks HTTPS, and upgrades arrive over it
 * as WSS.
 */
export function createHttpServer(yoga: HeraldHttp, ws: WsServer, options: HttpServerOptions): Server | TlsServer {
  const allowed = options.allowedHosts && new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  const httpPath = (path: string) => HTTP_PATHS.has(path) || path.startsWith(REST_PREFIX) || path.startsWith(CONSOLE_ASSETS_PATH);
  const handle: RequestListener = (request, response) => {
    const refusal = screen(request, httpPath, allowed);
    if (refusal) return answer(response, refusal);
    if (yoga.graphqlPost?.(request, response)) return;
    void yoga(request, response);
  };
  const timeouts = { keepAliveTimeout: 65_000, requestTimeout: 60_000 };
  const server = options.tls ? createTlsServer({ ...timeouts, cert: options.tls.cert, key: options.tls.key }, handle) : createServer(timeouts, handle);
  server.on('upgrade', (request, socket, head) => {
    const refusal = screen(request, (path) => WS_PATHS.has(path), allowed);
    if (refusal) return refuseUpgrade(socket, refusal);
    ws.handleUpgrade(request, socket, head);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}
