/**
 * Cursors are opaque to clients: base64url of a version tag, the topic and the
 * sequence. Opaque so the encoding can change (e.g. to stream ids) without
 * breaking clients that only hand them back.
 */
const VERSION = 'c1';

export type CursorPosition = { readonly topic: string; readonly sequence: number };

export function encodeCursor(topic: string, sequence: number): string {
  return Buffer.from(`${VERSION}|${sequence}|${topic}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition | undefined {
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [version, sequenceText, ...rest] = text.split('|');
  const sequence = Number(sequenceText);
  const topic = rest.join('|');
  if (version !== VERSION || !Number.isSafeInteger(sequence) || sequence < 1 || topic === '') return undefined;
  return { topic, sequence };
}
