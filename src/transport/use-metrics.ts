import type { Plugin } from 'graphql-yoga';
import { bearerToken, type Authenticator } from '../auth/authenticator.js';
import { hasScope } from '../auth/scopes.js';
import { BackendUnavailableError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { unavailable } from './use-http-auth.js';

/** GET /metrics in Prometheus text format; in production it needs a token with `stats:read`. */
export function useMetricsEndpoint(options: { metrics: Metrics; authenticator: Authenticator; open: boolean }): Plugin {
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== '/metrics') return;
      if (!options.open) {
        const result = await options.authenticator.authenticate(bearerToken(request.headers.get('authorization'))).catch((err: unknown) => {
          if (err instanceof BackendUnavailableError) return undefined;
          throw err;
        });
        if (!result) return endResponse(unavailable(fetchAPI));
        if (!result.ok || !hasScope(result.principal, 'stats:read')) {
          endResponse(new fetchAPI.Response('stats:read required\n', { status: result.ok ? 403 : 401, headers: { 'www-authenticate': 'Bearer' } }));
          return;
        }
      }
      const text = await options.metrics.registry.metrics();
      endResponse(new fetchAPI.Response(text, { status: 200, headers: { 'content-type': options.metrics.registry.contentType } }));
    },
  };
}

/** Counts GraphQL HTTP requests by operation name and status. */
export function useHttpMetrics(metrics: Metrics): Plugin {
  const operations = new WeakMap<Request, string>();
  // Operation names come from clients: past a bound, new names share one label so series stay bounded.
  const known = new Set<string>();
  const label = (name: unknown) => {
    if (typeof name !== 'string' || name === '') return 'anonymous';
    if (known.has(name)) return name;
    if (known.size >= 200 || name.length > 64) return 'other';
    known.add(name);
    return name;
  };
  return {
    onParams({ params, request }) {
      operations.set(request, label(params.operationName));
    },
    onResponse({ request, response }) {
      const operation = operations.get(request);
      if (operation !== undefined) metrics.httpRequest(operation, response.status);
    },
  };
}
