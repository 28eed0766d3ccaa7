import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A real HTTP proxy in front of a server, as a company network puts one: it
 * forwards plain HTTP, Server-Sent Events and WebSocket upgrades, and the test
 * can make it refuse WebSocket upgrades (403 on upgrade) or SSE requests
 * (403 to `accept: text/event-stream`), cutting what is open of that kind.
 */
export type Proxy = {
  readonly url: string;
  readonly wsUrl: string;
  /** Upgrades and SSE requests let through so far. */
  readonly passed: { ws: number; sse: number; http: number };
  /** Refused so far. */
  readonly refused: { ws: number; sse: number };
  allow(kind: 'ws' | 'sse', allowed: boolean): void;
  close(): Promise<void>;
};

export async function startProxy(target: string): Promise<Proxy> {
  const upstream = new URL(target);
  const allowed = { ws: true, sse: true };
  const passed = { ws: 0, sse: 0, http: 0 };
  const refused = { ws: 0, sse: 0 };
  const open = { ws: new Set<Socket>(), sse: new Set<ServerResponse>(), all: new Set<Socket>() };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const sse = String(req.headers.accept ?? '').includes('text/event-stream');
    if (sse && !allowed.sse) {
      refused.sse++;
      res.writeHead(403, { 'content-type': 'text/plain' }).end('event streams are not allowed here');
      return;
    }
    if (sse) passed.sse++;
    else passed.http++;
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        if (sse) {
          open.sse.add(res);
          res.on('close', () => open.sse.delete(res));
        }
      },
    );
    forward.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket) => {
    open.all.add(socket);
    socket.on('close', () => open.all.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!allowed.ws) {
      refused.ws++;
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 31\r\nConnection: close\r\n\r\nWebSockets are not allowed here');
      return;
    }
    passed.ws++;
    const back = connect(Number(upstream.port), upstream.hostname, () => {
      const headers = Object.entries(req.headers).flatMap(([name, value]) => [value].flat().map((v) => `${name}: ${v}`));
      back.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
      back.write(head);
      socket.pipe(back).pipe(socket);
    });
    open.ws.add(socket);
    const drop = () => {
      open.ws.delete(socket);
      socket.destroy();
      back.destroy();
    };
    socket.on('close', drop).on('error', drop);
    back.on('close', drop).on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}${upstream.pathname}`;
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    passed,
    refused,
    allow(kind, allow) {
      allowed[kind] = allow;
      if (allow) return;
      if (kind === 'ws') for (const socket of open.ws) socket.destroy();
      else for (const res of open.sse) res.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open.all) socket.destroy();
        for (const socket of open.ws) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
