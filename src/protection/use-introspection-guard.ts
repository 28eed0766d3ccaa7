import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/principal.js';
import { hasScope } from '../auth/scopes.js';

/**
 * In production only the admin and principals with the `console` scope
 * (GraphiQL's users) may introspect the schema. Validation runs before the
 * GraphQL context is built, so the principal is looked up from what the
 * transport attached (the HTTP request, or the socket's initial context).
 */
export function useIntrospectionGuard(principalOf: (initialContext: Record<string, unknown>) => Principal | undefined): Plugin {
  return {
    onValidate({ addValidationRule, context }) {
      const principal = principalOf(context as Record<string, unknown>);
      if (!principal || !hasScope(principal, 'console')) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
