import type { IncomingMessage, ServerResponse } from 'node:http';
import { execute, getOperationAST, type GraphQLError, type ExecutionResult } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import { checkRateLimits } from '../protection/use-rate-limits.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import type { Context } from '../schema/context.js';
import { BackendUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { HSTS, MAX_BODY_BYTES, SECURITY_HEADERS, STRICT_CSP } from '../protection/use-http-hygiene.js';
import { authenticateHttp, unavailableAnswer } from './use-http-auth.js';
import { unexpectedErrorBody } from './use-error-responses.js';
import { operationLabel } from './use-metrics.js';
import { createPlans, type Plan } from './operation-plans.js';

/** What the direct path uses of Herald's Yoga (yoga.ts, which makes the path: a type of its own keeps the two apart). */
type HeraldYoga = Pick<YogaServerInstance<Record<string, unknown>, Record<string, unknown>>, 'getEnveloped' | 'fetch' | 'fetchAPI'>;

/** Takes a request (true) or leaves it to Yoga (false); one that it takes it answers itself. */
export type GraphQLPost = (request: IncomingMessage, response: ServerResponse) => boolean;

/** What a JSON GraphQL POST may ask for: Yoga answers these with `application/json` (or the GraphQL media type). */
const ACCEPTED: Readonly<Record<string, 'application/json' | 'application/graphql-response+json'>> = {
  '': 'application/json',
  '*/*': 'application/json',
  'application/json': 'application/json',
  'application/graphql-response+json': 'application/graphql-response+json',
  // What graphql-http's and most clients' fetchers send; Yoga serves the first listed it can.
  'application/graphql-response+json, application/json': 'application/graphql-response+json',
  'application/json, application/graphql-response+json': 'application/json',
};
const JSON_BODY = /^application\/json\s*(;|$)/i;
const PARAMS = new Set(['query', 'variables', 'operationName', 'extensions']);

type Params = { query: string; variables?: Record<string, unknown> | null; operationName?: string | null; extensions?: Record<string, unknown> | null };

/** Yoga's result processor, given a Fetch API whose Response only records what it is made with. */
class Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(
    readonly body: string,
    init: { status: number; headers: Record<string, string> },
  ) {
    this.status = init.status;
    // Yoga names them as the Fetch API would print them.
    this.headers = Object.fromEntries(Object.entries(init.headers).map(([name, value]) => [name.toLowerCase(), value]));
  }
}
const recordingFetch = { Response: Answer } as unknown as typeof import('@whatwg-node/fetch');

/**
 * GraphQL over a plain JSON POST, the request services send most (a mutation
 * per change), without Yoga's Fetch API layer: no Request, Headers, body
 * stream or Response objects, no per-request hook chain. Everything that
 * decides what the caller gets is the same as on Yoga's path:
 * - the HTTP rules (JSON only, declared length of at most 1 MB) are checked
 *   before it takes a request, and the security headers go on every answer;
 * - authentication is authenticateHttp, shared with Yoga's hook (same 401/403/503
 *   bodies and audit lines);
 * - the GraphQL work runs through Yoga's own envelop instance: its parser and
 *   validation cache, armor's limits, the refusal audit, the introspection
 *   guard, the rate limits (429 with Retry-After), the context factory,
 *   execution and error masking are the very plugins Yoga runs. A document
 *   that passed once runs again without the pipeline (operation-plans.ts):
 *   what it decides per request, the rate limits, the context, execution and
 *   masking, is done by the same functions here;
 * - the answer is made by Yoga's own result processor (status, headers, body);
 * - the request is counted in herald_http_requests_total as Yoga's hook does.
 *
 * Anything else goes to Yoga unchanged: other methods and media types, an
 * Origin header (CORS), SSE, batches, a body that is not a plain parameter
 * object, subscriptions. Requests it leaves after reading the body are handed
 * to Yoga with that body.
 */
