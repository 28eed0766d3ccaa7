import {
  Kind,
  parse,
  print,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

/** A document the SDK can send: a typed document from codegen, any DocumentNode, or its text. */
export type Operation<TData = Record<string, unknown>, TVariables = Record<string, unknown>> = TypedDocumentNode<TData, TVariables> | DocumentNode | string;

/** What the SDK needs to know of an operation to send it, resume it and poll for it. */
export type AnalyzedOperation = {
  readonly document: DocumentNode;
  readonly query: string;
  readonly operationName: string | undefined;
  readonly kind: 'query' | 'mutation' | 'subscription';
  /** The first root field (subscriptions have exactly one). */
  readonly rootField: string;
  /** Alias or name: the key of the root field in `data`. */
  readonly rootKey: string;
  /** Declares `$after`, so it can resume after a cursor. */
  readonly resumable: boolean;
  /** The root field's arguments, given the variables. */
  args(variables: Record<string, unknown>): Record<string, unknown>;
  /** The root field's selection, with the document's fragments, for shaping polled events. */
  readonly selection: SelectionSetNode | undefined;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
};

const cache = new WeakMap<object, AnalyzedOperation>();
const textCache = new Map<string, AnalyzedOperation>();

export function analyze(operation: Operation<unknown, unknown>): AnalyzedOperation {
  if (typeof operation === 'string') {
    let found = textCache.get(operation);
    if (!found) {
      found = build(parse(operation), operation);
      if (textCache.size > 500) textCache.clear();
      textCache.set(operation, found);
    }
    return found;
  }
  let found = cache.get(operation);
  if (!found) cache.set(operation, (found = build(operation, print(operation))));
  return found;
}

function build(document: DocumentNode, query: string): AnalyzedOperation {
  const definition = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!definition) throw new Error('the document has no operation');
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d] as const),
  );
  const root = definition.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  if (!root || root.kind !== Kind.FIELD) throw new Error('the operation selects no field');
  return {
    document,
    query,
    operationName: definition.name?.value,
    kind: definition.operation as AnalyzedOperation['kind'],
    rootField: root.name.value,
    rootKey: root.alias?.value ?? root.name.value,
    resumable: definition.variableDefinitions?.some((v) => v.variable.name.value === 'after') ?? false,
    args: (variables) => Object.fromEntries((root.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value, variables)])),
    selection: root.selectionSet,
    fragments,
  };
}

/**
 * Shapes an object to a selection set as a GraphQL server would: aliases,
 * nested selections, fragments (matched on `__typename`, or on the abstract
 * types that contain it) and `__typename`.
 */
export function project(
  value: unknown,
  selection: SelectionSetNode | undefined,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  abstractTypes: Readonly<Record<string, readonly string[] | '*'>> = {},
): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((item) => project(item, selection, fragments, abstractTypes));
  if (!selection || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const typename = typeof source.__typename === 'string' ? source.__typename : undefined;
  const matches = (condition: string | undefined) =>
    condition === undefined || typename === undefined || condition === typename || abstractTypes[condition] === '*' || (abstractTypes[condition]?.includes(typename) ?? false);
  const out: Record<string, unknown> = {};
  const visit = (set: SelectionSetNode) => {
    for (const node of set.selections) {
      if (node.kind === Kind.FIELD) {
        const name = node.name.value;
        const key = node.alias?.value ?? name;
        const child = source[name];
        const shaped = project(child, node.selectionSet, fragments, abstractTypes);
        if (node.selectionSet && out[key] && typeof out[key] === 'object' && shaped && typeof shaped === 'object') Object.assign(out[key] as object, shaped);
        else out[key] = shaped ?? null;
      } else if (node.kind === Kind.INLINE_FRAGMENT) {
        if (matches(node.typeCondition?.name.value)) visit(node.selectionSet);
      } else {
        const fragment = fragments.get(node.name.value);
        if (fragment && matches(fragment.typeCondition.name.value)) visit(fragment.selectionSet);
      }
    }
  };
  visit(selection);
  return out;
}
