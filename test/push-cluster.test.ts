import { describe, expect, it } from 'vitest';
import { createTask, gqlOk } from './helpers/client.js';
import type { HeraldProcess } from './helpers/herald.js';
import { startReceiver } from './helpers/receiver.js';
import { until } from './helpers/wait.js';
import { useCluster } from './helpers/servers.js';

const REGISTER = 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }';

describe('pushing from several instances', () => {
  const cluster = useCluster(2, { PUSH_LEADER_TTL_MS: '1000', PUSH_RETRY_BASE_MS: '20', PUSH_RETRY_MAX_MS: '100' });
  const [a, b] = cluster.instances as [HeraldProcess, HeraldProcess];

  const pushing = async (server: HeraldProcess) => (await gqlOk(server.url, '{ stats { push { pushing } } }')).stats.push.pushing as boolean;

  it('has exactly one instance push, and delivers each event once', async () => {
    const r = await startReceiver();
    await gqlOk(a.url, REGISTER, { input: { callbackUrl: r.url, repositories: ['cluster-push'], clientVersion: '1.0.0' } });
    await until(async () => [await pushing(a), await pushing(b)], (p) => p.filter(Boolean).length === 1, 'one instance to push');
    for (let i = 0; i < 20; i++) await createTask(i % 2 ? a.url : b.url, 'cluster-push', `c${i}`);
    await r.until(() => r.delivered().length >= 20);
    const ids = r.delivered().map((p) => JSON.parse(p.body).id as string);
    expect(new Set(ids).size).toBe(20);
    expect(ids).toHaveLength(20);
    expect(r.delivered().map((p) => JSON.parse(p.body).payload.task.title)).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
    await r.close();
  });

  it('loses nothing when the pushing instance dies mid-queue: another takes over', async () => {
    const r = await startReceiver({ fallback: { status: 200, delayMs: 50 } });
    await gqlOk(a.url, REGISTER, { input: { callbackUrl: r.url, repositories: ['takeover'], clientVersion: '1.0.0' } });
    const leader = (await pushing(a)) ? a : b;
    const survivor = leader === a ? b : a;
    const titles = Array.from({ length: 30 }, (_, i) => `t${i}`);
    for (const title of titles) await createTask(survivor.url, 'takeover', title);
    await r.until(() => r.delivered().length >= 5);
    leader.kill('SIGKILL');
    await leader.exited;
    await until(() => pushing(survivor), (p) => p, 'the survivor to take over', 30_000);
    await r.until(() => new Set(r.delivered().map((p) => JSON.parse(p.body).payload.task.title)).size === titles.length);
    const seen = r.delivered().map((p) => JSON.parse(p.body).payload.task.title as string);
    // In order; at most the event in flight at the crash arrives twice.
    expect([...new Set(seen)]).toEqual(titles);
    expect(seen.length - titles.length).toBeLessThanOrEqual(1);
    await r.close();
  });
});
