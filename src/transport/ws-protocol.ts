import { GraphQLError, type ExecutionArgs } from 'graphql';
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, makeServer, type Context as WsContext, type ServerOptions, type SubscribePayload, type WebSocket as ProtocolSocket } from 'graphql-ws';
import { isAsyncIterable } from 'graphql-yoga';
import type { Counters } from '../cluster/view.js';
import { clientIdentityProblem } from '../input.js';
import { Close } from '../sessions/close-codes.js';
import type { Diagnostics } from '../sessions/diagnostics.js';
import type { Metrics } from '../metrics.js';
import type { Connection } from './connection.js';
import { takeResultStream } from './use-shared-execution.js';
import { deliverDirectly, type Writer } from './ws-direct-delivery.js';
import type { ConnectionParams, ConnectionPolicy, Handshake } from './ws-policy.js';
import type { HeraldYoga } from './yoga.js';

/** A connection that is also how its socket is written to (ws-socket.ts). */
export type WritableConnection = Connection & {
  /** Writes a text frame without waiting for it; a no-op once the socket is not open. */
  send(data: string): void;
  /** Whether the peer reads as fast as it is written to. */
  writable(): boolean;
  /** Calls back once the unsent backlog has drained. */
  whenWritable(resume: () => void): void;
};

/** What graphql-ws carries for each socket: its connection (and writes) and the upgrade's handshake, until connection_init. */
export type Extra = {
  readonly connection: WritableConnection;
  handshake: Handshake | null;
};

type RootValue = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

/**
 * The graphql-transport-ws protocol (graphql-ws's core, which never sees a
 * socket), with every operation run through Yoga's envelop pipeline, so
 * plugins hold for HTTP and WebSocket alike. The one exception:
 * subscription results are written as they arrive (see
 * ws-direct-delivery.ts), so a plugin's per-event hook (onSubscribeResult's
 * onNext) does not see them; error masking, the only such hook in use, is
 * applied where the results are made.
 */
export function createProtocol(options: {
  yoga: HeraldYoga;
  policy: ConnectionPolicy;
  maxSubscriptionsPerConnection: number;
  connectionInitTimeoutMs: number;
  counters: Counters;
  metrics: Metrics;
  /** Called when subscriptions start or end, for the cluster report. */
  onChange: () => void;
  /** From createMask: how an error that ends a subscription is shown to the client. */
  mask: (error: unknown) => GraphQLError;
  diagnostics: Diagnostics;
  /** Asked once a connection authenticated: a refusal closes it after all (connection-attempt budgets). */
  onAuthenticated?: (connection: Connection) => { readonly code: number; readonly reason: string } | undefined;
}) {
  const counted = (connection: Connection) => {
    connection.eventsSent++;
    if (connection.principal?.kind === 'gateway') {
      options.counters.gatewayEventsSent++;
      options.metrics.gatewayEventSent();
    }
  };

  /** The operation's arguments, through Yoga's pipeline; its errors belong to the operation, never to the socket. */
  async function prepare(ctx: WsContext<ConnectionParams, Extra>, payload: SubscribePayload) {
    const { connection } = ctx.extra;
    // graphql-ws has already reserved this id, so the count includes this operation.
    if (Object.keys(ctx.subscriptions).length > options.maxSubscriptionsPerConnection) {
      return [new GraphQLError(`Too many operations on this connection (at most ${options.maxSubscriptionsPerConnection})`, { extensions: { code: 'LIMIT_EXCEEDED' } })];
    }
    const enveloped = options.yoga.getEnveloped({
      principal: connection.principal!,
      channel: options.policy.consumerOf(connection),
      connectionId: connection.id,
      cliRegistrationId: connection.cliRegistrationId,
      clientIp: connection.remoteAddress,
      deliveries: options.diagnostics.recorderOf(connection.id),
    });
    let document;
    try {
      document = enveloped.parse(payload.query);
    } catch (err) {
      // A throw here would close the whole socket; a syntax error is the client's, per operation.
      return [err instanceof GraphQLError ? err : new GraphQLError('Could not parse the document')];
    }
    let errors;
    try {
      errors = enveloped.validate(enveloped.schema, document);
    } catch (err) {
      // Validation rules (query limits) may throw; that too is this operation's error, not the socket's.
      return [err instanceof GraphQLError ? err : new GraphQLError('Could not validate the document')];
    }
    if (errors.length > 0) return [...errors];
    return {
      schema: enveloped.schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue: await enveloped.contextFactory(),
      rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } satisfies RootValue,
    };
  }

  // The wait for connection_init is timed here rather than by graphql-ws,
  // which keeps its timer (and the timer's callback) for the connection's
  // life: this one is forgotten once the client has spoken.
  const initTimeoutMs = options.connectionInitTimeoutMs;
  const awaitingInit = new WeakMap<Connection, ReturnType<typeof setTimeout>>();
  const initReceived = (connection: Connection) => {
    const timer = awaitingInit.get(connection);
    if (timer === undefined) return;
    clearTimeout(timer);
    awaitingInit.delete(connection);
  };

  const server = makeServer<ConnectionParams, Extra>({
    connectionInitWaitTimeout: 0,
    onClose: (ctx) => initReceived(ctx.extra.connection),
    onConnect: async (ctx) => {
      initReceived(ctx.extra.connection);
      const params = ctx.connectionParams ?? {};
      const { handshake, connection } = ctx.extra;
      if (!handshake) return false; // graphql-ws refuses a second connection_init before asking
      // Needed only here: what the client showed to get in (often a token of a KB or more) is not kept for the connection's life.
      ctx.extra.handshake = null;
      (ctx as { connectionParams?: unknown }).connectionParams = undefined;
      // Checked as any client input is, before credentials: a name or version that is not one is refused, not cut to fit.
      const problem = clientIdentityProblem({ clientName: given(params.clientName) ?? handshake.clientName, clientVersion: given(params.clientVersion) ?? handshake.clientVersion });
      if (problem) {
        options.metrics.connectionRejected('bad_request');
        connection.close(Close.BadRequest, problem);
        return false;
      }
      const ack = await options.policy.authenticate(connection, handshake, params);
      if (!ack) return false;
      const refusal = options.onAuthenticated?.(connection);
      if (refusal) {
        connection.close(refusal.code, refusal.reason);
        return false;
      }
      return ack;
    },
    onSubscribe: (ctx, _id, payload) => prepare(ctx, payload),
    execute: (args) => (args.rootValue as RootValue).execute(args) as never,
    subscribe: (args) => (args.rootValue as RootValue).subscribe(args) as never,
    onOperation: (ctx, id, _payload, args, result) => {
      if (!isAsyncIterable(result)) return;
      const { connection } = ctx.extra;
      connection.subscriptions.add(id);
      options.diagnostics.note(connection.id, 'SUBSCRIBED', `${id}: ${operationOf(args)}`);
      options.metrics.subscriptionOpened();
      options.onChange();
      const results = takeResultStream(args.contextValue);
      // The client may have completed the operation while it started: graphql-ws then ends it unread.
      if (!results || !(id in ctx.subscriptions)) return;
      return deliverDirectly({
        id,
        results,
        pipeline: result,
        writer: new CountedWriter(connection, counted),
        mask: options.mask,
      });
    },
    onNext: (ctx, _id, _payload, _args, result) => {
      counted(ctx.extra.connection);
      return withoutHttpExtensions(result);
    },
    onComplete: (ctx, id) => {
      if (ctx.extra.connection.subscriptions.delete(id)) {
        options.diagnostics.note(ctx.extra.connection.id, 'UNSUBSCRIBED', id);
        options.metrics.subscriptionClosed();
        options.onChange();
      }
    },
  } satisfies ServerOptions<ConnectionParams, Extra>);

  return {
    /** As graphql-ws's `opened`, with the wait for connection_init timed (closing with 4408 as graphql-ws would). */
    opened(socket: ProtocolSocket, extra: Extra): ReturnType<typeof server.opened> {
      if (initTimeoutMs > 0 && Number.isFinite(initTimeoutMs) && socket.protocol === GRAPHQL_TRANSPORT_WS_PROTOCOL) {
        awaitingInit.set(extra.connection, setTimeout(initTimedOut, initTimeoutMs, socket));
      }
      return server.opened(socket, extra);
    },
  };
}

