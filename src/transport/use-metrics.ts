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

const labelers = new WeakMap<Metrics, (name: unknown) => string>();

/**
 * The `operation` label of an HTTP request's operation name, one set of known
 * names per metrics registry (Yoga's hook and the direct POST path share it).
 * Operation names come from clients: past a bound, new names share one label
 * so series stay bounded.
 */
export function operationLabel(metrics: Metrics): (name: unknown) => string {
  let label = labelers.get(metrics);
  if (label) return label;
  const known = new Set<string>();
  label = (name: unknown) => {
    if (typeof name !== 'string' || name === '') return 'anonymous';
    if (known.has(name)) return name;
    if (known.size >= 200 || name.length > 64) return 'other';
    known.add(name);
    return name;
  };
  labelers.set(metrics, label);
  return label;
}

/** Counts GraphQL HTTP requests by operation name and status. */
export function useHttpMetrics(metrics: Metrics): Plugin {
  const operations = new WeakMap<Request, string>();
  const label = operationLabel(metrics);
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
