import { z } from '../zod.js';
import { ruleSchema } from './rules.js';

/** setRateLimit's input: the rule's numbers; the field is checked against the schema where it is known. */
export const setRateLimitInput = z.object({
  field: z.string().min(1, 'must name a field').max(200, 'must be at most 200 characters'),
  max: ruleSchema.shape.max,
  windowSeconds: ruleSchema.shape.windowSeconds,
  burst: z.number().nullish().transform((v) => v ?? 0).pipe(ruleSchema.shape.burst.unwrap()),
});
