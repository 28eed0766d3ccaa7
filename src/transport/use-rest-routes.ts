import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../log.js';
import { BackendUnavailableError, HeraldError, serviceUnavailable } from '../errors.js';
import type { Services } from '../schema/context.js';
import { requireScope } from '../auth/guards.js';
import { rateClient, rateLimitedError } from '../protection/use-rate-limits.js';

/**
 * A small REST surface for services that do not speak GraphQL. Each route is
 * a thin shell over the same function the GraphQL field calls, behind the same
 * bearer authentication (see use-http-auth.ts), with JSON errors.
 */
export const REST_PREFIX = '/api/';
const DEPLOY = /^\/api\/v1\/apis\/([^/]{1,128})\/deploy-revision$/;
/** What the deploy route counts as, for rate limits. */
const DEPLOY_FIELDS: ReadonlyMap<string, number> = new Map([['Mutation.deployApiRevision', 1]]);
const STATS = '/api/internal/v1/stats';
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

export function useRestRoutes(options: { services: Services; principals: WeakMap<Request, Principal>; ipOf: (serverContext: object) => string; log: Logger }): Plugin {
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(REST_PREFIX)) return;
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        endResponse(new fetchAPI.Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } }));
      const principal = options.principals.get(request);
      if (!principal) return; // the auth plugin has answered already
      const clientIp = options.ipOf(serverContext);
      try {
        const deploy = DEPLOY.exec(url.pathname);
        if (deploy && request.method === 'POST') {
          // The route is the deployApiRevision mutation by another door, under the same limit.
          const refusal = await options.services.rateLimits.check(rateClient(principal, clientIp), DEPLOY_FIELDS);
          // The route sets its own status and Retry-After from the error (below), not Yoga.
          if (refusal) throw rateLimitedError(refusal, false);
          const apiId = decoded(deploy[1]!, 'apiId');
          const body = await readJson(request);
          return json(200, await options.services.deployments.deploy(principal, { ...body, apiId }));
        }
        if (url.pathname === STATS && request.method === 'GET') {
          requireScope(principal, 'stats:read');
          return json(200, { instance: options.services.cluster.local(), instances: await options.services.cluster.instances() });
        }
        return json(deploy || url.pathname === STATS ? 405 : 404, { error: { code: 'NOT_FOUND', message: `No route ${request.method} ${url.pathname}` } });
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
        return json(
          status,
          { error: { code, message: (err as Error).message, ...(field ? { field } : {}), ...(retryAfter ? { retryAfter } : {}) } },
          retryAfter ? { 'retry-after': String(retryAfter) } : {},
        );
      }
    },
  };
}

/** The body as a JSON object; its fields are checked by deployApiRevision, as for the GraphQL field. */
async function readJson(request: Request): Promise<Record<string, unknown>> {
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
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RestError('BAD_USER_INPUT', 'The body must be a JSON object');
  return body as Record<string, unknown>;
}

/** A percent-encoded path segment, decoded; bad encoding is the client's mistake (400), not a server error. */
function decoded(segment: string, field: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RestError('BAD_USER_INPUT', `${field}: is not valid percent-encoding`);
  }
}

const tooLarge = () => new RestError('PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes`);
