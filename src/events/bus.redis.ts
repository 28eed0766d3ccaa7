import { RedisPubSub } from 'graphql-redis-subscriptions';
import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RedisConnections } from '../redis/connections.js';
import { outlivedRetention, type EventBus, type EventListener, type LogRead, type Retention } from './bus.js';
import { cursorOf } from './cursor.js';
import { seal, serializeSealed } from './draft.js';
import type { EventEnvelope, Priority } from './envelope.js';
import { familyOf } from './topics.js';

// One script numbers the event (per topic and globally), appends it to the
// topic's stream, trims the stream and publishes it: live order equals log
// order whichever instance published, and a subscriber never sees an event
// the log lacks. The numbers are spliced into the JSON so it is serialized once.
// Trimming removes at most the one oldest entry per append, so the highest
// trimmed position is known exactly (the floor), for CURSOR_EXPIRED.
const PUBLISH_SCRIPT = `
local sequence = redis.call('INCR', KEYS[1])
local position = redis.call('INCR', KEYS[2])
local message = ARGV[2] .. sequence .. ',"position":' .. position .. '}'
redis.call('XADD', KEYS[3], position .. '-0', 'e', message)
if redis.call('XLEN', KEYS[3]) > tonumber(ARGV[3]) then
  local oldest = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)[1][1]
  redis.call('XTRIM', KEYS[3], 'MAXLEN', ARGV[3])
  redis.call('SET', KEYS[4], string.match(oldest, '^(%d+)'))
end
redis.call('EXPIRE', KEYS[3], ARGV[4])
redis.call('EXPIRE', KEYS[4], ARGV[4])
redis.call('SADD', KEYS[5], ARGV[5])
redis.call('PUBLISH', ARGV[1], message)
return {sequence, position}
`;

type Wire = Omit<EventEnvelope, 'cursor'>;
type PublishScript = (...args: string[]) => Promise<[number, number]>;

export function createRedisBus(redis: RedisConnections, log: Logger, retention: Retention = { count: 10_000, seconds: 86_400 }): EventBus {
  const prefix = redis.keyPrefix;
  const channelOf = (topic: string) => `${prefix}ev:${topic}`;
  const logOf = (topic: string) => `${prefix}log:${topic}`;
  const floorOf = (topic: string) => `${prefix}log-floor:${topic}`;
  const topicsOf = (family: string) => `${prefix}topics:${family}`;
  const pubsub = new RedisPubSub({
    publisher: redis.command,
    subscriber: redis.subscriber,
    // Decoded once per instance and shared by every local listener.
    deserializer: (message: string | Buffer) => decode(message.toString(), log),
  });
  redis.command.defineCommand('heraldPublish', { numberOfKeys: 5, lua: PUBLISH_SCRIPT });
  const publishScript = (redis.command as unknown as Record<string, PublishScript>).heraldPublish!.bind(redis.command);

  return {
    async publish(draft) {
      const sealed = seal(draft);
      const json = serializeSealed(sealed);
      const family = familyOf(sealed.topic) ?? 'other';
      let numbers: [number, number];
      try {
        numbers = await publishScript(
          `${prefix}seq:${sealed.topic}`,
          `${prefix}position`,
          logOf(sealed.topic),
          floorOf(sealed.topic),
          topicsOf(family),
          channelOf(sealed.topic),
          `${json.slice(0, -1)},"sequence":`,
          String(retention.count),
          String(retention.seconds),
          sealed.topic,
        );
      } catch (err) {
        throw new BackendUnavailableError(`publish failed: ${(err as Error).message}`);
      }
      const [sequence, position] = numbers;
      return { ...sealed, sequence, position, cursor: cursorOf({ ...sealed, sequence, position }) };
    },
    async subscribe(topic, listener) {
      const family = topic.endsWith(':*') ? familyOf(topic) : undefined;
      const onMessage = (event: EventEnvelope | null) => {
        if (event && typeof event === 'object') listener(event);
      };
      const id = await pubsub.subscribe(channelOf(topic), onMessage as EventListener, { pattern: family !== undefined });
      return () => pubsub.unsubscribe(id);
    },
    async read(topics, from, limit): Promise<LogRead> {
      if (from && outlivedRetention(from, retention)) return { ok: false, reason: 'expired' };
      const after = from ?? { position: 0, time: Date.now() };
      try {
        const named = topics.filter((t) => !t.endsWith(':*'));
        const families = topics.filter((t) => t.endsWith(':*')).map((t) => t.slice(0, -2));
        const known = families.length > 0 ? await Promise.all(families.map((f) => redis.command.smembers(topicsOf(f)))) : [];
        const all = [...new Set([...named, ...known.flat()])];
        if (all.length === 0) return { ok: true, events: [], hasMore: false };
        const pipeline = redis.command.pipeline();
        for (const topic of all) pipeline.get(floorOf(topic)).xrange(logOf(topic), `(${after.position}-0`, '+', 'COUNT', limit + 1);
        const replies = (await pipeline.exec()) ?? [];
        const events: EventEnvelope[] = [];
        let hasMore = false;
        for (let i = 0; i < all.length; i++) {
          const [floorErr, floor] = replies[2 * i]!;
          const [rangeErr, entries] = replies[2 * i + 1]!;
          if (floorErr || rangeErr) throw floorErr ?? rangeErr;
          if (from && floor !== null && Number(floor) > after.position) return { ok: false, reason: 'expired' };
          const list = entries as Array<[string, string[]]>;
          if (list.length > limit) hasMore = true;
          for (const [, fields] of list.slice(0, limit)) {
            const event = decode(fields[1]!, log);
            if (event) events.push(event);
          }
        }
        events.sort((a, b) => a.position - b.position);
        return { ok: true, events: events.slice(0, limit), hasMore: hasMore || events.length > limit };
      } catch (err) {
        throw new BackendUnavailableError(`log read failed: ${(err as Error).message}`);
      }
    },
    async head() {
      try {
        return Number((await redis.command.get(`${prefix}position`)) ?? 0);
      } catch (err) {
        throw new BackendUnavailableError(`head read failed: ${(err as Error).message}`);
      }
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
    !Number.isSafeInteger(wire.position) ||
    !PRIORITIES.has(wire.priority)
  ) {
    log.warn('dropped an event that is not a valid envelope');
    return null;
  }
  return Object.freeze({ ...wire, cursor: cursorOf(wire) });
}
