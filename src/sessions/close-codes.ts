/**
 * WebSocket close codes Herald uses, beside graphql-ws's own (4400 bad message,
 * 4406 subprotocol, 4408 init timeout, 4409 duplicate id, 4429 second init).
 *
 * graphql-ws clients never retry 4400, 4401, 4406, 4409, 4429, 4500; they retry
 * 1001, 1006, 1012-1014 and 4403 with backoff. Codes are chosen with that in mind.
 */
export const Close = {
  /** Server shutting down: clients reconnect, typically to another instance. */
  GoingAway: 1001,
  /** Client too old, or another request the client must change before retrying. */
  BadRequest: 4400,
  /** A message larger than the limit. */
  MessageTooBig: 1009,
  /** Server or consumer overloaded (connection limit, slow consumer): retry later. */
  TryAgainLater: 1013,
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
  heartbeatTimeout: 'Heartbeat timeout',
  backendUnavailable: 'Service unavailable: a backend (Redis) is away; retry shortly',
  internal: 'Internal server error',
} as const;
