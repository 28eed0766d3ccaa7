import type { Rule } from './rules.js';

/** Rules changed live by an admin; they outlive restarts in Redis mode and win over the file and defaults. */
export interface RateLimitStore {
  all(): Promise<Record<string, Rule>>;
  set(field: string, rule: Rule): Promise<void>;
  /** Drops a live rule; false when there was none. */
  remove(field: string): Promise<boolean>;
}
