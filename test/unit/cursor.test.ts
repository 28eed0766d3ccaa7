import { describe, expect, it } from 'vitest';
import { cursorOf, decodeCursor, encodeCursor, headCursor } from '../../src/events/cursor.js';

describe('cursor', () => {
  it('round-trips topic, sequence, position and time', () => {
    const cursor = encodeCursor('repo:org/app', 42, 1007, 1_790_000_000_000);
    expect(cursor).toMatch(/^[A-Za-z0-9._-]+$/); // safe in a URL as it is
    expect(decodeCursor(cursor)).toEqual({ topic: 'repo:org/app', sequence: 42, position: 1007, time: 1_790_000_000_000 });
  });

  it('round-trips a topic with separators and non-ASCII characters', () => {
    const topic = 'repo:a.b|c/dé';
    expect(decodeCursor(encodeCursor(topic, 1, 2, 3))).toEqual({ topic, sequence: 1, position: 2, time: 3 });
  });

  it('still reads cursors handed out in the earlier format', () => {
    const legacy = Buffer.from('c2|1007|42|1790000000000|repo:org/app').toString('base64url');
    expect(decodeCursor(legacy)).toEqual({ topic: 'repo:org/app', sequence: 42, position: 1007, time: 1_790_000_000_000 });
  });

  it('is made from an envelope', () => {
    const cursor = cursorOf({ topic: 'gateway:g1', sequence: 3, position: 9, timestamp: '2026-11-23T10:00:00.000Z' });
    expect(decodeCursor(cursor)).toEqual({ topic: 'gateway:g1', sequence: 3, position: 9, time: Date.parse('2026-11-23T10:00:00.000Z') });
  });

  it('marks a moment with a head cursor', () => {
    expect(decodeCursor(headCursor(0, 5))).toEqual({ topic: '*', sequence: 0, position: 0, time: 5 });
  });

  it.each([
    '',
    'not base64!',
    Buffer.from('c2|x|1|1|repo:a').toString('base64url'),
    Buffer.from('c2|1|-1|1|repo:a').toString('base64url'),
    Buffer.from('c9|1|1|1|repo:a').toString('base64url'),
    Buffer.from('c2|1|1|1|').toString('base64url'),
    'x'.repeat(600),
    'c3.1.x.1.cmVwbzph',
    'c3.1.1.1.',
    'c3.1.1.1.cmVwbzph!',
    'c3.1.1.cmVwbzph',
    `c3.1.1.1.${'A'.repeat(600)}`,
  ])('rejects %j', (cursor) => {
    expect(decodeCursor(cursor)).toBeUndefined();
  });
});
