/**
 * The OpenAPI 3.1 description of the REST routes (rest-routes.ts), served at
 * GET /api/openapi.json. Written by hand, one entry per route; a test checks
 * that the entries and the router's table name the same routes, so a route
 * added without its description fails there.
 */
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [String(status), { description: ERROR_TEXT[status] ?? 'Error', ...json(ref('Error')) }]));
const ERROR_TEXT: Record<number, string> = {
  400: 'BAD_USER_INPUT: the input is not valid (error.field names it)',
  401: 'UNAUTHENTICATED: no or invalid credentials',
  403: 'FORBIDDEN: the credentials lack the rights',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE: the body is over 1 MB',
  415: 'UNSUPPORTED_MEDIA_TYPE: send application/json',
  429: 'RATE_LIMITED: see the Retry-After header',
  503: 'SERVICE_UNAVAILABLE: a backend (Redis) is away; retry shortly',
};
const idParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string', maxLength: 128 } });
const object = (properties: Record<string, object>, required: string[] = Object.keys(properties)) => ({ type: 'object', properties, required });
const nullable = (type: string) => ({ type: [type, 'null'] });

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Herald REST API',
    version: '1',
    description: 'Doors for services that do not speak GraphQL: each route calls the same service as its GraphQL field, with the same input rules, rights, audit and rate limit. Errors are `{ error: { code, message, field? } }`.',
  },
  security: [{ bearer: [] }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The admin token, an API key, a gateway key or a JWT.' } },
    schemas: {
      Error: object({ error: object({ code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' }, retryAfter: { type: 'integer' } }, ['code', 'message']) }),
      Json: { description: 'As the GraphQL field of the same name returns it.' },
      GatewayStats: object({
        id: { type: 'string' },
        name: { type: 'string' },
        connections: {
          type: 'array',
          items: object({ id: { type: 'string' }, instanceId: { type: 'string' }, connectedAt: { type: 'string', format: 'date-time' }, lastHeartbeatAt: { type: 'string', format: 'date-time' } }),
        },
        eventsSent: { type: 'integer' },
        failedDeliveries: { type: 'integer' },
        lastFailureAt: { ...nullable('string'), format: 'date-time' },
        lastFailureReason: nullable('string'),
      }),
    },
  },
  paths: {
    '/api/v1/apis/{apiId}/deploy-revision': {
      post: {
        operationId: 'deployApiRevision',
        summary: 'Deploy an API revision to gateways',
        parameters: [idParam('apiId', 'The API to deploy')],
        requestBody: { required: true, ...json(object({ revisionId: { type: 'string' }, vhost: { type: 'string' }, gatewayIds: { type: 'array', items: { type: 'string' } }, correlationId: { type: 'string' } }, ['revisionId', 'vhost', 'gatewayIds'])) },
        responses: { '200': { description: 'The deployment, with the outcome per target gateway', ...json(ref('Json')) }, ...errors(400, 401, 403, 404, 413, 415, 429, 503) },
      },
    },
    '/api/internal/v1/stats': {
      get: {
        operationId: 'stats',
        summary: 'Counters of this instance and every live instance; per gateway its connections and deliveries',
        description: 'Needs stats:read. `gateways` is listed to callers with gateways:admin, null otherwise.',
        responses: {
          '200': {
            description: 'The stats',
            ...json(object({ instance: ref('Json'), instances: { type: 'array', items: ref('Json') }, gateways: { type: ['array', 'null'], items: ref('GatewayStats') } })),
          },
          ...errors(401, 403, 503),
        },
      },
    },
    '/api/v1/connections': {
      get: {
        operationId: 'connections',
        summary: 'Open connections of every instance, a page at a time',
        parameters: [
          { name: 'kind', in: 'query', schema: { type: 'string', enum: ['admin', 'anonymous', 'gateway', 'service', 'user'] } },
          { name: 'principalId', in: 'query', schema: { type: 'string' } },
          { name: 'clientName', in: 'query', schema: { type: 'string' } },
          { name: 'first', in: 'query', schema: { type: 'integer', default: 100 } },
          { name: 'after', in: 'query', description: 'The last id of the previous page', schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'The connections', ...json(object({ connections: { type: 'array', items: ref('Json') } })) }, ...errors(400, 401, 403, 429, 503) },
      },
    },
    '/api/v1/broadcast': {
      post: {
        operationId: 'broadcast',
        summary: 'Send a message to every systemMessages subscription (admin)',
        requestBody: { required: true, ...json(object({ message: { type: 'string' } })) },
        responses: { '200': { description: 'Sent', ...json(object({ sent: { type: 'boolean' } })) }, ...errors(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    '/api/v1/connections/{id}/notify': {
      post: {
        operationId: 'notifyConnection',
        summary: "Send a message to one connection's systemMessages subscriptions (admin)",
        parameters: [idParam('id', 'The connection')],
        requestBody: { required: true, ...json(object({ message: { type: 'string' } })) },
        responses: { '200': { description: 'Whether a subscription took it', ...json(object({ delivered: { type: 'boolean' } })) }, ...errors(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    '/api/v1/channels': {
      get: {
        operationId: 'channels',
        summary: 'The channels the caller may read',
        responses: { '200': { description: 'The channels', ...json(object({ channels: { type: 'array', items: ref('Json') } })) }, ...errors(401, 429, 503) },
      },
    },
    '/api/v1/channels/{name}/events': {
      post: {
        operationId: 'publishEvents',
        summary: 'Publish one event (a JSON object) or a batch (a JSON array) on a channel',
        parameters: [idParam('name', 'The channel')],
        requestBody: { required: true, ...json({ oneOf: [ref('Json'), { type: 'array', items: ref('Json') }] }) },
        responses: {
          '200': { description: '`{ event }` for one, `{ events }` for a batch', ...json({ type: 'object', properties: { event: ref('Json'), events: { type: 'array', items: ref('Json') } } }) },
          ...errors(400, 401, 403, 404, 413, 415, 429, 503),
        },
      },
    },
    '/api/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This description',
        responses: { '200': { description: 'The OpenAPI 3.1 document', ...json({ type: 'object' }) }, ...errors(401) },
      },
    },
  },
} as const;
