/**
 * Commands every instance must carry out, such as closing the connections of
 * a revoked gateway wherever they are. In Redis mode they travel on one
 * pub/sub channel; in embedded mode they are a function call.
 */
/** Whose sessions a command means: a principal's (only those of one key, with `keyId`), or one session. */
export type ConnectionMatch = { readonly principalId: string; readonly keyId?: string } | { readonly connectionId: string };

export type ControlCommand =
  | { readonly kind: 'close-connections'; readonly match: ConnectionMatch; readonly code: number; readonly reason: string }
  | { readonly kind: 'notify'; readonly connectionId: string; readonly id: string; readonly message: string; readonly timestamp: string }
  | { readonly kind: 'rate-limits-changed' }
  | { readonly kind: 'channels-changed' };

export type ControlChannel = {
  send(command: ControlCommand): Promise<void>;
  /** Resolves once commands sent from now on reach the handler (while Redis is away: once it is back). */
  listen(handler: (command: ControlCommand) => void): Promise<void>;
};
