import { Option } from 'commander';
import {
  ChannelEventsDocument,
  EventsCursorDocument,
  GatewayEventsDocument,
  TaskEventsDocument,
  type ChannelEventsSubscription,
  type GatewayEventsSubscription,
  type Operation,
  type TaskEventsSubscription,
  type Transport,
} from '../../client/index.js';
import { CliError, describeError, Exit, exitCodeOf } from '../exit-codes.js';
import { clock, type Colors } from '../output.js';
import type { CliCommand } from './types.js';

type ListenOptions = { after?: string; fromNow?: boolean; json?: boolean; minPriority?: string; types?: string[]; where?: string; count?: number; transport?: Transport[]; quiet?: boolean };

const GATEWAY_TYPES = ['API_DEPLOYED', 'API_UNDEPLOYED', 'GATEWAY_CONFIG_UPDATED'];

function whereOf(options: ListenOptions): Record<string, unknown> {
  if (options.where === undefined) return {};
  try {
    const where = JSON.parse(options.where) as unknown;
    if (typeof where !== 'object' || where === null || Array.isArray(where)) throw new Error('not an object');
    return { where };
  } catch {
    throw new CliError('listen: --where takes a JSON object of payload fields, e.g. \'{"severity":["high","critical"]}\'', Exit.usage);
  }
}

/** What `herald listen` can follow: one entry per source (channels are added here with the channel API). */
type ListenSource = {
  readonly usage: string;
  readonly description: string;
  readonly document: Operation<Record<string, unknown>, Record<string, unknown>>;
  variables(names: string[], options: ListenOptions): Record<string, unknown>;
  readonly field: string;
  pretty(event: Record<string, unknown>, color: Colors): string;
};

const TYPE_COLORS: Record<string, keyof Colors> = { CREATED: 'green', UPDATED: 'yellow', DELETED: 'red', API_DEPLOYED: 'green', API_UNDEPLOYED: 'red', GATEWAY_CONFIG_UPDATED: 'cyan' };
const paintType = (type: string, color: Colors) => color[TYPE_COLORS[type] ?? 'bold'](type.padEnd(8));

export const LISTEN_SOURCES: Readonly<Record<string, ListenSource>> = {
  tasks: {
    usage: 'tasks <repository...>',
    description: 'task events of repositories ("*": every repository you may read)',
    document: TaskEventsDocument as Operation<Record<string, unknown>, Record<string, unknown>>,
    variables(names, options) {
      if (names.length === 0) throw new CliError('listen tasks: name at least one repository (or "*")', Exit.usage);
      if (options.types || options.where) throw new CliError('listen tasks: --types and --where are for gateways and channels', Exit.usage);
      return { repositories: names, ...(options.minPriority ? { minPriority: options.minPriority } : {}) };
    },
    field: 'taskEvents',
    pretty(raw, c) {
      const e = raw as TaskEventsSubscription['taskEvents'];
      const task = e.task;
      const detail = task ? `${JSON.stringify(task.title)} ${c.bold(task.status)}${task.assignee ? ` @${task.assignee}` : ''}` : '';
      return `${c.dim(clock(e.timestamp))} ${c.cyan(e.repository)} ${c.dim(`#${e.sequence}`)} ${paintType(e.type, c)} ${c.dim(e.taskId)} ${detail} ${c.dim(`by ${e.changedBy}`)}`;
    },
  },
  gateway: {
    usage: 'gateway [gatewayId]',
    description: "a gateway's deploy, undeploy and configuration events (a gateway key needs no id)",
    document: GatewayEventsDocument as Operation<Record<string, unknown>, Record<string, unknown>>,
    variables(names, options) {
      if (names.length > 1) throw new CliError('listen gateway: name one gateway', Exit.usage);
      if (options.where) throw new CliError('listen gateway: --where is for channels', Exit.usage);
      const unknown = options.types?.filter((t) => !GATEWAY_TYPES.includes(t)) ?? [];
      if (unknown.length > 0) throw new CliError(`listen gateway: --types takes ${GATEWAY_TYPES.join(', ')}`, Exit.usage);
      return { ...(names[0] ? { gatewayId: names[0] } : {}), ...(options.types ? { types: options.types } : {}), ...(options.minPriority ? { minPriority: options.minPriority } : {}) };
    },
    field: 'gatewayEvents',
    pretty(raw, c) {
      const e = raw as GatewayEventsSubscription['gatewayEvents'];
      // Every field of the payload, whatever its type: a type the server adds prints too.
      const detail = Object.entries(e.payload)
        .filter(([name]) => name !== '__typename')
        .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' ');
      return `${c.dim(clock(e.timestamp))} ${c.cyan(e.gatewayId)} ${c.dim(`#${e.sequence}`)} ${paintType(e.type, c)} ${detail}${e.correlationId ? c.dim(` (${e.correlationId})`) : ''}`;
    },
  },
  channel: {
    usage: 'channel <channel...>',
    description: 'events of channels ("*": every channel you may read), with --types and --where',
    document: ChannelEventsDocument as Operation<Record<string, unknown>, Record<string, unknown>>,
    variables(names, options) {
      if (names.length === 0) throw new CliError('listen channel: name at least one channel (or "*")', Exit.usage);
      return { channels: names, ...(options.types ? { types: options.types } : {}), ...(options.minPriority ? { minPriority: options.minPriority } : {}), ...whereOf(options) };
    },
    field: 'channelEvents',
    pretty(raw, c) {
      const e = raw as ChannelEventsSubscription['channelEvents'];
      const priority = e.priority === 'CRITICAL' || e.priority === 'HIGH' ? c.red(e.priority) : c.dim(e.priority);
      return `${c.dim(clock(e.timestamp))} ${c.cyan(e.channel)} ${c.dim(`#${e.sequence}`)} ${c.green(e.type)} ${priority} ${JSON.stringify(e.payload)}${e.source ? c.dim(` from ${e.source}`) : ''}`;
    },
  },
};

