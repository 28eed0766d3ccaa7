import type { AddressInfo, Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createMetrics } from '../../src/metrics.js';
import { adaptSocket, type AdaptedSocket } from '../../src/transport/ws-socket.js';

/** Texts around each frame length boundary (125/126 and 65535/65536 bytes), with characters of two, three and four bytes in UTF-8. */
const TEXTS = [
  '',
  'a',
  'x'.repeat(125),
  'x'.repeat(126),
  'é'.repeat(63), // 126 bytes in 63 characters
  `{"id":"1","type":"next","payload":{"data":{"name":"Zürich 東京 🚀"}}}`,
  'y'.repeat(65_535),
  'y'.repeat(65_536),
  '€'.repeat(30_000), // 90,000 bytes
  'z'.repeat(200_000),
];

const servers: WebSocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** A real server that adapts each socket as Herald's does, and a real client connected to it, with or without compression. */
async function connected(clientDeflate: boolean) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
  servers.push(server);
  await new Promise((listening) => server.once('listening', listening));
  const adapted = new Promise<{ connection: AdaptedSocket; raw: Socket }>((resolve) =>
    server.once('connection', (socket, request) =>
      resolve({
        raw: request.socket,
        connection: adaptSocket(socket, request.socket, '127.0.0.1', {
          maxBufferedBytes: 8 * 1024 * 1024,
          onSlow: () => {},
          onSendFailure: () => {},
          tracked: () => false,
          metrics: createMetrics(),
          log: pino({ level: 'silent' }),
        }),
      }),
    ),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, { perMessageDeflate: clientDeflate });
  const received: Array<{ text: string; binary: boolean }> = [];
  client.on('message', (data: Buffer, binary) => received.push({ text: data.toString('utf8'), binary }));
  await new Promise((open) => client.once('open', open));
  return { ...(await adapted), client, received };
}

describe('text frames written to a socket', () => {
  for (const deflate of [false, true]) {
    it(`arrive whole, in order and as text at every length${deflate ? ' on a compressed connection' : ''}`, async () => {
      const { connection, client, received } = await connected(deflate);
      expect(client.extensions).toBe(deflate ? 'permessage-deflate' : '');
      for (const text of TEXTS) connection.send(text);
      // Writes made in one turn go out together; so do those of the next.
      await new Promise((next) => setImmediate(next));
      connection.send('last');
      await expect.poll(() => received.length).toBe(TEXTS.length + 1);
      expect(received.map((r) => r.text)).toEqual([...TEXTS, 'last']);
      expect(received.every((r) => !r.binary)).toBe(true);
      // The protocol stays in step: a ping after the frames is answered, and the close is clean.
      const pong = new Promise((answered) => client.once('pong', answered));
      client.ping();
      await pong;
      const closed = new Promise<number>((done) => client.once('close', done));
      connection.close(1000, 'done');
      expect(await closed).toBe(1000);
    });
  }
});

describe('writes held for the turn', () => {
  it('go out once the I/O callbacks of the turn are done, not when the callback that wrote ends', async () => {
    const { connection, raw, client, received } = await connected(false);
    connection.send('first');
    // Past the callback's own ticks and promise continuations, as when a second request of the same turn is read.
    await new Promise((next) => process.nextTick(next));
    expect(raw.writableCorked).toBe(1);
    connection.send('second');
    await new Promise((next) => setImmediate(next));
    expect(raw.writableCorked).toBe(0);
    await expect.poll(() => received.length).toBe(2);
    expect(received.map((r) => r.text)).toEqual(['first', 'second']);
    client.close();
  });
});
