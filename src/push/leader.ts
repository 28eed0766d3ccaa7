/**
 * Which instance pushes. In Redis mode one instance holds an expiring lock and
 * renews it; when it dies the lock lapses and another takes over, so every
 * push is made by exactly one instance.
 */
export type Leadership = {
  /** Tries to hold (or keep holding) the lock; true while this instance leads. */
  claim(): Promise<boolean>;
  release(): Promise<void>;
};