export function createGraphQLPost(options: {
  yoga: HeraldYoga;
  authenticator: Authenticator;
  metrics: Metrics;
  /** The client's address as the rest of Herald sees it (TRUST_PROXY applied). */
  ipOf: (serverContext: { req?: IncomingMessage }) => string;
  /** Masking for errors thrown before execution (parse), and for a planned operation's errors, as Yoga masks them. */
  mask: (error: unknown) => GraphQLError;
  /** The context an operation runs with, as Yoga's context factory makes it. */
  contextOf: (principal: Principal, clientIp: string) => Context;
  rateLimiter: RateLimiter;
  /** The port speaks HTTPS. */
  tls: boolean;
  log: Logger;
}): GraphQLPost {
  const { yoga, authenticator, metrics, log } = options;
  const label = operationLabel(metrics);
  const plans = createPlans();
  const http = log.child({ component: 'http' });

  const send = (request: IncomingMessage, response: ServerResponse, status: number, headers: Record<string, string>, body: string) => {
    if (response.destroyed) return;
    metrics.httpDirect();
    const all: Record<string, string | number> = { ...headers, ...SECURITY_HEADERS, 'content-length': Buffer.byteLength(body) };
    if (!('content-security-policy' in headers)) all['content-security-policy'] = STRICT_CSP;
    if (options.tls || request.headers['x-forwarded-proto'] === 'https') all['strict-transport-security'] = HSTS;
    response.writeHead(status, all);
    response.end(body);
  };

  /** The answer to a result: Yoga's result processor, or for a plain result the same bytes made directly. */
  const answer = (request: IncomingMessage, response: ServerResponse, result: ExecutionResult, accepted: string, operation: string) => {
    if (result.errors === undefined && result.extensions === undefined) {
      metrics.httpRequest(operation, 200);
      return send(request, response, 200, { 'content-type': `${accepted}; charset=utf-8` }, JSON.stringify(result));
    }
    const made = processRegularResult(result, recordingFetch, accepted) as unknown as Answer;
    metrics.httpRequest(operation, made.status);
    send(request, response, made.status, made.headers, made.body);
  };

  /**
   * An operation that went through Yoga's pipeline once runs again without it
   * (see operation-plans.ts): what the pipeline decides per request is done
   * here, by the same functions: the rate limits of its root fields, the
   * context, execution and error masking.
   */
  const runPlanned = async (plan: Plan, params: Params, principal: Principal, ip: string): Promise<ExecutionResult> => {
    let result: ExecutionResult;
    try {
      const refused = await checkRateLimits(options.rateLimiter, plan.document, params.operationName, { principal, clientIp: ip, connectionId: undefined });
      if (refused) return { errors: [refused] };
      const { schema, document } = plan;
      const { variables: variableValues, operationName } = params;
      result = (await execute({ schema, document, contextValue: options.contextOf(principal, ip), variableValues, operationName })) as ExecutionResult;
    } catch (err) {
      return { errors: [options.mask(err)] };
    }
    if (!result.errors) return result;
    // No data: the operation could not start (its variables), which Yoga's executor answers with 400.
    const errors = 'data' in result ? result.errors : result.errors.map(asBadRequest);
    return { ...result, errors: errors.map(options.mask) };
  };

  const failed = (request: IncomingMessage, response: ServerResponse, err: unknown) => {
    if (err instanceof BackendUnavailableError) {
      const answer = unavailableAnswer();
      return send(request, response, answer.status, answer.headers, answer.body);
    }
    http.error({ method: request.method, path: request.url?.slice(0, 200), err }, 'unexpected error');
    send(request, response, 500, { 'content-type': 'application/json; charset=utf-8' }, unexpectedErrorBody());
  };

  /** A request read but not taken: Yoga answers it from the body already read (an SSE stream included). */
  const toYoga = async (request: IncomingMessage, response: ServerResponse, body: Buffer, principal: Principal) => {
    const url = urlOf(request, options.tls);
    const aborted = new AbortController();
    response.once('close', () => aborted.abort());
    const answer = await yoga.fetch(new yoga.fetchAPI.Request(url, { method: 'POST', headers: nodeHeaders(request, yoga), body: body.toString('utf8'), signal: aborted.signal }), {
      req: request,
      principal,
    } as never);
    if (response.destroyed) return void answer.body?.cancel().catch(() => undefined);
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, name) => (headers[name] = value));
    response.writeHead(answer.status, headers);
    if (!answer.body) return void response.end();
    const reader = answer.body.getReader();
    response.once('close', () => void reader.cancel().catch(() => undefined));
    for (;;) {
      const { done, value } = await reader.read();
      if (done || response.destroyed) break;
      response.write(value);
    }
    response.end();
  };

  const run = async (request: IncomingMessage, response: ServerResponse, length: number, accepted: string) => {
    const ip = options.ipOf({ req: request });
    // Before the body is read, as on Yoga's path: a refused caller makes the server hold nothing.
    const auth = await authenticateHttp(authenticator, request.headers.authorization, log, { path: '/graphql', ip });
    if (!auth.ok) return send(request, response, auth.status, auth.headers, auth.body);
    const body = await readBody(request, length);
    if (body === null) return void response.destroy();
    let params: Params;
    try {
      params = JSON.parse(body.toString('utf8')) as Params;
    } catch {
      return toYoga(request, response, body, auth.principal);
    }
    if (!plainParams(params)) return toYoga(request, response, body, auth.principal);

    const operation = label(params.operationName);
    const plan = plans.get(params.query, params.operationName);
    if (plan) return answer(request, response, await runPlanned(plan, params, auth.principal, ip), accepted, operation);
    const initial = { req: request, request: requestView(request, yoga, options.tls), principal: auth.principal, clientIp: ip, params };
    const enveloped = yoga.getEnveloped(initial as never);
    let result: ExecutionResult;
    // What Yoga's pipeline throws it answers as masked errors; so does this.
    try {
      const document = enveloped.parse(params.query);
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) {
        result = { errors };
      } else {
        // Subscriptions stream: Yoga's path answers them (406 or SSE); the document is cached by now.
        if (getOperationAST(document, params.operationName)?.operation === 'subscription') return toYoga(request, response, body, auth.principal);
        plans.offer(params.query, params.operationName, { schema: enveloped.schema, document });
        const contextValue = await enveloped.contextFactory();
        result = (await enveloped.execute({
          schema: enveloped.schema,
          document,
          contextValue,
          variableValues: params.variables,
          operationName: params.operationName,
        })) as ExecutionResult;
      }
    } catch (err) {
      result = { errors: [options.mask(err)] };
    }
    answer(request, response, result, accepted, operation);
  };

  return (request, response) => {
    if (request.method !== 'POST' || request.url !== '/graphql' || request.headers.origin !== undefined) return false;
    const type = request.headers['content-type'];
    if (type === undefined || !JSON_BODY.test(type)) return false;
    const accepted = ACCEPTED[(request.headers.accept ?? '').trim().toLowerCase()];
    if (accepted === undefined) return false;
    const declared = request.headers['content-length'];
    if (declared === undefined || !/^\d{1,7}$/.test(declared) || Number(declared) > MAX_BODY_BYTES) return false;
    run(request, response, Number(declared), accepted).catch((err: unknown) => failed(request, response, err));
    return true;
  };
}

