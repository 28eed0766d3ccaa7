import { createHash, randomFillSync } from 'node:crypto';

/**
 * ULIDs for every id Herald makes: 26 characters of Crockford base32, the
 * first 10 the time in ms (so ids sort by creation time), the last 16 random
 * (80 bits). Every event gets one, so an id is written as ASCII codes into a
 * buffer and read out as one flat string: the time part is encoded once per
 * millisecond, and the random part comes from a pooled buffer of crypto
 * randomness, one byte per character (32 divides 256, so each character is
 * uniform). The ulid package built each id one character at a time, with a
 * call for randomness per character, which was about a tenth of what a
 * gateway delivery allocated.
 */
const ALPHABET = Buffer.from('0123456789ABCDEFGHJKMNPQRSTVWXYZ', 'latin1');
const TIME_CHARS = 10;
const LENGTH = 26;

const id = Buffer.alloc(LENGTH);
const pool = Buffer.alloc(4096);
let next = pool.length;
let encodedTime = -1;

export function newId(now: number = Date.now()): string {
  if (now !== encodedTime) {
    encodedTime = now;
    let time = now;
    for (let i = TIME_CHARS - 1; i >= 0; i--) {
      id[i] = ALPHABET[time % 32]!;
      time = Math.floor(time / 32);
    }
  }
  if (next + LENGTH - TIME_CHARS > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  for (let i = TIME_CHARS; i < LENGTH; i++) id[i] = ALPHABET[pool[next++]! & 31]!;
  return id.toString('latin1', 0, LENGTH);
}

/**
 * An id of the same form as newId's whose last 16 characters come from a
 * SHA-256 of `key` instead of randomness: the same time and key give the same
 * id on every instance, at any time. For ids that must not change when the
 * work is done again elsewhere (a push delivery's, from its registration and
 * event).
 */
export function derivedId(time: number, key: string): string {
  const out = Buffer.alloc(LENGTH);
  let rest = time;
  for (let i = TIME_CHARS - 1; i >= 0; i--) {
    out[i] = ALPHABET[rest % 32]!;
    rest = Math.floor(rest / 32);
  }
  const digest = createHash('sha256').update(key).digest();
  for (let i = TIME_CHARS; i < LENGTH; i++) out[i] = ALPHABET[digest[i - TIME_CHARS]! & 31]!;
  return out.toString('latin1');
}
