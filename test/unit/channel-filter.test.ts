import { describe, expect, it } from 'vitest';
import { createFilters } from '../../src/channels/filter.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { HeraldError } from '../../src/errors.js';

const event = (payload: unknown) => ({ payload }) as EventEnvelope;

describe('where filters on channel payloads', () => {
  it('matches equality and `in` on top-level fields, every field', () => {
    const where = createFilters().of({ severity: ['high', 'critical'], sensorId: 's-12' });
    expect(where(event({ severity: 'high', sensorId: 's-12', extra: 1 }))).toBe(true);
    expect(where(event({ severity: 'low', sensorId: 's-12' }))).toBe(false);
    expect(where(event({ severity: 'critical' }))).toBe(false);
    expect(where(event('not an object'))).toBe(false);
    expect(where(event([1]))).toBe(false);
  });

  it('tells values of different JSON types apart', () => {
    const where = createFilters().of({ port: [443, null], tls: true });
    expect(where(event({ port: 443, tls: true }))).toBe(true);
    expect(where(event({ port: '443', tls: true }))).toBe(false);
    expect(where(event({ port: null, tls: true }))).toBe(true);
    expect(where(event({ tls: true }))).toBe(false);
    expect(where(event({ port: 443, tls: 'true' }))).toBe(false);
  });

  it('is one filter per distinct filter, whatever the order of its fields', () => {
    const filters = createFilters();
    expect(filters.of({ a: 1, b: [2, 3] })).toBe(filters.of({ b: [2, 3], a: 1 }));
    expect(filters.of({ a: 1 })).not.toBe(filters.of({ a: 2 }));
    expect(filters.size()).toBe(3);
  });

  it('looks at an event once, however many subscribers ask', () => {
    const where = createFilters().of({ a: 1 });
    let reads = 0;
    const counting = { get payload() { reads++; return { a: 1 }; } } as unknown as EventEnvelope;
    for (let i = 0; i < 1000; i++) expect(where(counting)).toBe(true);
    expect(reads).toBe(1);
  });

  it.each([
    ['not an object', 'severity', /^where: must be an object/],
    ['an empty object', {}, /^where: must name 1-20 fields$/],
    ['an operator', { severity: { $gt: 1 } }, /^where: severity: must be an object/],
    ['a nested path', { 'a.b': 1 }, /^where: "a\.b" is not a payload field name/],
    ['an empty list', { a: [] }, /^where: a must list 1-100 values$/],
  ])('refuses %s, naming where', (_what, where, message) => {
    let error: unknown;
    try {
      createFilters().of(where);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HeraldError);
    expect((error as HeraldError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'where' });
    expect((error as Error).message).toMatch(message);
  });
});
