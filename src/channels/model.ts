import type { Priority } from '../events/priority.js';

/**
 * A channel: a named stream of events with its own topic (`channel:<name>`),
 * total order, log and cursors, like a repository. Channels come built in,
 * from CHANNELS_FILE, or live from an admin (`defineChannel`); a live
 * definition wins over the file's, which wins over the built-in one.
 */
export type ChannelSource = 'BUILT_IN' | 'FILE' | 'LIVE';

/** An event type a channel declares, with the JSON Schema its payload must meet (none: any payload). */
export type ChannelEventType = {
  readonly name: string;
  readonly schema: Readonly<Record<string, unknown>> | null;
  readonly schemaVersion: number | null;
};

export type ChannelDefinition = {
  readonly name: string;
  readonly description: string | null;
  /** Events kept in the channel's log; null: EVENT_RETENTION_COUNT. */
  readonly retentionCount: number | null;
  /** How long they are kept; null: EVENT_RETENTION_SECONDS. */
  readonly retentionSeconds: number | null;
  /** The priority of an event published without one. */
  readonly defaultPriority: Priority;
  /** Largest payload accepted, as JSON (at most an event's 1 MB). */
  readonly maxPayloadBytes: number;
  /** How long `channelEventBatches` gathers events by default (ms); null: its own default. */
  readonly batchWindowMs: number | null;
  /** The event types the channel accepts; empty: any type. */
  readonly types: readonly ChannelEventType[];
};

export type Channel = ChannelDefinition & { readonly source: ChannelSource };

const builtIn = (name: string, description: string, defaultPriority: Priority, extra: Partial<ChannelDefinition> = {}): Channel => ({
  name,
  description,
  retentionCount: null,
  retentionSeconds: null,
  defaultPriority,
  maxPayloadBytes: 64 * 1024,
  batchWindowMs: null,
  types: [],
  source: 'BUILT_IN',
  ...extra,
});

/** The channels every Herald has, for the events a security platform streams. */
export const BUILT_IN_CHANNELS: readonly Channel[] = [
  builtIn('threats', 'Detected threats, as sensors report them.', 'HIGH'),
  builtIn('alerts', 'Alerts and their lifecycle: raised, acknowledged, resolved.', 'HIGH'),
  builtIn('system', 'System health and operator messages (broadcasts arrive here too).', 'NORMAL'),
  builtIn('network', 'Network flows and their summaries.', 'LOW'),
  builtIn('packets', 'Packet summaries: many small events a second, best read in batches.', 'LOW', { batchWindowMs: 50, retentionCount: 100_000, retentionSeconds: 3_600 }),
];
