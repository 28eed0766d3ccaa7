import { getOperationAST, GraphQLError, Kind, type DocumentNode, type ExecutionArgs, type ExecutionResult, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { hasScope } from '../auth/scopes.js';
import type { Principal } from '../auth/principal.js';
import type { RateClient, RateLimiter, RateRefusal } from '../ratelimit/limiter.js';

/** What the limiter needs from an operation's context. */
type Caller = { readonly principal: Principal; readonly clientIp: string; readonly connectionId: string | undefined };

/** Anonymous callers share nothing but their address; everyone else is counted by principal. */
export function rateClient(principal: Principal, ip: string): RateClient {
  return {
    identity: principal.kind === 'anonymous' ? `ip:${ip}` : principal.id,
    ip,
    bypass: hasScope(principal, 'ratelimit:bypass'),
  };
}

export function rateLimitedError(refusal: RateRefusal, overHttp: boolean): GraphQLError {
  const { field, rule, retryAfterSeconds } = refusal;
  return new GraphQLError(`Rate limit exceeded for ${field}: at most ${rule.max} per ${rule.windowSeconds} s; retry in ${retryAfterSeconds} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      field,
      retryAfter: retryAfterSeconds,
      // Yoga turns this into the response status and header, and leaves it out of the body.
      ...(overHttp ? { http: { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } } } : {}),
    },
  });
}

/**
 * Limits every operation by its root fields before it runs, over HTTP and
 * WebSocket alike (both execute and subscribe through envelop). Aliases of one
 * field count once each, so a batch of aliased mutations cannot slip past.
 */
export function useRateLimits(limiter: RateLimiter): Plugin<Caller> {
  const limit = ({ args, setResultAndStopExecution }: { args: ExecutionArgs & { contextValue: Caller }; setResultAndStopExecution: (result: ExecutionResult) => void }) =>
    checkRateLimits(limiter, args.document, args.operationName, args.contextValue)?.then((refused) => {
      if (refused) setResultAndStopExecution({ errors: [refused] });
    });
  return { onExecute: limit, onSubscribe: limit };
}

/**
 * The refusal of an operation by the rate limits of its root fields, if any.
 * Returns a promise only when a rule applies: an operation no rule covers
 * goes on in the same tick.
 */
export function checkRateLimits(limiter: RateLimiter, document: DocumentNode, operationName: string | null | undefined, caller: Caller): Promise<GraphQLError | null> | undefined {
  const fields = rootFields(document, operationName);
  if (fields.size === 0) return undefined;
  return limiter.check(rateClient(caller.principal, caller.clientIp), fields)?.then((refusal) => (refusal ? rateLimitedError(refusal, caller.connectionId === undefined) : null));
}

const cache = new WeakMap<DocumentNode, Map<string, ReadonlyMap<string, number>>>();

/** `Type.field` → how often the operation calls it at its root; computed once per parsed document. */
function rootFields(document: DocumentNode, operationName: string | null | undefined): ReadonlyMap<string, number> {
  let byName = cache.get(document);
  if (!byName) cache.set(document, (byName = new Map()));
  const name = operationName ?? '';
  let fields = byName.get(name);
  if (fields) return fields;
  // Selections with the same response name merge into one call; aliases are separate calls.
  const calls = new Map<string, Set<string>>();
  const operation = getOperationAST(document, operationName);
  if (operation) {
    const type = operation.operation === 'query' ? 'Query' : operation.operation === 'mutation' ? 'Mutation' : 'Subscription';
    const fragments = new Map(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d.selectionSet]));
    const visit = (set: SelectionSetNode, seen: Set<string>) => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          const key = `${type}.${selection.name.value}`;
          let names = calls.get(key);
          if (!names) calls.set(key, (names = new Set()));
          names.add(selection.alias?.value ?? selection.name.value);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          visit(selection.selectionSet, seen);
        } else if (!seen.has(selection.name.value)) {
          seen.add(selection.name.value);
          const fragment = fragments.get(selection.name.value);
          if (fragment) visit(fragment, seen);
        }
      }
    };
    visit(operation.selectionSet, new Set());
  }
  byName.set(name, (fields = new Map([...calls].map(([field, names]) => [field, names.size]))));
  return fields;
}
