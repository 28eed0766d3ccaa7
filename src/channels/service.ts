import { requireAdmin } from '../auth/guards.js';
import type { Principal } from '../auth/principal.js';
import { canPublishChannel, canReadChannel, readsEveryChannel } from '../auth/scopes.js';
import { badInput, HeraldError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { ControlChannel } from '../events/control.js';
import type { EventDraft, EventEnvelope } from '../events/envelope.js';
import { Topics } from '../events/topics.js';
import type { Idempotency } from '../idempotency/idempotent.js';
import { parseInput } from '../input.js';
import type { Audit } from '../log.js';
import { createFilters, parseWhere, type EventFilter } from './filter.js';
import type { BatchOptions } from '../events/batches.js';
import { batchArgs, channelDefinitionInput, channelEventsArgs, definitionOf, publishEventInput, publishEventsInput, type PublishEventInput } from './input.js';
import type { Channel } from './model.js';
import type { ChannelRegistry } from './registry.js';
import type { ChannelStore } from './store.js';

export type ChannelService = ReturnType<typeof createChannelService>;

/** What a channel subscription listens to, which of its events it keeps, and a key naming both (equal keys: equal events). */
export type ChannelSubscription = { readonly topics: string[]; readonly accept: EventFilter | undefined; readonly key: string };

/**
 * Channels for every door (GraphQL and REST): defining them, publishing to
 * them (one event, or a batch in one step), and what a subscription to some
 * of them covers, with the caller's rights checked per channel.
 */
export function createChannelService(deps: {
  registry: ChannelRegistry;
  store: ChannelStore;
  bus: EventBus;
  control: ControlChannel;
  idempotency: Idempotency;
  audit: Audit;
}) {
  const { registry, store, bus, idempotency, audit } = deps;
  const filters = createFilters();

  const announce = async () => {
    await registry.reload();
    await deps.control.send({ kind: 'channels-changed' });
  };

  /** One event, checked: FORBIDDEN or NOT_FOUND naming the channel, BAD_USER_INPUT naming the field. */
  function draftOf(principal: Principal, input: PublishEventInput): EventDraft {
    const channel = registry.require(input.channel);
    if (!canPublishChannel(principal, channel.name)) throw new HeraldError('FORBIDDEN', `Not allowed to publish on channel ${channel.name}`, { channel: channel.name });
    const payloadBytes = Buffer.byteLength(JSON.stringify(input.payload));
    registry.checkEvent(channel.name, input.type, input.payload, payloadBytes);
    const expiresAt = input.expiresAt ?? (input.ttlSeconds ? new Date(Date.now() + input.ttlSeconds * 1000) : null);
    return {
      topic: Topics.channel(channel.name),
      type: input.type,
      correlationId: input.correlationId ?? null,
      priority: input.priority ?? channel.defaultPriority,
      expiresAt: expiresAt?.toISOString() ?? null,
      source: input.source ?? null,
      schemaVersion: input.schemaVersion ?? null,
      payload: input.payload,
    };
  }

  /** The channel the path names (REST) fills in a body that names none; a body naming another is refused. */
  const onChannel = (raw: unknown, channel: string | undefined) => {
    if (channel === undefined || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
    const named = (raw as { channel?: unknown }).channel;
    if (named !== undefined && named !== channel) throw badInput('channel', `names ${String(named).slice(0, 64)}, but the path names ${channel}`);
    return { ...raw, channel };
  };

  return {
    /** The channels the caller may read (every one for the admin). */
    list(principal: Principal): Channel[] {
      return registry.list().filter((c) => canReadChannel(principal, c.name));
    },

    async define(principal: Principal, raw: unknown): Promise<Channel> {
      requireAdmin(principal);
      const definition = definitionOf(parseInput(channelDefinitionInput, raw));
      registry.check(definition);
      await store.put(definition);
      await announce();
      audit({ action: 'defineChannel', principal: principal.id, channel: definition.name });
      return registry.require(definition.name);
    },

    /** Drops a live definition (the file's or the built-in one applies again); false when there was none. */
    async delete(principal: Principal, name: string): Promise<boolean> {
      requireAdmin(principal);
      const removed = await store.remove(name);
      if (removed) {
        await announce();
        audit({ action: 'deleteChannel', principal: principal.id, channel: name });
      }
      return removed;
    },

    async publish(principal: Principal, raw: unknown, channel?: string): Promise<EventEnvelope> {
      const input = parseInput(publishEventInput, onChannel(raw, channel));
      const draft = draftOf(principal, input);
      return idempotency.run('publishEvent', principal.id, input.idempotencyKey, () => bus.publish(draft));
    },

    /**
     * A batch, published in one step (one script call in Redis): every event
     * or, when any is refused, none; the refusal names each bad item by index
     * (`extensions.errors`), the message the first.
     */
    async publishMany(principal: Principal, raw: unknown, channel?: string): Promise<EventEnvelope[]> {
      const { inputs, idempotencyKey } = parseInput(publishEventsInput, raw);
      const drafts: EventDraft[] = [];
      const errors: Array<{ index: number; code: HeraldError['code']; field: string; message: string }> = [];
      inputs.forEach((item, index) => {
        try {
          const input = parseInput(publishEventInput, onChannel(item, channel), 'event');
          if (input.idempotencyKey != null) throw badInput('idempotencyKey', 'is for single events; give the batch an idempotencyKey');
          drafts.push(draftOf(principal, input));
        } catch (err) {
          if (!(err instanceof HeraldError)) throw err;
          const field = typeof err.extensions.field === 'string' ? `.${err.extensions.field}` : '';
          errors.push({ index, code: err.code, field: `inputs.${index}${field}`, message: `inputs[${index}]: ${err.message}` });
        }
      });
      const [first] = errors;
      if (first) {
        throw new HeraldError(first.code, `${errors.length} of ${inputs.length} events refused, nothing published; first: ${first.message}`, {
          index: first.index,
          field: first.field,
          errors: errors.slice(0, 100),
        });
      }
      return idempotency.run('publishEvents', principal.id, idempotencyKey, () => bus.publishAll(drafts));
    },

    /** How a batching subscription gathers its frames: 1-1000 events, waiting 1-10000 ms (the first named channel's window by default). */
    batchOptions(channels: readonly string[], maxBatch: number | null | undefined, maxDelayMs: number | null | undefined): BatchOptions {
      const { maxBatch: size, maxDelayMs: delay } = parseInput(batchArgs, { maxBatch: maxBatch ?? 100, maxDelayMs: maxDelayMs ?? registry.get(channels[0] ?? '')?.batchWindowMs ?? 50 });
      return { maxBatch: size, maxDelayMs: delay };
    },

    /**
     * The topics a channel subscription covers and the filter on its events.
     * `*` is every channel the caller may read (every channel to come too,
     * when it may read all); naming a channel it may not read is FORBIDDEN,
     * an unknown one NOT_FOUND.
     */
    subscription(principal: Principal, args: { channels: unknown; types?: unknown; where?: unknown }): ChannelSubscription {
      const { channels, types } = parseInput(channelEventsArgs, { channels: args.channels, types: args.types });
      let topics: string[];
      if (channels.includes('*')) {
        if (readsEveryChannel(principal)) topics = [Topics.wildcard('channel')];
        else {
          topics = registry.list().filter((c) => canReadChannel(principal, c.name)).map((c) => Topics.channel(c.name));
          if (topics.length === 0) throw new HeraldError('FORBIDDEN', 'Not allowed to read any channel');
        }
      } else {
        topics = [...new Set(channels)].map((name) => {
          registry.require(name);
          if (!canReadChannel(principal, name)) throw new HeraldError('FORBIDDEN', `Not allowed to read channel ${name}`, { channel: name });
          return Topics.channel(name);
        });
      }
      const wanted = types?.length ? new Set(types) : undefined;
      const where = args.where == null ? undefined : filters.of(args.where);
      const key = JSON.stringify([[...topics].sort(), wanted ? [...wanted].sort() : null, args.where == null ? null : canonicalWhere(args.where)]);
      const ofType = wanted && ((e: EventEnvelope) => wanted.has(e.type));
      const accept = ofType && where ? (e: EventEnvelope) => ofType(e) && where(e) : (ofType ?? where);
      return { topics, accept, key };
    },
  };
}

/** The same text for the same filter, whatever the order of its fields. */
const canonicalWhere = (where: unknown) => JSON.stringify(parseWhere(where));
