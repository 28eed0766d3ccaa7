import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/events/fifo.js';

describe('Fifo', () => {
  it('gives items back in order, and indexes from the front, while it is taken from and cut back', () => {
    const fifo = new Fifo<{ n: number }>();
    let pushed = 0;
    let taken = 0;
    // Stays non-empty throughout, so the taken slots are cut off many times along the way.
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 7; i++) fifo.push({ n: pushed++ });
      for (let i = 0; i < 5; i++) expect(fifo.shift().n).toBe(taken++);
      expect(fifo.size).toBe(pushed - taken);
      expect(fifo.at(0).n).toBe(taken);
      expect(fifo.at(fifo.size - 1).n).toBe(pushed - 1);
    }
    expect(fifo.take().map((item) => item.n)).toEqual(Array.from({ length: pushed - taken }, (_, i) => taken + i));
    expect(fifo.size).toBe(0);
  });

  it('holds numbers, taken and cut back the same way', () => {
    const fifo = new Fifo<number>(0);
    for (let i = 1; i <= 100; i++) fifo.push(i);
    for (let i = 1; i <= 90; i++) expect(fifo.shift()).toBe(i);
    expect(fifo.take()).toEqual([91, 92, 93, 94, 95, 96, 97, 98, 99, 100]);
  });
});
