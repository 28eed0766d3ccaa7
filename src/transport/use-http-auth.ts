import type { Plugin } from 'graphql-yoga';
import { bearerToken, type Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../log.js';

/**
 * Authenticates GraphQL HTTP requests (GET, POST and SSE) before anything is
 * parsed: a missing credential where one is required, or a wrong one, is a 401.
 * The principal is kept per request for the context factory to pick up.
 */
export function useHttpAuth(options: {
  authenticator: Authenticator;
  endpoint: string;
  principals: WeakMap<Request, Principal>;
  log: Logger;
}): Plugin {
  const { authenticator, endpoint, principals, log } = options;
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      const result = authenticator.authenticate(bearerToken(request.headers.get('authorization')));
      if (result.ok) {
        principals.set(request, result.principal);
        return;
      }
      const message = result.reason === 'missing' ? 'Authentication required' : 'Invalid credentials';
      log.warn({ audit: true, transport: 'http', reason: result.reason }, 'authentication failed');
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }), {
          status: 401,
          headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' },
        }),
      );
    },
  };
}
