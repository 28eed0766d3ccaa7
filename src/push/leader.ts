/**
 * Which instance pushes. In Redis mode one instance holds an expiring lock and
 * renews it; when it dies the lock lapses and another takes over, so every
 * push is made by one instance at a time.
 *
 * Each lead gets a fencing token, larger than every earlier lead's. Workers
 * hand it with every write of their progress (see store.ts), and a write
 * whose token is no longer the newest is refused with Deposed: an instance
 * that lost the lock without noticing (paused, cut off from Redis) cannot
 * record an outcome or move a cursor after another has taken over, and stops.
 */
export type Leadership = {
  /** Tries to hold (or keep holding) the lock: the fencing token of this lead while it holds it, null otherwise. */
  claim(): Promise<number | null>;
  release(): Promise<void>;
};

/** A write refused because another lead began after the writer's. */
export class Deposed extends Error {
  override name = 'Deposed';
  constructor() {
    super('another instance has taken over pushing');
  }
}
