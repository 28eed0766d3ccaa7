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
});
