import WebSocket from 'ws';

/** A bare WebSocket speaking graphql-transport-ws by hand, for protocol-level tests. */
export type RawSocket = {
  readonly socket: WebSocket;
  readonly messages: Array<Record<string, unknown>>;
  send(message: unknown): void;
  /** Resolves with the next message that matches, waiting for it if needed. */
  next(match?: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
};

export async function openRaw(
  url: string,
  /** `localAddress`: the address the connection leaves from (127.0.0.x stands for another client). */
  options: { protocol?: string | null; headers?: Record<string, string>; autoPong?: boolean; localAddress?: string } = {},
): Promise<RawSocket> {
  const protocol = options.protocol === undefined ? 'graphql-transport-ws' : options.protocol;
  const socket = new WebSocket(url, protocol ? [protocol] : [], { headers: options.headers, autoPong: options.autoPong ?? true, localAddress: options.localAddress });
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
  let read = 0; // messages before this index were handed out by next()
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    messages.push(message);
    for (const w of [...waiters]) {
      if (w.match(message)) {
        waiters.splice(waiters.indexOf(w), 1);
        read = messages.length;
        w.resolve(message);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next(match = () => true) {
      const found = messages.slice(read).find(match);
      if (found) {
        read = messages.indexOf(found) + 1;
        return Promise.resolve(found);
      }
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

/** Opens a socket and completes connection_init with the given payload. */
export async function openAcked(url: string, payload: Record<string, unknown>): Promise<RawSocket> {
  const raw = await openRaw(url);
  raw.send({ type: 'connection_init', payload });
  const ack = await Promise.race([raw.next((m) => m.type === 'connection_ack'), raw.closed.then((c) => ({ type: 'closed', ...c }))]);
  if (ack.type !== 'connection_ack') throw new Error(`not acknowledged: ${JSON.stringify(ack)}`);
  return raw;
}
