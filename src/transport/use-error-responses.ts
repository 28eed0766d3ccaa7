import type { Plugin } from 'graphql-yoga';
import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { unavailable } from './use-http-auth.js';

// Any plugin's hooks, whatever its context types.
type AnyPlugin = Plugin<any, any, any>;
type Fetch = { readonly Response: typeof Response };

/**
 * What a client gets for an error no HTTP hook or handler expected: JSON, a
 * 503 with Retry-After when a backend (Redis) is away, else a 500, never the
 * message, stack or path. Yoga's server adapter would otherwise answer with
 * the error's stack as plain text.
 */
function errorResponse(err: unknown, fetchAPI: Fetch, log: Logger, request: Request): Response {
  if (err instanceof BackendUnavailableError) return unavailable(fetchAPI);
  log.error({ component: 'http', method: request.method, path: pathOf(request), err }, 'unexpected error');
  return new fetchAPI.Response(unexpectedErrorBody(), {
    status: 500,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

/** The body of a 500: nothing of the error itself. */
export const unexpectedErrorBody = () => JSON.stringify({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });

const pathOf = (request: Request) => {
  try {
    return new URL(request.url).pathname.slice(0, 200);
  } catch {
    return undefined;
  }
};

/** Runs a hook, sync or async, handing what it throws or rejects with to `failed`. */
function guarded<P>(hook: (payload: P) => unknown, failed: (payload: P, err: unknown) => void): (payload: P) => void | Promise<void> {
  return (payload) => {
    try {
      const result = hook(payload) as PromiseLike<void> | void;
      if (typeof result?.then === 'function') return Promise.resolve(result).catch((err: unknown) => failed(payload, err));
    } catch (err) {
      failed(payload, err);
    }
  };
}

/**
 * The generic HTTP error handler: the plugins given, with what their request
 * and response hooks throw turned into an error response, behind one plugin
 * that does the same for the request handler (Yoga's own). Errors in the
 * GraphQL pipeline are Yoga's to mask and never reach here.
 */
export function withErrorResponses(plugins: readonly AnyPlugin[], log: Logger): AnyPlugin[] {
  const handler: AnyPlugin = {
    onRequest({ requestHandler, setRequestHandler, fetchAPI }) {
      setRequestHandler(async (request: Request, serverContext: unknown) => {
        try {
          return await requestHandler(request, serverContext as never);
        } catch (err) {
          return errorResponse(err, fetchAPI, log, request);
        }
      });
    },
  };
  const guard = (plugin: AnyPlugin): AnyPlugin => {
    const { onRequest, onResponse } = plugin;
    if (!onRequest && !onResponse) return plugin;
    return {
      ...plugin,
      ...(onRequest && {
        onRequest: guarded(onRequest.bind(plugin), (payload, err) => payload.endResponse(errorResponse(err, payload.fetchAPI, log, payload.request))),
      }),
      ...(onResponse && {
        onResponse: guarded(onResponse.bind(plugin), (payload, err) => payload.setResponse(errorResponse(err, payload.fetchAPI, log, payload.request))),
      }),
    };
  };
  return [handler, ...plugins.map(guard)];
}
