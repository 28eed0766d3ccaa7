/**
 * The revocation generation: a counter every revocation of a key or gateway
 * raises, cluster-wide. Each instance reads it every few seconds; when it has
 * moved, the instance checks its live sessions' credentials again, so a
 * revocation whose announcement it missed (its pub/sub connection was down)
 * still ends its sessions.
 */
export interface RevocationStore {
  /** Counts one more revocation. */
  bump(): Promise<void>;
  /** The count so far: 0 before the first revocation. Only changes matter, not the value. */
  generation(): Promise<number>;
}
