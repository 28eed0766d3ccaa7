import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../log.js';
import { BackendUnavailableError, HeraldError, serviceUnavailable } from '../errors.js';
import type { Services } from '../schema/context.js';
import { rateClient, rateLimitedError } from '../protection/use-rate-limits.js';
import { ROUTES, type Route } from './rest-routes.js';

export const REST_PREFIX = '/api/';
const MAX_BODY_BYTES = 1024 * 1024;

const STATUS_BY_CODE: Record<string, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

class RestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Compiled = Route & { readonly pattern: RegExp; readonly names: readonly string[]; readonly fields: ReadonlyMap<string, number> | undefined };

const compiled: readonly Compiled[] = ROUTES.map((route) => ({
  ...route,
  // A path part is anything but a slash, at most 128 characters (still percent-encoded here).
  pattern: new RegExp(`^${route.path.replace(/:[A-Za-z]+/g, '([^/]{1,128})')}$`),
  names: [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!),
  fields: route.limitedAs ? new Map([[route.limitedAs, 1]]) : undefined,
}));

/**
 * Serves the REST routes (rest-routes.ts) behind the same bearer
 * authentication as GraphQL (use-http-auth.ts): JSON in, JSON out, errors as
 * `{ error: { code, message, field? } }` with the status of their code.
 */
export function useRestRoutes(options: { services: Services; principals: WeakMap<Request, Principal>; ipOf: (serverContext: object) => string; log: Logger }): Plugin {
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(REST_PREFIX)) return;
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        endResponse(new fetchAPI.Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } }));
      const principal = options.principals.get(request);
      if (!principal) return; // the auth plugin has answered already
      try {
        const matching = compiled.filter((route) => route.pattern.test(url.pathname));
        const route = matching.find((r) => r.method === request.method);
        if (!route) {
          const allowed = matching.map((r) => r.method).join(', ');
          return json(matching.length > 0 ? 405 : 404, { error: { code: 'NOT_FOUND', message: `No route ${request.method} ${url.pathname}` } }, allowed ? { allow: allowed } : {});
        }
        const params = route.pattern.exec(url.pathname)!.slice(1).map((part, i) => decodePart(part, route.names[i]!));
        if (route.fields) {
          const refusal = await options.services.rateLimits.check(rateClient(principal, options.ipOf(serverContext)), route.fields);
          // The route sets its own status and Retry-After from the error (below), not Yoga.
          if (refusal) throw rateLimitedError(refusal, false);
        }
        return json(200, await route.handle({ principal, params, services: options.services, query: url.searchParams, json: (o) => readJson(request, o?.list ?? false) }));
      } catch (caught) {
        const err = caught instanceof BackendUnavailableError ? serviceUnavailable() : caught;
        const extensions = err instanceof HeraldError || err instanceof GraphQLError ? err.extensions : undefined;
        const code = err instanceof RestError ? err.code : String(extensions?.code ?? '');
        const status = STATUS_BY_CODE[code];
        if (!status) {
          options.log.error({ component: 'rest', path: url.pathname, err }, 'unexpected error');
          return json(500, { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error' } });
        }
        const field = extensions?.field;
        const retryAfter = extensions?.retryAfter as number | undefined;
        const errors = extensions?.errors;
        return json(
          status,
          { error: { code, message: (err as Error).message, ...(field ? { field } : {}), ...(retryAfter ? { retryAfter } : {}), ...(errors ? { errors } : {}) } },
          retryAfter ? { 'retry-after': String(retryAfter) } : {},
        );
      }
    },
  };
}

/** A path part as the client meant it; a broken percent-encoding is the client's mistake (400), not a server error. */
function decodePart(part: string, name: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new RestError('BAD_USER_INPUT', `${name}: is not valid percent-encoding`);
  }
}

/** The body as JSON (an object, or with `list` also an array); its fields are checked by the service, as for GraphQL. */
async function readJson(request: Request, list: boolean): Promise<unknown> {
  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
    throw new RestError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
  }
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (reader) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new RestError('BAD_USER_INPUT', 'The body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || (Array.isArray(body) && !list)) throw new RestError('BAD_USER_INPUT', `The body must be a JSON object${list ? ' or a list' : ''}`);
  return body;
}

const tooLarge = () => new RestError('PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes`);
