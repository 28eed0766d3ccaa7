import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { hasScope, type Scope } from '../auth/scopes.js';
import { HeraldError } from '../errors.js';
import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';
import type { Context } from './context.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: { DateTime: { Input: Date; Output: Date | string }; JSON: { Input: unknown; Output: unknown } };
  DefaultFieldNullability: false;
  AuthScopes: { admin: boolean; scope: Scope };
}>({
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin],
  scopeAuth: {
    // Checked once when a subscription starts, not per event: events are shared between subscribers.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      // Anonymous callers exist only in development, where they may do everything.
      admin: ctx.principal.kind === 'admin' || ctx.principal.kind === 'anonymous',
      scope: (scope) => hasScope(ctx.principal, scope),
    }),
    unauthorizedError: (_parent, _ctx, info, result) =>
      new HeraldError('FORBIDDEN', `Not allowed: ${info.parentType.name}.${info.fieldName} needs ${needed(result.failure)}`),
  },
});

function needed(failure: { kind: string; scope?: string; parameter?: unknown; failures?: unknown[] }): string {
  if (failure.kind === 'AuthScope' && failure.scope === 'scope') return `scope ${String(failure.parameter)}`;
  if (failure.kind === 'AuthScope' && failure.scope === 'admin') return 'admin rights';
  return 'more rights';
}

const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant in time, as an ISO-8601 string in UTC.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? parseDate(ast.value) : invalidDate()),
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  return Number.isNaN(date.getTime()) ? invalidDate() : date;
}

function invalidDate(): never {
  throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
}

builder.addScalarType('DateTime', DateTime);
builder.addScalarType(
  'JSON',
  new GraphQLScalarType({
    name: 'JSON',
    description: 'Any JSON value.',
    serialize: (value) => value,
    parseValue: (value) => value,
    parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
  }),
);
builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
