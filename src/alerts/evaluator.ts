import type { ThresholdEntry, ThresholdName } from './thresholds.js';

/** One reading of every watched value; null when it cannot be measured now (no Redis in embedded mode, no traffic). */
export type Sample = Readonly<Record<ThresholdName, number | null>>;

/** Which thresholds are crossed now (their alert raised and not yet cleared). */
export type EvaluatorState = ReadonlySet<ThresholdName>;

export type Transition = { readonly kind: 'raise' | 'clear'; readonly threshold: ThresholdEntry; readonly value: number | null };

/**
 * Pure hysteresis: a threshold not crossed is raised once its value reaches
 * `raise`; a crossed one is cleared only once the value falls below `clear`
 * (or the threshold is disabled, or the value can no longer be measured).
 * A value between the two keeps the state it has. Returns the transitions
 * and the next state; the caller raises and resolves the alerts.
 */
export function evaluate(thresholds: readonly ThresholdEntry[], sample: Sample, state: EvaluatorState): { state: Set<ThresholdName>; transitions: Transition[] } {
  const next = new Set(state);
  const transitions: Transition[] = [];
  for (const threshold of thresholds) {
    const value = sample[threshold.name];
    const crossed = state.has(threshold.name);
    if (!crossed) {
      if (threshold.enabled && value !== null && value >= threshold.raise) {
        next.add(threshold.name);
        transitions.push({ kind: 'raise', threshold, value });
      }
    } else if (!threshold.enabled || value === null || value < threshold.clear) {
      next.delete(threshold.name);
      transitions.push({ kind: 'clear', threshold, value });
    }
  }
  return { state: next, transitions };
}
