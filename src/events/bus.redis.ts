import { RedisPubSub } from 'graphql-redis-subscriptions';
import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RedisConnections } from '../redis/connections.js';
import type { EventBus, EventListener } from './bus.js';
import { encodeCursor } from './cursor.js';
import { seal, serializeSealed } from './draft.js';
import type { EventEnvelope, Priority } from './envelope.js';
import { familyOf } from './topics.js';

// Incrementing the topic's sequence and publishing in one script makes the
// order subscribers see equal the sequence order, whichever instance published.
// The sequence is spliced into the JSON here so the event is serialized once.
const PUBLISH_SCRIPT = `
local sequence = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2] .. sequence .. '}')
return sequence
`;

type Wire = Omit<EventEnvelope, 'cursor'>;

export function createRedisBus(redis: RedisConnections, log: Logger): EventBus {
  const prefix = redis.keyPrefix;
  const channelOf = (topic: string) => `${prefix}ev:${topic}`;
  const pubsub = new RedisPubSub({
    publisher: redis.command,
    subscriber: redis.subscriber,
    // Decoded once per instance and shared by every local listener.
    deserializer: (message: string | Buffer) => decode(message.toString(), log),
  });
  redis.command.defineCommand('heraldPublish', { numberOfKeys: 1, lua: PUBLISH_SCRIPT });
  const publishScript = (redis.command as unknown as Record<string, (...args: string[]) => Promise<number>>)
    .heraldPublish!.bind(redis.command);

  return {
    async publish(draft) {
      const sealed = seal(draft);
      const json = serializeSealed(sealed);
      let sequence: number;
      try {
        sequence = await publishScript(`${prefix}seq:${sealed.topic}`, channelOf(sealed.topic), `${json.slice(0, -1)},"sequence":`);
      } catch (err) {
        throw new BackendUnavailableError(`publish failed: ${(err as Error).message}`);
      }
      return { ...sealed, sequence, cursor: encodeCursor(sealed.topic, sequence) };
    },
    async subscribe(topic, listener) {
      const family = topic.endsWith(':*') ? familyOf(topic) : undefined;
      const onMessage = (event: EventEnvelope | null) => {
        if (event && typeof event === 'object') listener(event);
      };
      const id = await pubsub.subscribe(channelOf(topic), onMessage as EventListener, { pattern: family !== undefined });
      return () => pubsub.unsubscribe(id);
    },
    isReady: () => redis.isReady(),
    async close() {
      // Connections are owned and closed by the app.
    },
  };
}

const PRIORITIES = new Set<Priority>(['LOW', 'NORMAL', 'HIGH', 'CRITICAL']);

/** Parses an event off the wire, refusing anything that is not a whole envelope. */
export function decode(text: string, log: Logger): EventEnvelope | null {
  let wire: Wire;
  try {
    wire = JSON.parse(text) as Wire;
  } catch {
    log.warn('dropped an event that is not JSON');
    return null;
  }
  if (
    typeof wire !== 'object' ||
    wire === null ||
    typeof wire.id !== 'string' ||
    typeof wire.topic !== 'string' ||
    typeof wire.type !== 'string' ||
    typeof wire.timestamp !== 'string' ||
    !Number.isSafeInteger(wire.sequence) ||
    !PRIORITIES.has(wire.priority)
  ) {
    log.warn('dropped an event that is not a valid envelope');
    return null;
  }
  return Object.freeze({ ...wire, cursor: encodeCursor(wire.topic, wire.sequence) });
}
