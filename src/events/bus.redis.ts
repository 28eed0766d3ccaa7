import { randomUUID } from 'node:crypto';
import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { bulkScript } from '../redis/bulk-script.js';
import { commandReady, mayHaveRun, type RedisConnections } from '../redis/connections.js';
import { outlivedRetentionOfAny, type EventBus, type EventListener, type LogRead, type RecordWrite, type Retention, type RetentionOf } from './bus.js';
import { envelopeOf, sealAll, serializeSealedEvent, splitSerialized, type SealedEvent } from './draft.js';
import type { EventDraft, EventEnvelope } from './envelope.js';
import { mergeTopics, type Page, type PageRequest } from './merge.js';
import { isPriority } from './priority.js';
import { familyOf, type TopicFamily } from './topics.js';

// One script numbers each event (per topic and globally), appends it to its
// topic's stream, trims the stream and publishes it: live order equals log
// order whichever instance published, and a subscriber never sees an event
// the log lacks. The numbers are spliced into the JSON so it is serialized once.
// Work that need not happen with every event happens with every tenth event
// of a topic (with every one when the retention count is under 1000):
// - trimming: a topic at retention would otherwise pay a read, a trim and a
//   write of its floor with every event. The stream is trimmed back to the
//   retention count, so it holds at most 10 more. The trimmed entries are
//   read first, so the highest trimmed position is known exactly (the
//   floor), for CURSOR_EXPIRED. Reading costs about 2.5 us per entry inside
//   Redis, so larger batches stall the events behind them: batches of 100
//   took 0.3-3 ms, often enough to reach the p99.
// - naming the topic in its family's set (for wildcard reads); the first
//   event of a topic always does.
// The floor, like the sequence, has no expiry: it is only ever compared with
// cursors, and one older than the retention time is expired anyway.
// Events made together (a deployment to many gateways) go in one call, and
// when they span several topics of one family, in one message on the
// family's batch channel instead of one per topic: a deployment to 100
// gateways costs each instance one message, not 100 (see batchRoutes).
// A record the events announce (a task) can be stored in the same call,
// before them: one round trip for both, and the record is there whenever the
// event is (see RecordWrite).
// KEYS: the global position, then per record its key and index, then per
// event its topic's sequence, stream, floor and family set. ARGV: the number
// of records, per record its value and index member, then per event its
// topic, channel, JSON in two parts (its own id and topic, then the rest up to
// the sequence, or '' when the rest is the previous event's: see
// splitSerialized), and its topic's retention count and seconds (a channel
// may keep fewer events, or keep them shorter, than the default); then, for a
// batch message, its channel. A batch message carries per event four lines:
// topic, the two parts of its JSON and `<sequence> <position>`, so the rest
// that the events of a deployment share travels, and is parsed, once.
// Both publish scripts trim a topic's stream back to its retention count with
// every `every`th event, and remember the highest trimmed position (its floor).
const TRIM_EVERY = `
  if sequence % every == 0 then
    local excess = redis.call('XLEN', stream) - limit
    if excess > 0 then
      local trimmed = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess)
      redis.call('XTRIM', stream, 'MAXLEN', limit)
      redis.call('SET', floor, string.match(trimmed[excess][1], '^(%d+)'))
    end
  end`;

// Positions never go back, even when a failover loses the newest events
// (asynchronous replication) and with them the counter's last increments: a
// position is at least Redis's clock in microseconds, so the first one taken
// after a failover, which takes seconds, is past every one taken before it,
// and a cursor handed out for a lost event still resumes before every later
// event. Between ticks of the clock the counter counts on as before. Lua
// prints numbers this large in exponent form: they are formatted with %d.
// Takes `count` positions from the counter in KEYS[1]; `first` is the one
// before them.
const TAKE_POSITIONS = `
local now = redis.call('TIME')
local clock = tonumber(now[1]) * 1000000 + tonumber(now[2])
local last = redis.call('INCRBY', KEYS[1], count)
if last - count < clock then
  last = clock + count
  redis.call('SET', KEYS[1], string.format('%d', last))
end
local first = last - count`;

