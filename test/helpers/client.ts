import { print, type DocumentNode } from 'graphql';
import { createClient, type Client, type ClientOptions, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { CreateTaskDocument, TaskEventsDocument } from '../../src/client/generated/graphql.js';
import { ADMIN_TOKEN } from './herald.js';
import { arrivals } from './wait.js';

type Body = { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

/** One GraphQL request over HTTP POST. */
export async function gql(
  url: string,
  query: string | DocumentNode,
  variables: Record<string, unknown> = {},
  token: string | null = ADMIN_TOKEN,
  /** More request headers, e.g. the X-Forwarded-For a proxy would add. */
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; body: Body; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extraHeaders },
    body: JSON.stringify({ query: typeof query === 'string' ? query : print(query), variables }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Body, headers: response.headers };
}

/** Like gql, but fails the test unless the request succeeded without errors. */
export async function gqlOk(url: string, query: string | DocumentNode, variables: Record<string, unknown> = {}, token: string | null = ADMIN_TOKEN) {
  const { status, body } = await gql(url, query, variables, token);
  if (status !== 200 || body.errors) throw new Error(`request failed (${status}): ${JSON.stringify(body)}`);
  return body.data!;
}

// The typed documents codegen makes from src/client/operations.graphql.
export const CREATE_TASK = print(CreateTaskDocument);
export const TASK_EVENTS = print(TaskEventsDocument);

export type TaskEventResult = {
  id: string;
  type: 'CREATED' | 'UPDATED' | 'DELETED';
  taskId: string;
  repository: string;
  changedBy: string;
  timestamp: string;
  sequence: number;
  cursor: string;
  task: { id: string; repository: string; title: string; status: string } | null;
};

/** The titles of task events' tasks, as a subscription received them. */
export const taskTitles = (events: readonly TaskEventResult[]): string[] => events.map((e) => e.task!.title);

/** The same over SSE: the titles of the `taskEvents` values. */
export const sseTaskTitles = (values: ReadonlyArray<{ data?: Record<string, unknown> }>): string[] => taskTitles(values.map((v) => v.data!.taskEvents as TaskEventResult));

/** The same pushed: the titles of the task events a receiver answered 2xx, in arrival order. */
export const pushedTaskTitles = (delivered: ReadonlyArray<{ body: string }>): string[] => delivered.map((p) => JSON.parse(p.body).payload.task.title as string);

export function createTask(url: string, repository: string, title: string, token: string | null = ADMIN_TOKEN) {
  return gqlOk(url, CREATE_TASK, { input: { repository, title } }, token).then((d) => d.createTask as { id: string; title: string });
}

/** A graphql-ws client that does not retry unless told to. */
export function wsClient(url: string, options: Partial<ClientOptions> = {}): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` },
    retryAttempts: 0,
    lazy: true,
    ...options,
  });
}

/**
 * A running subscription that records what arrives. `waitFor` resolves as soon
 * as the recorded events satisfy a condition, or rejects when the subscription
 * ends or errors first.
 */
export type Recorder<T> = {
  readonly values: T[];
  readonly errors: unknown[];
  waitForCount(count: number): Promise<T[]>;
  /** Resolves once what arrived satisfies `ok`. */
  waitFor(ok: (arrived: readonly T[]) => boolean, what?: string): Promise<T[]>;
  /** Resolves when the subscription ends (complete or error). */
  readonly ended: Promise<void>;
  dispose(): void;
};

export function record<T = TaskEventResult>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  field = 'taskEvents',
): Recorder<T> {
  const errors: unknown[] = [];
  const received = arrivals<T>(() => `the subscription ended: ${JSON.stringify(errors)}`);
  let endedResolve!: () => void;
  const ended = new Promise<void>((resolve) => (endedResolve = resolve));
  const dispose = client.subscribe<Record<string, T>>(
    { query, variables },
    {
      next: (result: ExecutionResult<Record<string, T>>) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data?.[field] !== undefined) received.push(result.data[field] as T);
        else received.notify();
      },
      error: (err) => {
        errors.push(err);
        endedResolve();
        received.finish();
      },
      complete: () => {
        endedResolve();
        received.finish();
      },
    },
  );
  return {
    values: received.values,
    errors,
    ended,
    dispose,
    waitForCount: (count) => received.waitForCount(count),
    waitFor: (ok, what) => received.waitFor(ok, what),
  };
}

/**
 * Waits until the server reports exactly `count` live subscriptions: a
 * subscription counts once its topics are live on the event bus, so events
 * published after this resolves reach it.
 */
export async function waitForSubscriptions(url: string, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const data = await gqlOk(url, '{ stats { subscriptions } }');
    if ((data.stats as { subscriptions: number }).subscriptions === count) return;
    if (Date.now() > deadline) throw new Error(`server has ${(data.stats as { subscriptions: number }).subscriptions} of ${count} subscriptions`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Polls an HTTP endpoint until it answers with the status. */
export async function waitForStatus(url: string, status: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(url).catch(() => undefined);
    if (response?.status === status) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last ${response?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
