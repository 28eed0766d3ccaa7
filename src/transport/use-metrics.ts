import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Authenticator } from '../auth/authenticator.js';
import { hasScope } from '../auth/scopes.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { authenticateHttp } from './use-http-auth.js';

const FORBIDDEN_BODY = JSON.stringify({ errors: [{ message: 'stats:read required', extensions: { code: 'FORBIDDEN' } }] });

/**
 * GET /metrics in Prometheus text format; in production it needs a token with
 * `stats:read`. The token is checked as every other HTTP path checks it
 * (authenticateHttp): the same 401/403/503 answers, and an audit line for a
 * refused credential; a caller without `stats:read` is refused with 403 and
 * audited too.
 */
export function useMetricsEndpoint(options: {
  metrics: Metrics;
  authenticator: Authenticator;
  open: boolean;
  /** Where refusals are audited. */
  log: Logger;
  /** The caller's address, as every audit line names it (TRUST_PROXY applied). */
  ipOf: (serverContext: { readonly req?: IncomingMessage }) => string | undefined;
}): Plugin {
  const { log } = options;
  return {
    async onRequest({ url, request, endResponse, fetchAPI, serverContext }) {
      if (url.pathname !== '/metrics') return;
      if (!options.open) {
        const ip = options.ipOf(serverContext as { readonly req?: IncomingMessage });
        const result = await authenticateHttp(options.authenticator, request.headers.get('authorization'), log, { path: url.pathname, ip });
        if (!result.ok) return endResponse(new fetchAPI.Response(result.body, { status: result.status, headers: result.headers }));
        if (!hasScope(result.principal, 'stats:read')) {
          log.warn({ audit: true, transport: 'http', path: url.pathname, ip, reason: 'scope', detail: 'stats:read required', principal: result.principal.id }, 'access refused');
          return endResponse(new fetchAPI.Response(FORBIDDEN_BODY, { status: 403, headers: { 'content-type': 'application/json; charset=utf-8' } }));
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
