import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Received = { method: string; path: string; headers: IncomingHttpHeaders; body: string; at: number; status: number };

/** What the receiver answers to the next POST: a status (with headers), after an optional delay. */
export type Reply = { status: number; delayMs?: number; headers?: Record<string, string> };

/**
 * A real HTTP endpoint standing in for a CLI's listener. It answers POSTs from
 * a script (then `fallback`), answers GET /health with `health`, and records
 * every request; tests await what it has received.
 */
export async function startReceiver(options: { script?: Reply[]; fallback?: Reply | ((n: number) => Reply); health?: number } = {}) {
  const script = [...(options.script ?? [])];
  const received: Received[] = [];
  /** Requests as they arrive, before they are answered. */
  const arrived: Array<Omit<Received, 'status'>> = [];
  const waiters = new Set<() => void>();
  let posts = 0;
  let health = options.health ?? 200;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const isPost = req.method === 'POST';
      const reply: Reply = isPost
        ? (script.shift() ?? (typeof options.fallback === 'function' ? options.fallback(posts) : (options.fallback ?? { status: 200 })))
        : { status: health };
      if (isPost) posts++;
      arrived.push({ method: req.method!, path: req.url!, headers: req.headers, body, at: Date.now() });
      for (const w of [...waiters]) w();
      setTimeout(() => {
        received.push({ method: req.method!, path: req.url!, headers: req.headers, body, at: Date.now(), status: reply.status });
        res.writeHead(reply.status, reply.headers).end();
        for (const w of [...waiters]) w();
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    posts: () => received.filter((r) => r.method === 'POST'),
    delivered: () => received.filter((r) => r.method === 'POST' && r.status >= 200 && r.status < 300),
    /** POSTs that have arrived, answered or not. */
    arrivedPosts: () => arrived.filter((r) => r.method === 'POST'),
    setHealth: (status: number) => void (health = status),
    /** Resolves once the condition holds for what was received (checked whenever a request arrives or is answered). */
    until(condition: (r: Received[]) => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (condition(received)) {
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
