import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/events/cursor.js';

describe('cursor', () => {
  it('round-trips topic and sequence', () => {
    const cursor = encodeCursor('repo:org/app', 42);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual({ topic: 'repo:org/app', sequence: 42 });
  });

  it.each(['', 'not base64!', Buffer.from('c1|x|repo:a').toString('base64url'), Buffer.from('c9|1|repo:a').toString('base64url')])(
    'rejects %j',
    (cursor) => {
      expect(decodeCursor(cursor)).toBeUndefined();
    },
  );
});
