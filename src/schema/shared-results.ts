import {
  getNamedType,
  getOperationAST,
  isLeafType,
  isNonNullType,
  Kind,
  responsePathAsArray,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../events/envelope.js';

/**
 * One GraphQL execution for all the events of a batch. Events published
 * together, such as one deployment's events for a hundred gateways, differ
 * only in what each event gets for itself: id, topic, sequence, position and
 * cursor. A subscription field that opts in (`SHARED_ACROSS_BATCH` in its
 * extensions) has its selection executed once per batch; each event then gets
 * a copy with the fields that read those values replaced.
 *
 * Fields read them through `perEvent`, which records where they sit in the
 * result. The shared execution runs on a view of the event on which reading
 * any of them directly throws, so a field that reads one without saying so
 * makes that execution fail and each event is executed on its own instead:
 * no event can be given another's values.
 */
export const SHARED_ACROSS_BATCH = 'heraldSharedAcrossBatch';

const OWN = new Set<string>(['id', 'topic', 'sequence', 'position', 'cursor']);
const EVENT = Symbol('event');
const PATCHES = Symbol('patches');

type Value = (event: EventEnvelope) => unknown;
type Patch = { readonly path: ReadonlyArray<string | number>; readonly value: Value };
type View = Record<string, unknown> & { [EVENT]: EventEnvelope; [PATCHES]: Patch[] };
/** Where in a result the event's own values go: per key, a deeper level or the value itself. */
type Places = ReadonlyArray<readonly [key: string | number, next: Places | Value]>;
/**
 * The template's text cut at the event's own values: `pieces` around them,
 * `order` which value goes in each gap (their place in `values`). Null when
 * the result is not data alone or its text could not be cut.
 */
type Splice = { readonly pieces: readonly string[]; readonly order: readonly number[]; readonly values: readonly Value[] } | null;
type Template = {
  readonly event: EventEnvelope;
  readonly shared: readonly string[];
  readonly result: ExecutionResult;
  readonly places: Places;
  /** Made for the template's second event. */
  splice?: Splice;
};
type First = { readonly first: EventEnvelope };

/** A resolver for a field whose value is the event's own (its id, topic, sequence, position or cursor). */
export function perEvent<T>(read: (event: EventEnvelope) => T) {
  return (parent: EventEnvelope, _args: unknown, _context: unknown, info: GraphQLResolveInfo): T => {
    const view = parent as unknown as Partial<View>;
    const event = view[EVENT];
    if (!event) return read(parent);
    const type = getNamedType(info.returnType);
    if (!isLeafType(type)) throw new Error(`${info.parentType.name}.${info.fieldName}: only leaf fields can be per event`);
    const required = isNonNullType(info.returnType);
    const value = (e: EventEnvelope) => {
      const raw = read(e);
      if (raw !== null && raw !== undefined) return type.serialize(raw);
      if (required) throw new Error(`${info.parentType.name}.${info.fieldName} is null`);
      return null;
    };
    view[PATCHES]!.push({ path: responsePathAsArray(info.path), value });
    return read(event);
  };
}

/**
 * Results of the events of batches for one operation, kept by the caller for
 * as long as it keeps results at all. `execute` runs the operation with a
 * root value; it gives the result of `event` for the operation.
 */
export function createBatchResults() {
  // Replaced, not cleared, when the caller starts over (see results in transport/use-shared-execution.ts).
  let templates = new Map<unknown, Map<string, Template | First | null>>();
  return {
    resultOf(event: EventEnvelope, operationKey: string, execute: (root: unknown) => ExecutionResult | Promise<ExecutionResult>) {
      const payload = event.payload;
      if (typeof payload !== 'object' || payload === null) return execute(event);
      let byOperation = templates.get(payload);
      if (!byOperation) templates.set(payload, (byOperation = new Map()));
      const known = byOperation.get(operationKey);
      // A template pays off from the second event of a batch on: the first is executed as it is.
      if (known === undefined) {
        byOperation.set(operationKey, { first: event });
        return execute(event);
      }
      if (known === null) return execute(event);
      if ('result' in known) return sameBatch(known, event) ? (filled(known, event) ?? execute(event)) : execute(event);
      const shared = Object.keys(event).filter((key) => !OWN.has(key));
      if (!sameBatch({ event: known.first, shared }, event)) return execute(event);
      const view = viewOf(event);
      const result = execute(view);
      if (result instanceof Promise || result.errors) {
        byOperation.set(operationKey, null);
        return execute(event);
      }
      byOperation.set(operationKey, { event, shared, result, places: placesOf(view[PATCHES]) });
      return result;
    },
    clear: () => {
      templates = new Map();
    },
  };
}

/** The event with its own values hidden behind throwing getters; `perEvent` finds the event itself. */
function viewOf(event: EventEnvelope): View {
  const view = { [EVENT]: event, [PATCHES]: [] } as unknown as View;
  for (const key of Object.keys(event)) {
    if (!OWN.has(key)) view[key] = (event as unknown as Record<string, unknown>)[key];
    else
      Object.defineProperty(view, key, {
        enumerable: true,
        get() {
          throw new Error(`the event's ${key} is its own: read it through perEvent`);
        },
      });
  }
  return view;
}

/** Whether the event has the template event's fields, with the same values but for its own. */
function sameBatch({ event: a, shared }: Pick<Template, 'event' | 'shared'>, b: EventEnvelope): boolean {
  if (Object.keys(b).length !== shared.length + OWN.size) return false;
  for (const key of shared) if ((a as unknown as Record<string, unknown>)[key] !== (b as unknown as Record<string, unknown>)[key]) return false;
  return true;
}

function placesOf(patches: readonly Patch[]): Places {
  const root: Array<[string | number, unknown]> = [];
  for (const { path, value } of patches) {
    let level = root;
    for (const key of ['data', ...path].slice(0, -1)) {
      let entry = level.find(([k]) => k === key);
      if (!entry) level.push((entry = [key, []]));
      level = entry[1] as Array<[string | number, unknown]>;
    }
    level.push([path.at(-1)!, value]);
  }
  return root as unknown as Places;
}

/**
 * The template's result for another event: its text is the template's with
 * the event's own values spliced in, and its data is copied from the
 * template's only if something reads it (the WebSocket path sends the text
 * alone). Undefined if one of the values does not serialize.
 */
function filled(template: Template, event: EventEnvelope): ExecutionResult | undefined {
  try {
    const splice = (template.splice ??= spliceOf(template));
    if (splice === null) return copyFor(template, event);
    const { pieces, order, values } = splice;
    let text = pieces[0]!;
    for (let i = 0; i < order.length; i++) {
      const json = JSON.stringify(values[order[i]!]!(event)) as string | undefined;
      if (json === undefined) return undefined;
      text += json + pieces[i + 1]!;
    }
    return splicedResult(template, event, text);
  } catch {
    return undefined;
  }
}

/** A copy of the template's result with `leaf` of each of the event's own values in its place, copying only the objects on their way. */
function fill(node: unknown, places: Places, leaf: (value: Value) => unknown): unknown {
  const copy = (Array.isArray(node) ? [...node] : { ...(node as object) }) as Record<string | number, unknown>;
  for (const [key, next] of places) copy[key] = typeof next === 'function' ? leaf(next) : fill(copy[key], next, leaf);
  return copy;
}
const copyFor = (template: Template, event: EventEnvelope) => fill(template.result, template.places, (value) => value(event)) as ExecutionResult;

/** Marks the places of the event's own values in a template's text; random, so that no data can hold it. */
const MARK = `~${randomUUID()}~`;
const MARKS = new RegExp(`"${MARK}(\\d+)"`);

/** The template's text cut at the places of the event's own values (see Splice). */
function spliceOf(template: Template): Splice {
  const { result, places } = template;
  if (Object.keys(result).length !== 1 || result.data == null) return null;
  const values: Value[] = [];
  const parts = JSON.stringify(fill(result, places, (value) => `${MARK}${values.push(value) - 1}`)).split(MARKS);
  const pieces = parts.filter((_, i) => i % 2 === 0);
  const order = parts.filter((_, i) => i % 2 === 1).map(Number);
  // Every value in exactly one place, or no splice.
  if (order.length !== values.length || new Set(order).size !== values.length) return null;
  return { pieces, order, values };
}

/**
 * Where a result carries its text as a protocol message sends it: a result
 * made from a template's text is made with it, any other gets it once it is
 * first serialized (transport/use-shared-execution.ts). Not enumerable: a copy
 * of a result (a template's, see fill) must not inherit it.
 */
export const RESULT_TEXT = Symbol('result text');

/**
 * A result whose text was spliced; its data is copied from the template's the
 * first time it is read. A class with one getter for all rather than an object
 * literal with a getter of its own: a getter made per result gave every result
 * its own hidden class in the old generation, which kept the getter's scope,
 * the event and its strings through young collections, so that every
 * delivered event was moved to the old generation.
 */
class SplicedResult {
  readonly #template: Template;
  readonly #event: EventEnvelope;
  readonly #text: string;
  #data: ExecutionResult['data'];
  constructor(template: Template, event: EventEnvelope, text: string) {
    this.#template = template;
    this.#event = event;
    this.#text = text;
    // `data` is its own enumerable property, as on any result, so that copies and JSON carry it.
    Object.defineProperty(this, 'data', SPLICED_DATA);
  }
  get [RESULT_TEXT](): string {
    return this.#text;
  }
  static data(result: SplicedResult): ExecutionResult['data'] {
    return (result.#data ??= copyFor(result.#template, result.#event).data);
  }
}
/** One descriptor, and so one getter, for every spliced result: they share their hidden class. */
const SPLICED_DATA: PropertyDescriptor = {
  enumerable: true,
  get(this: SplicedResult) {
    return SplicedResult.data(this);
  },
};

function splicedResult(template: Template, event: EventEnvelope, text: string): ExecutionResult {
  return new SplicedResult(template, event, text) as ExecutionResult;
}

/** Whether the subscription's root field opted in (see SHARED_ACROSS_BATCH). */
export function sharedAcrossBatch(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): boolean {
  const [root] = getOperationAST(document, operationName)?.selectionSet.selections ?? [];
  if (root?.kind !== Kind.FIELD) return false;
  return schema.getSubscriptionType()?.getFields()[root.name.value]?.extensions[SHARED_ACROSS_BATCH] === true;
}
