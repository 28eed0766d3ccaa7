/**
 * Error codes a client can rely on (`extensions.code`). Anything thrown that
 * is not a HeraldError is masked as INTERNAL_SERVER_ERROR so no internals leak.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'SERVICE_UNAVAILABLE'
  | 'CURSOR_EXPIRED'
  | 'CONFLICT';

/**
 * An error meant for the client, with its code in `extensions`. A plain
 * Error, so the rooms that throw it need no GraphQL: graphql-js copies
 * `extensions` onto the error it reports, and the edges (GraphQL masking,
 * REST, WebSocket) show message and code as they are.
 */
export class HeraldError extends Error {
  override name = 'HeraldError';
  readonly extensions: Readonly<Record<string, unknown>> & { readonly code: ErrorCode };

  constructor(
    readonly code: ErrorCode,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.extensions = { ...extensions, code };
  }
}

export const badInput = (field: string, message: string) => new HeraldError('BAD_USER_INPUT', `${field}: ${message}`, { field });

export const notFound = (what: string, id: string) => new HeraldError('NOT_FOUND', `${what} ${id} not found`, { id });

/** A backend (Redis) could not be reached; the client may retry. Its message is for logs only. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

/** Seconds a client is asked to wait before retrying work that needs Redis. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * What a client gets for work that needs Redis while it is away. Over HTTP
 * the response is a 503 with Retry-After (Yoga reads `extensions.http` and
 * leaves it out of the body); the WebSocket transport drops that extension.
 */
export const serviceUnavailable = () =>
  new HeraldError('SERVICE_UNAVAILABLE', 'A backend (Redis) is unavailable; retry shortly', {
    retryAfter: RETRY_AFTER_SECONDS,
    http: { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
  });
