import { HeraldClientError } from '../client/index.js';

/**
 * Exit codes scripts can rely on (docs/cli.md lists them):
 * 0 done; 1 the server refused the operation (or some lines of a batch);
 * 2 bad usage (flags, arguments, config file); 3 the server cannot be
 * reached (or answers with something that is not GraphQL); 4 credentials
 * refused; 5 not allowed (the credentials lack a scope or repository);
 * 6 this CLI is older than the server's MIN_CLI_VERSION.
 */
export const Exit = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  unauthenticated: 4,
  forbidden: 5,
  tooOld: 6,
} as const;

export type ExitCode = (typeof Exit)[keyof typeof Exit];

/** A failure the CLI reports as one line and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (!(error instanceof HeraldClientError)) return Exit.failed;
  switch (error.code) {
    case 'UNREACHABLE':
    case 'BAD_RESPONSE':
    case 'GAVE_UP':
    case 'SERVICE_UNAVAILABLE':
      return Exit.unreachable;
    case 'UNAUTHENTICATED':
      return Exit.unauthenticated;
    case 'FORBIDDEN':
      return error.details.status === 403 || error.details.closeCode === 4403 ? Exit.unauthenticated : Exit.forbidden;
    case 'CLIENT_TOO_OLD':
      return Exit.tooOld;
    default:
      return Exit.failed;
  }
}

/** One line for the user: what went wrong and, where it helps, what to do. */
export function describeError(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (error instanceof HeraldClientError) {
    const hint =
      error.code === 'UNREACHABLE'
        ? ' (is the server running? set --url or HERALD_URL)'
        : error.code === 'UNAUTHENTICATED'
          ? ' (check --token or HERALD_TOKEN)'
          : '';
    return `${error.code}: ${error.message}${hint}`;
  }
  return error instanceof Error ? error.message : String(error);
}
