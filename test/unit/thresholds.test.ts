import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, type Sample } from '../../src/alerts/evaluator.js';
import { DEFAULT_THRESHOLDS, loadThresholdsFile, mergeThresholds, THRESHOLD_NAMES, type ThresholdName } from '../../src/alerts/thresholds.js';

const none: Sample = Object.fromEntries(THRESHOLD_NAMES.map((n) => [n, null])) as Sample;
const lagOnly = mergeThresholds({ eventLoopLagMs: { raise: 500, clear: 200, severity: 'HIGH', enabled: true } }, {}).filter((t) => t.name === 'eventLoopLagMs');

/** Runs the evaluator over a series of values of one threshold; returns the transitions, in order, with their step. */
function run(values: (number | null)[]) {
  let state = new Set<ThresholdName>();
  const seen: string[] = [];
  values.forEach((value, step) => {
    const result = evaluate(lagOnly, { ...none, eventLoopLagMs: value }, state);
    state = result.state;
    for (const t of result.transitions) seen.push(`${t.kind}@${step}`);
  });
  return seen;
}

describe('threshold hysteresis', () => {
  it('raises once when the value reaches the raise level, however long it stays there', () => {
    expect(run([100, 499, 500, 900, 700, 600])).toEqual(['raise@2']);
  });

  it('does not clear on dips between the clear and the raise level', () => {
    expect(run([600, 300, 250, 499, 201, 700])).toEqual(['raise@0']);
  });

  it('clears once the value falls below the clear level, and raises again on the next crossing', () => {
    expect(run([600, 300, 199, 150, 480, 520])).toEqual(['raise@0', 'clear@2', 'raise@5']);
  });

  it('clears a crossed threshold that is disabled or can no longer be measured, and never raises a disabled one', () => {
    expect(run([600, null])).toEqual(['raise@0', 'clear@1']);
    const disabled = lagOnly.map((t) => ({ ...t, enabled: false }));
    expect(evaluate(disabled, { ...none, eventLoopLagMs: 10_000 }, new Set()).transitions).toEqual([]);
    expect(evaluate(disabled, { ...none, eventLoopLagMs: 10_000 }, new Set(['eventLoopLagMs'])).transitions.map((t) => t.kind)).toEqual(['clear']);
  });
});

describe('thresholds file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-thresholds-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads YAML over the defaults, scaling clear with raise when it is not given', () => {
    const path = file('ok.yaml', 'eventLoopLagMs: { raise: 250, clear: 100, severity: CRITICAL }\nslowConsumerDropsPerMinute: { raise: 20 }\n');
    const thresholds = loadThresholdsFile(path);
    expect(thresholds.eventLoopLagMs).toEqual({ raise: 250, clear: 100, severity: 'CRITICAL', enabled: true });
    expect(thresholds.slowConsumerDropsPerMinute).toEqual({ ...DEFAULT_THRESHOLDS.slowConsumerDropsPerMinute, raise: 20, clear: 4 });
    const merged = mergeThresholds(thresholds, { eventLoopLagMs: { raise: 1, clear: 0, severity: 'LOW', enabled: false } });
    expect(merged.map((t) => [t.name, t.source])).toEqual(THRESHOLD_NAMES.map((n) => [n, n === 'eventLoopLagMs' ? 'LIVE' : n === 'slowConsumerDropsPerMinute' ? 'FILE' : 'DEFAULT']));
  });

  it('refuses an unknown threshold, a clear above raise, unknown keys and a file that is not a map, naming the file', () => {
    expect(() => loadThresholdsFile(file('a.yaml', 'cpu: { raise: 1 }'))).toThrow(/THRESHOLDS_FILE .*a\.yaml: cpu is not a threshold/);
    expect(() => loadThresholdsFile(file('b.yaml', 'errorRate: { raise: 0.1, clear: 0.2 }'))).toThrow(/errorRate\.clear must not be above raise/);
    expect(() => loadThresholdsFile(file('c.yaml', 'errorRate: { raise: 0.1, for: 3 }'))).toThrow(/errorRate\.threshold|Unrecognized key/);
    expect(() => loadThresholdsFile(file('d.yaml', '- 1'))).toThrow(/must be a map/);
    expect(() => loadThresholdsFile(join(dir, 'missing.yaml'))).toThrow(/THRESHOLDS_FILE .*missing\.yaml: ENOENT/);
  });
});
