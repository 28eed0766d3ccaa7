import { execute, GraphQLID, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../src/events/bus.memory.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { resultJson } from '../../src/transport/use-shared-execution.js';
import { createBatchResults, perEvent, SHARED_ACROSS_BATCH, sharedAcrossBatch } from '../../src/schema/shared-results.js';

const Payload = new GraphQLObjectType({ name: 'Payload', fields: { n: { type: GraphQLInt } } });
const Event = new GraphQLObjectType<EventEnvelope>({
  name: 'Event',
  fields: {
    id: { type: new GraphQLNonNull(GraphQLID), resolve: perEvent((e) => e.id) },
    sequence: { type: new GraphQLNonNull(GraphQLInt), resolve: perEvent((e) => e.sequence) },
    type: { type: new GraphQLNonNull(GraphQLString) },
    payload: { type: new GraphQLNonNull(Payload) },
    // Reads the event's own topic without saying so.
    topic: { type: GraphQLString },
  },
});
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      events: { type: Event, extensions: { [SHARED_ACROSS_BATCH]: true }, resolve: (e: unknown) => e },
      plain: { type: Event, resolve: (e: unknown) => e },
    },
  }),
});

async function batch() {
  const bus = createMemoryBus();
  await bus.publish({ topic: 'gateway:a', type: 't', correlationId: null, priority: 'NORMAL', expiresAt: null, payload: { n: 0 } });
  const payload = { n: 7 };
  // Ids that must be escaped and are not ASCII: a result's text is spliced from its template's.
  return bus.publishAll(
    ['gateway:a', 'gateway:b', 'gateway:c'].map((topic, i) => ({ id: `é"\\${i}`, topic, type: 't', correlationId: null, priority: 'NORMAL' as const, expiresAt: null, payload })),
  );
}

/** Runs `query` for a batch's events through shared results, checks each result equals executing its event alone, and tells what was executed. */
async function runShared(query: string) {
  const events = await batch();
  const document = parse(query);
  const roots: unknown[] = [];
  const shared = createBatchResults();
  const results = events.map((e) =>
    shared.resultOf(e, 'op', (root) => {
      roots.push(root);
      return execute({ schema, document, rootValue: root }) as ExecutionResult;
    }),
  );
  const alone = events.map((e) => execute({ schema, document, rootValue: e }) as ExecutionResult);
  expect(results).toEqual(alone);
  // What a WebSocket subscriber is sent: the same text as serializing the event's own execution.
  expect(results.map((r) => resultJson(r as ExecutionResult))).toEqual(alone.map((r) => JSON.stringify(r)));
  // What other transports send (they serialize the result, or copy it first): the same again.
  expect(results.map((r) => JSON.stringify(r))).toEqual(alone.map((r) => JSON.stringify(r)));
  expect(results.map((r) => JSON.stringify({ ...(r as ExecutionResult) }))).toEqual(alone.map((r) => JSON.stringify(r)));
  return { events, roots, data: results.map((r) => (r as ExecutionResult).data) };
}

describe('results shared by the events of a batch', () => {
  it('executes twice for a whole batch and gives each event its own values, wherever and however they are selected', async () => {
    const { events, roots, data } = await runShared('subscription { events { a: id sequence payload { n } b: id type } }');
    expect(data).toEqual(
      events.map((e) => ({ events: { a: e.id, sequence: e.sequence, payload: { n: 7 }, b: e.id, type: 't' } })),
    );
    // The first event as it is, then one template for the rest of the batch.
    expect(roots).toHaveLength(2);
    expect(roots[0]).toBe(events[0]);
  });

  it('executes each event on its own when a field reads an event value without perEvent', async () => {
    const { events, roots, data } = await runShared('subscription { events { id topic } }');
    expect(data.map((d) => d?.events)).toEqual(events.map((e) => ({ id: e.id, topic: e.topic })));
    expect(roots.filter((r) => events.includes(r as EventEnvelope))).toHaveLength(3);
  });

  it('applies only to subscription fields that opt in', () => {
    expect(sharedAcrossBatch(schema, parse('subscription { events { id } }'), undefined)).toBe(true);
    expect(sharedAcrossBatch(schema, parse('subscription { plain { id } }'), undefined)).toBe(false);
  });
});
