/**
 * Cursors are opaque to clients: base64url of a version tag, the event's
 * position in the global publish order, its sequence, its publish time and its
 * topic. The position lets one cursor resume a subscription over several
 * topics: every topic's events after that position are exactly the ones not
 * yet seen. The time tells when the cursor has outlived retention.
 */
const VERSION = 'c2';

export type CursorPosition = {
  readonly topic: string;
  readonly sequence: number;
  readonly position: number;
  /** Publish time of the event, epoch ms. */
  readonly time: number;
};

export function encodeCursor(topic: string, sequence: number, position: number, time: number): string {
  return Buffer.from(`${VERSION}|${position}|${sequence}|${time}|${topic}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition | undefined {
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [version, positionText, sequenceText, timeText, ...rest] = text.split('|');
  const position = Number(positionText);
  const sequence = Number(sequenceText);
  const time = Number(timeText);
  const topic = rest.join('|');
  if (version !== VERSION || !isCount(position) || !isCount(sequence) || !isCount(time) || topic === '') return undefined;
  return { topic, sequence, position, time };
}

/** A cursor for a moment rather than an event: resuming from it gives what was published after it. */
export const headCursor = (position: number, time: number) => encodeCursor(HEAD_TOPIC, 0, position, time);
export const HEAD_TOPIC = '*';

/** The cursor of an envelope, from its own fields. */
export const cursorOf = (e: { topic: string; sequence: number; position: number; timestamp: string }) =>
  encodeCursor(e.topic, e.sequence, e.position, Date.parse(e.timestamp));

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;
