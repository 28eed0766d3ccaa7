import { describe, expect, it } from 'vitest';
import { createTask, gqlOk, record, wsClient } from './helpers/client.js';
import { ADMIN_TOKEN, type HeraldProcess } from './helpers/herald.js';
import { startReceiver, type Received } from './helpers/receiver.js';
import { until } from './helpers/wait.js';
import { useCluster } from './helpers/servers.js';

const REGISTER = 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }';

/**
 * What a receiver that follows docs/push.md keeps: the first request of each
 * X-Herald-Delivery, in the order they came; later ones with the same id are
 * dropped as repeats.
 */
function deduplicated(posts: readonly Received[]) {
  const seen = new Set<string>();
  return posts.filter((p) => {
    const id = String(p.headers['x-herald-delivery']);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

describe('pushing from several instances', () => {
  const cluster = useCluster(3, { PUSH_LEADER_TTL_MS: '1000', PUSH_RETRY_BASE_MS: '20', PUSH_RETRY_MAX_MS: '100' });
  const instances = cluster.instances as [HeraldProcess, HeraldProcess, HeraldProcess];

  const pushing = async (server: HeraldProcess) => (await gqlOk(server.url, '{ stats { push { pushing } } }')).stats.push.pushing as boolean;
  /** The one instance of `among` that pushes, once exactly one does. */
  const leaderOf = async (among: HeraldProcess[]) => {
    const flags = await until(() => Promise.all(among.map(pushing)), (p) => p.filter(Boolean).length === 1, 'one instance to push', 30_000);
    return among[flags.indexOf(true)]!;
  };

  it('has exactly one instance push, and delivers each event once', async () => {
    const [a, b] = instances;
    const r = await startReceiver();
    await gqlOk(a.url, REGISTER, { input: { callbackUrl: r.url, repositories: ['cluster-push'], clientVersion: '1.0.0' } });
    await leaderOf(instances);
    for (let i = 0; i < 20; i++) await createTask(i % 2 ? a.url : b.url, 'cluster-push', `c${i}`);
    await r.until(() => r.delivered().length >= 20);
    const ids = r.delivered().map((p) => JSON.parse(p.body).id as string);
    expect(new Set(ids).size).toBe(20);
    expect(ids).toHaveLength(20);
    expect(r.delivered().map((p) => JSON.parse(p.body).payload.task.title)).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
    await r.close();
  });

  it('calls a given-up event FALLBACK only when a cliNotifications subscription, on any instance, took it', async () => {
    const r = await startReceiver({ fallback: { status: 410 } });
    const leader = await leaderOf(instances);
    const elsewhere = instances.find((s) => s !== leader)!;
    const { id } = (await gqlOk(leader.url, REGISTER, { input: { callbackUrl: r.url, repositories: ['cluster-fallback'], clientVersion: '1.0.0' } })).registerCli;
    const givenUp = () =>
      until(
        async () => (await gqlOk(leader.url, 'query ($id: ID!) { deliveries(registrationId: $id, first: 1) { status } }', { id })).deliveries[0]?.status as string | undefined,
        (status) => status === 'FAILED' || status === 'FALLBACK',
        'the push to be given up',
      );
    const listeners = async () => (await gqlOk(leader.url, '{ cliEndpoints { id notificationSubscriptions } }')).cliEndpoints.find((e: { id: string }) => e.id === id).notificationSubscriptions as number;

    await createTask(elsewhere.url, 'cluster-fallback', 'nobody listens');
    expect(await givenUp()).toBe('FAILED');

    // The CLI's WebSocket is on another instance than the one pushing.
    const client = wsClient(elsewhere.wsUrl, { connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}`, cliRegistrationId: id } });
    const notes = record<{ event: { payload: { task: { title: string } } } }>(client, 'subscription { cliNotifications { event { payload } } }', {}, 'cliNotifications');
    await until(listeners, (n) => n === 1, 'the pushing instance to see the subscription');
    await createTask(elsewhere.url, 'cluster-fallback', 'taken over the WebSocket');
    const [note] = await notes.waitForCount(1);
    expect(note!.event.payload.task.title).toBe('taken over the WebSocket');
    await until(
      async () => (await gqlOk(leader.url, 'query ($id: ID!) { deliveries(registrationId: $id, first: 2) { status } }', { id })).deliveries.map((d: { status: string }) => d.status),
      (statuses) => statuses.join() === 'FALLBACK,FAILED',
      'the second push to be FALLBACK',
    );
    await client.dispose();
    await r.close();
  });

  it('loses nothing and repeats nothing, under one delivery id per event, when pushing instances die mid-request', async () => {
    // The 6th and the 13th POST are answered late: each time, the instance sending it is killed while it waits.
    const held = new Set([5, 12]);
    const r = await startReceiver({ fallback: (n) => ({ status: 200, delayMs: held.has(n) ? 2_500 : 10 }) });
    let alive = [...instances];
    await gqlOk(alive[0]!.url, REGISTER, { input: { callbackUrl: r.url, repositories: ['takeover'], clientVersion: '1.0.0' } });
    const titles = Array.from({ length: 24 }, (_, i) => `t${i}`);
    let leader = await leaderOf(alive);
    for (const title of titles) await createTask(alive.find((s) => s !== leader)!.url, 'takeover', title);

    for (const n of held) {
      await r.until(() => r.arrivedPosts().length > n);
      leader.kill('SIGKILL');
      await leader.exited;
      alive = alive.filter((s) => s !== leader);
      leader = await leaderOf(alive);
    }
    await r.until(() => new Set(r.delivered().map((p) => JSON.parse(p.body).payload.task.title)).size === titles.length);
    // Both killed instances' requests were answered too: the receiver saw those events twice (at least).
    await r.until(() => r.delivered().length >= titles.length + held.size);

    const kept = deduplicated(r.delivered()).map((p) => JSON.parse(p.body) as { id: string; payload: { task: { title: string } } });
    expect(kept.map((e) => e.payload.task.title)).toEqual(titles);
    // Never two delivery ids for one event: each event id came under exactly one X-Herald-Delivery.
    const idsOf = new Map<string, Set<string>>();
    for (const p of r.delivered()) {
      const eventId = JSON.parse(p.body).id as string;
      idsOf.set(eventId, (idsOf.get(eventId) ?? new Set()).add(String(p.headers['x-herald-delivery'])));
    }
    expect([...idsOf.values()].map((ids) => ids.size)).toEqual(titles.map(() => 1));
    await r.close();
  });
});

describe('a pushing instance that was paused past its lease', () => {
  const cluster = useCluster(2, { PUSH_LEADER_TTL_MS: '1000', PUSH_RETRY_BASE_MS: '20', PUSH_RETRY_MAX_MS: '100' });
  const instances = cluster.instances as [HeraldProcess, HeraldProcess];
  const pushing = async (server: HeraldProcess) => (await gqlOk(server.url, '{ stats { push { pushing } } }')).stats.push.pushing as boolean;

  it('sends and records nothing more once it resumes after another took over, so a later takeover repeats nothing', async () => {
    // The 4th POST is answered late: the instance sending it is paused (SIGSTOP) while it waits.
    const r = await startReceiver({ fallback: (n) => ({ status: 200, delayMs: n === 3 ? 1_500 : 10 }) });
    await gqlOk(instances[0].url, REGISTER, { input: { callbackUrl: r.url, repositories: ['paused'], clientVersion: '1.0.0' } });
    const flags = await until(() => Promise.all(instances.map(pushing)), (p) => p.filter(Boolean).length === 1, 'one instance to push');
    const paused = instances[flags.indexOf(true)]!;
    const other = instances[flags.indexOf(false)]!;
    const titles = Array.from({ length: 10 }, (_, i) => `p${i}`);
    for (const title of titles) await createTask(other.url, 'paused', title);
    await r.until(() => r.arrivedPosts().length > 3);
    paused.kill('SIGSTOP');
    let sent: number;
    try {
      await until(() => pushing(other), (p) => p, 'the other instance to take over', 30_000);
      await r.until(() => new Set(deduplicated(r.delivered()).map((p) => JSON.parse(p.body).payload.task.title)).size === titles.length);
      sent = r.arrivedPosts().length;
    } finally {
      paused.kill('SIGCONT');
    }
    // Its lease ran out while it was paused: it says so at once, and its workers stop.
    expect(await pushing(paused)).toBe(false);
    await until(() => paused.logs.some((l) => l.msg === 'no longer pushing'), (stopped) => stopped, 'the paused instance to stop its workers');
    // Had it recorded its late answer, the stored progress would be back at the 4th event, and
    // the next instance to push would send the 5th to the 10th again.
    other.kill('SIGKILL');
    await other.exited;
    await until(() => pushing(paused), (p) => p, 'the paused instance to take over again', 30_000);
    await createTask(paused.url, 'paused', 'after the pause');
    await r.until(() => r.delivered().some((p) => JSON.parse(p.body).payload.task.title === 'after the pause'));
    // One more request in all: the new event.
    expect(r.arrivedPosts().length).toBe(sent + 1);
    expect(deduplicated(r.delivered()).map((p) => JSON.parse(p.body).payload.task.title)).toEqual([...titles, 'after the pause']);
    await r.close();
  });
});

describe('many endpoints of one repository, pushed from one shared read of the log', () => {
  const cluster = useCluster(2, { PUSH_LEADER_TTL_MS: '1000', PUSH_RETRY_BASE_MS: '20', PUSH_RETRY_MAX_MS: '100' });
  const instances = cluster.instances as [HeraldProcess, HeraldProcess];
  const pushing = async (server: HeraldProcess) => (await gqlOk(server.url, '{ stats { push { pushing } } }')).stats.push.pushing as boolean;

  it('gives every endpoint every event once and in order, across the death of the pushing instance', async () => {
    // Every endpoint holds one POST long enough for the pushing instance to be killed while it waits.
    const receivers = await Promise.all(Array.from({ length: 6 }, () => startReceiver({ fallback: (n) => ({ status: 200, delayMs: n === 4 ? 2_000 : 5 }) })));
    for (const r of receivers) await gqlOk(instances[0].url, REGISTER, { input: { callbackUrl: r.url, repositories: ['shared-read'], clientVersion: '1.0.0' } });
    const flags = await until(() => Promise.all(instances.map(pushing)), (p) => p.filter(Boolean).length === 1, 'one instance to push', 30_000);
    const leader = instances[flags.indexOf(true)]!;
    const other = instances[flags.indexOf(false)]!;
    const titles = Array.from({ length: 30 }, (_, i) => `s${i}`);
    for (const title of titles) await createTask(other.url, 'shared-read', title);
    for (const r of receivers) await r.until(() => r.arrivedPosts().length > 4);
    leader.kill('SIGKILL');
    await leader.exited;
    await until(() => pushing(other), (p) => p, 'the other instance to take over', 30_000);
    for (const r of receivers) await r.until(() => new Set(r.delivered().map((p) => JSON.parse(p.body).payload.task.title)).size === titles.length);
    for (const r of receivers) {
      expect(deduplicated(r.delivered()).map((p) => JSON.parse(p.body).payload.task.title)).toEqual(titles);
      // One delivery id per event, whichever instance sent it.
      const idsOf = new Map<string, Set<string>>();
      for (const p of r.delivered()) {
        const eventId = JSON.parse(p.body).id as string;
        idsOf.set(eventId, (idsOf.get(eventId) ?? new Set()).add(String(p.headers['x-herald-delivery'])));
      }
      expect([...idsOf.values()].map((ids) => ids.size)).toEqual(titles.map(() => 1));
    }
    await Promise.all(receivers.map((r) => r.close()));
  });
});
