import type { GraphQLSchema } from 'graphql';
import type { RootFields } from '../ratelimit/rules.js';

/** The root fields of a schema, for rules that name them (rate limits). */
export function rootFieldsOf(schema: GraphQLSchema): RootFields {
  return (type) => {
    const root = type === 'Query' ? schema.getQueryType() : type === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    return Object.keys(root?.getFields() ?? {});
  };
}
