import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../schema/context.js';

/** In production only admins may introspect the schema. */
export function useIntrospectionGuard(): Plugin<Context> {
  return {
    onValidate({ addValidationRule, context }) {
      if (context.principal?.kind !== 'admin') addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
