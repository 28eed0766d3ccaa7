import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from '../zod.js';
import { notFinite } from '../input.js';

/**
 * A limit on one operation field per client: at most `max` calls in any
 * sliding window of `windowSeconds`. A client that was quiet in the window
 * before may go up to `burst` calls above `max`, as long as its calls over
 * the last two windows stay within `2 × max`: a burst is borrowed from the
 * quiet window, not a higher rate.
 */
export type Rule = { readonly max: number; readonly windowSeconds: number; readonly burst: number };

type RuleSource = 'DEFAULT' | 'FILE' | 'LIVE';

export type RuleEntry = Rule & { readonly field: string; readonly source: RuleSource };

/**
 * Every mutation and every subscription start is limited unless a rule says
 * otherwise, and so is polling the log (`events`), the one query whose cost
 * grows with its arguments (up to EVENTS_MAX_TOPICS topics and 1000 events):
 * five reads a second on average, a client polling every second with room to
 * spare.
 */
const DEFAULT_RULES: Readonly<Record<string, Rule>> = {
  'Mutation.*': { max: 600, windowSeconds: 60, burst: 120 },
  'Subscription.*': { max: 120, windowSeconds: 60, burst: 60 },
  'Query.events': { max: 300, windowSeconds: 60, burst: 60 },
};

/** Kept small enough that the exact window of one client stays cheap in Redis. */
const MAX_RULE_LIMIT = 100_000;
const MAX_WINDOW_SECONDS = 86_400;

/** Infinity, which a YAML file can hold, is worded as a fraction is. */
const INTEGER = notFinite('Expected integer, received float');

export const ruleSchema = z
  .object({
    max: z.number(INTEGER).int().min(1, 'must be at least 1').max(MAX_RULE_LIMIT, `must be at most ${MAX_RULE_LIMIT}`),
    windowSeconds: z.number(INTEGER).int().min(1, 'must be at least 1').max(MAX_WINDOW_SECONDS, `must be at most ${MAX_WINDOW_SECONDS}`),
    burst: z.number(INTEGER).int().min(0, 'must be at least 0').max(MAX_RULE_LIMIT, `must be at most ${MAX_RULE_LIMIT}`).default(0),
  })
  .strict();

const FIELD = /^(Query|Mutation|Subscription)\.([A-Za-z_][A-Za-z0-9_]{0,99}|\*)$/;
const SHAPE = 'must be Query.<field>, Mutation.<field> or Subscription.<field>, or <Type>.* for all of them';

export type RootType = 'Query' | 'Mutation' | 'Subscription';
/** The fields of a root type of the schema in force (the schema is the GraphQL face's to know). */
export type RootFields = (type: RootType) => readonly string[];

/** "Type.field" of a root field the schema has, or "Type.*" for every field of a root type. */
export function checkField(field: string, rootFields: RootFields): string | undefined {
  const match = FIELD.exec(field);
  if (!match) return SHAPE;
  if (match[2] !== '*' && !rootFields(match[1] as RootType).includes(match[2]!)) return `${match[1]} has no field ${match[2]}`;
  return undefined;
}

/** The fields of rules read from a file that the schema lacks, as one line naming the first; undefined when all exist. */
export function unknownRuleField(path: string, rules: Readonly<Record<string, Rule>>, rootFields: RootFields): string | undefined {
  for (const field of Object.keys(rules)) {
    const problem = checkField(field, rootFields);
    if (problem) return `RATE_LIMITS_FILE ${path}: ${field} ${problem}`;
  }
  return undefined;
}

/** The rule for a field (`Type.field`): its own, else its type's `Type.*`, else none. */
export function ruleFor(rules: ReadonlyMap<string, RuleEntry>, field: string): RuleEntry | undefined {
  return rules.get(field) ?? rules.get(`${field.slice(0, field.indexOf('.'))}.*`);
}

/** Defaults, then the file, then live changes: a later layer replaces a field's rule. */
export function mergeRules(file: Readonly<Record<string, Rule>>, live: Readonly<Record<string, Rule>>): Map<string, RuleEntry> {
  const merged = new Map<string, RuleEntry>();
  const layer = (rules: Readonly<Record<string, Rule>>, source: RuleSource) => {
    for (const [field, rule] of Object.entries(rules)) merged.set(field, { field, source, ...rule });
  };
  layer(DEFAULT_RULES, 'DEFAULT');
  layer(file, 'FILE');
  layer(live, 'LIVE');
  return merged;
}

/**
 * Reads RATE_LIMITS_FILE: a YAML or JSON map of field to rule, e.g.
 * `Mutation.createTask: { max: 100, windowSeconds: 60, burst: 20 }`.
 * Throws one line naming the file and the first problem. Whether each field
 * exists is checked against the schema when the server is built
 * (`unknownRuleField`).
 */
export function loadRulesFile(path: string): Record<string, Rule> {
  let raw: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`RATE_LIMITS_FILE ${path}: ${(err as Error).message.split('\n', 1)[0]}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`RATE_LIMITS_FILE ${path}: must be a map of field to { max, windowSeconds, burst }`);
  const rules: Record<string, Rule> = {};
  for (const [field, value] of Object.entries(raw)) {
    if (!FIELD.test(field)) throw new Error(`RATE_LIMITS_FILE ${path}: ${field} ${SHAPE}`);
    const parsed = ruleSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`RATE_LIMITS_FILE ${path}: ${field}.${issue.path.join('.') || 'rule'} ${issue.message}`);
    }
    rules[field] = parsed.data;
  }
  return rules;
}
