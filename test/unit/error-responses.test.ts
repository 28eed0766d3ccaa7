import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from '../../src/errors.js';
import { withErrorResponses } from '../../src/transport/use-error-responses.js';

const schema = createSchema({ typeDefs: 'type Query { ok: Boolean }', resolvers: { Query: { ok: () => true } } });

/** A Yoga server with one plugin whose hook fails as given, behind the generic error handler. */
function yogaFailingIn(hook: 'onRequest' | 'onResponse', error: Error, mode: 'throw' | 'reject') {
  const fail = () => (mode === 'throw' ? (() => { throw error; })() : Promise.reject(error));
  const failing: Plugin = { [hook]: fail };
  return createYoga({ schema, logging: false, plugins: withErrorResponses([failing], pino({ level: 'silent' })) });
}

describe('the generic HTTP error handler', () => {
  it.each([
    ['onRequest', 'throw'],
    ['onRequest', 'reject'],
    ['onResponse', 'throw'],
    ['onResponse', 'reject'],
  ] as const)('answers an error a hook (%s) %ss with a JSON 500 without message, stack or path', async (hook, mode) => {
    const yoga = yogaFailingIn(hook, new Error('secret detail in /srv/herald/src/x.ts'), mode);
    const response = await yoga.fetch('http://localhost/graphql?query=%7Bok%7D');
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    expect(text).not.toMatch(/secret|\/srv|graphql\?|at /);
  });

  it('answers a backend outage with 503 and Retry-After', async () => {
    const yoga = yogaFailingIn('onRequest', new BackendUnavailableError('redis connection refused'), 'reject');
    const response = await yoga.fetch('http://localhost/graphql?query=%7Bok%7D');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect((await response.json()).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('lets requests through when nothing fails', async () => {
    const yoga = createYoga({ schema, logging: false, plugins: withErrorResponses([{ onRequest() {} }], pino({ level: 'silent' })) });
    const response = await yoga.fetch('http://localhost/graphql?query=%7Bok%7D');
    expect(await response.json()).toEqual({ data: { ok: true } });
  });
});
