import type { ChannelDefinition } from './model.js';

/** Channels an admin defined live; shared by every instance in Redis mode, and outliving restarts there. */
export interface ChannelStore {
  /** Every live definition, by name. */
  all(): Promise<ChannelDefinition[]>;
  /** Stores a definition, replacing one of the same name. */
  put(definition: ChannelDefinition): Promise<void>;
  /** Drops a live definition; false when there was none. */
  remove(name: string): Promise<boolean>;
}
