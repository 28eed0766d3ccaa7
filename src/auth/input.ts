import { z } from '../zod.js';
import { isScope, SCOPES } from './scopes.js';
import { displayName, typeError } from '../input.js';

const scopes = z
  .array(z.string(typeError('must be a list of strings')), typeError('must be a list of strings'))
  .superRefine((given, ctx) => {
    // Named all at once (up to ten) so a caller fixes them in one go.
    const unknown = given.filter((s) => !isScope(s));
    if (unknown.length > 0) {
      const named = unknown.slice(0, 10).map((s) => s.slice(0, 50)).join(', ');
      ctx.addIssue({ code: 'custom', message: `unknown scope(s): ${named}; known: ${SCOPES.join(', ')}, channel:<name>:read, channel:<name>:publish (<name> may be *)` });
    }
  })
  // Every entry is known by now; the filter only tells the type checker so.
  .transform((given) => given.filter(isScope));

/** An empty scope list is allowed: such a key authenticates but may do nothing. */
export const createApiKeyInput = z.object({ name: displayName, scopes });
