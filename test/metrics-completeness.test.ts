import { Kind, parse, type SelectionSetNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_FIGURES } from '../src/console/figures.js';
import { HEALTH_UPDATES, STATS_UPDATES } from '../src/console/web/operations.js';
import { METRIC } from '../src/metrics.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
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
  const server = useHerald();

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
});