const PUBLISH_SCRIPT = `
local records = tonumber(ARGV[1])
for r = 1, records do
  redis.call('SET', KEYS[2 * r], ARGV[2 * r])
  redis.call('ZADD', KEYS[2 * r + 1], 0, ARGV[2 * r + 1])
end
local k, a = 1 + 2 * records, 1 + 2 * records
local numbers = {}
local count = (#KEYS - k) / 4
${TAKE_POSITIONS}
local batch = ARGV[a + 6 * count + 1]
local parts = {}
local rest
for i = 0, count - 1 do
  local seq, stream, floor, family = KEYS[k + 1 + 4 * i], KEYS[k + 2 + 4 * i], KEYS[k + 3 + 4 * i], KEYS[k + 4 + 4 * i]
  local topic, channel, own, shared = ARGV[a + 1 + 6 * i], ARGV[a + 2 + 6 * i], ARGV[a + 3 + 6 * i], ARGV[a + 4 + 6 * i]
  local limit, seconds = tonumber(ARGV[a + 5 + 6 * i]), ARGV[a + 6 + 6 * i]
  if shared ~= '' then rest = shared end
  local every = math.min(10, math.max(1, math.floor(limit / 100)))
  local sequence = redis.call('INCR', seq)
  local position = first + i + 1
  local text = string.format('%d', position)
  local message = own .. rest .. sequence .. ',"position":' .. text .. '}'
  redis.call('XADD', stream, text .. '-0', 'e', message)
${TRIM_EVERY}
  if (sequence - 1) % every == 0 then redis.call('SADD', family, topic) end
  redis.call('EXPIRE', stream, seconds)
  if batch then
    parts[4 * i + 1] = topic
    parts[4 * i + 2] = own
    parts[4 * i + 3] = shared
    parts[4 * i + 4] = sequence .. ' ' .. text
  else
    redis.call('PUBLISH', channel, message)
  end
  numbers[2 * i + 1] = sequence
  numbers[2 * i + 2] = position
end
if batch then redis.call('PUBLISH', batch, table.concat(parts, '\\n')) end
return numbers
`;

// Redis Cluster: a script may only touch keys of one hash slot. A topic's
// keys share one (its hash tag), so numbering, appending, trimming and
// publishing stay one atomic step per topic, as above. The global position is
// taken first (INCRBY, on its own slot) and handed in; a script that finds its
// topic's log already past a position it was given (another publisher took a
// later one and appended first) appends nothing and the publisher takes new
// ones, so a topic's log stays in position order. Across topics nothing is
// atomic: see docs/guarantees.md.
// The floor is written (as 0, where none is yet) with the first event of a
// topic, and every tenth one for topics older than that: while a slot migrates,
// Redis refuses (TRYAGAIN) a script naming a key that does not exist, so a
// topic without a floor could not publish until the migration ended.
// KEYS: per event its topic's sequence, stream and floor. ARGV: per event its
// channel, JSON up to the sequence, retention count and seconds, position.
const SLOT_PUBLISH_SCRIPT = `
for i = 0, #KEYS / 3 - 1 do
  local top = redis.call('XREVRANGE', KEYS[2 + 3 * i], '+', '-', 'COUNT', 1)[1]
  if top and tonumber(string.match(top[1], '^(%d+)')) >= tonumber(ARGV[5 + 5 * i]) then return {-1} end
end
local numbers = {}
for i = 0, #KEYS / 3 - 1 do
  local seq, stream, floor = KEYS[1 + 3 * i], KEYS[2 + 3 * i], KEYS[3 + 3 * i]
  local channel, head, limit, seconds, position = ARGV[1 + 5 * i], ARGV[2 + 5 * i], tonumber(ARGV[3 + 5 * i]), ARGV[4 + 5 * i], ARGV[5 + 5 * i]
  local every = math.min(10, math.max(1, math.floor(limit / 100)))
  local sequence = redis.call('INCR', seq)
  local message = head .. sequence .. ',"position":' .. position .. '}'
  redis.call('XADD', stream, position .. '-0', 'e', message)
  if (sequence - 1) % every == 0 then redis.call('SET', floor, 0, 'NX') end
${TRIM_EVERY}
  redis.call('EXPIRE', stream, seconds)
  redis.call('SPUBLISH', channel, message)
  numbers[i + 1] = sequence
end
return numbers
`;

// Redis Cluster: positions are taken on the counter's own slot, as above.
// ARGV: how many.
const POSITIONS_SCRIPT = `
local count = tonumber(ARGV[1])
${TAKE_POSITIONS}
return last
`;

