import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from '../zod.js';
import { notFinite } from '../input.js';
import { ALERT_SEVERITIES, type AlertSeverity } from './model.js';

/**
 * The conditions Herald watches in itself and raises an alert for on the
 * `system` channel. Each has a level that raises the alert and a lower one
 * that clears it (hysteresis: a value between the two changes nothing, so a
 * condition hovering around its threshold does not flap). Thresholds come
 * from built-in defaults, then THRESHOLDS_FILE, then live changes
 * (setAlertThreshold), like rate limits. deploy/prometheus/alerts.yml holds
 * the same rules for Prometheus.
 */
export const THRESHOLD_NAMES = [
  'errorRate',
  'slowConsumerDropsPerMinute',
  'heartbeatRttP99Ms',
  'pushFailureRate',
  'gatewayDisconnectedSeconds',
  'redisUnreachableSeconds',
  'eventLoopLagMs',
] as const;
export type ThresholdName = (typeof THRESHOLD_NAMES)[number];

/** What each one measures, for alert titles and docs. */
export const THRESHOLD_DESCRIPTIONS: Readonly<Record<ThresholdName, string>> = {
  errorRate: 'Share of GraphQL HTTP requests answered with a 5xx status over the last minute (0-1)',
  slowConsumerDropsPerMinute: 'Connections dropped as slow consumers over the last minute',
  heartbeatRttP99Ms: 'p99 of the last heartbeat round trip of open connections, in ms',
  pushFailureRate: 'Share of push attempts that failed over the last minute (0-1)',
  gatewayDisconnectedSeconds: 'Longest time a registered gateway has had no connection, in seconds',
  redisUnreachableSeconds: 'How long Redis has been unreachable, in seconds (Redis mode)',
  eventLoopLagMs: 'p99 event-loop delay over the last evaluation interval, in ms',
};

export type ThresholdSettings = {
  /** At or above this the alert is raised. */
  readonly raise: number;
  /** Below this a raised alert is resolved; at most `raise`. */
  readonly clear: number;
  readonly severity: AlertSeverity;
  readonly enabled: boolean;
};

export type ThresholdSource = 'DEFAULT' | 'FILE' | 'LIVE';
export type ThresholdEntry = ThresholdSettings & { readonly name: ThresholdName; readonly source: ThresholdSource };

export const DEFAULT_THRESHOLDS: Readonly<Record<ThresholdName, ThresholdSettings>> = {
  errorRate: { raise: 0.05, clear: 0.02, severity: 'HIGH', enabled: true },
  slowConsumerDropsPerMinute: { raise: 10, clear: 2, severity: 'MEDIUM', enabled: true },
  heartbeatRttP99Ms: { raise: 2000, clear: 1000, severity: 'MEDIUM', enabled: true },
  pushFailureRate: { raise: 0.2, clear: 0.05, severity: 'MEDIUM', enabled: true },
  gatewayDisconnectedSeconds: { raise: 300, clear: 1, severity: 'HIGH', enabled: true },
  redisUnreachableSeconds: { raise: 10, clear: 1, severity: 'CRITICAL', enabled: true },
  eventLoopLagMs: { raise: 500, clear: 200, severity: 'HIGH', enabled: true },
};

/** v4 numbers are finite already; Infinity, which a YAML file can hold, is worded as before. */
const FINITE = notFinite('Number must be finite');

export const thresholdSchema = z
  .object({
    raise: z.number(FINITE).min(0, 'must be at least 0'),
    clear: z.number(FINITE).min(0, 'must be at least 0').optional(),
    severity: z.enum(ALERT_SEVERITIES).optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((t) => t.clear === undefined || t.clear <= t.raise, { message: 'must not be above raise', path: ['clear'] });

type ThresholdInput = z.infer<typeof thresholdSchema>;

/** A threshold from input, its unset parts from `base` (clear scaled with raise when not given). */
export function completeThreshold(name: ThresholdName, input: ThresholdInput, base: ThresholdSettings = DEFAULT_THRESHOLDS[name]): ThresholdSettings {
  const clear = input.clear ?? (base.raise === 0 ? 0 : (input.raise * base.clear) / base.raise);
  return { raise: input.raise, clear, severity: input.severity ?? base.severity, enabled: input.enabled ?? base.enabled };
}

export const isThresholdName = (name: string): name is ThresholdName => (THRESHOLD_NAMES as readonly string[]).includes(name);

/** Defaults, then the file, then live changes: a later layer replaces a threshold. */
export function mergeThresholds(file: Readonly<Record<string, ThresholdSettings>>, live: Readonly<Record<string, ThresholdSettings>>): ThresholdEntry[] {
  return THRESHOLD_NAMES.map((name) => {
    const [settings, source] = live[name] ? [live[name], 'LIVE' as const] : file[name] ? [file[name], 'FILE' as const] : [DEFAULT_THRESHOLDS[name], 'DEFAULT' as const];
    return { name, source, ...settings };
  });
}

/**
 * Reads THRESHOLDS_FILE: a YAML or JSON map of threshold name to
 * `{ raise, clear?, severity?, enabled? }`, e.g.
 * `eventLoopLagMs: { raise: 250, clear: 100, severity: CRITICAL }`.
 * Throws one line naming the file and the first problem.
 */
export function loadThresholdsFile(path: string): Record<string, ThresholdSettings> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`THRESHOLDS_FILE ${path}: ${(err as Error).message.split('\n', 1)[0]}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`THRESHOLDS_FILE ${path}: must be a map of threshold name to { raise, clear, severity, enabled }`);
  const thresholds: Record<string, ThresholdSettings> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!isThresholdName(name)) throw new Error(`THRESHOLDS_FILE ${path}: ${name} is not a threshold (one of ${THRESHOLD_NAMES.join(', ')})`);
    const parsed = thresholdSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`THRESHOLDS_FILE ${path}: ${name}.${issue.path.join('.') || 'threshold'} ${issue.message}`);
    }
    thresholds[name] = completeThreshold(name, parsed.data);
  }
  return thresholds;
}
