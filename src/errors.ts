import { GraphQLError } from 'graphql';

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

export class HeraldError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

export const badInput = (field: string, message: string) =>
  new HeraldError('BAD_USER_INPUT', `${field}: ${message}`, { field });

export const notFound = (what: string, id: string) => new HeraldError('NOT_FOUND', `${what} ${id} not found`, { id });

/** A backend (Redis) could not be reached; the client may retry. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

export const serviceUnavailable = () =>
  new HeraldError('SERVICE_UNAVAILABLE', 'A backend (Redis) is unavailable; retry shortly');
