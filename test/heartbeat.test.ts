import { describe, expect, it } from 'vitest';
import { gqlOk } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { openAcked } from './helpers/raw-ws.js';
import { useHerald } from './helpers/servers.js';

describe('heartbeat', () => {
  const herald = useHerald({ WS_HEARTBEAT_INTERVAL_MS: '50', WS_HEARTBEAT_TIMEOUT_MS: '200' });

  it('drops a client that stops answering pings and keeps one that answers', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const answering = await openAcked(herald.wsUrl, { ...auth, clientName: 'answering' });
    const silent = await openAcked(herald.wsUrl, { ...auth, clientName: 'silent' });
    silent.socket.pong = () => {}; // stops answering pings
    const pings = new Promise<void>((resolve) => answering.socket.once('ping', () => resolve()));
    await pings;

    const { code } = await silent.closed;
    expect(code).toBe(1006); // terminated without a closing handshake
    const { connections } = await gqlOk(herald.url, '{ connections { clientName connectedAt lastHeartbeatAt } }');
    expect(connections).toHaveLength(1);
    expect(connections[0].clientName).toBe('answering');
    expect(Date.parse(connections[0].lastHeartbeatAt)).toBeGreaterThan(Date.parse(connections[0].connectedAt));
    answering.socket.close();
  });

  describe('with many connections', () => {
    const spread = useHerald({ WS_HEARTBEAT_INTERVAL_MS: '400', WS_HEARTBEAT_TIMEOUT_MS: '5000' });

    it('pings connections opened together at different moments, each once per interval', async () => {
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => openAcked(spread.wsUrl, { ...auth, clientName: `c${i}` })));
      // Each client's first three pings, by arrival time.
      const pings = await Promise.all(
        clients.map(
          ({ socket }) =>
            new Promise<number[]>((resolve) => {
              const at: number[] = [];
              socket.on('ping', () => {
                at.push(performance.now());
                if (at.length === 3) resolve(at);
              });
            }),
        ),
      );
      const firsts = pings.map((at) => at[0]!);
      // All twenty at once would be one turn of the heartbeat (40 ms); spread at random over the 400 ms interval, they are not.
      expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThan(100);
      for (const at of pings) {
        for (const gap of [at[1]! - at[0]!, at[2]! - at[1]!]) {
          expect(gap).toBeGreaterThan(300);
          expect(gap).toBeLessThan(1000);
        }
      }
      for (const { socket } of clients) socket.close();
    });
  });
});
