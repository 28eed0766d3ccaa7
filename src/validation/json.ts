import { z } from 'zod';
import { MAX_EVENT_BYTES } from '../events/envelope.js';

/**
 * Free-form JSON a client hands in (a gateway configuration). The size bound
 * is the event size limit: the value travels inside one event, so anything
 * larger could never be published. The depth bound keeps every later walk of
 * the value (serializing, copying, a gateway parsing it) far from the stack
 * limit; real configurations nest a dozen levels at most.
 */
export const JSON_LIMITS = { maxBytes: MAX_EVENT_BYTES, maxDepth: 20 } as const;

type Limits = { readonly maxBytes: number; readonly maxDepth: number };

/** What is wrong with `value` as bounded JSON, or undefined when nothing is. */
function jsonProblem(value: unknown, limits: Limits = JSON_LIMITS): string | undefined {
  const shape = shapeProblem(value, limits.maxDepth);
  if (shape) return shape;
  // Depth is bounded by now, so serializing cannot overflow the stack.
  if (Buffer.byteLength(JSON.stringify(value)) > limits.maxBytes) return `must be at most ${limits.maxBytes} bytes as JSON`;
  return undefined;
}

/** Walks no deeper than `maxDepth` + 1, so a hostile value costs no more than an allowed one. */
function shapeProblem(value: unknown, maxDepth: number, depth = 0): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'must be JSON (finite numbers only)';
  if (typeof value !== 'object') return 'must be JSON';
  if (depth === maxDepth) return `must nest at most ${maxDepth} levels of objects and lists`;
  const children = Array.isArray(value) ? value : Object.values(value);
  for (const child of children) {
    const problem = shapeProblem(child, maxDepth, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

/** Any JSON value within the bounds; the value itself is passed on untouched. */
export const jsonValue = (limits: Limits = JSON_LIMITS) =>
  z.unknown().superRefine((value, ctx) => {
    const problem = jsonProblem(value, limits);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });
