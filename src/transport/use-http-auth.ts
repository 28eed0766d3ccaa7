import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { bearerToken, type Authenticator } from '../auth/authenticator.js';
import type { Principal, RefusalReason } from '../auth/principal.js';
import { BackendUnavailableError, RETRY_AFTER_SECONDS } from '../errors.js';
import type { Logger } from '../log.js';

const REFUSALS: Record<RefusalReason, { status: number; message: string; code: string }> = {
  missing: { status: 401, message: 'Authentication required', code: 'UNAUTHENTICATED' },
  invalid: { status: 401, message: 'Invalid credentials', code: 'UNAUTHENTICATED' },
  revoked: { status: 403, message: 'Credentials revoked', code: 'FORBIDDEN' },
  expired: { status: 401, message: 'Token expired', code: 'UNAUTHENTICATED' },
};

const JSON_TYPE = 'application/json; charset=utf-8';
const UNAVAILABLE_BODY = JSON.stringify({ errors: [{ message: 'A backend (Redis) is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: RETRY_AFTER_SECONDS } }] });

/** The answer to a request that needs Redis while it is away. */
export const unavailableAnswer = () => ({ status: 503, body: UNAVAILABLE_BODY, headers: { 'content-type': JSON_TYPE, 'retry-after': String(RETRY_AFTER_SECONDS) } });

export function unavailable(fetchAPI: { Response: typeof Response }): Response {
  const { body, ...init } = unavailableAnswer();
  return new fetchAPI.Response(body, init);
}

/** What the caller of an HTTP request is, or the answer that refuses it. */
export type HttpAuthentication =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly status: number; readonly body: string; readonly headers: Record<string, string> };

/**
 * Checks an HTTP request's bearer token: a missing credential where one is
 * required, or a wrong one, is refused (401, or 403 when revoked) and logged
 * as an audit line; a key that cannot be checked while Redis is away is a 503
 * with Retry-After. Shared by the Yoga hook below and the direct GraphQL POST
 * path (graphql-post.ts), so both refuse alike.
 */
export async function authenticateHttp(
  authenticator: Authenticator,
  authorization: string | null | undefined,
  log: Logger,
  where: { readonly path: string; readonly ip: string | undefined },
): Promise<HttpAuthentication> {
  let result;
  try {
    result = await authenticator.authenticate(bearerToken(authorization ?? null));
  } catch (err) {
    if (!(err instanceof BackendUnavailableError)) throw err;
    // A key cannot be checked while Redis is away: the caller may retry, and is told when.
    return { ok: false, ...unavailableAnswer() };
  }
  if (result.ok) return result;
  const refusal = REFUSALS[result.reason];
  log.warn({ audit: true, transport: 'http', path: where.path, ip: where.ip, reason: result.reason, detail: result.detail, principal: result.principalId }, 'authentication failed');
  return {
    ok: false,
    status: refusal.status,
    body: JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] }),
    headers: { 'content-type': JSON_TYPE, 'www-authenticate': 'Bearer' },
  };
}

/**
 * Authenticates GraphQL HTTP requests (GET, POST and SSE) before anything is
 * parsed (see authenticateHttp). The principal is kept per request for the
 * context factory to pick up.
 */
export function useHttpAuth(options: {
  authenticator: Authenticator;
  isProtected: (path: string) => boolean;
  principals: WeakMap<Request, Principal>;
  /** The caller's address, as every audit line names it (TRUST_PROXY applied). */
  ipOf: (serverContext: { readonly req?: IncomingMessage }) => string | undefined;
  log: Logger;
}): Plugin {
  const { authenticator, isProtected, principals, ipOf, log } = options;
  return {
    async onRequest({ request, url, endResponse, fetchAPI, serverContext }) {
      if (!isProtected(url.pathname)) return;
      // A request the direct POST path authenticated and handed on (an SSE stream, a batch) is not checked twice.
      const checked = (serverContext as { readonly principal?: Principal }).principal;
      if (checked) return void principals.set(request, checked);
      const ip = ipOf(serverContext as { readonly req?: IncomingMessage });
      const result = await authenticateHttp(authenticator, request.headers.get('authorization'), log, { path: url.pathname, ip });
      if (result.ok) {
        principals.set(request, result.principal);
        return;
      }
      endResponse(new fetchAPI.Response(result.body, { status: result.status, headers: result.headers }));
    },
  };
}
