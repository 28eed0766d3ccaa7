import { describe, expect, it } from 'vitest';
import { createTask, record, waitForSubscriptions, wsClient } from './helpers/client.js';
import { expectOwnCopies } from './helpers/gateways.js';
import { useHerald } from './helpers/servers.js';

/**
 * Subscribers with the same selection share one execution per event; the
 * sharing must never mix up results that differ by the variables of the
 * selection itself.
 */
describe('shared execution of subscription events', () => {
  const herald = useHerald();

  it('gives each subscriber the result of its own selection and selection variables, whatever the root arguments', async () => {
    const query = 'subscription ($r: [String!]!, $after: String, $withTask: Boolean!) { taskEvents(repositories: $r, after: $after) { type task @include(if: $withTask) { title } } }';
    const c = wsClient(herald.wsUrl);
    const withTask = record(c, query, { r: ['shared'], withTask: true });
    const without = record(c, query, { r: ['shared'], withTask: false });
    const otherRoot = record(c, query, { r: ['shared', 'elsewhere'], withTask: true });
    // A third operation on the same event: one event's results for several operations are kept apart.
    const otherDocument = record(c, 'subscription { taskEvents(repositories: ["shared"]) { task { title } } }', {});
    await waitForSubscriptions(herald.url, 4);
    await createTask(herald.url, 'shared', 'one');
    expect(await withTask.waitForCount(1)).toEqual([{ type: 'CREATED', task: { title: 'one' } }]);
    expect(await without.waitForCount(1)).toEqual([{ type: 'CREATED' }]);
    expect(await otherRoot.waitForCount(1)).toEqual([{ type: 'CREATED', task: { title: 'one' } }]);
    expect(await otherDocument.waitForCount(1)).toEqual([{ task: { title: 'one' } }]);
    await c.dispose();
  });

  it('gives each gateway of a deployment its own id, gatewayId, sequence and cursor', async () => {
    await expectOwnCopies(herald, ['edge-1', 'edge-2', 'edge-3']);
  });
});
