import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createPlans } from '../../src/transport/operation-plans.js';

const schema = buildSchema('type Query { a: Int, b: Int }');
const planOf = (query: string) => ({ schema, document: parse(query) });

describe('operation plans', () => {
  it('keeps an offered document by its text and operation name', () => {
    const plans = createPlans();
    const text = 'query A { a } query B { b }';
    const a = planOf(text);
    plans.offer(text, 'A', a);
    expect(plans.get(text, 'A')).toBe(a);
    expect(plans.get(text, 'B')).toBeUndefined();
    expect(plans.get(`${text} `, 'A')).toBeUndefined();
  });

  it('tells an absent operation name from an empty one', () => {
    const plans = createPlans();
    const plan = planOf('{ a }');
    plans.offer('{ a }', undefined, plan);
    expect(plans.get('{ a }', null)).toBe(plan);
    // An empty name names no operation: the pipeline must answer it.
    expect(plans.get('{ a }', '')).toBeUndefined();
  });

  it('never plans introspection, which is validated per caller', () => {
    const plans = createPlans();
    for (const text of ['{ __schema { queryType { name } } }', '{ __type(name: "Query") { name } }']) {
      plans.offer(text, undefined, planOf('{ a }'));
      expect(plans.get(text, undefined)).toBeUndefined();
    }
    plans.offer('{ __typename }', undefined, planOf('{ __typename }'));
    expect(plans.get('{ __typename }', undefined)).toBeDefined();
  });

  it('keeps at most a thousand, dropping the oldest', () => {
    const plans = createPlans();
    const texts = Array.from({ length: 1001 }, (_, i) => `{ a${'\n'.repeat(i)} }`);
    const first = planOf(texts[0]!);
    plans.offer(texts[0]!, undefined, first);
    for (const text of texts.slice(1, 1000)) plans.offer(text, undefined, planOf('{ a }'));
    expect(plans.get(texts[0]!, undefined)).toBe(first);
    plans.offer(texts[1000]!, undefined, planOf('{ a }'));
    expect(plans.get(texts[0]!, undefined)).toBeUndefined();
    expect(plans.get(texts[1]!, undefined)).toBeDefined();
    expect(plans.get(texts[1000]!, undefined)).toBeDefined();
  });
});
