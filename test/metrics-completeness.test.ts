import { Kind, parse, type SelectionSetNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_FIGURES } from '../src/console/figures.js';
import { HEALTH_UPDATES, STATS_UPDATES } from '../src/console/web/operations.js';
import { METRIC } from '../src/metrics.js';
import { createTask, gqlOk } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { startReceiver } from './helpers/receiver.js';
import { until } from './helpers/wait.js';
import { useHerald } from './helpers/servers.js';

/** The leaf fields an operation selects below serverStatsUpdates, as dotted paths. */
function leaves(selection: SelectionSetNode, prefix = ''): string[] {
  return selection.selections.flatMap((s) => {
    if (s.kind !== Kind.FIELD) throw new Error('the dashboard operations use no fragments');
    const path = prefix ? `${prefix}.${s.name.value}` : s.name.value;
    return s.selectionSet ? leaves(s.selectionSet, path) : [path];
  });
}

function dashboardPaths(): string[] {
  return [STATS_UPDATES, HEALTH_UPDATES].flatMap((query) => {
    const operation = parse(query).definitions[0]!;
    if (operation.kind !== Kind.OPERATION_DEFINITION) throw new Error('not an operation');
    const root = operation.selectionSet.selections[0]!;
    if (root.kind !== Kind.FIELD || root.name.value !== 'serverStatsUpdates' || !root.selectionSet) throw new Error('not serverStatsUpdates');
    return leaves(root.selectionSet);
  });
}

/** Label names whose values grow with clients, keys or events: never on a Herald metric. */
const HIGH_CARDINALITY = /^(id|.*_id|connection|principal|client_name|registration|key|topic|channel|repository|url|host|ip)$/;

describe('metrics completeness', () => {
  const server = useHerald({ PUSH_RETRY_BASE_MS: '20', PUSH_RETRY_MAX_MS: '50', PUSH_HEALTH_INTERVAL_MS: '100' });
  const metrics = async () => (await fetch(`${server.origin}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

  it('has every figure the dashboard shows from serverStatsUpdates in /metrics, and no stale entry in the list', async () => {
    const paths = dashboardPaths();
    expect(paths.length).toBeGreaterThan(40);
    expect(Object.keys(DASHBOARD_FIGURES).sort()).toEqual([...new Set(paths)].sort());

    const text = await (await fetch(`${server.origin}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    const exposed = new Map([...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const named = Object.values(DASHBOARD_FIGURES).flatMap((f) => ('metric' in f ? [f.metric] : []));
    expect(new Set(named).size).toBeGreaterThan(10);
    for (const metric of named) expect([...exposed.keys()], metric).toContain(metric);
  });

  it('names every metric by Prometheus conventions: counters end in _total, durations in seconds, no high-cardinality labels', async () => {
    const text = await (await fetch(`${server.origin}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    // Herald's own metrics; prom-client's process and Node.js defaults keep their upstream names.
    const own = new Set<string>(Object.values(METRIC));
    const types = [...text.matchAll(/^# TYPE (herald_\S+) (\w+)$/gm)].map((m) => [m[1]!, m[2]!] as const).filter(([name]) => own.has(name));
    expect(types).toHaveLength(own.size);
    for (const [name, type] of types) {
      if (type === 'counter') expect(name, name).toMatch(/_total$/);
      else expect(name, name).not.toMatch(/_total$/);
      expect(name, name).not.toMatch(/_(ms|milliseconds|minutes)(_|$)/);
    }
    const labels = new Set([...text.matchAll(/^herald_\w+\{([^}]*)\}/gm)].flatMap((m) => [...m[1]!.matchAll(/(\w+)="/g)].map((l) => l[1]!)));
    for (const label of labels) expect(label, label).not.toMatch(HIGH_CARDINALITY);
  });

  it('counts push attempts and outcomes, breakers, gateway delivery failures and alert changes as they happen', async () => {
    const receiver = await startReceiver({ script: [{ status: 500 }] });
    try {
      await gqlOk(server.url, 'mutation ($input: RegisterCliInput!) { registerCli(input: $input) { id } }', {
        input: { callbackUrl: receiver.url, repositories: ['metered'], clientVersion: '1.2.0' },
      });
      await createTask(server.url, 'metered', 'count me');
      const text = await until(metrics, (t) => value(t, 'herald_push_deliveries_total{outcome="delivered"}') === 1, 'the push to be counted');
      expect(value(text, 'herald_push_attempts_total{outcome="failed"}')).toBe(1);
      expect(value(text, 'herald_push_attempts_total{outcome="delivered"}')).toBe(1);
      expect(value(text, 'herald_push_attempt_duration_seconds_count')).toBe(2);
      expect(value(text, 'herald_push_breakers{state="closed"}')).toBe(1);
      expect(value(text, 'herald_push_backlog_events')).toBe(0);
    } finally {
      await receiver.close();
    }
    const { registerGateway } = await gqlOk(server.url, 'mutation { registerGateway(input: { name: "metered" }) { gateway { id } } }');
    await gqlOk(server.url, 'mutation ($ids: [ID!]!) { deployApiRevision(input: { apiId: "a", revisionId: "r", vhost: "v.example.com", gatewayIds: $ids }) { id } }', { ids: [registerGateway.gateway.id] });
    await gqlOk(server.url, 'mutation { raiseAlert(input: { severity: LOW, title: "metered" }) { id } }');
    const text = await metrics();
    expect(value(text, 'herald_gateway_delivery_failures_total{reason="no_connection"}')).toBe(1);
    expect(value(text, 'herald_alert_changes_total{state="raised"}')).toBe(1);
    expect(value(text, 'herald_events_published_total{family="channel"}')).toBeGreaterThanOrEqual(1);
  });
});
