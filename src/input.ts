import { z } from './zod.js';
import { badInput } from './errors.js';

/** `message` for a value of the wrong type, while a missing one keeps its usual wording ("Required"). */
export const typeError = (message: string) => ({
  error: (issue: { readonly input?: unknown }) => (issue.input === undefined ? undefined : message),
});

/**
 * v4 refuses ±Infinity (which YAML files can hold) as not a number, where v3
 * let the next check word it: `message` is that check's message.
 */
export const notFinite = (message: string) => ({
  error: (issue: { readonly input?: unknown }) => (typeof issue.input === 'number' && !Number.isNaN(issue.input) ? message : undefined),
});


/**
 * Rules for single fields of client input. Input schemas are built from these,
 * so each kind of value (a repository name, a host, a key) is checked the same
 * way wherever it arrives. Messages follow the field name in the error a
 * client sees ("title: must be 1-500 characters"), so they read as a predicate.
 */

/** Lengths of free text; names, ids and keys carry their length in their pattern. */
export const LIMITS = {
  title: 500,
  description: 10_000,
  assignee: 200,
  message: 2000,
  callbackUrl: 2048,
  principalId: 256,
  clientName: 100,
  pageSize: 1000,
  /** A year and a day: far enough for any real deadline, near enough that the log can drop the event. */
  expiryMs: 366 * 24 * 3600 * 1000,
} as const;

// C0, DEL and C1 controls: they break log lines and terminals and can hide text.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Multi-line text keeps tab, line feed and carriage return.
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** A string field; a missing one only shows for bodies that are not GraphQL-typed (REST). */
const string = () => z.string({ error: 'must be a string' });

const NO_CONTROL = 'must not contain control characters';

export const REPOSITORY_PATTERN = /^[A-Za-z0-9._/-]{1,200}$/;
export const REPOSITORY_RULE = 'must be 1-200 characters of letters, digits, ".", "_", "/" or "-"';
export const repository = string().regex(REPOSITORY_PATTERN, REPOSITORY_RULE);

/** A repository, or "*" for every repository the caller may read. */
export const repositoryOrAll = string().refine((value) => value === '*' || REPOSITORY_PATTERN.test(value), REPOSITORY_RULE);

/** Names people give to gateways, API keys and CLI endpoints. */
export const displayName = string().regex(/^[\p{L}\p{N} ._:/-]{1,100}$/u, 'must be 1-100 letters, digits, spaces or . _ : / -');

/** Ids Herald issues (ULIDs) and ids clients choose for their own things (apiId, revisionId). */
export const identifier = string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of letters, digits, . _ : -');

/** Correlation ids and idempotency keys: opaque to Herald, printable so they can be logged as they are. */
export const key = string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces');

/** A virtual host, optionally with a port. */
export const host = string().refine(
  (value) => /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(value),
  { error: (issue) => `"${String(issue.input).slice(0, 50)}" is not a host name` },
);

export const title = string()
  .refine((value) => value.trim().length > 0 && value.length <= LIMITS.title, `must be 1-${LIMITS.title} characters`)
  .refine((value) => !CONTROL.test(value), NO_CONTROL);

/** Free single-line text of at most `max` characters (may be empty). */
export const line = (max: number) =>
  string()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL.test(value), NO_CONTROL);

/** Free text of at most `max` characters where line breaks and tabs are fine. */
export const text = (max: number) =>
  string()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL_BUT_LINES.test(value), NO_CONTROL);

export const description = text(LIMITS.description);
export const assignee = line(LIMITS.assignee);

/** A message an operator sends to connections. */
export const message = string()
  .refine((value) => value.length >= 1 && value.length <= LIMITS.message, `must be 1-${LIMITS.message} characters`)
  .refine((value) => !CONTROL_BUT_LINES.test(value), NO_CONTROL);

