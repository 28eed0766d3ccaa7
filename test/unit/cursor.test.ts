import { describe, expect, it } from 'vitest';
import { cursorOf, decodeCursor, decodeCursorPoint, encodeCursor, encodeTopicsCursor, headCursor } from '../../src/events/cursor.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { MAX_CURSOR_TOPICS, pastEvent, ReadPoint, spansTopics } from '../../src/events/read-point.js';

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

describe('cursor per topic (c4)', () => {
  it('round-trips a base, a time and the topics read past the base', () => {
    const cursor = encodeTopicsCursor(100, 1_790_000_000_000, new Map([['repo:a.b|c/dé', 107], ['channel:threats', 104]]));
    expect(cursor).toMatch(/^c4\.[A-Za-z0-9._-]+$/);
    expect(decodeCursorPoint(cursor)).toEqual({ position: 100, time: 1_790_000_000_000, topics: { 'repo:a.b|c/dé': 107, 'channel:threats': 104 } });
  });

  it('reads a c3 cursor as its position and time', () => {
    expect(decodeCursorPoint(encodeCursor('repo:x', 4, 9, 5))).toEqual({ position: 9, time: 5 });
  });

  it.each(['c4', 'c4.1', 'c4.1.1.', 'c4.1.1.cmVwbzph', 'c4.1.1.cmVwbzph.x', 'c4.1.1.cmVwbzph.1.', 'c4.x.1', `c4.1.1${'.cmVwbzph.1'.repeat(2000)}`])('rejects %j', (cursor) => {
    expect(decodeCursorPoint(cursor)).toBeUndefined();
  });
});

describe('read point', () => {
  const point = (from: ConstructorParameters<typeof ReadPoint>[0]) => new ReadPoint(from);

  it('reads each topic after its own position, and every other topic after the base', () => {
    const p = point({ position: 10, time: 1 });
    expect(p.advance('repo:a', 12, 2)).toBe(true);
    expect(p.advance('repo:b', 11, 3)).toBe(true);
    expect(p.advance('repo:a', 12, 2)).toBe(false);
    expect(p.advance('repo:c', 9, 4)).toBe(false);
    expect([p.after('repo:a'), p.after('repo:b'), p.after('repo:c')]).toEqual([12, 11, 10]);
    expect(p.from()).toEqual({ position: 10, time: 3, topics: { 'repo:a': 12, 'repo:b': 11 } });
    expect(decodeCursorPoint(p.cursor())).toEqual(p.from());
  });

  it('folds the topic advanced least lately into the base past MAX_CURSOR_TOPICS topics', () => {
    const p = point({ position: 0, time: 0 });
    for (let i = 1; i <= MAX_CURSOR_TOPICS + 1; i++) p.advance(`repo:${i}`, i, i);
    const from = p.from();
    expect(from.position).toBe(1);
    expect(Object.keys(from.topics!)).toHaveLength(MAX_CURSOR_TOPICS);
    expect(p.after('repo:1')).toBe(1);
    expect(p.after(`repo:${MAX_CURSOR_TOPICS + 1}`)).toBe(MAX_CURSOR_TOPICS + 1);
  });

  it('starts from a cursor point, leaving out topics at or below its base', () => {
    expect(point({ position: 5, time: 1, topics: { 'repo:a': 7, 'repo:b': 5 } }).from()).toEqual({ position: 5, time: 1, topics: { 'repo:a': 7 } });
  });

  it('gives the point past one more event: per topic, or by its position alone', () => {
    const event = { topic: 'repo:b', position: 8, timestamp: new Date(9).toISOString() } as EventEnvelope;
    expect(pastEvent({ position: 5, time: 1, topics: { 'repo:a': 7 } }, event, true)).toEqual({ position: 5, time: 9, topics: { 'repo:a': 7, 'repo:b': 8 } });
    expect(pastEvent({ position: 5, time: 1, topics: { 'repo:a': 7 } }, event, false)).toEqual({ position: 8, time: 9 });
  });

  it('names when a read spans topics', () => {
    expect([spansTopics(['repo:a']), spansTopics(['repo:a', 'repo:b']), spansTopics(['repo:*'])]).toEqual([false, true, true]);
  });
});
