/**
 * Polling as a transport: subscriptions served from the `events` query, a
 * page at a time after the subscription's cursor. Each subscription field
 * that can be polled has an adapter here: which log topics it reads, which
 * events it keeps (its filters), and how a logged event becomes the
 * subscription's result. A field added to the API (channelEvents, ...) is an
 * entry in POLL_ADAPTERS.
 */

/** An event as `events` returns it. */
export type LoggedEvent = {
  readonly id: string;
  readonly type: string;
  readonly topic: string;
  readonly sequence: number;
  readonly cursor: string;
  readonly timestamp: string;
  readonly priority: string;
  readonly correlationId: string | null;
  readonly expiresAt?: string | null;
  readonly source?: string | null;
  readonly schemaVersion?: number | null;
  readonly payload: unknown;
};

export type PollContext = {
  /** The gateway the credentials belong to, when the server said so (connection_ack). */
  readonly gatewayId: string | undefined;
};

export type PollAdapter = {
  /** The log topics to read, or a message saying why this subscription cannot be polled. */
  topics(args: Record<string, unknown>, context: PollContext): string[] | string;
  /** Whether the subscription would have delivered this event (its filters). */
  accepts(event: LoggedEvent, args: Record<string, unknown>): boolean;
  /** The subscription's result for the event, with `__typename`s, before shaping to the selection. */
  toResult(event: LoggedEvent): Record<string, unknown>;
  /** Union and interface names and the types they contain ('*': any), for fragments. */
  readonly abstractTypes?: Readonly<Record<string, readonly string[] | '*'>>;
};

export const PRIORITY_ORDER = ['LOW', 'NORMAL', 'HIGH', 'CRITICAL'] as const;

const atLeast = (priority: string, minimum: unknown) =>
  typeof minimum !== 'string' || PRIORITY_ORDER.indexOf(priority as never) >= PRIORITY_ORDER.indexOf(minimum as never);

const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});

const TASK_CHANGES: Record<string, string> = { 'task.created': 'CREATED', 'task.updated': 'UPDATED', 'task.deleted': 'DELETED' };

/**
 * A gateway event's GraphQL names, from its wire type: `api.deployed` is
 * `API_DEPLOYED` (GatewayEventType), its payload type the same in PascalCase. Derived,
 * not listed, so an event type the server adds polls like the others.
 */
function gatewayNames(wireType: string): { key: string; typename: string } {
  const words = wireType.split('.');
  return { key: words.join('_').toUpperCase(), typename: words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('') };
}

export const POLL_ADAPTERS: Readonly<Record<string, PollAdapter>> = {
  taskEvents: {
    topics: (args) => (Array.isArray(args.repositories) ? args.repositories.map((r) => `repo:${String(r)}`) : 'taskEvents needs repositories'),
    accepts: (event, args) => event.type in TASK_CHANGES && atLeast(event.priority, args.minPriority),
    toResult(event) {
      const payload = record(event.payload);
      const task = payload.task ? { __typename: 'Task', ...record(payload.task) } : null;
      return {
        __typename: 'TaskEvent',
        id: event.id,
        type: TASK_CHANGES[event.type],
        taskId: payload.taskId,
        repository: payload.repository,
        task,
        changedBy: payload.changedBy,
        timestamp: event.timestamp,
        sequence: event.sequence,
        cursor: event.cursor,
        priority: event.priority,
      };
    },
  },
  channelEvents: {
    topics: (args) => (Array.isArray(args.channels) ? args.channels.map((c) => `channel:${String(c)}`) : 'channelEvents needs channels'),
    accepts(event, args) {
      if (!event.topic.startsWith('channel:') || !atLeast(event.priority, args.minPriority)) return false;
      if (Array.isArray(args.types) && !args.types.includes(event.type)) return false;
      return matchesWhere(event.payload, args.where);
    },
    toResult: (event) => ({
      __typename: 'ChannelEvent',
      id: event.id,
      channel: event.topic.slice('channel:'.length),
      type: event.type,
      sequence: event.sequence,
      cursor: event.cursor,
      timestamp: event.timestamp,
      priority: event.priority,
      correlationId: event.correlationId,
      expiresAt: event.expiresAt ?? null,
      source: event.source ?? null,
      schemaVersion: event.schemaVersion ?? null,
      payload: event.payload,
    }),
  },
  gatewayEvents: {
    topics(args, context) {
      const gatewayId = typeof args.gatewayId === 'string' ? args.gatewayId : context.gatewayId;
      return gatewayId ? [`gateway:${gatewayId}`] : 'gatewayEvents can be polled only with gatewayId (or after the gateway connected once over WebSocket)';
    },
    accepts(event, args) {
      if (!event.topic.startsWith('gateway:') || !atLeast(event.priority, args.minPriority)) return false;
      return !Array.isArray(args.types) || args.types.includes(gatewayNames(event.type).key);
    },
    toResult(event) {
      const kind = gatewayNames(event.type);
      return {
        __typename: 'GatewayEvent',
        id: event.id,
        type: kind.key,
        gatewayId: event.topic.slice('gateway:'.length),
        timestamp: event.timestamp,
        correlationId: event.correlationId,
        priority: event.priority,
        sequence: event.sequence,
        cursor: event.cursor,
        payload: { __typename: kind.typename, ...record(event.payload) },
      };
    },
    abstractTypes: { GatewayEventPayload: '*' },
  },
};

/**
 * A channel subscription's `where`, as the server applies it: every named
 * top-level payload field equals the value, or one of the listed values.
 * (`order: PRIORITY` needs no counterpart: a poll delivers in log order.)
 */
function matchesWhere(payload: unknown, where: unknown): boolean {
  if (where === undefined || where === null || typeof where !== 'object') return true;
  const fields = record(payload);
  return Object.entries(where as Record<string, unknown>).every(([field, wanted]) =>
    (Array.isArray(wanted) ? wanted : [wanted]).some((value) => value === (field in fields ? fields[field] : undefined)),
  );
}

export const EVENTS_QUERY = /* GraphQL */ `
  query HeraldPoll($topics: [String!]!, $after: String, $limit: Int) {
    events(topics: $topics, after: $after, limit: $limit) {
      events { id type topic sequence cursor timestamp priority correlationId expiresAt source schemaVersion payload }
      cursor
      hasMore
    }
  }
`;
