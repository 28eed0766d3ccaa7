import { badInput } from '../errors.js';
import type { EventEnvelope } from '../events/envelope.js';

/**
 * `where` on channel subscriptions: equality (`{ "sensorId": "s-12" }`) and
 * `in` (`{ "severity": ["high", "critical"] }`) on top-level payload fields,
 * every field to match. Values are strings, numbers, booleans or null.
 *
 * Filters are compiled once per distinct filter, whatever the order of its
 * fields, and shared by every subscription that uses it; each remembers its
 * verdict on the last event, so an event fanned out to many subscribers with
 * one filter is looked at once.
 */
export type EventFilter = (event: EventEnvelope) => boolean;

const MAX_FIELDS = 20;
const MAX_VALUES = 100;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const SHAPE = 'must be an object of payload fields to a value or a list of values, e.g. { "severity": ["high", "critical"], "sensorId": "s-12" }';

type Scalar = string | number | boolean | null;
const isScalar = (value: unknown): value is Scalar => value === null || ['string', 'number', 'boolean'].includes(typeof value);
/** One key per JSON value, so `1` and `"1"` stay apart. */
const keyOf = (value: Scalar) => `${typeof value}:${String(value)}`;

/** Checks a `where` argument's shape; returns it with its fields in order, to compare and compile. */
export function parseWhere(where: unknown): Array<[string, Scalar[]]> {
  if (typeof where !== 'object' || where === null || Array.isArray(where)) throw badInput('where', SHAPE);
  const fields = Object.entries(where as Record<string, unknown>);
  if (fields.length === 0 || fields.length > MAX_FIELDS) throw badInput('where', `must name 1-${MAX_FIELDS} fields`);
  return fields
    .map(([field, value]): [string, Scalar[]] => {
      if (!FIELD.test(field)) throw badInput('where', `"${field.slice(0, 64)}" is not a payload field name (letters, digits and _)`);
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0 || values.length > MAX_VALUES) throw badInput('where', `${field} must list 1-${MAX_VALUES} values`);
      if (!values.every(isScalar)) throw badInput('where', `${field}: ${SHAPE}`);
      return [field, values as Scalar[]];
    })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Filters in use, by their canonical text; bounded, since clients choose them. */
export function createFilters(maxKept = 1_000) {
  const kept = new Map<string, EventFilter>();
  return {
    /** The filter for a `where` argument (BAD_USER_INPUT when it is not the documented shape). */
    of(where: unknown): EventFilter {
      const fields = parseWhere(where);
      const canonical = JSON.stringify(fields);
      let filter = kept.get(canonical);
      if (!filter) {
        filter = compile(fields);
        if (kept.size >= maxKept) kept.delete(kept.keys().next().value!);
        kept.set(canonical, filter);
      }
      return filter;
    },
    size: () => kept.size,
  };
}

function compile(fields: ReadonlyArray<[string, Scalar[]]>): EventFilter {
  const tests = fields.map(([field, values]) => [field, new Set(values.map(keyOf))] as const);
  let lastEvent: EventEnvelope | undefined;
  let lastVerdict = false;
  return (event) => {
    if (event === lastEvent) return lastVerdict;
    const payload = event.payload;
    let verdict = typeof payload === 'object' && payload !== null && !Array.isArray(payload);
    for (let i = 0; verdict && i < tests.length; i++) {
      const [field, allowed] = tests[i]!;
      const value = (payload as Record<string, unknown>)[field];
      verdict = isScalar(value) && allowed.has(keyOf(value));
    }
    lastEvent = event;
    lastVerdict = verdict;
    return verdict;
  };
}
