import { requireAdmin, requireScope } from '../auth/guards.js';
import type { Principal } from '../auth/principal.js';
import { hasScope } from '../auth/scopes.js';
import type { Services } from '../schema/context.js';
import { OPENAPI } from './openapi.js';

/** What a route's handler is given: the caller, the path's parts, and the body read on demand. */
export type RouteRequest = {
  readonly principal: Principal;
  readonly params: readonly string[];
  readonly services: Services;
  /** The query string's parameters. */
  readonly query: URLSearchParams;
  /** The body as JSON: an object, or with `list` also an array (BAD_USER_INPUT otherwise). */
  json(options?: { list?: boolean }): Promise<unknown>;
};

export type Route = {
  readonly method: 'GET' | 'POST';
  /** The path, `:name` for a part the handler reads (in order, percent-decoded). */
  readonly path: string;
  readonly summary: string;
  /** The GraphQL field the route is another door to: its rate limit applies (one call per request). */
  readonly limitedAs?: string;
  readonly handle: (request: RouteRequest) => Promise<unknown>;
};

/**
 * The REST surface, for services that do not speak GraphQL. Each route is a
 * thin shell over the same service the GraphQL field calls, so input rules,
 * authorization, audit and errors are the same; the rate limit of that field
 * applies too.
 */
export const ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/api/v1/apis/:apiId/deploy-revision',
    summary: 'Deploy an API revision to gateways (deployApiRevision)',
    limitedAs: 'Mutation.deployApiRevision',
    handle: async ({ principal, params, services, json }) => services.deployments.deploy(principal, { ...(await json() as object), apiId: params[0] }),
  },
  {
    method: 'GET',
    path: '/api/internal/v1/stats',
    summary: 'Counters of this instance and every live instance, and per gateway its connections and deliveries (stats, gateways)',
    handle: async ({ principal, services }) => {
      requireScope(principal, 'stats:read');
      // Gateways are listed to those who may manage them, as the `gateways` query does.
      const [instances, gateways] = await Promise.all([services.cluster.instances(), hasScope(principal, 'gateways:admin') ? services.console.gatewayStats() : null]);
      return { instance: services.cluster.local(), instances, gateways };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/connections',
    summary: 'Open connections of every instance, filtered by kind, principalId or clientName, a page at a time (connections)',
    limitedAs: 'Query.connections',
    handle: async ({ principal, services, query }) => {
      requireScope(principal, 'stats:read');
      const filter = { kind: query.get('kind'), principalId: query.get('principalId'), clientName: query.get('clientName') };
      const first = query.get('first');
      return { connections: await services.admin.connections({ filter, first: first === null ? 100 : Number(first), after: query.get('after') }) };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/broadcast',
    summary: 'Send a message to every systemMessages subscription (broadcast)',
    limitedAs: 'Mutation.broadcast',
    handle: async ({ principal, services, json }) => {
      requireAdmin(principal);
      return { sent: await services.admin.broadcast(principal, await json()) };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/connections/:id/notify',
    summary: "Send a message to one connection's systemMessages subscriptions (notifyConnection)",
    limitedAs: 'Mutation.notifyConnection',
    handle: async ({ principal, params, services, json }) => {
      requireAdmin(principal);
      return { delivered: await services.admin.notify(principal, { ...((await json()) as object), connectionId: params[0] }) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/channels',
    summary: 'The channels the caller may read (channels)',
    limitedAs: 'Query.channels',
    handle: async ({ principal, services }) => ({ channels: services.channels.list(principal) }),
  },
  {
    method: 'POST',
    path: '/api/v1/channels/:name/events',
    summary: 'Publish one event (a JSON object) or a batch (a JSON array) on a channel (publishEvent, publishEvents)',
    limitedAs: 'Mutation.publishEvents',
    handle: async ({ principal, params, services, json }) => {
      const body = await json({ list: true });
      const channel = params[0]!;
      if (Array.isArray(body)) return { events: await services.channels.publishMany(principal, { inputs: body }, channel) };
      return { event: await services.channels.publish(principal, body, channel) };
    },
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'The OpenAPI description of these routes',
    handle: async () => OPENAPI,
  },
];
