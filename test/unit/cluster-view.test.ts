import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterDirectory, ConnectionReport, InstanceReport, TrafficReport } from '../../src/cluster/directory.js';
import { createClusterView, newCounters, type LocalConnection } from '../../src/cluster/view.js';

/** A directory that keeps what each report carried: whether it brought a connection list, and how long. */
function recordingDirectory() {
  const lists: Array<number | null> = [];
  const times: number[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const directory: ClusterDirectory = {
    async report(_summary: InstanceReport, connections: readonly ConnectionReport[] | null) {
      lists.push(connections === null ? null : connections.length);
      times.push(Date.now());
      for (const w of waiters.filter((w) => lists.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    instances: async () => [],
    connections: async () => [],
    remove: async () => {},
  };
  const reports = (count: number) => new Promise<void>((resolve) => (lists.length >= count ? resolve() : waiters.push({ count, resolve })));
  return { directory, lists, times, reports };
}

const connection = (id: string): LocalConnection => ({
  id,
  remoteAddress: '127.0.0.1',
  connectedAt: new Date(),
  lastHeartbeatAt: new Date(),
  principal: null,
  clientName: null,
  clientVersion: null,
  cliRegistrationId: null,
  browser: false,
  subscriptions: { size: 0 },
  eventsSent: 0,
  eventsDropped: 0,
  heartbeatRttMs: null,
  health: () => 100,
});

describe('cluster view reports', () => {
  it('carry the connection list at start, soon after a change, and every fifth report otherwise', async () => {
    const { directory, lists, times, reports } = recordingDirectory();
    const open = [connection('c1'), connection('c2')];
    const intervalMs = 40;
    const view = createClusterView({
      instanceId: 'i-1',
      mode: 'REDIS',
      startedAt: new Date(),
      connections: () => open,
      hearsSystemMessages: () => false,
      connectionCount: () => open.length,
      directory,
      counters: newCounters(),
      subscriptions: () => 0,
      cliListeners: () => new Map(),
      traffic: () => ({}) as TrafficReport,
      intervalMs,
      log: pino({ level: 'silent' }),
    });
    view.start();
    await reports(12);
    // With nothing changing, the list goes out with the first report and then once five intervals have passed, never sooner.
    expect(lists[0]).toBe(2);
    const withList = times.filter((_, i) => lists[i] !== null);
    expect(withList.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < withList.length; i++) expect(withList[i]! - withList[i - 1]!).toBeGreaterThanOrEqual(5 * intervalMs);
    expect(lists).toContain(null);
    expect(lists.filter((n) => n !== null && n !== 2)).toEqual([]);
    const before = lists.length;
    open.push(connection('c3'));
    view.changed();
    await reports(before + 1);
    expect(lists[before]).toBe(3);
    await view.stop();
  });
});