/** Orders records by id: ids are ULIDs, so this is creation order, and the same in every backend. */
export const byId = (a: { readonly id: string }, b: { readonly id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Dotted versions with an optional pre-release or build suffix (1.2.3, 1.2.3-rc.1, 1.2.3+build.5). */
export const VERSION_PATTERN = /^\d{1,9}\.\d{1,9}\.\d{1,9}(?:[-+][0-9A-Za-z.+-]{0,50})?$/;
export const version = string().regex(VERSION_PATTERN, 'must be a version like 1.2.3');

/** The name a client gives itself (`clientName`): letters, digits and . _ - / @, as package names have. */
export const clientName = string().regex(/^[A-Za-z0-9._/@-]{1,100}$/, 'must be 1-100 letters, digits or . _ - / @');

/** The version a client states (`clientVersion`); whether it is recent enough is decided apart. */
export const clientVersion = string().regex(/^[0-9A-Za-z.+_-]{1,50}$/, 'must be 1-50 letters, digits or . + _ -');

/**
 * What is wrong with how a client names itself in `connection_init`, as
 * "field: problem" (one line, short enough for a close reason); undefined
 * when nothing is. Absent, null or empty values are not given.
 */
export function clientIdentityProblem(given: { readonly clientName?: unknown; readonly clientVersion?: unknown }): string | undefined {
  for (const [field, rule] of [
    ['clientName', clientName],
    ['clientVersion', clientVersion],
  ] as const) {
    const value = given[field];
    if (value === undefined || value === null || value === '') continue;
    const parsed = rule.safeParse(value);
    if (!parsed.success) return `${field}: ${parsed.error.issues[0]!.message}`;
  }
  return undefined;
}

/**
 * The shape of a push URL. Whether Herald may reach it (scheme, host,
 * addresses) is the SSRF policy's call, at registration and at every delivery.
 */
export const callbackUrl = string().refine(
  (value) => value.length >= 1 && value.length <= LIMITS.callbackUrl && !/[\s\u0000-\u001f\u007f-\u009f]/.test(value),
  `must be 1-${LIMITS.callbackUrl} characters without spaces or control characters`,
);

/** `first`, `limit`: how many items a page holds. */
const PAGE_SIZE_RULE = `must be 1-${LIMITS.pageSize}`;
export const pageSize = z
  .number({ error: PAGE_SIZE_RULE })
  .int(PAGE_SIZE_RULE)
  .min(1, PAGE_SIZE_RULE)
  .max(LIMITS.pageSize, PAGE_SIZE_RULE);

/** A list of `rule` with 1-`max` items; `counted` is the message for a wrong count. */
export const list = <T extends z.ZodType>(rule: T, max: number, counted: string) =>
  z
    .array(rule, { error: 'must be a list of strings' })
    .min(1, counted)
    .max(max, counted);


/** When an event stops being worth delivering: in the future, at most a year ahead. */
export const expiresAt = z.date().refine((date) => {
  const now = Date.now();
  return date.getTime() > now && date.getTime() <= now + LIMITS.expiryMs;
}, 'must be in the future, at most a year ahead');

/** A field that may be left out but, when given, may not be null. */
export const notClearable = <T extends z.ZodType>(rule: T) =>
  // The check rules out null, which the schema's type cannot say by itself.
  rule.nullish().refine((value) => value !== null, 'cannot be cleared') as unknown as z.ZodOptional<T>;

/**
 * Free-form JSON a client hands in (a gateway configuration, an event
 * payload), within bounds its room sets: the size of what can travel in one
 * event, and a depth that keeps every later walk of the value (serializing,
 * copying, a client parsing it) far from the stack limit.
 */
export type JsonLimits = { readonly maxBytes: number; readonly maxDepth: number };

/** What is wrong with `value` as bounded JSON, or undefined when nothing is. */
function jsonProblem(value: unknown, limits: JsonLimits): string | undefined {
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
export const jsonValue = (limits: JsonLimits) =>
  z.unknown().superRefine((value, ctx) => {
    const problem = jsonProblem(value, limits);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * Runs an input schema and returns what it parsed. The first problem becomes
 * the error clients already know: BAD_USER_INPUT with `extensions.field`
 * naming the field and a message that starts with it. List positions are left
 * out of the name (`gatewayIds`, not `gatewayIds.3`); nested inputs are dotted.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, whole = 'input'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw badInput(fieldOf(issue.path) || whole, issue.message);
}

/** An `ID` argument, which GraphQL hands over as a string or a number: an identifier, named `field` in errors. */
export function parseId(value: string | number, field: string): string {
  return parseInput(identifier, String(value), field);
}

const fieldOf = (path: ReadonlyArray<PropertyKey>) => path.filter((part) => typeof part === 'string').join('.');