/** The request's body, of the length it declared; null when the client went away first. */
function readBody(request: IncomingMessage, length: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
    });
    request.on('end', () => {
      // Node's parser enforces Content-Length; this only guards the assumption.
      if (size !== length) return reject(new Error(`body of ${size} bytes, ${length} declared`));
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    request.on('error', () => resolve(null));
    request.on('aborted', () => resolve(null));
  });
}

/**
 * What Yoga's plugins read of `context.request` (its method, URL and headers;
 * Yoga's own plugins tell an HTTP operation from a WebSocket one by it), made
 * into Fetch API objects only if one asks.
 */
function requestView(request: IncomingMessage, yoga: HeraldYoga, tls: boolean) {
  let headers: Headers | undefined;
  return {
    method: 'POST',
    url: urlOf(request, tls),
    get headers(): Headers {
      return (headers ??= nodeHeaders(request, yoga));
    },
  };
}

const urlOf = (request: IncomingMessage, tls: boolean) => `${tls ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`;

function nodeHeaders(request: IncomingMessage, yoga: HeraldYoga): Headers {
  const headers = new yoga.fetchAPI.Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

/** A parameter object Yoga would take as it is: anything unusual is left to Yoga, which explains what is wrong. */
function plainParams(params: unknown): params is Params {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return false;
  const p = params as Record<string, unknown>;
  for (const key in p) if (!PARAMS.has(key)) return false;
  if (typeof p.query !== 'string') return false;
  if (p.variables != null && (typeof p.variables !== 'object' || Array.isArray(p.variables))) return false;
  if (p.operationName != null && typeof p.operationName !== 'string') return false;
  if (p.extensions != null && (typeof p.extensions !== 'object' || Array.isArray(p.extensions))) return false;
  return true;
}

/** An error that kept an operation from running, marked as Yoga's executor marks it (status 400). */
function asBadRequest(error: GraphQLError): GraphQLError {
  Object.defineProperty(error, 'extensions', { value: { ...error.extensions, http: { ...(error.extensions['http'] as object | undefined), status: 400 } } });
  return error;
}
