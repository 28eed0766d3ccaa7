import type { ThresholdSettings } from './thresholds.js';

/** Thresholds changed live by an admin; they outlive restarts in Redis mode and win over the file and defaults. */
export interface ThresholdStore {
  all(): Promise<Record<string, ThresholdSettings>>;
  set(name: string, settings: ThresholdSettings): Promise<void>;
  /** Drops a live threshold; false when there was none. */
  remove(name: string): Promise<boolean>;
}
