import { randomFillSync } from 'node:crypto';
import { ulid as makeUlid } from 'ulid';

/**
 * ULIDs for every id Herald makes. The ulid package, left to itself, asks the
 * crypto module for one random byte at a time (16 calls per id); drawing from
 * a pooled buffer of crypto randomness keeps the same quality at a small
 * fraction of the cost, which matters because every event gets an id.
 */
const pool = new Uint32Array(1024);
let next = pool.length;

function pooledRandom(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 2 ** 32;
}

export const newId = (): string => makeUlid(undefined, pooledRandom);
