import type { Plugin } from 'graphql-yoga';
import type { Audit } from '../log.js';

export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_TYPES = /^application\/(json|graphql-response\+json)\b/i;

// Everything Herald serves needs nothing at all, but for the console's pages,
// which set their own (same-origin only: transport/use-console.ts).
export const STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The headers every answer carries (HSTS only where the request came over TLS, or through a proxy that terminated it). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * HTTP rules for every response and request body: security headers on every
 * answer, POST bodies only as JSON (415) with a declared length (411) of at
 * most 1 MB (413), before anything reads the body.
 */
export function useHttpHygiene(options: {
  /** Writes an `audit` line for a refused request. */
  audit: Audit;
  ipOf: (serverContext: object) => string;
}): Plugin {
  return {
    onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (request.method !== 'POST') return;
      const refuse = (status: number, code: string, message: string) => {
        options.audit({ action: status === 413 ? 'size-refused' : 'request-refused', transport: 'http', ip: options.ipOf(serverContext), path: url.pathname, reason: code });
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
            status,
            headers: { 'content-type': 'application/json; charset=utf-8' },
          }),
        );
      };
      if (!JSON_TYPES.test(request.headers.get('content-type') ?? '')) {
        return refuse(415, 'UNSUPPORTED_MEDIA_TYPE', 'POST bodies must be application/json');
      }
      const length = request.headers.get('content-length');
      if (length === null) return refuse(411, 'LENGTH_REQUIRED', 'POST bodies must declare Content-Length');
      if (Number(length) > MAX_BODY_BYTES) return refuse(413, 'PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes`);
    },
    onResponse({ request, response }) {
      const headers = response.headers;
      for (const name in SECURITY_HEADERS) headers.set(name, SECURITY_HEADERS[name]!);
      if (!headers.has('content-security-policy')) headers.set('content-security-policy', STRICT_CSP);
      // Behind a TLS-terminating proxy the request arrives over http with this header.
      if (request.headers.get('x-forwarded-proto') === 'https' || new URL(request.url).protocol === 'https:') {
        headers.set('strict-transport-security', HSTS);
      }
    },
  };
}