/** One function for every connection (handed its socket), not a closure each. */
function initTimedOut(socket: ProtocolSocket) {
  void socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
}

/** A subscription's writes to its connection, each counted as an event sent. */
class CountedWriter implements Writer {
  constructor(
    private readonly connection: WritableConnection,
    private readonly counted: (connection: Connection) => void,
  ) {}
  write(text: string): boolean {
    this.counted(this.connection);
    this.connection.send(text);
    return this.connection.writable();
  }
  whenWritable(resume: () => void): void {
    this.connection.whenWritable(resume);
  }
}

/**
 * An incoming message for graphql-ws, parsed. graphql-ws keeps the message
 * it was handed for as long as the operation it starts runs: handed the text,
 * it keeps the text as well as what it parsed from it, so a subscription held
 * its document twice. Handed the parsed message (which graphql-ws validates
 * as it does one it parsed itself), it keeps only that; and as the clients of
 * one application send the same few documents, each distinct document text is
 * kept once and shared. Text that is not JSON (or is a JSON string) is
 * handed on as it is, for graphql-ws to refuse (4400) as always.
 */
export function readMessage(text: string): unknown {
  let message: unknown;
  try {
    message = JSON.parse(text, oneCopyOfEachDocument);
  } catch {
    return text;
  }
  // A JSON string would be parsed a second time by graphql-ws: handed the text, it refuses it as before.
  return typeof message === 'string' ? text : message;
}

/** Each distinct document text once. Bounded: past DOCUMENT_CHARS the texts kept start over. */
const documents = new Map<string, string>();
let documentChars = 0;
const DOCUMENT_CHARS = 1 << 20;
function oneCopyOfEachDocument(key: string, value: unknown): unknown {
  if (key !== 'query' || typeof value !== 'string') return value;
  const known = documents.get(value);
  if (known !== undefined) return known;
  if (documentChars + value.length > DOCUMENT_CHARS) {
    documents.clear();
    documentChars = 0;
  }
  documents.set(value, value);
  documentChars += value.length;
  return value;
}

/** The operation's name, else its root field, for the timeline. */
function operationOf(args: ExecutionArgs): string {
  if (args.operationName) return args.operationName.slice(0, 100);
  const operation = args.document.definitions.find((d) => d.kind === 'OperationDefinition');
  const first = operation?.kind === 'OperationDefinition' ? operation.selectionSet.selections[0] : undefined;
  return first?.kind === 'Field' ? first.name.value : 'subscription';
}

/** A connection_init value the client gave; empty counts as not given (the upgrade's header then applies). */
const given = (value: unknown) => (value === undefined || value === null || value === '' ? undefined : value);

/** `extensions.http` tells Yoga an HTTP status; over WebSocket it means nothing and is left out. */
function withoutHttpExtensions<T extends { errors?: readonly GraphQLError[] }>(result: T): T {
  if (!result.errors?.some((e) => e.extensions?.http)) return result;
  return {
    ...result,
    errors: result.errors.map((e) => {
      if (!e.extensions?.http) return e;
      const { http: _http, ...extensions } = e.extensions;
      return { ...e.toJSON(), extensions } as unknown as GraphQLError;
    }),
  };
}
