import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { createYoga, maskError, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import { BackendUnavailableError, HeraldError, serviceUnavailable } from '../errors.js';
import type { Audit, Logger } from '../log.js';
import { getSchema } from '../schema/index.js';
import type { Consumer } from '../events/subscription.js';
import type { Context, Services } from '../schema/context.js';
import type { DeliveryRecorder } from '../sessions/diagnostics.js';
import type { QueryLimits } from '../config.js';
import { useArmor } from '../protection/use-armor.js';
import { useHttpHygiene } from '../protection/use-http-hygiene.js';
import { useRefusalAudit } from '../protection/use-refusal-audit.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import { useRateLimits } from '../protection/use-rate-limits.js';
import { createOriginCheck } from './admission.js';
import { clientIp } from './client-ip.js';
import { useHttpAuth } from './use-http-auth.js';
import { useIntrospectionGuard } from '../protection/use-introspection-guard.js';
import { useHttpMetrics, useMetricsEndpoint } from './use-metrics.js';
import { REST_PREFIX, useRestRoutes } from './use-rest-routes.js';
import { useSharedExecution, type DeliveredEvent } from './use-shared-execution.js';
import type { TransportSessions } from './connection.js';
import { useSseSessions } from './use-sse-sessions.js';
import { useConsole } from './use-console.js';
import type { ConsoleAssets } from '../console/assets.js';
import { withErrorResponses } from './use-error-responses.js';
import { createGraphQLPost, type GraphQLPost } from './graphql-post.js';

export const GRAPHQL_PATH = '/graphql';

/** Yoga's message for a masked error. */
const UNEXPECTED = 'Unexpected error.';

const originalOf = (error: unknown) => (error instanceof GraphQLError ? (error.originalError ?? error) : error);

/** Errors meant for the client, and outages (logged once where the connection sees them): nothing to log per request. */
const isExpected = (error: unknown) => {
  const original = originalOf(error);
  return original instanceof HeraldError || original instanceof BackendUnavailableError;
};

/** What clients see of an error: their own mistakes as they are, anything unexpected as a generic error. */
function maskUnexpected(error: unknown, message: string): GraphQLError | Error {
  const original = originalOf(error);
  if (original instanceof BackendUnavailableError) return toGraphQLError(serviceUnavailable());
  if (original instanceof HeraldError) return error instanceof GraphQLError ? error : toGraphQLError(original);
  return maskError(error, message, false);
}

/** A HeraldError as GraphQL reports it (graphql-js does this itself for errors thrown in resolvers). */
const toGraphQLError = (error: HeraldError) => new GraphQLError(error.message, { extensions: error.extensions, originalError: error });

/**
 * Yoga's logger. It logs every error it masks, which includes an error meant
 * for the client that reached it unwrapped, and the error of every request
 * refused during a Redis outage: those are left to debug.
 */
function yogaLogger(log: Logger) {
  const yoga = log.child({ component: 'yoga' });
  type Log = (...args: unknown[]) => void;
  return {
    debug: yoga.debug.bind(yoga) as Log,
    info: yoga.info.bind(yoga) as Log,
    warn: yoga.warn.bind(yoga) as Log,
    error: (...args: unknown[]) => (isExpected(args[0]) ? yoga.debug({ err: args[0] }, 'request refused') : (yoga.error.bind(yoga) as Log)(...args)),
  };
}

/**
 * Masking for errors that bypass Yoga's own per-event step (subscription
 * results shared between subscribers, and errors ending a WebSocket
 * subscription), logging what it hides as Yoga does.
 */
export function createMask(log: Logger): (error: unknown) => GraphQLError {
  return (error) => {
    const masked = maskUnexpected(error, UNEXPECTED);
    if (masked !== error && !isExpected(error)) log.error({ err: error }, 'unexpected error');
    return masked instanceof GraphQLError ? masked : new GraphQLError(masked.message);
  };
}

/** What a WebSocket operation brings to Yoga's context in place of an HTTP request. */
export type SocketContext = {
  readonly principal: Principal;
  readonly channel: Consumer;
  readonly connectionId: string;
  readonly cliRegistrationId: string | null;
  readonly clientIp: string;
  /** The connection's delivery record (diagnostics). */
  readonly deliveries: DeliveryRecorder | undefined;
};

/** What Node's HTTP server hands Yoga with each request. */
type NodeServerContext = { readonly req?: IncomingMessage };

export type HeraldYoga = YogaServerInstance<Partial<SocketContext> & NodeServerContext, Context>;

/** Yoga, and the direct path for plain JSON POSTs that answers most GraphQL requests without Yoga's Fetch API layer (null when off). */
export type HeraldHttp = HeraldYoga & { readonly graphqlPost: GraphQLPost | null };

export function createHeraldYoga(options: {
  services: Services;
  authenticator: Authenticator;
  production: boolean;
  isReady: () => boolean;
  corsOrigins: readonly string[];
  queryLimits: QueryLimits;
  /** Query limits, rate limits and HTTP rules; off only where a benchmark measures their cost. */
  protection: boolean;
  rateLimiter: RateLimiter;
  trustProxy: number;
  audit: Audit;
  onDelivered: (event: DeliveredEvent, context: unknown) => void;
  /** From createMask: masking for the results and errors that do not pass Yoga's own per-event step. */
  mask: (error: unknown) => GraphQLError;
  /** The instance's sessions, where SSE subscriptions are counted and ended (see use-sse-sessions.ts). */
  sessions: { registry: TransportSessions; maxSessions: number; maxPerPrincipal: number };
  /** The operators' console's scripts and styles (console/assets.ts). */
  consoleAssets: ConsoleAssets;
  /** Answer plain JSON POSTs on the direct path (graphql-post.ts); off, Yoga answers every request. */
  directPost: boolean;
  /** The port speaks HTTPS (for the headers the direct path sets). */
  tls: boolean;
  log: Logger;
}): HeraldHttp {
  const { services, authenticator, production, log } = options;
  const principals = new WeakMap<Request, Principal>();
  const originAllowed = createOriginCheck(options.corsOrigins);
  const ipOf = (serverContext: NodeServerContext) => clientIp(serverContext.req?.socket.remoteAddress, serverContext.req?.headers['x-forwarded-for'], options.trustProxy);

  const contextOf = (principal: Principal, clientIp: string, socket?: Partial<SocketContext>): Context => ({
    principal,
    services,
    channel: socket?.channel,
    connectionId: socket?.connectionId,
    cliRegistrationId: socket?.cliRegistrationId ?? null,
    clientIp,
    deliveries: socket?.deliveries,
  });

  const yoga = createYoga<Partial<SocketContext> & NodeServerContext, Context>({
    schema: getSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    healthCheckEndpoint: '/health',
    // GraphiQL is served by the console (use-console.ts), from installed packages, not Yoga's CDN page.
    graphiql: false,
    landingPage: false,
    // Browsers may call only from listed origins (the same list admits WebSocket upgrades).
    cors: (request) => {
      const origin = request.headers.get('origin') ?? undefined;
      if (origin === undefined) return false;
      if (originAllowed(origin)) return { origin: [origin], credentials: true };
      // Same-origin pages send Origin too; only a foreign one is a refusal worth recording.
      const url = new URL(request.url);
      if (origin !== url.origin) options.audit({ action: 'cors-refused', transport: 'http', origin: origin.slice(0, 100), path: url.pathname });
      return false;
    },
    batching: false,
    multipart: false,
    logging: yogaLogger(log),
    maskedErrors: {
      isDev: false, // never send stack traces or original messages of unexpected errors
      maskError: (error, message) => maskUnexpected(error, message),
    },
    context: (initial) => {
      const who = initial.principal ?? principals.get(initial.request);
      if (!who) throw new Error('operation without an authenticated principal');
      return contextOf(who, initial.clientIp ?? ipOf(initial), initial);
    },
    // Order matters: readiness and auth answer before GraphQL work starts. What a hook
    // throws is answered as JSON, never as the adapter's plain-text stack trace.
    plugins: withErrorResponses([
      ...(options.protection
        ? [
            useHttpHygiene({ audit: options.audit, ipOf }),
            useRefusalAudit(options.audit, (context: Partial<SocketContext> & NodeServerContext & { request?: Request }) => ({
              principal: context.principal?.id ?? (context.request && principals.get(context.request)?.id),
              ip: context.clientIp ?? ipOf(context),
            })),
            useArmor(options.queryLimits, production),
          ]
        : []),
      useReadinessCheck({ endpoint: '/ready', check: () => options.isReady() }),
      // Its pages are answered before authentication: they ask for the token themselves.
      useConsole({ assets: options.consoleAssets, graphqlPath: GRAPHQL_PATH, log }),
      useMetricsEndpoint({ metrics: services.metrics, authenticator, open: !production, log, ipOf }),
      useHttpAuth({ authenticator, isProtected: (path) => path === GRAPHQL_PATH || path.startsWith(REST_PREFIX), principals, ipOf, log }),
      useRestRoutes({ services, principals, ipOf, log }),
      ...(production ? [useIntrospectionGuard((initial) => (initial.principal as Principal | undefined) ?? principals.get(initial.request as Request))] : []),
      useHttpMetrics(services.metrics),
      ...(options.protection ? [useRateLimits(options.rateLimiter)] : []),
      useSharedExecution({ onDelivered: options.onDelivered, mask: options.mask }),
      useSseSessions({ ...options.sessions, log }),
    ], log),
  });
  // The direct path does the HTTP rules and authentication itself, as the hooks above do; without protection
  // (a benchmark's peer) there are no HTTP rules to keep, so Yoga answers everything.
  const graphqlPost = options.directPost && options.protection ? createGraphQLPost({ yoga, authenticator, metrics: services.metrics, ipOf, mask: options.mask, contextOf, rateLimiter: options.rateLimiter, tls: options.tls, log }) : null;
  return Object.assign(yoga, { graphqlPost });
}
