import { Ajv, type ValidateFunction } from 'ajv';
import { badInput, notFound } from '../errors.js';
import type { Retention } from '../events/bus.js';
import { Topics } from '../events/topics.js';
import type { Logger } from '../log.js';
import { BUILT_IN_CHANNELS, type Channel, type ChannelDefinition, type ChannelSource } from './model.js';
import type { ChannelStore } from './store.js';

/** A channel with its payload checks made ready, and the text it was made from (to reuse it while unchanged). */
type Ready = { readonly channel: Channel; readonly types: ReadonlyMap<string, ValidateFunction | null>; readonly ajv: Ajv; readonly text: string };

export type ChannelRegistry = ReturnType<typeof createChannelRegistry>;

/**
 * The channels in force on this instance: built in, then CHANNELS_FILE, then
 * live definitions (a later layer replaces a channel of the same name).
 * Every instance holds the same within a moment of a change: the one that
 * made it tells the others (control channel), and each reads the store again
 * now and then in case it missed that.
 */
export function createChannelRegistry(deps: { store: ChannelStore; fileChannels: readonly ChannelDefinition[]; retention: Retention; log?: Logger }) {
  let channels = new Map<string, Ready>();

  // Each channel compiles its schemas on its own, so a schema's `$id` cannot clash with another channel's.
  const prepare = (definition: ChannelDefinition, source: ChannelSource): Ready => {
    const text = JSON.stringify([source, definition]);
    const known = channels.get(definition.name);
    if (known?.text === text) return known;
    // Ajv's defaults: a schema with an unknown keyword or a wrong keyword value does not compile.
    const ajv = new Ajv({ allErrors: false });
    const types = new Map(definition.types.map((t, i) => [t.name, t.schema ? compile(ajv, t.schema, `types.${i}.schema`) : null]));
    return { channel: { ...definition, source }, types, ajv, text };
  };

  const merge = (live: readonly ChannelDefinition[]) => {
    const next = new Map<string, Ready>();
    for (const channel of BUILT_IN_CHANNELS) next.set(channel.name, prepare(channel, 'BUILT_IN'));
    for (const definition of deps.fileChannels) next.set(definition.name, prepare(definition, 'FILE'));
    for (const definition of live) {
      try {
        next.set(definition.name, prepare(definition, 'LIVE'));
      } catch (err) {
        // Stored by a version that accepted a schema this one refuses: the previous layer stays in force.
        deps.log?.warn({ component: 'channels', channel: definition.name, err: (err as Error).message }, 'ignored a live channel definition');
      }
    }
    channels = next;
  };
  merge([]);

  const required = (name: string): Ready => {
    const ready = channels.get(name);
    if (!ready) throw notFound('channel', name);
    return ready;
  };

  return {
    /** Reads live definitions again (another instance changed them, or the periodic refresh). */
    async reload() {
      merge(await deps.store.all());
    },
    list: (): Channel[] => [...channels.values()].map((r) => r.channel).sort((a, b) => (a.name < b.name ? -1 : 1)),
    get: (name: string): Channel | undefined => channels.get(name)?.channel,
    /** The channel, or NOT_FOUND naming it. */
    require: (name: string): Channel => required(name).channel,
    /** Checks a definition's schemas compile, before it is stored (BAD_USER_INPUT naming the type). */
    check(definition: ChannelDefinition): void {
      prepare(definition, 'LIVE');
    },
    /**
     * Checks an event against its channel's registry: a channel that declares
     * types takes only those, each payload meeting its type's schema; and no
     * channel takes a payload over its size bound. Throws BAD_USER_INPUT naming
     * the field (`payload` or `type`).
     */
    checkEvent(name: string, type: string, payload: unknown, payloadBytes: number): void {
      const { channel, types, ajv } = required(name);
      if (payloadBytes > channel.maxPayloadBytes) throw badInput('payload', `must be at most ${channel.maxPayloadBytes} bytes as JSON on channel ${name}`);
      if (types.size === 0) return;
      if (!types.has(type)) throw badInput('type', `channel ${name} takes ${[...types.keys()].slice(0, 20).join(', ')}; not ${type}`);
      const validate = types.get(type);
      if (validate && !validate(payload)) throw badInput('payload', `does not meet the schema of ${type}: ${ajv.errorsText(validate.errors, { dataVar: 'payload' })}`);
    },
    /** How long a topic's events are kept: its channel's own retention, else the default. */
    retentionOf(topic: string): Retention {
      if (!topic.startsWith('channel:')) return deps.retention;
      const channel = channels.get(Topics.channelOf(topic))?.channel;
      if (!channel || (channel.retentionCount === null && channel.retentionSeconds === null)) return deps.retention;
      return { count: channel.retentionCount ?? deps.retention.count, seconds: channel.retentionSeconds ?? deps.retention.seconds };
    },
  };
}

function compile(ajv: Ajv, schema: Readonly<Record<string, unknown>>, field: string): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (err) {
    throw badInput(field, `is not a JSON Schema Herald can use: ${(err as Error).message.slice(0, 300)}`);
  }
}
