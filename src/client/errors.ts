/**
 * What the SDK reports when something fails, with a code a program (or the
 * CLI's exit status) can rely on, and never a stack trace for the user.
 *
 * - server codes (`extensions.code`): BAD_USER_INPUT, NOT_FOUND, UNAUTHENTICATED,
 *   FORBIDDEN, SERVICE_UNAVAILABLE, CURSOR_EXPIRED, CONFLICT, ...;
 * - the SDK's own: UNREACHABLE (no answer from the server), BAD_RESPONSE (an
 *   answer that is not GraphQL, e.g. from a proxy), CLIENT_TOO_OLD,
 *   GAVE_UP (reconnect attempts spent), CLOSED (the client was disposed).
 */
export class HeraldClientError extends Error {
  override name = 'HeraldClientError';

  constructor(
    readonly code: string,
    message: string,
    readonly details: { readonly status?: number; readonly errors?: readonly GraphQLErrorLike[]; readonly closeCode?: number } = {},
  ) {
    super(message);
  }
}

/** An error as a GraphQL response carries it. */
export type GraphQLErrorLike = { readonly message: string; readonly path?: readonly (string | number)[]; readonly extensions?: Record<string, unknown> };

export const codeOf = (errors: readonly GraphQLErrorLike[] | undefined): string =>
  String(errors?.find((e) => typeof e.extensions?.code === 'string')?.extensions?.code ?? 'GRAPHQL_ERROR');

/** One error out of a response's errors: the first message, the first code. */
export function fromGraphQLErrors(errors: readonly GraphQLErrorLike[], status?: number): HeraldClientError {
  const message = errors.map((e) => e.message).join('; ') || 'request failed';
  return new HeraldClientError(codeOf(errors), message, { errors, ...(status !== undefined ? { status } : {}) });
}
