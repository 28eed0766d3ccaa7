/**
 * Cursors are opaque to clients: a version tag, the event's position in the
 * global publish order, its sequence, its publish time and its topic. The
 * position lets one cursor resume a subscription over several topics: every
 * topic's events after that position are exactly the ones not yet seen. The
 * time tells when the cursor has outlived retention.
 *
 * `c3.<position>.<sequence>.<time>.<topic, base64url>`: every character is
 * URL-safe, and making one is a few concatenations (the topic's part is
 * cached), because every event published gets one. `c2` cursors (base64url of
 * `c2|position|sequence|time|topic`), which earlier versions handed out, are
 * still read.
 *
 * Where one position cannot say how far a reader of several topics got (a
 * Redis Cluster: see read-point.ts), its cursors name a base position and the
 * topics read past it, each with its own:
 * `c4.<base>.<time>[.<topic, base64url>.<position>]...`.
 */
const VERSION = 'c3';
const TOPICS_VERSION = 'c4';
const LEGACY_VERSION = 'c2';
const MAX_CURSOR_LENGTH = 512;
const CURRENT = /^c3\.(\d{1,16})\.(\d{1,16})\.(\d{1,16})\.([A-Za-z0-9_-]+)$/;
const PER_TOPIC = /^c4\.(\d{1,16})\.(\d{1,16})((?:\.[A-Za-z0-9_-]+\.\d{1,16})*)$/;
/** A c4 cursor names at most MAX_CURSOR_TOPICS topics (read-point.ts); their names are bounded by the input limits. */
const MAX_TOPICS_CURSOR_LENGTH = 16_384;

export type CursorPosition = {
  readonly topic: string;
  readonly sequence: number;
  readonly position: number;
  /** Publish time of the event, epoch ms. */
  readonly time: number;
};

/** Topics seen lately, encoded; bounded so that many short-lived topics cannot grow it without end. */
const encodedTopics = new Map<string, string>();
const MAX_ENCODED_TOPICS = 10_000;

function encodedTopic(topic: string): string {
  let encoded = encodedTopics.get(topic);
  if (encoded === undefined) {
    encoded = Buffer.from(topic, 'utf8').toString('base64url');
    if (encodedTopics.size >= MAX_ENCODED_TOPICS) encodedTopics.clear();
    encodedTopics.set(topic, encoded);
  }
  return encoded;
}

export function encodeCursor(topic: string, sequence: number, position: number, time: number): string {
  const cursor = `${VERSION}.${position}.${sequence}.${time}.${encodedTopic(topic)}`;
  // Concatenation leaves a tree of about seven pieces (V8 cons strings): three times the memory
  // of one flat string, and seven objects for the collector to trace for as long as the embedded
  // log keeps the event. Reading a character makes V8 flatten it in place.
  cursor.charCodeAt(0);
  return cursor;
}

export function decodeCursor(cursor: string): CursorPosition | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH) return undefined;
  const current = CURRENT.exec(cursor);
  if (current) return checked(current[1]!, current[2]!, current[3]!, Buffer.from(current[4]!, 'base64url').toString('utf8'));
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const [version, positionText, sequenceText, timeText, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  return version === LEGACY_VERSION ? checked(positionText, sequenceText, timeText, rest.join('|')) : undefined;
}

function checked(positionText: string | undefined, sequenceText: string | undefined, timeText: string | undefined, topic: string): CursorPosition | undefined {
  const position = Number(positionText);
  const sequence = Number(sequenceText);
  const time = Number(timeText);
  if (!isCount(position) || !isCount(sequence) || !isCount(time) || topic === '') return undefined;
  return { topic, sequence, position, time };
}

/** The read point a cursor names: a position and time, and for a c4 cursor the topics read past the position. */
export type CursorPoint = { readonly position: number; readonly time: number; readonly topics?: Readonly<Record<string, number>> | undefined };

export function encodeTopicsCursor(base: number, time: number, topics: ReadonlyMap<string, number>): string {
  let cursor = `${TOPICS_VERSION}.${base}.${time}`;
  for (const [topic, position] of topics) cursor += `.${encodedTopic(topic)}.${position}`;
  return cursor;
}

/** Any cursor Herald issues, as the point a read starts from; undefined when it is not one. */
export function decodeCursorPoint(cursor: string): CursorPoint | undefined {
  if (!cursor.startsWith(`${TOPICS_VERSION}.`)) {
    const one = decodeCursor(cursor);
    return one && { position: one.position, time: one.time };
  }
  if (cursor.length > MAX_TOPICS_CURSOR_LENGTH) return undefined;
  const match = PER_TOPIC.exec(cursor);
  if (!match) return undefined;
  const base = Number(match[1]);
  const time = Number(match[2]);
  if (!isCount(base) || !isCount(time)) return undefined;
  const topics: Record<string, number> = Object.create(null) as Record<string, number>;
  const parts = match[3]!.split('.');
  for (let i = 1; i < parts.length; i += 2) {
    const topic = Buffer.from(parts[i]!, 'base64url').toString('utf8');
    const position = Number(parts[i + 1]);
    if (topic === '' || !isCount(position)) return undefined;
    topics[topic] = position;
  }
  return parts.length > 1 ? { position: base, time, topics } : { position: base, time };
}

/** A cursor for a moment rather than an event: resuming from it gives what was published after it. */
export const headCursor = (position: number, time: number) => encodeCursor(HEAD_TOPIC, 0, position, time);
export const HEAD_TOPIC = '*';

/** The cursor of an envelope, from its own fields. */
export const cursorOf = (e: { topic: string; sequence: number; position: number; timestamp: string }) =>
  encodeCursor(e.topic, e.sequence, e.position, Date.parse(e.timestamp));

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;
