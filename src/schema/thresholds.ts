import { THRESHOLD_DESCRIPTIONS, THRESHOLD_NAMES, type ThresholdEntry } from '../alerts/thresholds.js';
import { AlertSeverityEnum } from './alerts.js';
import { builder } from './builder.js';

const ThresholdNameEnum = builder.enumType('AlertThresholdName', {
  description: 'What a threshold watches (see docs/operations.md#alert-thresholds).',
  values: Object.fromEntries(THRESHOLD_NAMES.map((name) => [name, { description: THRESHOLD_DESCRIPTIONS[name] }])) as Record<(typeof THRESHOLD_NAMES)[number], { description: string }>,
});

const ThresholdSourceEnum = builder.enumType('AlertThresholdSource', {
  description: 'Where a threshold comes from: built in, THRESHOLDS_FILE, or set live with setAlertThreshold.',
  values: ['DEFAULT', 'FILE', 'LIVE'] as const,
});

const ThresholdRef = builder.objectRef<ThresholdEntry>('AlertThreshold').implement({
  description: 'A condition Herald watches in itself: at `raise` or above, an alert is raised on the system channel; it is resolved once the value falls below `clear`.',
  fields: (t) => ({
    name: t.expose('name', { type: ThresholdNameEnum }),
    raise: t.exposeFloat('raise'),
    clear: t.exposeFloat('clear'),
    severity: t.expose('severity', { type: AlertSeverityEnum }),
    enabled: t.exposeBoolean('enabled'),
    source: t.expose('source', { type: ThresholdSourceEnum }),
  }),
});

const SetAlertThresholdInput = builder.inputType('SetAlertThresholdInput', {
  fields: (t) => ({
    name: t.field({ type: ThresholdNameEnum, required: true }),
    raise: t.float({ required: true }),
    clear: t.float({ description: 'At most raise; defaults to raise scaled as in the rule it replaces.' }),
    severity: t.field({ type: AlertSeverityEnum }),
    enabled: t.boolean(),
  }),
});

builder.queryFields((t) => ({
  alertThresholds: t.field({
    type: [ThresholdRef],
    description: 'The alert thresholds in force (every instance reads live changes at its next check).',
    authScopes: { admin: true },
    resolve: (_r, _a, ctx) => ctx.services.thresholds.list(),
  }),
}));

builder.mutationFields((t) => ({
  setAlertThreshold: t.field({
    type: ThresholdRef,
    description: 'Sets a threshold live on every instance, without a restart; it outlives restarts in Redis mode.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: SetAlertThresholdInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const threshold = await ctx.services.thresholds.set(input);
      ctx.services.audit({ action: 'alert-threshold-set', principal: ctx.principal.id, threshold: threshold.name, raise: threshold.raise, clear: threshold.clear });
      return threshold;
    },
  }),
  resetAlertThreshold: t.field({
    type: 'Boolean',
    description: 'Drops a live threshold, so the file or built-in one applies again; false when there was none.',
    authScopes: { admin: true },
    args: { name: t.arg({ type: ThresholdNameEnum, required: true }) },
    resolve: async (_r, { name }, ctx) => {
      const removed = await ctx.services.thresholds.reset(name);
      if (removed) ctx.services.audit({ action: 'alert-threshold-reset', principal: ctx.principal.id, threshold: name });
      return removed;
    },
  }),
}));