export const listen: CliCommand = {
  name: 'listen',
  register(program, context, action) {
    program
      .command('listen')
      .description('print events as they happen, resuming across drops and restarts')
      .argument('<source>', Object.entries(LISTEN_SOURCES).map(([name, s]) => `${name}: ${s.description}`).join('; '))
      .argument('[names...]', 'repositories, a gateway id, or channels')
      .option('--after <cursor>', 'first every retained event after this cursor (from an earlier --json line or exit hint)')
      .option('--from-now', 'only events from now on (the default)')
      .option('--json', 'one JSON object per event and line, for scripts')
      .addOption(new Option('--min-priority <priority>', 'only events of at least this priority').choices(['LOW', 'NORMAL', 'HIGH', 'CRITICAL']))
      .option('--types <type...>', `only these event types (gateway: ${GATEWAY_TYPES.join(', ')}; channel: its types)`)
      .option('--where <json>', 'channel: only events whose payload fields match, e.g. \'{"severity":["high","critical"]}\'')
      .option('--count <n>', 'exit after this many events', (v) => Number.parseInt(v, 10))
      .option('--transport <list>', 'transports in order of preference (default ws,sse,poll)', (v) => v.split(',').map((t) => t.trim()) as Transport[])
      .option('-q, --quiet', 'no connection messages on stderr')
      .addHelpText('after', `\nExamples:\n  herald listen tasks demo\n  herald listen tasks demo other --json --after c3.41.7...\n  herald listen gateway gw-1 --types API_DEPLOYED\n  herald listen channel threats alerts --min-priority HIGH --where '{"severity":"high"}'`)
      .action(
        action(async (sourceName: string, names: string[], options: ListenOptions) => {
          const source = LISTEN_SOURCES[sourceName];
          if (!source) throw new CliError(`listen: unknown source "${sourceName}" (one of ${Object.keys(LISTEN_SOURCES).join(', ')})`, Exit.usage);
          if (options.after && options.fromNow) throw new CliError('listen: --after and --from-now exclude each other', Exit.usage);
          if (options.transport?.some((t) => !['ws', 'sse', 'poll'].includes(t))) throw new CliError('listen: --transport takes ws, sse and poll', Exit.usage);
          if (options.count !== undefined && !(options.count > 0)) throw new CliError('listen: --count must be a positive number', Exit.usage);
          const variables = { ...source.variables(names, options), ...(options.after ? { after: options.after } : {}) };
          const { io } = context;
          const note = (line: string) => options.quiet || io.err(io.errColor.dim(line));
          const client = context.client(options.transport ? { transports: options.transport } : {});
          // Fail fast, with the right exit code, on a wrong URL or refused credentials.
          await client.request(EventsCursorDocument);
          let received = 0;
          let lastCursor: string | null = options.after ?? null;
          return new Promise<number>((resolve) => {
            context.onExit(() => {
              if (lastCursor && !options.quiet) io.err(io.errColor.dim(`stopped; resume with --after ${lastCursor}`));
            });
            client.on('state', ({ state, transport, error }) => {
              if (state === 'connected') note(`listening on ${context.config().url} over ${transport === 'ws' ? 'WebSocket' : transport === 'sse' ? 'SSE' : 'polling'}`);
              else if (state === 'reconnecting') note('connection lost; reconnecting (events missed meanwhile will follow)');
              else if (state === 'failed' && error) {
                io.err(`herald: ${describeError(error)}`);
                resolve(exitCodeOf(error));
              }
            });
            client.on('error', (error) => {
              if (error.code === 'TRANSPORT_BLOCKED' || error.code === 'KEEPALIVE_TIMEOUT' || error.code === 'UNSUPPORTED_TRANSPORT') note(error.message);
            });
            client.subscribe(source.document, variables, {
              next: (data) => {
                const event = data[source.field] as Record<string, unknown>;
                lastCursor = typeof event.cursor === 'string' ? event.cursor : lastCursor;
                io.out(options.json ? JSON.stringify(event) : source.pretty(event, io.color));
                if (options.count !== undefined && ++received >= options.count) resolve(Exit.ok);
              },
              error: (error) => {
                io.err(`herald: ${describeError(error)}`);
                resolve(exitCodeOf(error));
              },
              complete: () => resolve(Exit.ok),
              gap: (info) => io.err(io.errColor.yellow(`events were lost: ${info.message}; going on from now`)),
            });
          });
        }),
      );
  },
};
