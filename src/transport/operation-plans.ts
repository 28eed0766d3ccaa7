import type { DocumentNode, GraphQLSchema } from 'graphql';

/** A query or mutation known to pass parsing and validation, ready to run. */
export type Plan = { readonly schema: GraphQLSchema; readonly document: DocumentNode };

/** Plans kept at most; past it the oldest goes (a client sending endless distinct documents only costs the pipeline). */
const MAX_PLANS = 1000;

/** Introspection is validated per caller (useIntrospectionGuard): such documents always take the full pipeline. */
const INTROSPECTION = /__(schema|type)\b/;

/**
 * Operations by their text and name, once they have been through Yoga's
 * pipeline. What that pipeline checks of a document's text (parsing, the
 * query limits, validation) is the same for every request that sends it, so
 * a document that passed once needs only what is decided per request (see
 * graphql-post.ts). Services send the same few mutations again and again.
 */
/** An absent name and an empty one differ (the latter names no operation), so they key apart. */
const nameKey = (operationName: string | null | undefined) => (operationName == null ? '' : `=${operationName}`);

export function createPlans() {
  const plans = new Map<string, Map<string, Plan>>();
  let size = 0;
  return {
    get(query: string, operationName: string | null | undefined): Plan | undefined {
      return plans.get(query)?.get(nameKey(operationName));
    },
    /** A document that passed parsing and validation, and is not a subscription. */
    offer(query: string, operationName: string | null | undefined, plan: Plan): void {
      const name = nameKey(operationName);
      if (INTROSPECTION.test(query) || plans.get(query)?.has(name)) return;
      if (size >= MAX_PLANS) {
        const [oldest, names] = plans.entries().next().value!;
        plans.delete(oldest);
        size -= names.size;
      }
      let byName = plans.get(query);
      if (!byName) plans.set(query, (byName = new Map()));
      byName.set(name, plan);
      size++;
    },
  };
}