// Redis Cluster: a record's keys hash to a slot of their own, so it is
// stored by a call of its own, answered before its events are published.
const RECORD_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
`;

/** Topics an instance remembers having named in their family (Cluster). */
const MAX_NAMED_TOPICS = 10_000;
/** Topics whose publish-script keys an instance keeps made. */
const MAX_KEYED_TOPICS = 10_000;

/** How many times a publish takes new positions after losing a race for its topic before it gives up. */
const POSITION_ATTEMPTS = 8;

type Wire = Omit<EventEnvelope, 'cursor'>;

/** The publish scripts append each event's numbers to its JSON, which ends with this key (its closing brace taken off). */
const SEQUENCE_KEY = ',"sequence":';
const untilSequence = (json: string) => `${json.slice(0, -1)}${SEQUENCE_KEY}`;

/** How long a publish whose outcome is unknown waits for Redis to answer before failing. */
const SETTLE_WAIT_MS = 5_000;
/** The pause before looking again when a lookup of such a publish fails. */
const SETTLE_RETRY_MS = 100;
/** Log entries read per request, and at most, looking for such a publish. */
const SETTLE_PAGE = 500;
const SETTLE_SCAN_MAX = 100_000;
/** Entries this much older than the event (instances' clocks differ) end the search. */
const SETTLE_CLOCK_SKEW_MS = 60_000;
type PositionsScript = (key: string, count: string) => Promise<number>;
type RecordScript = (key: string, index: string, value: string, member: string) => Promise<unknown>;

export function createRedisBus(redis: RedisConnections, log: Logger, retention: Retention = { count: 10_000, seconds: 86_400 }, retentionOf: RetentionOf = () => retention): EventBus {
  const prefix = redis.keyPrefix;
  // A topic's keys and channel carry it as their hash tag: one slot per topic in a Redis Cluster.
  // A family's wildcard ("repo:*") names the channel its pattern subscription matches, or in a
  // Cluster the shard channel every event of the family is published to as well.
  const channelOf = (topic: string) => `${prefix}ev:{${topic}}`;
  const logOf = (topic: string) => `${prefix}log:{${topic}}`;
  const floorOf = (topic: string) => `${prefix}log-floor:{${topic}}`;
  const seqOf = (topic: string) => `${prefix}seq:{${topic}}`;
  const topicsOf = (family: string) => `${prefix}topics:${family}`;
  const positionKey = `${prefix}position`;
  // A topic's keys for the publish scripts, made once per topic rather than once per event.
  const topicKeys = new Map<string, readonly [seq: string, log: string, floor: string, topics: string]>();
  const keysOf = (topic: string) => {
    let keys = topicKeys.get(topic);
    if (keys === undefined) {
      if (topicKeys.size >= MAX_KEYED_TOPICS) topicKeys.clear();
      topicKeys.set(topic, (keys = [seqOf(topic), logOf(topic), floorOf(topic), topicsOf(familyOf(topic) ?? 'other')]));
    }
    return keys;
  };
  // Decoded once per instance (the hub makes one bus subscription per topic) and shared by every local listener.
  const decodeLive = liveDecoder(log);
  const publishing = bulkScript(redis.sharded ? SLOT_PUBLISH_SCRIPT : PUBLISH_SCRIPT);
  const publishScript = async (keys: readonly string[], args: readonly string[]) => (await publishing(redis.command, keys, args)) as number[];
  redis.command.defineCommand('heraldRecord', { numberOfKeys: 2, lua: RECORD_SCRIPT });
  redis.command.defineCommand('heraldPositions', { numberOfKeys: 1, lua: POSITIONS_SCRIPT });
  /** Takes this many positions (Cluster); resolves to the last. */
  const takePositions = (count: number) => (redis.command as unknown as { heraldPositions: PositionsScript }).heraldPositions(positionKey, String(count));
  const recordScript = (redis.command as unknown as { heraldRecord: RecordScript }).heraldRecord.bind(redis.command);
  const decodeRead = readDecoder(log);
  const batches = batchRoutes(redis, (family) => `${prefix}evb:${family}`, batchDecoder(log));

  /** One page of each topic asked, with its floor, in one round trip. */
  async function readPages(requests: readonly PageRequest[]): Promise<Page[]> {
    const replies = await readReplies(requests);
    return requests.map(({ after, count }, i) => {
      const [floorErr, floor] = replies[2 * i]!;
      const [rangeErr, entries] = replies[2 * i + 1]!;
      if (floorErr || rangeErr) throw floorErr ?? rangeErr;
      const list = entries as Array<[string, string[]]>;
      const events: EventEnvelope[] = [];
      for (const [, fields] of list) {
        const event = decodeRead(fields[1]!);
        if (event) events.push(event);
      }
      const last = list.length > 0 ? Number.parseInt(list[list.length - 1]![0], 10) : after;
      return { events, last, more: list.length === count, floor: floor === null ? 0 : Number(floor) };
    });
  }

  /** The floor and a page of each topic: one pipeline on one server; in a Cluster each topic on its own shard (auto-pipelined per node). */
  async function readReplies(requests: readonly PageRequest[]): Promise<Array<[Error | null, unknown]>> {
    if (!redis.sharded) {
      const pipeline = redis.command.pipeline();
      for (const { topic, after, count } of requests) pipeline.get(floorOf(topic)).xrange(logOf(topic), `(${after}-0`, '+', 'COUNT', count);
      return (await pipeline.exec()) ?? [];
    }
    const settle = (reply: Promise<unknown>) => reply.then((value): [Error | null, unknown] => [null, value], (err: Error): [Error | null, unknown] => [err, null]);
    return Promise.all(requests.flatMap(({ topic, after, count }) => [settle(redis.command.get(floorOf(topic))), settle(redis.command.xrange(logOf(topic), `(${after}-0`, '+', 'COUNT', count))]));
  }

  /**
   * Cluster: topics this instance named in their family lately, so a publish pays for SADD once
   * per topic rather than every time. Forgotten after a live gap (a failover may have lost the
   * set with the events) and when it grows past its bound.
   */
  const namedTopics = new Set<string>();
  if (redis.sharded) redis.subscriptions.onGap(() => namedTopics.clear());

  /**
   * Cluster: each topic's events in one script on its slot, with positions taken before (see
   * SLOT_PUBLISH_SCRIPT); a record is stored while the positions are taken, before any of them.
   */
  async function publishSharded(events: ReturnType<typeof sealAll>, record: RecordWrite | undefined): Promise<EventEnvelope[]> {
    const heads = events.map((event) => untilSequence(serializeSealedEvent(event)));
    const byTopic = new Map<string, number[]>();
    for (const [i, { sealed }] of events.entries()) {
      const indexes = byTopic.get(sealed.topic);
      if (indexes) indexes.push(i);
      else byTopic.set(sealed.topic, [i]);
    }
    const sequences: number[] = [];
    const positions: number[] = [];
    // Named in its family before the first event can be read, so a wildcard reader never misses a topic.
    const named = Promise.all(
      [...byTopic.keys()]
        .filter((topic) => !namedTopics.has(topic))
        .map(async (topic) => {
          await redis.command.sadd(topicsOf(familyOf(topic) ?? 'other'), topic);
          if (namedTopics.size >= MAX_NAMED_TOPICS) namedTopics.clear();
          namedTopics.add(topic);
        }),
    );
    // Awaited below with the scripts; handled now so that a publish failing before that (no position, no record) leaves no rejection unhandled.
    named.catch(() => {});
    /** Positions for these events, in their order: `last` is the counter after taking them. */
    const take = (indexes: readonly number[], last: number) => indexes.forEach((index, k) => (positions[index] = last - indexes.length + 1 + k));
    const publishTopic = async (topic: string, indexes: number[]) => {
      const kept = retentionOf(topic);
      const [seqKey, logKey, floorKey] = keysOf(topic);
      const channel = channelOf(topic);
      const count = String(kept.count);
      const seconds = String(kept.seconds);
      // Reads the positions when called: after losing a race they are new ones.
      const run = () => {
        const keys: string[] = [];
        const args: string[] = [];
        for (const index of indexes) {
          keys.push(seqKey, logKey, floorKey);
          args.push(channel, heads[index]!, count, seconds, String(positions[index]));
        }
        return publishScript(keys, args);
      };
      for (let attempt = 1; attempt < POSITION_ATTEMPTS; attempt++) {
        let numbers: number[];
        try {
          numbers = await run();
        } catch (err) {
          if (!mayHaveRun(err)) throw err;
          // As on one server (see publishAll): the topic's log says whether the script ran.
          const settled = await settleUnknownPublish(indexes.map((index) => events[index]!), run, err as Error);
          if ('logged' in settled) {
            indexes.forEach((index, k) => {
              sequences[index] = settled.logged[2 * k]!;
              positions[index] = settled.logged[2 * k + 1]!;
            });
            return;
          }
          numbers = settled.again;
        }
        if (numbers[0] !== -1) {
          indexes.forEach((index, k) => (sequences[index] = numbers[k]!));
          return;
        }
        take(indexes, await takePositions(indexes.length));
      }
      throw new Error(`positions kept losing to other publishers of ${topic}`);
    };
    // The whole batch's positions in one step, in the order given, as one server numbers them.
    const [last] = await Promise.all([takePositions(events.length), record && recordScript(record.key, record.index, record.value, record.member)]);
    take(events.map((_, i) => i), last);
    await Promise.all([named, ...[...byTopic].map(([topic, indexes]) => publishTopic(topic, indexes))]);
    return events.map(({ sealed, time }, i) => {
      const sequence = sequences[i]!;
      const position = positions[i]!;
      const family = familyOf(sealed.topic);
      // Wildcard subscribers listen on the family's shard channel; order there is mended by the hub (sequence per topic).
      if (family !== undefined) redis.command.spublish(channelOf(`${family}:*`), `${heads[i]!}${sequence},"position":${position}}`).catch(() => {});
      return envelopeOf(sealed.id, sealed.topic, sealed, sequence, position, time);
    });
  }

  async function publishAll(drafts: readonly EventDraft[], record?: RecordWrite): Promise<EventEnvelope[]> {
    const events = sealAll(drafts);
    if (events.length === 0) return [];
    if (redis.sharded) {
      try {
        return await publishSharded(events, record);
      } catch (err) {
        throw new BackendUnavailableError(`publish failed: ${(err as Error).message}`);
      }
    }
    const keys = [positionKey];
    const args: string[] = [];
    if (record) {
      keys.push(record.key, record.index);
      args.push('1', record.value, record.member);
    } else {
      args.push('0');
    }
    const parts = splitSerialized(events);
    const family = batchFamily(events);
    let kept: Retention | undefined;
    let count = '';
    let seconds = '';
    for (let i = 0; i < events.length; i++) {
      const topic = events[i]!.sealed.topic;
      const retention = retentionOf(topic);
      if (retention !== kept) [kept, count, seconds] = [retention, String(retention.count), String(retention.seconds)];
      const { own, rest } = parts[i]!;
      const [seqKey, logKey, floorKey, familyKey] = keysOf(topic);
      keys.push(seqKey, logKey, floorKey, familyKey);
      // A batch goes out on its family's channel: the topic's own is not used.
      args.push(topic, family === undefined ? channelOf(topic) : '', own, rest === '' ? '' : untilSequence(rest), count, seconds);
    }
    if (family !== undefined) args.push(batches.channelOf(family));
    let numbers: number[];
    try {
      numbers = await publishScript(keys, args);
    } catch (err) {
      if (!mayHaveRun(err)) throw new BackendUnavailableError(`publish failed: ${(err as Error).message}`);
      // The connection dropped with the script sent: it may have run. Once Redis
      // answers again, the log says whether it did; publishing again blindly
      // would log the events twice.
      const settled = await settleUnknownPublish(events, () => publishScript(keys, args), err as Error);
      numbers = 'logged' in settled ? settled.logged : settled.again;
    }
    return events.map(({ sealed, time }, i) => {
      const sequence = numbers[2 * i]!;
      const position = numbers[2 * i + 1]!;
      return envelopeOf(sealed.id, sealed.topic, sealed, sequence, position, time);
    });
  }

  /**
   * Finds events of a publish whose outcome is unknown in their topics' logs
   * (their sequence and position, in order), or publishes them again when the
   * log lacks them; a script runs whole or not at all, so finding the first
   * settles the rest. A lookup or second publish that fails (a Cluster shard
   * still failing over, the connection dropping again) is tried again, from
   * the lookup, until SETTLE_WAIT_MS: looking first keeps that safe. Fails
   * with BackendUnavailableError when Redis does not answer in time.
   */
  async function settleUnknownPublish<T>(events: readonly SealedEvent[], publishAgain: () => Promise<T>, cause: Error): Promise<{ logged: number[] } | { again: T }> {
    const unknown = () => new BackendUnavailableError(`publish outcome unknown, the connection to redis dropped: ${cause.message}`);
    const deadline = Date.now() + SETTLE_WAIT_MS;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || !(await commandReady(redis, left))) throw unknown();
      try {
        const found = await findLogged(events);
        if (found) return { logged: found };
        return { again: await publishAgain() };
      } catch {
        if (Date.now() + SETTLE_RETRY_MS >= deadline) throw unknown();
        await new Promise((resolve) => setTimeout(resolve, SETTLE_RETRY_MS));
      }
    }
  }

  /** The numbers of the events in the log, or null when the first one is not there. */
  async function findLogged(events: readonly SealedEvent[]): Promise<number[] | null> {
    const numbers: number[] = [];
    for (const [i, { sealed, time }] of events.entries()) {
      const at = await findInLog(sealed.topic, sealed.id, time);
      if (!at) {
        if (i === 0) return null;
        throw new Error(`event ${sealed.id} of a logged batch is not in the log`);
      }
      numbers.push(at.sequence, at.position);
    }
    return numbers;
  }

  /** Looks for an event from the newest entry of its topic back to those published well before it. */
  async function findInLog(topic: string, id: string, time: number): Promise<{ sequence: number; position: number } | null> {
    const needle = `"id":${JSON.stringify(id)}`;
    let end = '+';
    for (let scanned = 0; scanned < SETTLE_SCAN_MAX; scanned += SETTLE_PAGE) {
      const entries = (await redis.command.xrevrange(logOf(topic), end, '-', 'COUNT', SETTLE_PAGE)) as Array<[string, string[]]>;
      for (const [entryId, fields] of entries) {
        const text = fields[1]!;
        if (text.includes(needle)) {
          const event = decode(text, log);
          if (event?.id === id) return { sequence: event.sequence, position: event.position };
        }
        const published = Date.parse(/"timestamp":"([^"]+)"/.exec(text)?.[1] ?? '');
        if (published < time - SETTLE_CLOCK_SKEW_MS) return null;
        end = `(${entryId}`;
      }
      if (entries.length < SETTLE_PAGE) return null;
    }
    return null;
  }

  /** A shard channel's subscribers are counted by the shard that owns it; the others answer 0. */
  async function shardListeners(channels: readonly string[]): Promise<number[]> {
    const masters = 'nodes' in redis.command ? redis.command.nodes('master') : [redis.command];
    const replies = await Promise.all(
      masters.map((node) => Promise.all(channels.map((channel) => node.call('PUBSUB', 'SHARDNUMSUB', channel) as Promise<Array<string | number>>))),
    );
    return channels.map((_, i) => replies.reduce((sum, reply) => sum + Number(reply[i]![1]), 0));
  }

  /**
   * An id the log's Redis holds for as long as it holds the log: one that is
   * gone or another than the one seen first means Redis came back empty.
   */
  const epochKey = `${prefix}log-epoch`;
  let epoch: string | undefined;
  const currentEpoch = async (): Promise<string> => {
    await redis.command.set(epochKey, randomUUID(), 'NX');
    return (await redis.command.get(epochKey)) ?? '';
  };
  const learnEpoch = () => {
    if (epoch === undefined) currentEpoch().then((seen) => void (epoch ??= seen), () => {});
  };
  redis.command.on('ready', learnEpoch);
  if (redis.command.status === 'ready') learnEpoch();

  return {
    wildcardsInOrder: !redis.sharded,
    positionsInOrder: !redis.sharded,
    async lostLog() {
      const seen = await currentEpoch();
      const lost = epoch !== undefined && seen !== epoch;
      epoch = seen;
      return lost;
    },
    async publish(draft) {
      return (await publishAll([draft]))[0]!;
    },
    async publishWithRecord(draft, record) {
      return (await publishAll([draft], record))[0]!;
    },
    publishAll: (drafts) => publishAll(drafts),
    async subscribe(topic, listener) {
      const family = familyOf(topic);
      const pattern = topic.endsWith(':*') && family !== undefined;
      const own = redis.subscriptions.subscribe(
        channelOf(topic),
        (message) => {
          const event = decodeLive(message.toString());
          if (event) listener(event);
        },
        redis.sharded ? { sharded: true } : { pattern },
      );
      // On a Cluster each event goes on its own shard channel: there are no batch messages to join.
      if (family === undefined || redis.sharded) return own;
      // Both live before this resolves, so that no event of the topic can pass by either way.
      const [single, batched] = await Promise.allSettled([own, batches.join(family, pattern ? null : topic, listener)]);
      if (single.status === 'rejected' || batched.status === 'rejected') {
        if (single.status === 'fulfilled') single.value();
        if (batched.status === 'fulfilled') batched.value();
        throw single.status === 'rejected' ? single.reason : (batched as PromiseRejectedResult).reason;
      }
      return () => {
        single.value();
        batched.value();
      };
    },
    onLiveGap(handler) {
      redis.subscriptions.onGap((gap) => handler({ since: gap.since, resumed: gap.resubscribed }));
    },
    async read(topics, from, limit): Promise<LogRead> {
      if (from && outlivedRetentionOfAny(from, topics, retention, retentionOf)) return { ok: false, reason: 'expired' };
      try {
        const named = topics.filter((t) => !t.endsWith(':*'));
        const families = topics.filter((t) => t.endsWith(':*')).map((t) => t.slice(0, -2));
        const known = families.length > 0 ? await Promise.all(families.map((f) => redis.command.smembers(topicsOf(f)))) : [];
        const all = [...new Set([...named, ...known.flat()])];
        return await mergeTopics(all, from, limit, readPages);
      } catch (err) {
        throw new BackendUnavailableError(`log read failed: ${(err as Error).message}`);
      }
    },
    async listeners(topics) {
      if (topics.length === 0) return [];
      try {
        if (redis.sharded) return await shardListeners(topics.map(channelOf));
        // NUMSUB answers channel, count, channel, count, ... in the order asked.
        const reply = (await redis.command.call('PUBSUB', 'NUMSUB', ...topics.map(channelOf))) as Array<string | number>;
        return topics.map((_, i) => Number(reply[2 * i + 1]));
      } catch (err) {
        throw new BackendUnavailableError(`listener count failed: ${(err as Error).message}`);
      }
    },
    async head() {
      try {
        return Number((await redis.command.get(positionKey)) ?? 0);
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

/**
 * The family whose batch channel carries these events, or undefined when
 * they go one message per event: a batch message pays off for events of
 * several topics of one family (one deployment to many gateways), and it
 * would only widen the audience of events of one topic.
 */
function batchFamily(events: readonly SealedEvent[]): TopicFamily | undefined {
  if (events.length < 2) return undefined;
  const first = events[0]!.sealed.topic;
  const family = familyOf(first);
  if (family === undefined) return undefined;
  let several = false;
  for (const { sealed } of events) {
    const topic = sealed.topic;
    // The batch message separates topics and events by newlines, which JSON text never holds unescaped.
    if (topic === first) continue;
    if (familyOf(topic) !== family || topic.includes('\n') || first.includes('\n')) return undefined;
    several = true;
  }
  return several ? family : undefined;
}

/** The listeners of one topic of a family, with the topic's name: events handed to them take this string rather than a copy each. */
class TopicListeners extends Set<EventListener> {
  constructor(readonly topic: string) {
    super();
  }
}

type BatchRoute = {
  /** Listeners per named topic of the family. */
  readonly topics: Map<string, TopicListeners>;
  /** Listeners of the family wildcard: every event of the family. */
  readonly wildcard: Set<EventListener>;
  readonly subscription: Promise<() => void>;
};

/**
 * The receiving side of batch messages: one subscription per family batch
 * channel while any topic of the family is followed here, whose messages
 * (four lines per event, in publish order: see PUBLISH_SCRIPT) are split by
 * topic and handed to the listeners of each. An event of a topic nobody follows
 * here is never parsed. Redis sends a subscriber connection its messages in
 * the order they were published whatever their channel, so an event in a
 * batch keeps its place among those published to its topic alone.
 */
function batchRoutes(redis: RedisConnections, channelOf: (family: TopicFamily) => string, decodeBatched: BatchDecoder) {
  const routes = new Map<TopicFamily, BatchRoute>();

  const route = (to: BatchRoute, message: Buffer) => {
    const lines = message.toString().split('\n');
    let rest = '';
    for (let i = 0; i + 3 < lines.length; i += 4) {
      const shared = lines[i + 2]!;
      if (shared !== '') rest = shared;
      const listeners = to.topics.get(lines[i]!);
      if (listeners === undefined && to.wildcard.size === 0) continue;
      const event = decodeBatched(lines[i + 1]!, rest, lines[i + 3]!, listeners?.topic);
      if (!event) continue;
      if (listeners) for (const listener of listeners) listener(event);
      for (const listener of to.wildcard) listener(event);
    }
  };

  return {
    channelOf,
    /** Hands the listener the batched events of the topic (every one of the family when null); resolves once live. */
    async join(family: TopicFamily, topic: string | null, listener: EventListener): Promise<() => void> {
      let to = routes.get(family);
      if (!to) {
        const created: BatchRoute = { topics: new Map(), wildcard: new Set(), subscription: undefined as unknown as Promise<() => void> };
        (created as { subscription: Promise<() => void> }).subscription = redis.subscriptions.subscribe(channelOf(family), (message) => route(created, message));
        routes.set(family, (to = created));
      }
      const joined = to;
      let set = joined.wildcard;
      if (topic !== null) {
        const named = joined.topics.get(topic);
        if (named) set = named;
        else joined.topics.set(topic, (set = new TopicListeners(topic)));
      }
      set.add(listener);
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        set.delete(listener);
        if (topic !== null && set.size === 0 && joined.topics.get(topic) === set) joined.topics.delete(topic);
        if (joined.topics.size > 0 || joined.wildcard.size > 0 || routes.get(family) !== joined) return;
        routes.delete(family);
        joined.subscription.then(
          (unsubscribe) => unsubscribe(),
          () => {},
        );
      };
      try {
        await joined.subscription;
      } catch (err) {
        leave();
        throw err;
      }
      return leave;
    },
  };
}

/** How many decoded log entries are kept for readers that come by the same stretch of the log. */
const READ_CACHE = 4096;

/**
 * Decodes what is read from the log. Readers that go over the same entries
 * around the same time (one push worker per endpoint) get the same object for
 * the same text, so an entry is parsed once, and serialized once for pushing
 * (see push/worker.ts), rather than once per reader. Keyed by the text, which
 * the object is a pure function of.
 */
function readDecoder(log: Logger) {
  const recent = new Map<string, EventEnvelope>();
  return (text: string): EventEnvelope | null => {
    const known = recent.get(text);
    if (known) return known;
    const event = decode(text, log);
    if (!event) return null;
    recent.set(text, event);
    if (recent.size > READ_CACHE) recent.delete(recent.keys().next().value!);
    return event;
  };
}


/**
 * Decodes published events as they arrive. Consecutive events with the same
 * payload text (one deployment's events for many gateways) get one payload
 * object, as they have in embedded mode, so that their GraphQL results can be
 * shared (see shared-results.ts). The payload text is what lies between the
 * first `"payload":` (no key before it has that name, and a string value
 * cannot hold it unescaped) and the `,"sequence":` the publish script appends.
 */
function liveDecoder(log: Logger) {
  let lastText: string | undefined;
  let lastPayload: unknown;
  return (text: string): EventEnvelope | null => {
    const start = text.indexOf('"payload":');
    const end = text.lastIndexOf(SEQUENCE_KEY);
    const payloadText = start >= 0 && end > start ? text.slice(start + '"payload":'.length, end) : undefined;
    const same = payloadText !== undefined && payloadText === lastText;
    const event = decode(text, log, same ? lastPayload : undefined);
    if (event && !same) {
      lastText = payloadText;
      lastPayload = event.payload;
    }
    return event;
  };
}

/** Parses an event off the wire, refusing anything that is not a whole envelope; `payload`, when given, replaces an equal one. */
export function decode(text: string, log: Logger, payload?: unknown): EventEnvelope | null {
  let wire: Wire;
  try {
    wire = JSON.parse(text) as Wire;
  } catch {
    log.warn('dropped an event that is not JSON');
    return null;
  }
  if (payload !== undefined && typeof wire === 'object' && wire !== null) (wire as { payload: unknown }).payload = payload;
  return checkedEnvelope(wire, log);
}

/** `topic`, when the caller knows it, is the event's: a string kept anyway, taken instead of the parsed copy. */
type BatchDecoder = (own: string, rest: string, numbers: string, topic?: string) => EventEnvelope | null;

/** What the events of a batch share: all but their id, topic and numbers. */
type Shared = Omit<Wire, 'id' | 'topic' | 'sequence' | 'position'> & { readonly time: number };

/**
 * Decodes the events of batch messages from their parts (see PUBLISH_SCRIPT).
 * The rest that consecutive events share is parsed and checked once, so they
 * share one payload object, as they do in embedded mode, and their GraphQL
 * results can be shared (see shared-results.ts); what is each event's own is
 * a few dozen characters.
 */
function batchDecoder(log: Logger): BatchDecoder {
  let lastRest: string | undefined;
  let shared: Shared | null = null;
  const sharedOf = (rest: string): Shared | null => {
    if (rest === lastRest) return shared;
    lastRest = rest;
    shared = null;
    const wire = rest.endsWith(SEQUENCE_KEY) ? (parseObject(`{${rest.slice(0, -SEQUENCE_KEY.length)}}`) as Shared | null) : null;
    if (wire !== null && hasSharedFields(wire)) shared = { ...wire, time: Date.parse(wire.timestamp) };
    return shared;
  };
  return (own, rest, numbers, known) => {
    const common = sharedOf(rest);
    const space = numbers.indexOf(' ');
    const identity = own.endsWith(',') ? parseObject(`${own.slice(0, -1)}}`) : null;
    const id = identity?.id;
    const topic = known ?? identity?.topic;
    const sequence = Number(numbers.slice(0, space));
    const position = Number(numbers.slice(space + 1));
    if (common === null || typeof id !== 'string' || typeof topic !== 'string' || space < 0 || !Number.isSafeInteger(sequence) || !Number.isSafeInteger(position)) {
      log.warn('dropped an event that is not a valid envelope');
      return null;
    }
    return envelopeOf(id, topic, common, sequence, position, common.time);
  };
}

/** The object a JSON text holds; null when it holds none. */
function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The envelope of a parsed event, with its cursor; null (and a warning) when it is not a whole one. */
function checkedEnvelope(wire: Wire, log: Logger): EventEnvelope | null {
  if (
    typeof wire !== 'object' ||
    wire === null ||
    typeof wire.id !== 'string' ||
    typeof wire.topic !== 'string' ||
    !Number.isSafeInteger(wire.sequence) ||
    !Number.isSafeInteger(wire.position) ||
    !hasSharedFields(wire)
  ) {
    log.warn('dropped an event that is not a valid envelope');
    return null;
  }
  return envelopeOf(wire.id, wire.topic, wire, wire.sequence, wire.position, Date.parse(wire.timestamp));
}

/** Whether the fields an event may share with others made with it (all but id, topic and numbers) are of their types. */
function hasSharedFields(wire: Omit<Wire, 'id' | 'topic' | 'sequence' | 'position'>): boolean {
  return (
    typeof wire.type === 'string' &&
    typeof wire.timestamp === 'string' &&
    isPriority(wire.priority) &&
    (wire.source === undefined || typeof wire.source === 'string') &&
    (wire.schemaVersion === undefined || Number.isSafeInteger(wire.schemaVersion))
  );
}
