import { describe, expect, it } from 'vitest';
import { derivedId, newId } from '../../src/ids.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const decodeTime = (id: string) => [...id.slice(0, 10)].reduce((t, c) => t * 32 + CROCKFORD.indexOf(c), 0);

describe('newId', () => {
  it('makes ULIDs: 26 Crockford base32 characters, the first ten the time in ms', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(id)).toBeGreaterThanOrEqual(before);
    expect(decodeTime(id)).toBeLessThanOrEqual(after);
    expect(newId(0).slice(0, 10)).toBe('0000000000');
    expect(newId(2 ** 48 - 1).slice(0, 10)).toBe('7ZZZZZZZZZ');
    expect(decodeTime(newId(1_796_409_433_076))).toBe(1_796_409_433_076);
  });

  it('sorts by creation time across milliseconds', () => {
    expect(newId(1_000_001) > newId(1_000_000)).toBe(true);
    expect(newId(1_000_032) > newId(1_000_031)).toBe(true);
  });

  it('gives distinct ids within one millisecond, with every character possible in the random part', () => {
    const ids = Array.from({ length: 20_000 }, () => newId(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    for (let position = 10; position < 26; position++) {
      const seen = new Set(ids.map((id) => id[position]));
      expect(seen.size, `characters at ${position}`).toBe(32);
    }
  });
});

describe('derivedId', () => {
  it('makes the same ULID-shaped id from the same time and key, wherever it runs', () => {
    const id = derivedId(1_796_409_433_076, 'registration\nevent');
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(id)).toBe(1_796_409_433_076);
    expect(derivedId(1_796_409_433_076, 'registration\nevent')).toBe(id);
  });

  it('makes different ids from different keys at the same time', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => derivedId(1_700_000_000_000, `r\n${i}`));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
