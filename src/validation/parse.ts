import type { z } from 'zod';
import { badInput } from '../errors.js';
import { identifier } from '../input.js';

/**
 * Runs an input schema and returns what it parsed. The first problem becomes
 * the error clients already know: BAD_USER_INPUT with `extensions.field`
 * naming the field and a message that starts with it. List positions are left
 * out of the name (`gatewayIds`, not `gatewayIds.3`); nested inputs are dotted.
 */
export function parseInput<S extends z.ZodTypeAny>(schema: S, value: unknown, whole = 'input'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw badInput(fieldOf(issue.path) || whole, issue.message);
}

/** An `ID` argument, which GraphQL hands over as a string or a number: an identifier, named `field` in errors. */
export function parseId(value: string | number, field: string): string {
  return parseInput(identifier, String(value), field);
}

const fieldOf = (path: ReadonlyArray<string | number>) => path.filter((part) => typeof part === 'string').join('.');
