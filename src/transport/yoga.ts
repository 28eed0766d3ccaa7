import { GraphQLError } from 'graphql';
import { createYoga, maskError, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import { BackendUnavailableError, serviceUnavailable } from '../errors.js';
import type { Logger } from '../log.js';
import { getSchema } from '../schema/index.js';
import type { Channel, Context, Services } from '../schema/context.js';
import { useArmor, type QueryLimits } from '../protection/use-armor.js';
import { useHttpHygiene } from '../protection/use-http-hygiene.js';
import { createOriginCheck } from './admission.js';
import { useHttpAuth } from './use-http-auth.js';
import { useIntrospectionGuard } from './use-introspection-guard.js';
import { useHttpMetrics, useMetricsEndpoint } from './use-metrics.js';
import { REST_PREFIX, useRestRoutes } from './use-rest-routes.js';
import { useSharedExecution } from './use-shared-execution.js';

export const GRAPHQL_PATH = '/graphql';

/** What a WebSocket operation brings to Yoga's context in place of an HTTP request. */
export type SocketContext = {
  readonly principal: Principal;
  readonly channel: Channel;
  readonly connectionId: string;
  readonly cliRegistrationId: string | null;
};

export type HeraldYoga = YogaServerInstance<Partial<SocketContext>, Context>;

export function createHeraldYoga(options: {
  services: Services;
  authenticator: Authenticator;
  production: boolean;
  isReady: () => boolean;
  corsOrigins: readonly string[];
  queryLimits: QueryLimits;
  onDelivered: (event: { topic: string; timestamp: string }) => void;
  log: Logger;
}): HeraldYoga {
  const { services, authenticator, production, log } = options;
  const principals = new WeakMap<Request, Principal>();
  const originAllowed = createOriginCheck(options.corsOrigins);

  return createYoga<Partial<SocketContext>, Context>({
    schema: getSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    healthCheckEndpoint: '/health',
    // The page holds no data and is answered before authentication; every query it
    // sends carries the token from its headers editor, and in production only the
    // admin may introspect, so in effect GraphiQL serves admins only.
    graphiql: { title: 'Herald', subscriptionsProtocol: 'WS' },
    landingPage: false,
    // Browsers may call only from listed origins (the same list admits WebSocket upgrades).
    cors: (request) => {
      const origin = request.headers.get('origin') ?? undefined;
      return origin !== undefined && originAllowed(origin) ? { origin: [origin], credentials: true } : false;
    },
    batching: false,
    multipart: false,
    logging: log.child({ component: 'yoga' }),
    maskedErrors: {
      isDev: false, // never send stack traces or original messages of unexpected errors
      maskError(error, message) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof BackendUnavailableError) return serviceUnavailable();
        return maskError(error, message, false);
      },
    },
    context: ({ request, principal, channel, connectionId, cliRegistrationId }) => {
      const who = principal ?? principals.get(request);
      if (!who) throw new Error('operation without an authenticated principal');
      return { principal: who, services, channel, connectionId, cliRegistrationId: cliRegistrationId ?? null };
    },
    // Order matters: readiness and auth answer before GraphQL work starts.
    plugins: [
      useHttpHygiene(),
      useArmor(options.queryLimits, production),
      useReadinessCheck({ endpoint: '/ready', check: () => options.isReady() }),
      useMetricsEndpoint({ metrics: services.metrics, authenticator, open: !production }),
      useHttpAuth({ authenticator, isProtected: (path) => path === GRAPHQL_PATH || path.startsWith(REST_PREFIX), principals, log }),
      useRestRoutes({ services, principals }),
      ...(production ? [useIntrospectionGuard((initial) => (initial.principal as Principal | undefined) ?? principals.get(initial.request as Request))] : []),
      useHttpMetrics(services.metrics),
      useSharedExecution(options.onDelivered),
    ],
  });
}
