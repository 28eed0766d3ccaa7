import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga } from 'graphql-yoga';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/auth/authenticator.js';
import { createMemoryApiKeyStore } from '../src/auth/api-keys.memory.js';
import { issueKey } from '../src/auth/secret-keys.js';
import { buildGateway } from '../src/gateways/model.js';
import { createMemoryGatewayStore } from '../src/gateways/store.memory.js';
import { createMetrics } from '../src/metrics.js';
import { useMetricsEndpoint } from '../src/transport/use-metrics.js';

type Line = { audit?: boolean; transport?: string; path?: string; ip?: string; reason?: string; principal?: string; msg?: string };

/** /metrics refuses as every HTTP path does: the same answers, and an audit line naming the caller. */
describe('/metrics refusals', () => {
  const ADMIN = 'admin-token-0123456789';
  const lines: Line[] = [];
  const gatewayKey = issueKey('hgw');
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    const gateways = createMemoryGatewayStore();
    await gateways.create(buildGateway('edge-1', { name: 'edge' }, new Date().toISOString()));
    await gateways.addKey({ id: gatewayKey.id, gatewayId: 'edge-1', secretHash: gatewayKey.secretHash, createdAt: new Date().toISOString(), revokedAt: null });
    const authenticator = createAuthenticator({ adminToken: ADMIN, allowAnonymous: false, gateways, apiKeys: createMemoryApiKeyStore(), jwt: undefined });
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
    const yoga = createYoga({
      plugins: [useMetricsEndpoint({ metrics: createMetrics(), authenticator, open: false, log, ipOf: () => '203.0.113.9' })],
      logging: false,
    });
    server = createServer(yoga);
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server?.close(resolve)));

  const scrape = async (token?: string) => {
    const response = await fetch(`${origin}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, text: await response.text() };
  };
  const codeOf = (text: string) => (JSON.parse(text) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code;
  const refusals = () => lines.filter((l) => l.audit && l.path === '/metrics');

  it('answers a missing or wrong token with 401 and audits it with the caller address', async () => {
    const missing = await scrape();
    expect([missing.status, codeOf(missing.text)]).toEqual([401, 'UNAUTHENTICATED']);
    const wrong = await scrape('not-a-valid-token-at-all');
    expect([wrong.status, codeOf(wrong.text)]).toEqual([401, 'UNAUTHENTICATED']);
    // Written before the answer is sent: no waiting needed.
    expect(refusals().slice(-2)).toMatchObject([
      { transport: 'http', ip: '203.0.113.9', reason: 'missing', msg: 'authentication failed' },
      { transport: 'http', ip: '203.0.113.9', reason: 'invalid', msg: 'authentication failed' },
    ]);
  });

  it('answers a caller without stats:read with 403 and audits who it was', async () => {
    const before = refusals().length;
    const refused = await scrape(gatewayKey.token);
    expect([refused.status, codeOf(refused.text)]).toEqual([403, 'FORBIDDEN']);
    expect(refusals().slice(before)).toMatchObject([{ transport: 'http', ip: '203.0.113.9', reason: 'scope', principal: 'gateway:edge-1' }]);
  });

  it('serves the metrics to a caller with stats:read, and audits nothing', async () => {
    const before = refusals().length;
    const ok = await scrape(ADMIN);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('herald_events_delivered_total');
    expect(refusals()).toHaveLength(before);
  });
});
