/**
 * Every WebSocket close code Herald uses, with the reasons it sends, beside
 * graphql-ws's own (4400 bad message, 4406 subprotocol, 4408 init timeout,
 * 4409 duplicate id, 4429 second init).
 *
 * graphql-ws clients never retry 4400, 4401, 4406, 4409, 4429, 4500; they retry
 * 1001, 1006, 1012-1014 and 4403 with backoff. Codes are chosen with that in mind.
 */
export const Close = {
  /** Server shutting down: clients reconnect, typically to another instance. */
  GoingAway: 1001,
  /** A message larger than the limit. */
  MessageTooBig: 1009,
  /** Server or consumer overloaded (connection limit, slow consumer), or Redis away: retry later. */
  TryAgainLater: 1013,
  /** An administrator closed the connection (`disconnect`). */
  Disconnected: 4000,
  /** Client too old, or another request the client must change before retrying. */
  BadRequest: 4400,
  /** Missing or invalid credentials: final for the client. */
  Unauthorized: 4401,
  /** Credentials revoked or expired: clients retry, typically with new credentials. */
  Forbidden: 4403,
  /** Internal failure while handling a message. */
  InternalError: 4500,
} as const;

export type CloseCode = (typeof Close)[keyof typeof Close];

export const CloseReason = {
  shutdown: 'Server shutting down',
  serverFull: 'Server is at its connection limit',
  principalFull: 'Too many connections for these credentials',
  slowConsumer: 'Slow consumer: not reading events fast enough',
  tooManyWaiting: 'Too many connections from this address waiting to authenticate',
  heartbeatTimeout: 'Heartbeat timeout',
  backendUnavailable: 'Service unavailable: a backend (Redis) is away; retry shortly',
  internal: 'Internal server error',
  credentialsRequired: 'Unauthorized: credentials required',
  invalidCredentials: 'Unauthorized: invalid credentials',
  gatewayKeyRequired: 'Unauthorized: a gateway key is required',
  keyRevoked: 'Forbidden: key revoked',
  tokenExpired: 'Forbidden: token expired',
  gatewayKeyRevoked: 'Forbidden: gateway key revoked',
  gatewayDeleted: 'Forbidden: gateway deleted',
} as const;

/** A close code with its reason, as control commands and refusals carry them. */
export type Closing = { readonly code: CloseCode; readonly reason: string };

export const Closings = {
  keyRevoked: { code: Close.Forbidden, reason: CloseReason.keyRevoked },
  tokenExpired: { code: Close.Forbidden, reason: CloseReason.tokenExpired },
  gatewayKeyRevoked: { code: Close.Forbidden, reason: CloseReason.gatewayKeyRevoked },
  gatewayDeleted: { code: Close.Forbidden, reason: CloseReason.gatewayDeleted },
} as const satisfies Record<string, Closing>;
