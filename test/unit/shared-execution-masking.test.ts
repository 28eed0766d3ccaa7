import { parse, type ExecutionResult } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { HeraldError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { takeResultStream, useSharedExecution } from '../../src/transport/use-shared-execution.js';
import { createMask } from '../../src/transport/yoga.js';

/**
 * WebSocket subscriptions take their results straight from the shared
 * execution, past Yoga's own per-event masking, so the results must be
 * masked where they are made.
 */
describe('shared execution masks the errors in subscription results', () => {
  const schema = createSchema({
    typeDefs: 'type Query { ok: Boolean } type Event { n: Int, secret: String, refused: String } type Subscription { events: Event }',
    resolvers: {
      Subscription: {
        events: {
          subscribe: async function* () {
            yield { n: 1 };
          },
          resolve: (event: unknown) => event,
        },
      },
      Event: {
        secret: () => {
          throw new Error('connection to 10.0.0.7:6379 refused');
        },
        refused: () => {
          throw new HeraldError('FORBIDDEN', 'not yours');
        },
      },
    },
  });
  // Yoga's own masking is off, so what the client sees is what the shared execution made.
  const yoga = createYoga({ schema, maskedErrors: false, logging: false, plugins: [useSharedExecution({ onDelivered: () => {}, mask: createMask(createLogger('silent', 'test')) })] });

  it('hides an unexpected error and keeps a deliberate one, in the results a transport takes', async () => {
    const enveloped = yoga.getEnveloped({});
    const contextValue = await enveloped.contextFactory();
    await enveloped.subscribe({ schema: enveloped.schema, document: parse('subscription { events { n secret refused } }'), contextValue });
    const results = takeResultStream(contextValue)!;
    const first = (await results.next()).value as ExecutionResult;
    expect(first.data).toEqual({ events: { n: 1, secret: null, refused: null } });
    expect(first.errors?.map((e) => ({ message: e.message, code: e.extensions.code }))).toEqual([
      { message: 'Unexpected error.', code: 'INTERNAL_SERVER_ERROR' },
      { message: 'not yours', code: 'FORBIDDEN' },
    ]);
    await results.return();
  });
});
