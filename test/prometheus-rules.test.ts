import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_THRESHOLDS, THRESHOLD_NAMES } from '../src/alerts/thresholds.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { useHerald } from './helpers/servers.js';

const RULES = fileURLToPath(new URL('../deploy/prometheus/alerts.yml', import.meta.url));
type Rule = { alert: string; expr: string; labels?: Record<string, string> };
const rules = (parseYaml(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

describe('deploy/prometheus/alerts.yml', () => {
  const server = useHerald();

  it('passes promtool check rules', () => {
    // The test set-up installs promtool (test/global-setup.ts); without it this fails rather than passing unchecked.
    const found = spawnSync('promtool', ['--version'], { stdio: 'ignore' });
    if (found.error || found.status !== 0) throw new Error('promtool is not on the PATH: apt-get install prometheus (test/global-setup.ts does so as root)');
    const out = execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(out).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it('has one rule per built-in threshold, with its severity', () => {
    for (const name of THRESHOLD_NAMES) {
      const own = rules.filter((r) => r.labels?.threshold === name);
      expect(own, name).toHaveLength(1);
      expect(own[0]!.labels!.severity).toBe(DEFAULT_THRESHOLDS[name].severity.toLowerCase());
    }
  });

  it('names only metrics that a running server exposes', async () => {
    const response = await fetch(`${server.url.replace(/\/graphql$/, '')}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const exposed = new Set([...(await response.text()).matchAll(/^# TYPE (\S+) (\w+)/gm)].map((m) => m[1]!));
    const used = new Set(rules.flatMap((r) => [...r.expr.matchAll(/\bherald_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))));
    expect(used.size).toBeGreaterThan(5);
    for (const metric of used) expect(exposed, metric).toContain(metric);
  });
});
