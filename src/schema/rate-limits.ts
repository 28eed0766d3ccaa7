import { badInput } from '../errors.js';
import type { RuleEntry } from '../ratelimit/rules.js';
import { checkField } from '../ratelimit/rules.js';
import { setRateLimitInput } from '../ratelimit/input.js';
import { parseInput } from '../input.js';
import { builder } from './builder.js';
import { rootFieldsOf } from './root-fields.js';

const RateLimitSource = builder.enumType('RateLimitSource', {
  description: 'Where a rule comes from: built in, RATE_LIMITS_FILE, or set live with setRateLimit.',
  values: ['DEFAULT', 'FILE', 'LIVE'] as const,
});

const RateLimitRef = builder.objectRef<RuleEntry>('RateLimit').implement({
  description: 'At most `max` calls of `field` per client in any sliding window of `windowSeconds`; `burst` more when the client was quiet the window before.',
  fields: (t) => ({
    field: t.exposeString('field', { description: 'Type.field, or Type.* for every field of a root type without its own rule.' }),
    max: t.exposeInt('max'),
    windowSeconds: t.exposeInt('windowSeconds'),
    burst: t.exposeInt('burst'),
    source: t.field({ type: RateLimitSource, resolve: (r) => r.source }),
  }),
});

const SetRateLimitInput = builder.inputType('SetRateLimitInput', {
  fields: (t) => ({
    field: t.string({ required: true, description: 'e.g. Mutation.createTask, Subscription.taskEvents or Mutation.*' }),
    max: t.int({ required: true }),
    windowSeconds: t.int({ required: true }),
    burst: t.int({ required: false, description: 'Defaults to 0.' }),
  }),
});

builder.queryFields((t) => ({
  rateLimits: t.field({
    type: [RateLimitRef],
    description: 'The rate-limit rules in force on this instance (every instance holds the same within a second of a change).',
    authScopes: { admin: true },
    resolve: (_r, _a, ctx) => ctx.services.rateLimits.rules(),
  }),
}));

builder.mutationFields((t) => ({
  setRateLimit: t.field({
    type: RateLimitRef,
    description: 'Sets a rule live on every instance, without a restart; it outlives restarts in Redis mode.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: SetRateLimitInput, required: true }) },
    resolve: async (_r, { input }, ctx, info) => {
      const { field, max, windowSeconds, burst } = parseInput(setRateLimitInput, input);
      const problem = checkField(field, rootFieldsOf(info.schema));
      if (problem) throw badInput('field', problem);
      const rule = await ctx.services.rateLimits.set(field, { max, windowSeconds, burst });
      ctx.services.audit({ action: 'rate-limit-set', principal: ctx.principal.id, field, max: rule.max, windowSeconds: rule.windowSeconds, burst: rule.burst });
      return rule;
    },
  }),
  resetRateLimit: t.field({
    type: 'Boolean',
    description: 'Drops a live rule, so the file or built-in rule applies again; false when there was none.',
    authScopes: { admin: true },
    args: { field: t.arg.string({ required: true }) },
    resolve: async (_r, { field }, ctx) => {
      const removed = await ctx.services.rateLimits.reset(field);
      if (removed) ctx.services.audit({ action: 'rate-limit-reset', principal: ctx.principal.id, field });
      return removed;
    },
  }),
}));
