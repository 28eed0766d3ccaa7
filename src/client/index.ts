/**
 * The Herald client SDK (`herald/client`): one client object that stays
 * connected through network drops, proxies that block WebSockets and server
 * restarts, resumes every subscription after its last event, and says how
 * healthy its connection is; plus typed documents for every operation of the
 * API. Runs in Node (>= 20) and in browsers.
 *
 * ```ts
 * import { createHeraldClient, TaskEventsDocument } from 'herald/client';
 * const herald = createHeraldClient({ url: 'http://127.0.0.1:4000/graphql', token, clientName: 'my-app' });
 * for await (const { taskEvents } of herald.subscribe(TaskEventsDocument, { repositories: ['demo'] })) console.log(taskEvents.type);
 * ```
 */
export {
  createHeraldClient,
  type ClientEvents,
  type GapInfo,
  type HeraldClient,
  type HeraldClientOptions,
  type HeraldSubscription,
  type SubscriptionHandlers,
} from './client.js';
export type { ConnectionState, Health, Transport } from './health.js';
export { HeraldClientError, type GraphQLErrorLike } from './errors.js';
export { fullJitterBackoff, type RetryOptions } from './backoff.js';
export { decodeJwt, jwtExpiry } from './token.js';
export type { Operation } from './operation.js';
export { POLL_ADAPTERS, type PollAdapter } from './polling.js';
export * from './generated/index.js';
export * from './generated/graphql.js';
