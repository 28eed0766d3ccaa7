import { createServer, type Server } from 'node:http';
import type { WsServer } from './ws-server.js';
import type { HeraldYoga } from './yoga.js';

/** Paths where a WebSocket upgrade is accepted; anything else is refused before the handshake. */
export const WS_PATHS = new Set(['/graphql', '/api/v1/ws', '/api/internal/v1/ws/gateways/connect']);

/** One port: Yoga answers HTTP, the WebSocket server takes upgrades on its paths. */
export function createHttpServer(yoga: HeraldYoga, ws: WsServer): Server {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 60_000 }, yoga);
  server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (!WS_PATHS.has(path)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    ws.handleUpgrade(request, socket, head);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}
