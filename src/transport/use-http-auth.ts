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

export function unavailable(fetchAPI: { Response: typeof Response }): Response {
  return new fetchAPI.Response(JSON.stringify({ errors: [{ message: 'A backend (Redis) is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: RETRY_AFTER_SECONDS } }] }), {
    status: 503,
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(RETRY_AFTER_SECONDS) },
  });
}

/**
 * Authenticates GraphQL HTTP requests (GET, POST and SSE) before anything is
 * parsed: a missing credential where one is required, or a wrong one, is a 401.
 * The principal is kept per request for the context factory to pick up.
 */
export function useHttpAuth(options: {
  authenticator: Authenticator;
  isProtected: (path: string) => boolean;
  principals: WeakMap<Request, Principal>;
  log: Logger;
}): Plugin {
  const { authenticator, isProtected, principals, log } = options;
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!isProtected(url.pathname)) return;
      let result;
      try {
        result = await authenticator.authenticate(bearerToken(request.headers.get('authorization')));
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        // A key cannot be checked while Redis is away: the caller may retry, and is told when.
        return endResponse(unavailable(fetchAPI));
      }
      if (result.ok) {
        principals.set(request, result.principal);
        return;
      }
      const refusal = REFUSALS[result.reason];
      const ip = (request as Request & { ip?: string }).ip;
      log.warn({ audit: true, transport: 'http', path: url.pathname, ip, reason: result.reason, detail: result.detail, principal: result.principalId }, 'authentication failed');
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] }), {
          status: refusal.status,
          headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' },
        }),
      );
    },
  };
}

