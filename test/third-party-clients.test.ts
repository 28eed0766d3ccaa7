import { ApolloClient, HttpLink, InMemoryCache, split } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { Client as UrqlClient, fetchExchange, subscriptionExchange, type SubscriptionForwarder } from '@urql/core';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateTaskDocument, TaskEventsDocument, TasksDocument, type TaskEventsSubscription } from '../src/client/index.js';
import { createTask, waitForSubscriptions } from './helpers/client.js';
import { ADMIN_TOKEN } from './helpers/herald.js';
import { useHerald } from './helpers/servers.js';
import { until } from './helpers/wait.js';

type TaskEvent = TaskEventsSubscription['taskEvents'];

/**
 * The GraphQL clients frontends use, as the README shows them, against a
 * real server: Apollo Client with GraphQLWsLink, urql over graphql-ws and
 * over SSE (graphql-sse's client), and graphql-ws on its own.
 */
describe('third-party GraphQL clients', () => {
  const herald = useHerald();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await waitForSubscriptions(herald.url, 0);
  });
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it('Apollo Client: queries and mutations over HTTP, subscriptions over GraphQLWsLink', async () => {
    const ws = createWsClient({ url: herald.wsUrl, webSocketImpl: WebSocket, connectionParams: auth });
    cleanups.push(() => ws.dispose());
    const apollo = new ApolloClient({
      cache: new InMemoryCache(),
      link: split(
        ({ query }) => {
          const definition = getMainDefinition(query);
          return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
        },
        new GraphQLWsLink(ws),
        new HttpLink({ uri: herald.url, headers: auth }),
      ),
    });
    cleanups.push(() => apollo.stop());
    const events: TaskEvent[] = [];
    const subscription = apollo.subscribe({ query: TaskEventsDocument, variables: { repositories: ['apollo'] } }).subscribe({
      next: (result) => void (result.data && events.push(result.data.taskEvents as TaskEvent)),
    });
    cleanups.push(() => subscription.unsubscribe());
    await waitForSubscriptions(herald.url, 1);
    const created = await apollo.mutate({ mutation: CreateTaskDocument, variables: { input: { repository: 'apollo', title: 'from Apollo' } } });
    expect(created.data?.createTask.title).toBe('from Apollo');
    await until(() => events.length, (n) => n === 1, 'the event');
    expect(events[0]).toMatchObject({ type: 'CREATED', task: { id: created.data!.createTask.id, title: 'from Apollo' } });
    const { data } = await apollo.query({ query: TasksDocument, variables: { repository: 'apollo' } });
    expect(data?.tasks.map((t) => t.title)).toEqual(['from Apollo']);
  });

  for (const transport of ['graphql-ws', 'SSE'] as const) {
    it(`urql: subscriptions over ${transport}, mutations over HTTP`, async () => {
      let forward: SubscriptionForwarder;
      if (transport === 'graphql-ws') {
        const ws = createWsClient({ url: herald.wsUrl, webSocketImpl: WebSocket, connectionParams: auth });
        cleanups.push(() => ws.dispose());
        forward = (request) => ({ subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }) });
      } else {
        const sse = createSseClient({ url: herald.url, headers: auth, retryAttempts: 0 });
        cleanups.push(() => sse.dispose());
        forward = (request) => ({ subscribe: (sink) => ({ unsubscribe: sse.subscribe({ ...request, query: request.query ?? '' }, sink) }) });
      }
      const urql = new UrqlClient({ url: herald.url, fetchOptions: { headers: auth }, exchanges: [subscriptionExchange({ forwardSubscription: forward }), fetchExchange] });
      const repository = `urql-${transport === 'SSE' ? 'sse' : 'ws'}`;
      const events: TaskEvent[] = [];
      const { unsubscribe } = urql.subscription(TaskEventsDocument, { repositories: [repository] }).subscribe((result) => {
        if (result.data) events.push(result.data.taskEvents);
      });
      cleanups.push(unsubscribe);
      await waitForSubscriptions(herald.url, 1);
      const created = await urql.mutation(CreateTaskDocument, { input: { repository, title: `over ${transport}` } }).toPromise();
      expect(created.error).toBeUndefined();
      await createTask(herald.url, repository, 'second');
      await until(() => events.length, (n) => n === 2, 'two events');
      expect(events.map((e) => [e.type, e.task?.title, e.sequence])).toEqual([
        ['CREATED', `over ${transport}`, 1],
        ['CREATED', 'second', 2],
      ]);
    });
  }

  it('graphql-ws on its own: iterate a subscription', async () => {
    const ws = createWsClient({ url: herald.wsUrl, webSocketImpl: WebSocket, connectionParams: { ...auth, clientName: 'tour' } });
    cleanups.push(() => ws.dispose());
    const iterator = ws.iterate<{ taskEvents: TaskEvent }>({ query: 'subscription { taskEvents(repositories: ["plain-ws"]) { type sequence task { title } } }' });
    await waitForSubscriptions(herald.url, 1);
    await createTask(herald.url, 'plain-ws', 'iterated');
    const { value } = await iterator.next();
    expect(value?.data?.taskEvents).toEqual({ type: 'CREATED', sequence: 1, task: { title: 'iterated' } });
    await iterator.return?.();
  });
});
